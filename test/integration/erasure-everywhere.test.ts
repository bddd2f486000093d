// After an erasure, the person cannot be found anywhere: not in any column of any table (raw
// inbound messages included, searched as bytes), not in any Redis key or job under the queue
// prefix. Two people who registered by replying to the bulletin, got an acknowledgement, a
// proposal, answered it (one by replying to the email, one by the button), and whose partners
// accepted too (the meeting email names them to the other person): one asks by email
// ("SUPPRIMER") and follows the link of our answer, the other uses the erase link of her
// proposal directly. The search is generic (information_schema), so a table or column added
// later is searched too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordAnswer } from '../../src/introductions/answers.js';
import { eraseUrl } from '../../src/mail/links.js';
import { replyAddress } from '../../src/mail/reply-tag.js';
import { runWeeklyRound } from '../../src/round/run.js';
import { settled, startTestService, waitFor } from '../helpers/context.js';
import { dumpRedis, findInDatabase } from '../helpers/database-scan.js';
import { Browser, hiddenField, linksIn } from '../helpers/http.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { email, INTAKE_ENV, OUR_DOMAIN } from './intake-messages.js';

type Service = Awaited<ReturnType<typeof startTestService>>;
let service: Service;
let sink: SmtpSink;

const ZEPHYRINE = { address: 'zephyrine.quintal@exemple.fr', first: 'Zéphyrine', last: 'Quintal' };
const ONDINE = { address: 'ondine.varennes@exemple.fr', first: 'Ondine', last: 'Varennes' };
const CAPUCINE = { address: 'capucine.orvault@exemple.fr', first: 'Capucine', last: 'Orvault' };
const needles = (p: typeof ZEPHYRINE) => [p.address, p.first, p.last];

async function post(raw: Buffer): Promise<number> {
  const res = await fetch(`${service.url}/inbound/mime`, { method: 'POST', body: raw, headers: { authorization: `Bearer ${INTAKE_ENV.INBOUND_WEBHOOK_SECRET}` } });
  expect(res.status).toBe(202);
  return ((await res.json()) as { id: number }).id;
}

async function processed(id: number) {
  return waitFor(async () => (await service.ctx.sql`select * from inbound_messages where id = ${id} and status <> 'stored'`)[0], 20_000, `inbound ${id}`);
}

async function personId(address: string): Promise<number> {
  const [p] = await service.ctx.sql<{ id: number }[]>`select id from people where email = ${address}`;
  return p!.id;
}

async function outboxFor(id: number, template: string) {
  return waitFor(async () => (await service.ctx.sql<{ id: number; message_id: string; text_body: string; headers: Record<string, string> }[]>`
    select id, message_id, text_body, headers from outbound_messages where person_id = ${id} and template = ${template} order by id desc`)[0], 20_000, `${template} for ${id}`);
}

/** Opens an emailed link like a browser and presses its button. */
async function click(link: string): Promise<number> {
  const browser = new Browser(service.url!);
  const page = await browser.get(link);
  expect(page.status).toBe(200);
  const path = new URL(link).pathname;
  return (await browser.post(path, { t: hiddenField(page.body, 't') })).status;
}

beforeAll(async () => {
  sink = await startSmtpSink();
  service = await startTestService({ ...INTAKE_ENV, SMTP_URL: sink.url }, { web: true, workers: true, schedules: false });
  const people = [
    { ...ZEPHYRINE, body: 'Nous montons un habitat partagé avec un grand potager collectif et un atelier vélo près de Die (26). Nous cherchons deux foyers.' },
    { address: 'bartholome.k@exemple.fr', first: 'Bartholomé', last: 'K', body: 'Je cherche à rejoindre un habitat partagé avec potager collectif et atelier vélo près de Die (26).' },
    { ...ONDINE, body: 'Je lance une ferme coopérative en maraîchage bio à Crest (26), je cherche des associés pour la traction animale.' },
    { address: 'leandre.m@exemple.fr', first: 'Léandre', last: 'M', body: 'Je voudrais rejoindre une ferme coopérative en maraîchage bio près de Crest (26), la traction animale me passionne.' },
  ];
  for (const p of people) {
    const id = await post(email({ from: `${p.first} ${p.last} <${p.address}>`, auth: 'pass', body: `Bonjour,\n\n${p.body}\n\n${p.first} ${p.last}` }));
    expect((await processed(id)).kind).toBe('registration');
  }
  const round = await runWeeklyRound(service.ctx, { trigger: 'manual', jobId: null });
  if (round.status !== 'done') throw new Error(`round ${round.status}`);
  expect(round.report.introductions).toBe(2);
  await settled(service.ctx);
}, 120_000);

afterAll(async () => {
  await service?.dispose();
  await sink?.close();
});

