// Names and descriptions are written by strangers and shown to other strangers, to référents
// and to the operator. People whose names and words carry XSS payloads register by the form AND
// by email; after a round, answers, a digest and a question for the operator, every page (form
// re-shown with errors, confirmation, answer, control and profile pages, the console, the
// outbox) and the HTML part of every email show them escaped: no payload appears as markup, no
// link or attribute starts with "javascript:".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordAnswer } from '../../src/introductions/answers.js';
import { sendDueFollowups } from '../../src/introductions/followup.js';
import { runIntroductionExpiry } from '../../src/introductions/expiry.js';
import { runWeeklyRound } from '../../src/round/run.js';
import { addReferent } from '../../src/territory/referents.js';
import { sendReferentDigest } from '../../src/territory/digest-run.js';
import { startTestService, waitFor } from '../helpers/context.js';
import { Browser, hiddenField, linksIn } from '../helpers/http.js';
import { email, INTAKE_ENV } from './intake-messages.js';
import { adminBrowser } from './territory-helpers.js';

type Service = Awaited<ReturnType<typeof startTestService>>;
let service: Service;
let admin: Browser;
const PASSWORD = 'console-xss-password';
const DAY = 86_400_000;

/** Each would run script or change the page if it reached the HTML unescaped. */
const PAYLOADS = [
  '<script>alert("xss1")</script>',
  '"><img src=x onerror=alert(\'xss2\')>',
  "' onmouseover='alert(3)' x='",
  '</textarea><svg onload=alert(4)>',
  '</title><iframe src=javascript:alert(5)>',
  '<a href="javascript:alert(6)">clic</a>',
];
/** Names pass the form's check (no < > { } \ nor link) yet break out of an attribute if unescaped. */
const FORM_NAME = 'Xa" autofocus onfocus="alert(7)';
const SCHEME = 'javascript:alert(8)';

const WORDS = 'Nous montons un habitat partagé avec un grand potager collectif et un atelier vélo près de Die, nous cherchons deux foyers.';

