// The web-form journey over real HTTP, PostgreSQL and Redis: form → confirmation email in the
// outbox → GET of the link changes nothing → POST registers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../../src/mail/tokens.js';
import { purgeUnconfirmedJob } from '../../jobs/purge-unconfirmed.js';
import { Browser, hiddenField, linksIn } from '../helpers/http.js';
import { startTestService, waitFor } from '../helpers/context.js';

type Service = Awaited<ReturnType<typeof startTestService>>;
let service: Service;

interface OutboxItem { id: number; to: string; subject: string; text: string; html: string; headers: Record<string, string>; status: string; createdAt: string }

async function outbox(): Promise<OutboxItem[]> {
  const res = await fetch(`${service.url}/outbox.json`);
  return (await res.json()) as OutboxItem[];
}

async function personByEmail(email: string) {
  const rows = await service.ctx.sql`select p.*, f.description, f.commune, f.departement, f.terms from people p left join profiles f on f.person_id = p.id where p.email = ${email}`;
  return rows[0];
}

const VALID = {
  name: 'Marie',
  email: 'marie.dupont@example.org',
  place: 'Die',
  role: 'porteur',
  categories: ['habitat-partage', 'eco-construction'],
  description: 'Avec quatre amis, nous montons un habitat partagé en paille près de Die. Nous cherchons encore deux ou trois foyers motivés par les chantiers participatifs.',
  radius: '50',
  consent: 'oui',
};

async function submit(browser: Browser, fields: Record<string, string | string[]>) {
  const home = await browser.get('/');
  return browser.post('/inscription', { csrf: hiddenField(home.body, 'csrf'), reseau: '', ...fields });
}

function confirmLink(mail: OutboxItem): string {
  const link = linksIn(mail.text).find((l) => l.includes('/confirmer?t='));
  if (!link) throw new Error('no confirmation link in email');
  return link;
}

beforeAll(async () => {
  service = await startTestService();
});

afterAll(async () => {
  await service?.dispose();
});