describe('erasure leaves no trace', () => {
  it('is searched for where it really is before the erasure (the search can find it)', async () => {
    const found = await findInDatabase(service.ctx.sql, needles(ZEPHYRINE));
    const where = new Set(found.map((f) => `${f.table}.${f.column}`));
    for (const c of ['people.email', 'people.name', 'inbound_messages.raw', 'inbound_messages.from_address', 'outbound_messages.to_address', 'outbound_messages.html']) expect(where).toContain(c);
  });

  it('by email ("SUPPRIMER", then the link of our answer) and by the erase link: nowhere in the database, nowhere in Redis', async () => {
    const { ctx } = service;
    const zId = await personId(ZEPHYRINE.address);
    const oId = await personId(ONDINE.address);
    expect(await outboxFor(zId, 'ack-registration')).toBeDefined();

    // Zéphyrine answers her proposal by replying "oui" to it; her partner accepts by the button:
    // the meeting email gives each the other's name and address.
    const proposal = await outboxFor(zId, 'proposal');
    const [zIntro] = await ctx.sql<{ id: number; person_a: number; person_b: number }[]>`select id, person_a, person_b from introductions where ${zId} in (person_a, person_b)`;
    const reply = await post(email({
      from: `${ZEPHYRINE.first} ${ZEPHYRINE.last} <${ZEPHYRINE.address}>`, auth: 'pass', to: replyAddress(ctx.config, zIntro!.id, zId),
      subject: 'Re: Une rencontre à vous proposer', inReplyTo: proposal.message_id, body: `Oui, avec plaisir !\n\n${ZEPHYRINE.first}`,
    }));
    expect((await processed(reply)).kind).toBe('intro_reply');
    const zPartner = zIntro!.person_a === zId ? zIntro!.person_b : zIntro!.person_a;
    await recordAnswer(ctx, { introductionId: zIntro!.id, personId: zPartner, answer: 'accepted', source: 'link' });
    // Ondine answers by the button of her proposal; her partner too.
    const oProposal = await outboxFor(oId, 'proposal');
    expect(await click(linksIn(oProposal.text_body).find((l) => l.includes('/reponse?t='))!)).toBe(200);
    const [oIntro] = await ctx.sql<{ id: number; person_a: number; person_b: number }[]>`select id, person_a, person_b from introductions where ${oId} in (person_a, person_b)`;
    await recordAnswer(ctx, { introductionId: oIntro!.id, personId: oIntro!.person_a === oId ? oIntro!.person_b : oIntro!.person_a, answer: 'accepted', source: 'link' });
    expect((await ctx.sql`select count(*)::int as n from outbound_messages where template = 'meeting'`)[0]!.n).toBe(2);
    await settled(service.ctx);

    // Zéphyrine writes SUPPRIMER; our answer carries the erase link, which she follows.
    const command = await post(email({ from: `${ZEPHYRINE.first} ${ZEPHYRINE.last} <${ZEPHYRINE.address}>`, auth: 'pass', to: `inscription@${OUR_DOMAIN}`, subject: 'SUPPRIMER', body: 'SUPPRIMER' }));
    expect((await processed(command)).kind).toBe('command');
    const ack = await outboxFor(zId, 'ack-erase');
    expect(await click(linksIn(ack.text_body).find((l) => l.includes('/effacer?t='))!)).toBe(200);
    // Ondine uses the erase link at the bottom of her proposal.
    expect(await click(linksIn(oProposal.text_body).find((l) => l.includes('/effacer?t='))!)).toBe(200);

    // And someone who registered by the form (its per-address rate limit lives in Redis), then
    // confirmed, then erased with the link every proposal carries.
    const browser = new Browser(service.url!);
    const home = await browser.get('/');
    expect((await browser.post('/inscription', {
      csrf: hiddenField(home.body, 'csrf'), name: `${CAPUCINE.first} ${CAPUCINE.last}`, email: CAPUCINE.address, place: 'Die', role: 'rejoindre',
      description: 'Je voudrais rejoindre un habitat partagé dans la Drôme, avec un potager collectif.', radius: '50', consent: 'oui',
    })).status).toBe(200);
    const cId = await personId(CAPUCINE.address);
    expect(await click(linksIn((await outboxFor(cId, 'confirm-registration')).text_body).find((l) => l.includes('/confirmer?t='))!)).toBe(200);
    expect(await click(eraseUrl(ctx.config, cId))).toBe(200);

    // The confirmations were delivered (then forgotten by the outbox).
    await settled(service.ctx);
    for (const p of [ZEPHYRINE, ONDINE, CAPUCINE]) expect((await sink.to(p.address)).some((m) => /effac/i.test(m.subject ?? ''))).toBe(true);
    const statuses = await ctx.sql`select status from people where id in (${zId}, ${oId}, ${cId})`;
    expect(statuses.map((r) => r.status)).toEqual(['erased', 'erased', 'erased']);

    const all = [...needles(ZEPHYRINE), ...needles(ONDINE), ...needles(CAPUCINE)];
    const found = await findInDatabase(ctx.sql, all);
    expect(found, JSON.stringify(found)).toEqual([]);

    const redis = await dumpRedis(ctx.redis, ctx.config.queuePrefix);
    expect(redis.length).toBeGreaterThan(0);
    const leaks = redis.filter((k) => all.some((n) => `${k.key}\n${k.content}`.toLowerCase().includes(n.toLowerCase())));
    expect(leaks.map((k) => `${k.key}: ${k.content.slice(0, 200)}`)).toEqual([]);

    // The others' introductions still count (tombstones), and their own data is untouched.
    const [{ n }] = await ctx.sql<{ n: number }[]>`select count(*)::int as n from introductions where status = 'accepted'`;
    expect(n).toBe(2);
    expect((await findInDatabase(ctx.sql, ['bartholome.k@exemple.fr'])).map((f) => f.table)).toContain('people');
  });
});
