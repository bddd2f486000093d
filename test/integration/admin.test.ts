// The operator's console over real HTTP, PostgreSQL and Redis: disabled without ADMIN_PASSWORD,
// behind a login (rate-limited, CSRF, signed HttpOnly SameSite=Strict cookie), pages that read
// (funnel chart, rounds, map, messages to handle, networks), actions that are POSTs with a CSRF
// token and answer plainly on an erased person, bull-board and /metrics behind the same password,
// and structured request logs without personal data.
import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { geocodePlace } from '../../src/service.js';
import { createApp } from '../../src/web/app.js';
import { setSessionCookie } from '../../src/web/admin/session.js';
import { LOGIN_LIMIT } from '../../src/web/routes/admin.js';
import { startTestService, waitFor } from '../helpers/context.js';
import { Browser, hiddenField, linksIn } from '../helpers/http.js';
import { adminBrowser, basicAuth, placePerson, readOutbox } from './territory-helpers.js';

type Service = Awaited<ReturnType<typeof startTestService>>;
let service: Service;
let disabled: Service;
const PASSWORD = 'une longue phrase de passe pour la console';

beforeAll(async () => {
  [service, disabled] = await Promise.all([
    startTestService({ ADMIN_PASSWORD: PASSWORD }),
    startTestService({}, { web: true, workers: false, schedules: false }),
  ]);
});

afterAll(async () => {
  await Promise.all([service?.dispose(), disabled?.dispose()]);
});

const outbox = () => readOutbox(service.url!, basicAuth(PASSWORD));