/** Every place in an HTML document where one of our payloads is markup instead of text. */
function unescaped(doc: string): string[] {
  const found: string[] = [];
  for (const p of [...PAYLOADS, FORM_NAME]) if (doc.includes(p)) found.push(p);
  // Escaped text has no "<": every "<" left starts a real tag. None of ours runs script, handles
  // an event, or points at a javascript: URL.
  for (const [tag] of doc.matchAll(/<[a-zA-Z][^<>]*>/g)) {
    if (/^<(script|iframe(?![^>]*src="\/outbox\/\d+\/html")|object|embed)\b/i.test(tag)) found.push(tag);
    for (const [, name, value] of tag.matchAll(/\s([^\s"'>\/=]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+))?/g)) {
      const v = (value ?? '').replace(/^["']|["']$/g, '').replace(/&#0*58;|&colon;/gi, ':').trim();
      if (/^on/i.test(name!) || /^javascript:/i.test(v)) found.push(tag);
    }
  }
  return found;
}

function tokenField(page: string): string | null {
  return /name="t" value="([^"]*)"/.test(page) ? hiddenField(page, 't') : null;
}

beforeAll(async () => {
  service = await startTestService({ ...INTAKE_ENV, ADMIN_PASSWORD: PASSWORD }, { web: true, workers: true, schedules: false });
  const { ctx } = service;

  // By the form: payloads in the description (the name field refuses < and >), a name that
  // would break out of an attribute, both visible to référents.
  const browser = new Browser(service.url!);
  const home = await browser.get('/');
  const registered = await browser.post('/inscription', {
    csrf: hiddenField(home.body, 'csrf'), name: FORM_NAME, email: 'xa.form@exemple.fr', place: 'Die', role: 'porteur',
    description: `${WORDS}\n${PAYLOADS.join('\n')}\n${SCHEME}`, radius: '50', consent: 'oui', visibleToReferents: 'oui',
  });
  expect(registered.status).toBe(200);
  // Refused, re-shown with the values typed: the name with < > and a payload in the place.
  const refused = await browser.post('/inscription', {
    csrf: hiddenField(home.body, 'csrf'), name: PAYLOADS[0]!, email: PAYLOADS[1]!, place: PAYLOADS[3]!, role: PAYLOADS[2]!,
    description: PAYLOADS[4]!, radius: PAYLOADS[5]!, consent: 'oui', reseau: PAYLOADS[1]!,
  });
  expect(refused.status).toBe(422);
  expect(unescaped(refused.body)).toEqual([]);
  const confirmMail = await waitFor(async () => (await ctx.sql`select text_body from outbound_messages where to_address = 'xa.form@exemple.fr'`)[0], 10_000, 'confirmation');
  const shown = await browser.get(linksIn(confirmMail.text_body as string).find((l) => l.includes('/confirmer?t='))!);
  expect(unescaped(shown.body)).toEqual([]);
  const confirmed = await browser.post('/confirmer', { t: hiddenField(shown.body, 't') });
  expect(confirmed.status).toBe(200);
  expect(unescaped(confirmed.body)).toEqual([]);

  // By email, authenticated (active at once): payloads in the display name, the body and the subject.
  const post = (raw: Buffer) => fetch(`${service.url}/inbound/mime`, { method: 'POST', body: raw, headers: { authorization: `Bearer ${INTAKE_ENV.INBOUND_WEBHOOK_SECRET}` } });
  const byMail = [
    email({ from: `"Yo <img src=x onerror=alert('xss2')>" <yo.mail@exemple.fr>`, auth: 'pass', subject: PAYLOADS[0], body: `Bonjour,\n\nJe cherche à rejoindre un habitat partagé avec potager collectif et atelier vélo près de Die (26).\n${PAYLOADS.join('\n')}\n\nYo ${PAYLOADS[1]}` }),
    email({ from: `"</textarea><svg onload=alert(4)>" <zed.mail@exemple.fr>`, auth: 'pass', body: `Bonjour,\n\nJe rejoindrais volontiers un habitat partagé avec un potager collectif à Die (26).\n${PAYLOADS[4]}\n${PAYLOADS[5]}\n\n${PAYLOADS[0]}` }),
    // A question, kept for the operator, shown in the console.
    email({ from: `"${PAYLOADS[2]}" <question@exemple.fr>`, subject: PAYLOADS[4], body: `Bonjour, comment ça marche ? ${PAYLOADS.join(' ')}` }),
  ];
  for (const raw of byMail) expect((await post(raw)).status).toBe(202);
  await waitFor(async () => (await ctx.sql`select count(*)::int as n from inbound_messages where status = 'processed'`)[0]!.n === byMail.length, 20_000, 'emails processed');

  // Everyone near Die: the round introduces them to one another.
  const round = await runWeeklyRound(ctx, { trigger: 'manual', jobId: null });
  if (round.status !== 'done') throw new Error(`round ${round.status}`);
  expect(round.report.introductions).toBeGreaterThan(0);
  await waitFor(async () => (await ctx.sql`select count(*)::int as n from outbound_messages where template = 'proposal'`)[0]!.n === 2 * round.report.introductions, 20_000, 'proposals');
  const [intro] = await ctx.sql<{ id: number; person_a: number; person_b: number }[]>`select id, person_a, person_b from introductions order by id limit 1`;
  await recordAnswer(ctx, { introductionId: intro!.id, personId: intro!.person_a, answer: 'accepted', source: 'link' });
  await recordAnswer(ctx, { introductionId: intro!.id, personId: intro!.person_b, answer: 'accepted', source: 'link' });
  await runIntroductionExpiry(ctx, new Date(Date.now() + 4.5 * DAY));
  await sendDueFollowups(ctx, new Date(Date.now() + 15 * DAY));
  const referent = await addReferent(ctx, { email: 'referente@exemple.fr', name: 'Odile', departements: '26' });
  await ctx.sql`update referents set status = 'active', confirmed_at = now() where id = ${referent.referent.id}`;
  await sendReferentDigest(ctx, referent.referent.id);
  await waitFor(async () => (await ctx.sql`select count(*)::int as n from outbound_messages where status in ('queued', 'sending')`)[0]!.n === 0, 20_000, 'outbox settled');
  admin = await adminBrowser(service.url!, PASSWORD);
}, 120_000);

afterAll(async () => {
  await service?.dispose();
});

describe('XSS payloads in names and descriptions', () => {
  it('reached the data: the payloads are stored as typed', async () => {
    const rows = await service.ctx.sql`select p.name, f.description from people p join profiles f on f.person_id = p.id`;
    const all = rows.map((r) => `${r.name}\n${r.description}`).join('\n');
    expect(all).toContain(PAYLOADS[0]);
    expect(all).toContain(FORM_NAME);
    // By email too: a display name with markup in it.
    expect(rows.some((r) => String(r.name).includes('<img src=x'))).toBe(true);
    expect(rows.length).toBeGreaterThanOrEqual(3);
  });

  it('are escaped in the HTML part of every email', async () => {
    const mails = await service.ctx.sql<{ id: number; template: string; html: string }[]>`select id, template, html from outbound_messages order by id`;
    const templates = new Set(mails.map((m) => m.template));
    for (const t of ['confirm-registration', 'ack-registration', 'proposal', 'meeting', 'followup', 'referent-digest']) expect(templates).toContain(t);
    // The words did reach the emails (escaped), or the check below would prove nothing.
    expect(mails.some((m) => m.html.includes('&lt;script&gt;alert(&quot;xss1&quot;)&lt;/script&gt;'))).toBe(true);
    for (const m of mails) expect(unescaped(m.html), `email ${m.id} (${m.template})`).toEqual([]);
  });

  it('are escaped on every page behind every emailed link, GET and after the POST of its button', async () => {
    const mails = await service.ctx.sql<{ html: string; text_body: string }[]>`select html, text_body from outbound_messages`;
    const origin = new URL(service.url!).origin;
    const links = new Set<string>();
    for (const m of mails) for (const l of [...linksIn(m.html), ...linksIn(m.text_body)]) if (new URL(l).origin === origin) links.add(l);
    const seen = new Set<string>();
    for (const link of links) {
      const path = new URL(link).pathname;
      const browser = new Browser(service.url!);
      const page = await browser.get(link);
      expect(page.status, link).toBeLessThan(500);
      expect(unescaped(page.body), `GET ${path}`).toEqual([]);
      seen.add(path);
      // The answer, profile and /visible pages are where names and words are shown after a click.
      const t = tokenField(page.body);
      if (t && ['/reponse', '/profil', '/suite', '/visible'].includes(path)) {
        const after = await browser.post(path, path === '/profil' ? { t, name: 'Xa', place: 'Die', role: 'porteur', description: `${WORDS} ${PAYLOADS.join(' ')}`, radius: '50', consent: 'oui' } : { t });
        expect(unescaped(after.body), `POST ${path}`).toEqual([]);
      }
    }
    for (const p of ['/reponse', '/profil', '/pause', '/effacer', '/desinscription', '/suite', '/visible']) expect(seen).toContain(p);
  });

  it('are escaped in the console and the outbox', async () => {
    const pages = ['/admin', '/admin/personnes', `/admin/personnes?q=${encodeURIComponent(PAYLOADS[0]!)}`, '/admin/personnes?q=xa', '/admin/messages', '/admin/territoire', '/admin/reseaux', '/outbox'];
    const people = await service.ctx.sql<{ id: number }[]>`select id from people`;
    for (const p of people) pages.push(`/admin/personnes/${p.id}`);
    const inbound = await service.ctx.sql<{ id: number }[]>`select id from inbound_messages`;
    for (const m of inbound) pages.push(`/admin/messages/${m.id}`);
    const outbound = await service.ctx.sql<{ id: number }[]>`select id from outbound_messages`;
    for (const m of outbound) pages.push(`/outbox/${m.id}`, `/outbox/${m.id}/html`);
    let withPayloadText = 0;
    for (const path of pages) {
      const page = await admin.get(path);
      expect(page.status, path).toBe(200);
      expect(unescaped(page.body), path).toEqual([]);
      if (page.body.includes('&lt;script&gt;') || page.body.includes('&quot;&gt;&lt;img')) withPayloadText++;
    }
    // The console did show the payloads, as text.
    expect(withPayloadText).toBeGreaterThan(10);
  });
});