describe('registration by web form, with double opt-in', () => {
  it('shows a French page with an accessible form', async () => {
    const res = await new Browser(service.url!).get('/');
    expect(res.status).toBe(200);
    expect(res.body).toContain('<html lang="fr">');
    expect(res.body).toContain('<label for="email">');
    expect(res.body).toContain('name="csrf"');
    expect(res.headers.get('set-cookie')).toMatch(/maillage_csrf=.*HttpOnly/);
  });

  it('form → confirmation email → GET changes nothing → POST registers', async () => {
    const browser = new Browser(service.url!);
    const res = await submit(browser, VALID);
    expect(res.status).toBe(200);
    expect(res.body).toContain('vérifiez votre boîte mail');

    const pending = await personByEmail(VALID.email);
    expect(pending.status).toBe('pending');
    expect(pending.commune).toBe('Die');
    expect(pending.departement).toBe('26');
    expect(pending.terms.length).toBeGreaterThan(3);

    const mail = await waitFor(async () => (await outbox()).find((m) => m.to === VALID.email && m.status === 'held'), 10_000, 'confirmation email held in outbox');
    expect(mail.subject).toBe('Confirmez votre inscription à maillage');
    expect(mail.html).toContain('Confirmer mon inscription');
    expect(mail.text).toContain('Die (26)');
    expect(mail.headers['Auto-Submitted']).toBe('auto-generated');
    expect(mail.headers['Message-ID']).toMatch(/@maillage\.test>$/);

    const link = confirmLink(mail);
    // A link scanner fetching the link (GET and HEAD) must not confirm anything.
    const shown = await browser.get(link);
    await fetch(link, { method: 'HEAD' });
    expect(shown.status).toBe(200);
    expect(shown.body).toContain('Confirmer mon inscription');
    expect((await personByEmail(VALID.email)).status).toBe('pending');

    const confirmed = await browser.post('/confirmer', { t: hiddenField(shown.body, 't') });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toContain('Bienvenue, Marie');
    const active = await personByEmail(VALID.email);
    expect(active.status).toBe('active');
    expect(active.confirmed_at).toBeInstanceOf(Date);

    // Replaying the same link changes nothing and says so.
    const again = await browser.post('/confirmer', { t: hiddenField(shown.body, 't') });
    expect(again.body).toContain('déjà confirmée');
    const welcome = (await outbox()).filter((m) => m.to === VALID.email && m.subject.includes('Bienvenue'));
    expect(welcome).toHaveLength(1);
    const events = await service.ctx.sql`select type from events where person_id = ${active.id} order by id`;
    expect(events.map((e) => e.type)).toEqual(['registration.submitted', 'registration.confirmed']);
  });

  it('registering again while pending updates the same person and retires the old link', async () => {
    const browser = new Browser(service.url!);
    const email = 'paul@example.org';
    await submit(browser, { ...VALID, email, name: 'Paul' });
    const first = await waitFor(async () => (await outbox()).find((m) => m.to === email), 10_000, 'first email');
    await submit(browser, { ...VALID, email, name: 'Paul', place: '26340', description: 'Je souhaite rejoindre un habitat partagé dans la vallée de la Drôme, je suis menuisier.', role: 'rejoindre' });
    await waitFor(async () => (await outbox()).filter((m) => m.to === email).length === 2, 10_000, 'second email');
    const count = await service.ctx.sql`select count(*)::int as n from people where email = ${email}`;
    expect(count[0]!.n).toBe(1);
    const person = await personByEmail(email);
    expect(person.description).toContain('menuisier');
    const stale = await browser.get(confirmLink(first));
    expect(stale.status).toBe(400);
    expect(stale.body).toContain('n’est plus valable');
  });

  it('an active person who registers again must confirm before the profile changes', async () => {
    const browser = new Browser(service.url!);
    await submit(browser, { ...VALID, description: 'Nouvelle version : nous cherchons aussi une personne qui connaît la phytoépuration et les toilettes sèches.' });
    const mail = await waitFor(async () => (await outbox()).find((m) => m.to === VALID.email && m.subject.includes('Confirmez') && m.text.includes('phytoépuration')), 10_000, 'update email');
    expect((await personByEmail(VALID.email)).description).not.toContain('phytoépuration');
    const shown = await browser.get(confirmLink(mail));
    expect(shown.body).toContain('mise à jour');
    await browser.post('/confirmer', { t: hiddenField(shown.body, 't') });
    const person = await personByEmail(VALID.email);
    expect(person.description).toContain('phytoépuration');
    expect(person.status).toBe('active');
  });

  it('bad input gets clear French messages, escaped, and stores nothing', async () => {
    const browser = new Browser(service.url!);
    const before = await service.ctx.sql`select count(*)::int as n from people`;
    const res = await submit(browser, {
      name: '',
      email: 'pas-une-adresse',
      place: 'Zzyzxville',
      role: '',
      description: 'x'.repeat(5000),
      radius: '50',
    });
    expect(res.status).toBe(422);
    expect(res.body).toContain('Indiquez votre prénom');
    expect(res.body).toContain('ne semble pas valide');
    expect(res.body).toContain('Nous ne trouvons pas « Zzyzxville »');
    expect(res.body).toContain('trop longue');
    expect(res.body).toContain('besoin de votre accord');
    expect(res.body).toContain('id="name-error"');

    const xss = await submit(browser, { ...VALID, email: 'x@example.org', place: '<script>alert(1)</script>', name: '<img src=x onerror=alert(1)>' });
    expect(xss.status).toBe(422);
    expect(xss.body).not.toContain('<script>alert(1)</script>');
    expect(xss.body).not.toContain('<img src=x');
    expect(xss.body).toContain('&lt;script&gt;');
    const after = await service.ctx.sql`select count(*)::int as n from people`;
    expect(after[0]!.n).toBe(before[0]!.n);
  });

  it('escapes HTML from the description in the confirmation email', async () => {
    const browser = new Browser(service.url!);
    const email = 'html@example.org';
    await submit(browser, { ...VALID, email, description: 'Notre ferme <script>alert("x")</script> cherche des maraîchers <b>motivés</b> pour la saison.' });
    const mail = await waitFor(async () => (await outbox()).find((m) => m.to === email), 10_000, 'email');
    expect(mail.html).not.toContain('<script>alert');
    expect(mail.html).toContain('&lt;script&gt;');
    expect(mail.text).toContain('<script>alert("x")</script>');
  });

  it('refuses a post without the CSRF token', async () => {
    const browser = new Browser(service.url!);
    await browser.get('/');
    const res = await browser.post('/inscription', { ...VALID, email: 'csrf@example.org', csrf: 'forged' });
    expect(res.status).toBe(403);
    expect(res.body).toContain('renvoyez le formulaire');
    expect(await personByEmail('csrf@example.org')).toBeUndefined();
  });

  it('answers tampered and expired links with a clear page and changes nothing', async () => {
    const browser = new Browser(service.url!);
    const person = await personByEmail('html@example.org');
    const good = createToken(service.ctx.config.secret, { k: 'confirm', p: person.id, n: person.confirm_nonce }, 3600);
    const tampered = good.slice(0, -3) + (good.endsWith('AAA') ? 'BBB' : 'AAA');
    const forgedPerson = createToken('another-secret-0123456789', { k: 'confirm', p: person.id, n: person.confirm_nonce }, 3600);
    for (const t of [tampered, forgedPerson, 'garbage', '']) {
      const res = await browser.post('/confirmer', { t });
      expect(res.status).toBe(400);
      expect(res.body).toContain('abîmé');
    }
    const expired = createToken(service.ctx.config.secret, { k: 'confirm', p: person.id, n: person.confirm_nonce }, -10);
    // 410 Gone: the link was genuine, its time is over; the page says how to get a new one.
    const res = await browser.get(`/confirmer?t=${encodeURIComponent(expired)}`);
    expect(res.status).toBe(410);
    expect(res.body).toContain('expiré');
    expect(res.body).toContain('vous recevrez un nouveau lien');
    expect((await browser.post('/confirmer', { t: expired })).status).toBe(410);
    expect((await personByEmail('html@example.org')).status).toBe('pending');
  });

  it('limits confirmation emails to one address', async () => {
    const browser = new Browser(service.url!);
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await submit(browser, { ...VALID, email: 'flood@example.org' })).status);
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses.slice(5)).toEqual([429, 429]);
  });

  it('reports health and readiness', async () => {
    expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${service.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ database: 'ok', redis: 'ok' });
  });

  it('erases registrations nobody confirmed once the link has expired, as the email promises', async () => {
    const browser = new Browser(service.url!);
    const email = 'oubli@example.org';
    await submit(browser, { ...VALID, email });
    const person = await personByEmail(email);
    await service.ctx.sql`update people set created_at = now() - interval '9 days' where id = ${person.id}`;
    const recent = await personByEmail('paul@example.org');
    expect(await purgeUnconfirmedJob.process({} as never, service.ctx)).toBeGreaterThanOrEqual(1);
    const after = await service.ctx.sql`select status, email, name from people where id = ${person.id}`;
    expect(after[0]).toEqual({ status: 'erased', email: null, name: null });
    expect(await service.ctx.sql`select 1 from profiles where person_id = ${person.id}`).toHaveLength(0);
    expect(await service.ctx.sql`select 1 from outbound_messages where to_address = ${email}`).toHaveLength(0);
    // A pending registration still within its link's validity is kept.
    expect((await personByEmail('paul@example.org')).status).toBe(recent.status);
  });
});