describe('without ADMIN_PASSWORD', () => {
  it('says plainly that the console is disabled and how to turn it on', async () => {
    for (const path of ['/admin', '/admin/connexion', '/admin/queues', '/admin/personnes/1']) {
      const res = await fetch(`${disabled.url}${path}`, { redirect: 'manual' });
      expect(res.status).toBe(404);
      const body = await res.text();
      expect(body).toContain('La console est désactivée');
      expect(body).toContain('ADMIN_PASSWORD');
    }
  });

  it('leaves /metrics open on a development machine', async () => {
    const res = await fetch(`${disabled.url}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('# TYPE maillage_people gauge');
  });
});

describe('the login', () => {
  it('sends every console page, bull-board included, to the login page', async () => {
    for (const path of ['/admin', '/admin/personnes', '/admin/queues', '/admin/queues/api/queues', '/admin/messages/1']) {
      const res = await fetch(`${service.url}${path}`, { redirect: 'manual' });
      expect(res.status, path).toBe(303);
      expect(res.headers.get('location')).toBe(`/admin/connexion?suite=${encodeURIComponent(path)}`);
    }
    const post = await fetch(`${service.url}/admin/personnes/1/effacer`, { method: 'POST', redirect: 'manual' });
    expect(post.status).toBe(401);
  });

  it('refuses a wrong password, then lets the right one in with a safe cookie', async () => {
    const browser = new Browser(service.url!);
    const form = await browser.get('/admin/connexion?suite=/admin/territoire');
    expect(form.body).toContain('type="password"');
    const wrong = await browser.post('/admin/connexion', { csrf: hiddenField(form.body, 'csrf'), suite: '/admin/territoire', password: 'pas-le-bon' });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toContain('Ce mot de passe n’est pas le bon.');
    expect(wrong.headers.getSetCookie().some((c) => c.startsWith('maillage_admin='))).toBe(false);

    const right = await browser.post('/admin/connexion', { csrf: hiddenField(form.body, 'csrf'), suite: '/admin/territoire', password: PASSWORD });
    expect(right.status).toBe(303);
    expect(right.headers.get('location')).toBe('/admin/territoire');
    const cookie = right.headers.getSetCookie().find((c) => c.startsWith('maillage_admin='))!;
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).not.toContain('Secure'); // http here; see the https case below
    expect((await browser.get('/admin')).status).toBe(200);
  });

  it('never follows a login redirect outside the console', async () => {
    const browser = new Browser(service.url!);
    const form = await browser.get('/admin/connexion');
    const res = await browser.post('/admin/connexion', { csrf: hiddenField(form.body, 'csrf'), suite: '//evil.example/admin', password: PASSWORD });
    expect(res.headers.get('location')).toBe('/admin');
  });

  it('refuses a login without its CSRF token, and a forged or expired session', async () => {
    const noCsrf = await new Browser(service.url!).post('/admin/connexion', { password: PASSWORD });
    expect(noCsrf.status).toBe(403);
    const forged = await fetch(`${service.url}/admin`, { redirect: 'manual', headers: { cookie: `maillage_admin=${Math.floor(Date.now() / 1000) + 3600}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA` } });
    expect(forged.status).toBe(303);
    const browser = await adminBrowser(service.url!, PASSWORD);
    const real = (await browser.get('/admin')).status;
    expect(real).toBe(200);
  });

  it('rate-limits guessing per address, even when the right password finally comes', async () => {
    const browser = new Browser(service.url!);
    const form = await browser.get('/admin/connexion');
    const csrf = hiddenField(form.body, 'csrf');
    // Behind the local reverse proxy the client's address comes from X-Forwarded-For (TRUST_PROXY).
    const from = { headers: { 'x-forwarded-for': '203.0.113.7' } };
    for (let k = 0; k < LOGIN_LIMIT.attempts; k++) {
      const res = await browser.post('/admin/connexion', { csrf, password: `essai-${k}` }, from);
      expect(res.status).toBe(401);
    }
    const blocked = await browser.post('/admin/connexion', { csrf, password: PASSWORD }, from);
    expect(blocked.status).toBe(429);
    expect(blocked.body).toContain('Trop de tentatives');
    expect(blocked.headers.get('retry-after')).toBe(String(LOGIN_LIMIT.windowSeconds));
    // Another address is not blocked.
    const other = await browser.post('/admin/connexion', { csrf, password: PASSWORD }, { headers: { 'x-forwarded-for': '198.51.100.9' } });
    expect(other.status).toBe(303);
  });

  it('marks the cookie Secure when the public address is https', () => {
    const headers: string[] = [];
    const res = { append: (_name: string, value: string) => headers.push(value) } as unknown as Parameters<typeof setSessionCookie>[0];
    setSessionCookie(res, { secret: 's'.repeat(32), adminPassword: 'x', publicUrl: 'https://maillage.example.org' });
    expect(headers[0]).toMatch(/; Secure/);
  });
});

describe('the pages', () => {
  let browser: Browser;
  let die: Awaited<ReturnType<typeof placePerson>>;

  beforeAll(async () => {
    browser = await adminBrowser(service.url!, PASSWORD);
    const sql = service.ctx.sql;
    die = await placePerson(sql, { name: 'Marie Dupont', place: 'Die', description: 'habitat partagé à Die' });
    const crest = await placePerson(sql, { name: 'Paul Roche', place: 'Crest', description: 'habitat partagé à Crest' });
    await placePerson(sql, { name: 'Ana Pending', place: 'Nantes', description: 'repair café', status: 'pending' });
    const [lo, hi] = die.id < crest.id ? [die.id, crest.id] : [crest.id, die.id];
    await sql`insert into introductions (person_a, person_b, score, explanation, status, answer_a, answer_b, closed_at) values (${lo}, ${hi}, 0.6, 'habitat', 'accepted', 'accepted', 'accepted', now())`;
    await sql`
      insert into rounds (trigger, status, started_at, finished_at, report)
      values ('schedule', 'done', now() - interval '3 seconds', now(),
              ${sql.json({ people: 60, eligible: 58, introductions: 24, unmatched: 12, byReason: { nobody_in_reach: 7, partners_taken: 5 } })})`;
  });

  it('shows the funnel week by week as an inline SVG chart, with its numbers, and the last rounds', async () => {
    const res = await browser.get('/admin');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toContain('<svg class="chart"');
    expect(res.body).toContain('Parcours des personnes, semaine par semaine');
    // No script and nothing fetched from elsewhere: works offline, with JavaScript off.
    expect(res.body).not.toMatch(/<script/i);
    expect(res.body).not.toMatch(/(?:src|href)="https?:\/\//);
    const table = /<summary>Les chiffres du graphique<\/summary>([\s\S]*?)<\/table>/.exec(res.body)![1]!;
    const rows = [...table.matchAll(/<tr><td>[^<]*<\/td>((?:<td class="n">\d+<\/td>)+)<\/tr>/g)];
    expect(rows).toHaveLength(12);
    const thisWeek = [...rows.at(-1)![1]!.matchAll(/(\d+)</g)].map((m) => Number(m[1]));
    expect(thisWeek).toEqual([3, 2, 2, 2]); // registered, confirmed, proposed, met
    expect(res.body).toContain('<td class="n">60</td><td class="n">58</td><td class="n">24</td><td class="n">12</td>');
    expect(res.body).toContain('7 : Personne d&#39;autre n&#39;est encore inscrit dans le rayon choisi.');
  });

  it('shows people by département on a map of France and in a table', async () => {
    const res = await browser.get('/admin/territoire');
    expect(res.body).toContain('<svg class="map"');
    expect(res.body).toContain('<title>Drôme (26) : 2 personnes</title>');
    expect(res.body).toContain('<td>Drôme (26)</td><td class="n">2</td><td class="n">0</td>');
    expect(res.body).toContain('<td>Loire-Atlantique (44)</td><td class="n">0</td><td class="n">1</td>');
  });

  it('finds a person by address, name or number, and escapes what people typed', async () => {
    const evil = await placePerson(service.ctx.sql, { name: '<img src=x onerror=alert(1)>', place: 'Lyon', description: '<script>alert(1)</script>' });
    const res = await browser.get(`/admin/personnes?q=${encodeURIComponent('dupont')}`);
    expect(res.body).toContain('Marie Dupont');
    expect(res.body).not.toContain('Paul Roche');
    const byId = await browser.get(`/admin/personnes?q=%23${evil.id}`);
    expect(byId.body).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(byId.body).not.toContain('<img src=x');
    const page = await browser.get(`/admin/personnes/${evil.id}`);
    expect(page.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page.body).not.toContain('<script>');
  });

  it('lists the messages that need a human, shows one, and lets the operator mark them handled', async () => {
    const sql = service.ctx.sql;
    const raw = Buffer.from('From: Bernard <bernard@exemple.org>\r\nSubject: Une question\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nEst-ce que le service est gratuit ?\r\n');
    const [inbound] = await sql`
      insert into inbound_messages (dedupe_key, sha256, channel, from_address, raw, raw_size, status, kind, outcome, for_operator)
      values ('admin-test-1', 'x', 'test', 'bernard@exemple.org', ${raw}, ${raw.length}, 'processed', 'other', 'kept for the operator, acknowledged', true)
      returning id`;
    const [failed] = await sql`
      insert into outbound_messages (idempotency_key, message_id, to_address, template, subject, html, text_body, status, attempts, last_error)
      values ('admin-test-failed', '<f@maillage.test>', 'nobody@exemple.org', 'welcome', 'Bienvenue', '<p>x</p>', 'x', 'failed', 8, '550 5.1.1 user unknown')
      returning id`;
    const list = await browser.get('/admin/messages');
    expect(list.body).toContain('bernard@exemple.org');
    expect(list.body).toContain('autre message');
    expect(list.body).toContain('550 5.1.1 user unknown');
    const shown = await browser.get(`/admin/messages/${inbound!.id}`);
    expect(shown.body).toContain('<h1>Une question</h1>');
    expect(shown.body).toContain('Est-ce que le service est gratuit ?');
    const csrf = hiddenField(list.body, 'csrf');
    expect((await browser.post(`/admin/messages/entrant/${inbound!.id}/traite`, { csrf })).status).toBe(303);
    expect((await browser.post(`/admin/messages/sortant/${failed!.id}/traite`, { csrf })).status).toBe(303);
    const after = await browser.get('/admin/messages');
    expect(after.body).not.toContain('bernard@exemple.org');
    expect(after.body).not.toContain('550 5.1.1');
    expect(after.body).toContain('Rien à lire.');
  });

  it('adds a partner network from the console, and refuses a bad identifier plainly', async () => {
    const page = await browser.get('/admin/reseaux');
    const csrf = hiddenField(page.body, 'csrf');
    const bad = await browser.post('/admin/reseaux', { csrf, slug: 'Pas bon !', name: 'Réseau' });
    expect(bad.status).toBe(422);
    expect(bad.body).toContain('identifiant court');
    const ok = await browser.post('/admin/reseaux', { csrf, slug: 'tiers-lieux-69', name: 'Tiers-lieux du Rhône' });
    expect(ok.status).toBe(303);
    const after = await browser.get('/admin/reseaux?fait=reseau');
    expect(after.body).toContain('Tiers-lieux du Rhône');
    expect(after.body).toContain('/?reseau=tiers-lieux-69');
  });

  it('serves bull-board behind the same session', async () => {
    const ui = await browser.get('/admin/queues');
    expect(ui.status).toBe(200);
    expect(ui.body).toContain('<base href="/admin/queues/"');
    const api = await browser.get('/admin/queues/api/queues');
    expect(api.status).toBe(200);
    const names = (JSON.parse(api.body) as { queues: { name: string }[] }).queues.map((q) => q.name).sort();
    expect(names).toEqual(['inbound', 'mail', 'maintenance', 'proposals', 'round', 'territory']);
  });

  it('opens the outbox to a logged-in operator without a second password prompt', async () => {
    expect((await fetch(`${service.url}/outbox`)).status).toBe(401);
    expect((await browser.get('/outbox')).status).toBe(200);
  });
});

describe('actions on a person', () => {
  let browser: Browser;
  let csrf: string;

  beforeAll(async () => {
    browser = await adminBrowser(service.url!, PASSWORD);
    csrf = hiddenField((await browser.get('/admin')).body, 'csrf');
  });

  it('refuses an action without its CSRF token, and changes nothing', async () => {
    const p = await placePerson(service.ctx.sql, { name: 'Sans Jeton', place: 'Die', description: 'ferme' });
    const res = await browser.post(`/admin/personnes/${p.id}/effacer`, { confirmer: 'oui' });
    expect(res.status).toBe(403);
    expect(res.body).toContain('Action refusée');
    const [row] = await service.ctx.sql`select status from people where id = ${p.id}`;
    expect(row!.status).toBe('active');
  });

  it('resends a confirmation link that replaces the old one', async () => {
    const registration = new Browser(service.url!);
    const home = await registration.get('/');
    await registration.post('/inscription', {
      csrf: hiddenField(home.body, 'csrf'), reseau: '', name: 'Lou', email: 'lou@exemple.org', place: 'Die', role: 'rejoindre',
      description: 'Je souhaite rejoindre un habitat partagé dans le Diois, avec un grand jardin.', radius: '50', consent: 'oui',
    });
    const first = await waitFor(async () => (await outbox()).find((m) => m.to === 'lou@exemple.org'), 10_000, 'first confirmation');
    const [lou] = await service.ctx.sql`select id from people where email = 'lou@exemple.org'`;
    const res = await browser.post(`/admin/personnes/${lou!.id}/confirmation`, { csrf });
    expect(res.status).toBe(303);
    const page = await browser.get(res.headers.get('location')!);
    expect(page.body).toContain('un nouveau lien de confirmation vient de partir');
    const mails = await waitFor(async () => {
      const list = (await outbox()).filter((m) => m.to === 'lou@exemple.org' && m.subject.includes('Confirmez'));
      return list.length === 2 ? list : undefined;
    }, 10_000, 'second confirmation');
    const newLink = linksIn(mails.find((m) => m.id !== first.id)!.text).find((l) => l.includes('/confirmer?t='))!;
    const oldLink = linksIn(first.text).find((l) => l.includes('/confirmer?t='))!;
    expect((await fetch(oldLink)).status).toBe(400);
    expect((await fetch(newLink)).status).toBe(200);
    const again = await browser.post(`/admin/personnes/${lou!.id}/confirmation`, { csrf });
    expect(again.status).toBe(303);
  });

  it('pauses a person (who is told by email) and lifts the pause', async () => {
    const p = await placePerson(service.ctx.sql, { name: 'Pia Pause', place: 'Die', description: 'ferme' });
    const res = await browser.post(`/admin/personnes/${p.id}/pause`, { csrf, duree: '1m' });
    expect(res.headers.get('location')).toBe(`/admin/personnes/${p.id}?fait=pause`);
    const [paused] = await service.ctx.sql`select paused_until from people where id = ${p.id}`;
    expect((paused!.paused_until as Date).getTime()).toBeGreaterThan(Date.now() + 27 * 86_400_000);
    await waitFor(async () => (await outbox()).find((m) => m.to === p.email && m.template === 'paused'), 10_000, 'pause email');
    const page = await browser.get(`/admin/personnes/${p.id}?fait=pause`);
    expect(page.body).toContain('Lever la pause');
    await browser.post(`/admin/personnes/${p.id}/reprendre`, { csrf });
    const [resumed] = await service.ctx.sql`select paused_until from people where id = ${p.id}`;
    expect(resumed!.paused_until).toBeNull();
  });

  it('erases a person only with the confirmation box ticked, then answers plainly', async () => {
    const p = await placePerson(service.ctx.sql, { name: 'Eva Efface', place: 'Die', description: 'tiers-lieu' });
    const unticked = await browser.post(`/admin/personnes/${p.id}/effacer`, { csrf });
    expect(unticked.headers.get('location')).toBe(`/admin/personnes/${p.id}?fait=confirmer-effacement`);
    const [still] = await service.ctx.sql`select status from people where id = ${p.id}`;
    expect(still!.status).toBe('active');

    const erased = await browser.post(`/admin/personnes/${p.id}/effacer`, { csrf, confirmer: 'oui' });
    expect(erased.headers.get('location')).toBe(`/admin/personnes/${p.id}?fait=effacement`);
    const [row] = await service.ctx.sql`select status, email, name from people where id = ${p.id}`;
    expect(row).toMatchObject({ status: 'erased', email: null, name: null });
    const page = await browser.get(`/admin/personnes/${p.id}?fait=effacement`);
    expect(page.body).toContain('toutes les données de cette personne ont été effacées');
    expect(page.body).not.toContain('Eva');

    // Every action on an erased person: a plain sentence, no error, nothing changes.
    for (const action of ['pause', 'reprendre', 'confirmation', 'effacer']) {
      const res = await browser.post(`/admin/personnes/${p.id}/${action}`, { csrf, confirmer: 'oui', duree: '1m' });
      expect(res.status, action).toBe(303);
      expect(res.headers.get('location')).toBe(`/admin/personnes/${p.id}?fait=deja-effacee`);
    }
    const shown = await browser.get(`/admin/personnes/${p.id}?fait=deja-effacee`);
    expect(shown.body).toContain('Cette personne a déjà été effacée : il n’y a plus rien à faire.');
    expect((await browser.get('/admin/personnes/999999')).status).toBe(404);
  });
});

describe('/metrics', () => {
  it('asks for the password, then answers in the Prometheus text format, without personal data', async () => {
    await service.ctx.sql`insert into events (type, data) values ('inbound.processed', ${service.ctx.sql.json({ kind: 'registration', channel: 'webhook' })})`;
    expect((await fetch(`${service.url}/metrics`)).status).toBe(401);
    const res = await fetch(`${service.url}/metrics`, { headers: basicAuth(PASSWORD) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    const body = await res.text();
    expect(body).toContain('# TYPE maillage_inbound_messages_processed_total counter');
    expect(body).toContain('maillage_inbound_messages_processed_total{kind="registration",channel="webhook"} 1');
    expect(body).toMatch(/maillage_emails\{status="held"\} \d+/);
    expect(body).toContain('maillage_round_last_duration_seconds ');
    expect(body).toMatch(/maillage_queue_jobs\{queue="mail",state="waiting"\} \d+/);
    expect(body).toMatch(/maillage_queue_jobs\{queue="territory",state="failed"\} \d+/);
    expect(body).not.toContain('@');
    // Every sample line is "name{labels} value".
    for (const line of body.trim().split('\n').filter((l) => !l.startsWith('#'))) {
      expect(line).toMatch(/^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? (-?\d+(\.\d+)?(e-?\d+)?|NaN)$/);
    }
  });
});

describe('request logs', () => {
  it('writes one structured line per request with its id, and no personal data', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({ write(chunk, _enc, done) { for (const l of String(chunk).trim().split('\n')) lines.push(JSON.parse(l)); done(); } });
    const log = pino({ level: 'info' }, sink);
    const app = createApp({ ...service.ctx, log }, { geocode: geocodePlace });
    const server = app.listen(0);
    await new Promise((r) => server.once('listening', r));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const res = await fetch(`${base}/confirmer?t=secret-token-value&email=marie.dupont@exemple.org`);
      const missing = await fetch(`${base}/marie.dupont@exemple.org`);
      await waitFor(() => lines.length >= 2, 5_000, 'log lines');
      const [first, second] = lines;
      expect(first).toMatchObject({ reqId: res.headers.get('x-request-id'), method: 'GET', route: '/confirmer', status: 400, msg: 'request' });
      expect(second).toMatchObject({ reqId: missing.headers.get('x-request-id'), route: '(no route)', status: 404 });
      expect(typeof first!.ms).toBe('number');
      const all = JSON.stringify(lines);
      expect(all).not.toContain('marie.dupont');
      expect(all).not.toContain('secret-token-value');
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
