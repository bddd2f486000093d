// Double-opt-in introductions over real HTTP, PostgreSQL, Redis and SMTP (a local smtp-server
// sink is the SMTP_URL): proposals received, every link fetched as a link scanner would (GET and
// HEAD) without any change, both accept by POST, exactly one meeting email to both; then the
// decline, expiry, reply-"oui", tampered-link and RFC 8058 one-click unsubscribe variants.
import { randomUUID } from 'node:crypto';
import { Job } from 'bullmq';
import type { ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestRaw } from '../../src/ingest/store.js';
import { handleIntroReply } from '../../src/introductions/reply.js';
import { answerUrl } from '../../src/mail/links.js';
import { replyTagOf } from '../../src/mail/reply-tag.js';
import { enqueueSend } from '../../src/mail/outbox.js';
import { createToken, verifyToken } from '../../src/mail/tokens.js';
import { JOBS } from '../../src/queue/names.js';
import { sendProposal as writeAndSendProposal } from '../../src/round/proposal.js';
import type { Role } from '../../src/vocabulary.js';
import { startTestService, waitFor } from '../helpers/context.js';
import { hiddenField, linksIn } from '../helpers/http.js';
import { createActivePerson } from '../helpers/people.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

type Service = Awaited<ReturnType<typeof startTestService>>;
let service: Service;
let sink: SmtpSink;

beforeAll(async () => {
  sink = await startSmtpSink();
  service = await startTestService({ SMTP_URL: sink.url });
});

afterAll(async () => {
  await service?.dispose();
  await sink?.close();
});

// ---- fixtures --------------------------------------------------------------------------------

interface Person { id: number; email: string; name: string }

async function makePerson(name: string, place: string, description: string, role: Role = 'porteur'): Promise<Person> {
  return createActivePerson(service.ctx.sql, {
    name, place, description, role, categories: ['habitat-partage'], radiusKm: 50,
    emailLocal: name.toLowerCase().normalize('NFD').replace(/[^a-z]/g, ''),
  });
}

async function makePair(nameA: string, placeA: string, nameB: string, placeB: string) {
  const a = await makePerson(nameA, placeA, `${nameA} monte un habitat partagé en paille avec des chantiers participatifs et cherche des foyers motivés.`);
  const b = await makePerson(nameB, placeB, `${nameB} souhaite rejoindre un habitat partagé, menuisier, intéressé par la construction paille.`, 'rejoindre');
  const [lo, hi] = a.id < b.id ? [a, b] : [b, a];
  const rows = await service.ctx.sql`
    insert into introductions (person_a, person_b, score, distance_km, explanation, shared_words)
    values (${lo.id}, ${hi.id}, 0.42, 14, 'Vous parlez tous les deux d’habitat partagé et de paille ; vous êtes à 14 km l’un·e de l’autre.', '{paille}')
    returning id`;
  return { a, b, introId: rows[0]!.id as number };
}

/** The real proposal email (src/round/proposal.ts, as the round's send job writes it). */
async function sendProposal(introId: number, to: Person, _other: Person): Promise<string> {
  const outcome = await writeAndSendProposal(service.ctx, introId, to.id);
  if (outcome.status !== 'written') throw new Error(`proposal not written: ${outcome.reason}`);
  const rows = await service.ctx.sql`select message_id, headers from outbound_messages where id = ${outcome.outboundId}`;
  return rows[0]!.message_id as string;
}

async function mailsTo(address: string): Promise<ParsedMail[]> {
  return sink.to(address);
}

async function waitForMails(address: string, n: number, what: string): Promise<ParsedMail[]> {
  return waitFor(async () => {
    const mails = await mailsTo(address);
    return mails.length >= n ? mails : undefined;
  }, 10_000, what);
}

/** Lets the queue drain, then says how many messages reached this address. */
async function settledCount(address: string): Promise<number> {
  await waitFor(async () => {
    const pending = await service.ctx.sql`select count(*)::int as n from outbound_messages where status in ('queued', 'sending')`;
    return pending[0]!.n === 0;
  }, 10_000, 'outbox drained');
  await new Promise((r) => setTimeout(r, 150));
  return (await mailsTo(address)).length;
}

/** Everything a click could change, as one string to compare. */
async function snapshot(): Promise<string> {
  const sql = service.ctx.sql;
  const [intros, people, events, outbound] = await Promise.all([
    sql`select id, status, answer_a, answer_b, answered_a_at, answered_b_at, closed_at, reminded_at from introductions order by id`,
    sql`select id, status, email, paused_until, unsubscribed_at, erased_at, updated_at from people order by id`,
    sql`select count(*)::int as n from events`,
    sql`select count(*)::int as n from outbound_messages`,
  ]);
  return JSON.stringify({ intros, people, events, outbound });
}

async function intro(id: number) {
  const rows = await service.ctx.sql`select * from introductions where id = ${id}`;
  return rows[0]!;
}

/** A header as it was on the wire, unfolded (mailparser turns List-* headers into objects). */
function rawHeader(mail: ParsedMail, name: string): string | undefined {
  const line = mail.headerLines.find((h) => h.key === name.toLowerCase())?.line;
  return line?.slice(line.indexOf(':') + 1).replace(/\r?\n[ \t]+/g, ' ').trim();
}

function ourLinks(mail: ParsedMail): string[] {
  // A link at the end of a sentence ("maillage (http://…).") ends before the punctuation.
  const fromBodies = [...linksIn(String(mail.html || '')), ...linksIn(mail.text ?? '')].map((l) => l.replace(/[).,;:!?]+$/, ''));
  const header = rawHeader(mail, 'list-unsubscribe') ?? '';
  const fromHeader = [...header.matchAll(/<(https?:[^>]+)>/g)].map((m) => m[1]!);
  return [...new Set([...fromBodies, ...fromHeader])].filter((l) => l.startsWith(service.url!));
}

function linkTo(mail: ParsedMail, path: string, answer?: string): string {
  const link = ourLinks(mail).find((l) => {
    if (!l.includes(`${path}?t=`)) return false;
    if (!answer) return true;
    const verified = verifyToken(service.ctx.config.secret, new URL(l).searchParams.get('t'), path === '/suite' ? 'followup' : 'answer');
    return verified.ok && verified.payload.a === answer;
  });
  if (!link) throw new Error(`no ${path} link in email "${mail.subject}"`);
  return link;
}

async function get(url: string) {
  const res = await fetch(url, { redirect: 'manual' });
  return { status: res.status, body: await res.text() };
}

async function post(path: string, form: Record<string, string>, query = '') {
  const res = await fetch(`${service.url}${path}${query}`, {
    method: 'POST', redirect: 'manual', body: new URLSearchParams(form),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  return { status: res.status, body: await res.text(), headers: res.headers };
}

/** Presses the button of a page opened earlier: POSTs the link's own token. */
async function submit(link: string) {
  return post('/reponse', { t: new URL(link).searchParams.get('t')! });
}

/** Clicks a link as a person does: opens it, then presses the page's first button. */
async function click(link: string) {
  const page = await get(link);
  expect(page.status).toBe(200);
  const action = /<form method="post" action="([^"]+)"/.exec(page.body)![1]!;
  return post(action, { t: hiddenField(page.body, 't') });
}

async function runMaintenanceJob(name: string): Promise<unknown> {
  const job = await service.ctx.queues.maintenance.add(name, {}, { removeOnComplete: false, removeOnFail: false });
  return waitFor(async () => {
    const state = await job.getState();
    if (state === 'failed') throw new Error(`job ${name} failed: ${(await Job.fromId(service.ctx.queues.maintenance, job.id!))?.failedReason}`);
    if (state !== 'completed') return undefined;
    return (await Job.fromId(service.ctx.queues.maintenance, job.id!))!.returnvalue ?? true;
  }, 15_000, `job ${name}`);
}

// ---- the journey -----------------------------------------------------------------------------

describe('double opt-in: both accept', () => {
  let marie: Person;
  let paul: Person;
  let introId: number;
  let forMarie: ParsedMail;
  let forPaul: ParsedMail;

  beforeAll(async () => {
    ({ a: marie, b: paul, introId } = await makePair('Marie', 'Die', 'Paul', 'Saillans'));
    await sendProposal(introId, marie, paul);
    await sendProposal(introId, paul, marie);
    [forMarie] = await waitForMails(marie.email, 1, 'proposal to Marie');
    [forPaul] = await waitForMails(paul.email, 1, 'proposal to Paul');
  });

  it('each proposal reaches its person only, without the other address anywhere', async () => {
    const rawMarie = sink.messages.find((m) => m.envelopeTo.includes(marie.email))!.raw.toString();
    const rawPaul = sink.messages.find((m) => m.envelopeTo.includes(paul.email))!.raw.toString();
    expect(rawMarie).not.toContain(paul.email);
    expect(rawPaul).not.toContain(marie.email);
    expect(forMarie.subject).toContain('Paul');
    expect(rawHeader(forMarie, 'list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
  });

  it('fetching every link of both emails (GET and HEAD, as scanners do) changes nothing', async () => {
    const links = [...ourLinks(forMarie), ...ourLinks(forPaul)];
    // accept, decline, 2 pauses, profile, unsubscribe, erase: 7 per email
    expect(links.length).toBeGreaterThanOrEqual(14);
    const before = await snapshot();
    for (const link of links) {
      const res = await fetch(link);
      expect(res.status, link).toBe(200);
      await res.text();
      const head = await fetch(link, { method: 'HEAD' });
      expect(head.status).toBe(200);
    }
    expect(await snapshot()).toBe(before);
    expect(await settledCount(marie.email)).toBe(1);
    expect(await settledCount(paul.email)).toBe(1);
  });

  it('the answer page names the other person, offers one large button and the other answer', async () => {
    const page = await get(linkTo(forMarie, '/reponse', 'accepted'));
    expect(page.body).toContain('<html lang="fr">');
    expect(page.body).toContain('name="viewport"');
    expect(page.body).toContain('Vous acceptez de rencontrer Paul');
    expect(page.body).toContain('Saillans');
    expect(page.body).toContain('class="big">Oui, mettez-nous en relation');
    expect(page.body).toContain('Non merci');
    expect(page.body).not.toContain(paul.email);
  });

  it('Marie accepts: recorded, nothing sent to anyone yet', async () => {
    const res = await click(linkTo(forMarie, '/reponse', 'accepted'));
    expect(res.status).toBe(200);
    expect(res.body).toContain('Merci, c’est noté');
    expect(res.body).toContain('Si Paul accepte aussi');
    expect(res.headers.get('set-cookie')).toBeNull();
    const row = await intro(introId);
    expect(row.status).toBe('proposed');
    expect(row[row.person_a === marie.id ? 'answer_a' : 'answer_b']).toBe('accepted');
    expect(await settledCount(marie.email)).toBe(1);
    expect(await settledCount(paul.email)).toBe(1);
  });

  it('Paul accepts: exactly one meeting email, to both, each address visible, Reply-All ready', async () => {
    const res = await click(linkTo(forPaul, '/reponse', 'accepted'));
    expect(res.body).toContain('vous avez tous les deux accepté');
    const [, meeting] = await waitForMails(paul.email, 2, 'meeting email');
    expect(meeting!.subject).toBe('Vous avez tous les deux accepté : voici vos coordonnées');
    const to = (Array.isArray(meeting!.to) ? meeting!.to : [meeting!.to!]).flatMap((t) => t.value.map((v) => v.address));
    expect(to.sort()).toEqual([marie.email, paul.email].sort());
    const replyTo = meeting!.replyTo!.value.map((v) => v.address).sort();
    expect(replyTo).toEqual([marie.email, paul.email].sort());
    expect(meeting!.text).toContain(marie.email);
    expect(meeting!.text).toContain(paul.email);
    expect(meeting!.text).toContain('Répondez à tous');
    expect(meeting!.html).toContain(`mailto:${marie.email}`);
    // No personal one-click link in a message both can read: mailto only.
    expect(rawHeader(meeting!, 'list-unsubscribe-post')).toBeUndefined();
    expect(rawHeader(meeting!, 'list-unsubscribe')).toMatch(/^<mailto:[^>]+>$/);

    // One message on the wire, delivered to both in the same SMTP transaction.
    const onWire = sink.messages.filter((m) => m.envelopeTo.includes(marie.email) && m.envelopeTo.includes(paul.email));
    expect(onWire).toHaveLength(1);
    expect((await intro(introId)).status).toBe('accepted');
  });

  it('answering again, either way, changes nothing and sends nothing', async () => {
    const before = await snapshot();
    const again = await submit(linkTo(forMarie, '/reponse', 'accepted'));
    expect(again.body).toContain('déjà en relation');
    const page = await get(linkTo(forPaul, '/reponse', 'declined'));
    expect(page.body).toContain('déjà en relation');
    const late = await submit(linkTo(forPaul, '/reponse', 'declined'));
    expect(late.body).toContain('déjà en relation');
    expect(await snapshot()).toBe(before);
    expect(await settledCount(marie.email)).toBe(2);
    expect(await settledCount(paul.email)).toBe(2);
    const events = await service.ctx.sql`select count(*)::int as n from events where type = 'introduction.accepted' and (data->>'introductionId')::bigint = ${introId}`;
    expect(events[0]!.n).toBe(1);
  });
});

describe('what people wrote, in the meeting email', () => {
  it('is escaped in HTML and kept as written in the text part', async () => {
    const { a: ali, b: bao, introId } = await makePair('Ali', 'Die', 'Bao', 'Crest');
    await service.ctx.sql`update profiles set description = ${'Notre ferme <script>alert("x")</script> & <b>gras</b> cherche du monde.'} where person_id = ${ali.id}`;
    await click(answerUrl(service.ctx.config, introId, ali.id, 'accepted'));
    await click(answerUrl(service.ctx.config, introId, bao.id, 'accepted'));
    const [meeting] = await waitForMails(bao.email, 1, 'meeting');
    expect(meeting!.html).not.toContain('<script>alert');
    expect(meeting!.html).toContain('&lt;script&gt;');
    expect(meeting!.text).toContain('<script>alert("x")</script> & <b>gras</b>');
  });
});

describe('two weeks after the meeting', () => {
  it('asks both "Avez-vous pu échanger ?" once; GET changes nothing, the POST records the answer', async () => {
    const { a: mia, b: noe, introId } = await makePair('Mia', 'Die', 'Noé', 'Luc-en-Diois');
    await click(answerUrl(service.ctx.config, introId, mia.id, 'accepted'));
    await click(answerUrl(service.ctx.config, introId, noe.id, 'accepted'));
    await waitForMails(mia.email, 1, 'meeting');
    expect(await runMaintenanceJob(JOBS.sendFollowups)).toBe(0);
    await service.ctx.sql`update introductions set closed_at = now() - interval '15 days' where id = ${introId}`;

    expect(await runMaintenanceJob(JOBS.sendFollowups)).toBe(2);
    const [, followup] = await waitForMails(mia.email, 2, 'follow-up to Mia');
    expect(followup!.subject).toBe('Avez-vous pu échanger avec Noé ?');
    await waitForMails(noe.email, 2, 'follow-up to Noé');
    expect(await runMaintenanceJob(JOBS.sendFollowups)).toBe(0);

    const before = await snapshot();
    for (const link of ourLinks(followup!)) {
      await (await fetch(link)).text();
      await fetch(link, { method: 'HEAD' });
    }
    expect(await snapshot()).toBe(before);

    const met = linkTo(followup!, '/suite', 'met');
    const page = await get(met);
    expect(page.body).toContain('Avez-vous pu échanger avec Noé ?');
    const done = await post('/suite', { t: hiddenField(page.body, 't') });
    expect(done.body).toContain('ravis');
    await post('/suite', { t: hiddenField(page.body, 't') });
    const events = await service.ctx.sql`
      select data from events where type = 'introduction.followup' and person_id = ${mia.id}`;
    expect(events.map((e) => e.data)).toEqual([{ introductionId: introId, answer: 'met' }]);
    expect(await settledCount(mia.email)).toBe(2);
  });
});

describe('a decline is never revealed', () => {
  it('Inès declines, Hugo accepts: Hugo sees what he would see if Inès had not answered, and gets nothing', async () => {
    const { a: ines, b: hugo, introId } = await makePair('Inès', 'Crest', 'Hugo', 'Die');
    await sendProposal(introId, ines, hugo);
    await sendProposal(introId, hugo, ines);
    const [forInes] = await waitForMails(ines.email, 1, 'proposal to Inès');
    const [forHugo] = await waitForMails(hugo.email, 1, 'proposal to Hugo');

    // What Hugo's pages look like while Inès has not answered…
    const pageBefore = await get(linkTo(forHugo!, '/reponse', 'accepted'));
    const declined = await click(linkTo(forInes!, '/reponse', 'declined'));
    expect(declined.body).toContain('ne sera pas informé·e de votre réponse');
    expect((await intro(introId)).status).toBe('declined');
    // …and after she declined: the same.
    const pageAfter = await get(linkTo(forHugo!, '/reponse', 'accepted'));
    const strip = (html: string) => html.replace(/value="[^"]*"/g, 'value=""');
    expect(strip(pageAfter.body)).toBe(strip(pageBefore.body));

    const accepted = await click(linkTo(forHugo!, '/reponse', 'accepted'));
    expect(accepted.body).toContain('Si Inès accepte aussi');
    expect(accepted.body).not.toMatch(/décliné|refus/i);
    expect(await settledCount(hugo.email)).toBe(1);
    expect(await settledCount(ines.email)).toBe(1);
  });

  it('changing one’s mind within the week: a no then a yes makes the meeting when the other said yes', async () => {
    const { a: ana, b: leo, introId } = await makePair('Ana', 'Valence', 'Léo', 'Romans-sur-Isère');
    await click(answerUrl(service.ctx.config, introId, ana.id, 'declined'));
    await click(answerUrl(service.ctx.config, introId, leo.id, 'accepted'));
    expect(await settledCount(leo.email)).toBe(0);
    const changed = await click(answerUrl(service.ctx.config, introId, ana.id, 'accepted'));
    expect(changed.body).toContain('vous avez tous les deux accepté');
    const [meeting] = await waitForMails(leo.email, 1, 'meeting after a change of mind');
    expect(meeting!.subject).toContain('tous les deux accepté');
    expect((await intro(introId)).status).toBe('accepted');
  });
});

describe('expiry: one reminder at day 4, a silent close at day 7', () => {
  it('reminds each side that has not answered once, then closes silently', async () => {
    const { a: lea, b: karim, introId } = await makePair('Léa', 'Aouste-sur-Sye', 'Karim', 'Crest');
    await sendProposal(introId, lea, karim);
    await sendProposal(introId, karim, lea);
    await waitForMails(karim.email, 1, 'proposal');
    await service.ctx.sql`update introductions set created_at = now() - interval '4 days 2 hours' where id = ${introId}`;

    const report = await runMaintenanceJob(JOBS.expireIntroductions);
    expect(report).toMatchObject({ reminded: 1, remindersWritten: 2 });
    const [, reminder] = await waitForMails(lea.email, 2, 'reminder to Léa');
    expect(reminder!.subject).toBe('Rappel : voulez-vous rencontrer Karim ?');
    expect(reminder!.text).toContain('Oui, mettez-nous en relation');
    expect(reminder!.text).not.toMatch(/décliné|refusé|accepté/);
    expect(reminder!.replyTo!.value[0]!.address).toContain('+r-');
    await waitForMails(karim.email, 2, 'reminder to Karim');

    // At most once, however often the job runs.
    await runMaintenanceJob(JOBS.expireIntroductions);
    expect(await settledCount(lea.email)).toBe(2);
    expect(await settledCount(karim.email)).toBe(2);

    // Léa accepts from the reminder; Karim never answers.
    await click(linkTo(reminder!, '/reponse', 'accepted'));
    await service.ctx.sql`update introductions set created_at = now() - interval '7 days 1 hour' where id = ${introId}`;
    await runMaintenanceJob(JOBS.expireIntroductions);
    const row = await intro(introId);
    expect(row.status).toBe('expired');
    expect(row.closed_at).toBeInstanceOf(Date);
    // Nobody is told anything.
    expect(await settledCount(lea.email)).toBe(2);
    expect(await settledCount(karim.email)).toBe(2);

    // The links now open a clear page and change nothing.
    const before = await snapshot();
    const shown = await get(linkTo(reminder!, '/reponse', 'declined'));
    expect(shown.body).toContain('Cette proposition est close');
    const late = await submit(linkTo(reminder!, '/reponse', 'declined'));
    expect(late.body).toContain('Cette proposition est close');
    expect(late.body).not.toContain('Karim n’a pas');
    expect(await snapshot()).toBe(before);
  });

  it('still reminds the silent side when the other declined (its absence would tell)', async () => {
    const { a: eva, b: sam, introId } = await makePair('Eva', 'Dieulefit', 'Sam', 'Nyons');
    await click(answerUrl(service.ctx.config, introId, eva.id, 'declined'));
    await service.ctx.sql`update introductions set created_at = now() - interval '4 days 1 hour' where id = ${introId}`;
    await runMaintenanceJob(JOBS.expireIntroductions);
    const [reminder] = await waitForMails(sam.email, 1, 'reminder to Sam');
    expect(reminder!.subject).toContain('Eva');
    expect(await settledCount(eva.email)).toBe(0);
  });
});

describe('answering by email', () => {
  async function inbound(from: string, text: string): Promise<{ id: number; messageId: string }> {
    const messageId = `<${randomUUID()}@mail.example.org>`;
    const raw = Buffer.from(`From: ${from}\r\nMessage-ID: ${messageId}\r\nSubject: Re: proposition\r\n\r\n${text}\r\n`);
    const rows = await service.ctx.sql`
      insert into inbound_messages (dedupe_key, message_id, sha256, channel, from_address, raw, raw_size)
      values (${`mid:${messageId}`}, ${messageId}, ${randomUUID()}, 'test', ${from}, ${raw}, ${raw.length})
      returning id`;
    return { id: rows[0]!.id as number, messageId };
  }

  /** The tag of the per-recipient Reply-To the proposal carried. */
  async function tagOf(proposalMessageId: string): Promise<string> {
    const rows = await service.ctx.sql`select headers from outbound_messages where message_id = ${proposalMessageId}`;
    const replyTo = (rows[0]!.headers as Record<string, string>)['Reply-To']!;
    return replyTagOf(service.ctx.config, replyTo)!;
  }

  async function reply(person: Person, proposalMessageId: string, body: string, via: 'tag' | 'in-reply-to' = 'tag') {
    const msg = await inbound(person.email, body);
    const replyTag = via === 'tag' ? await tagOf(proposalMessageId) : null;
    const result = await service.ctx.sql.begin((tx) => handleIntroReply(tx, service.ctx, {
      inboundId: msg.id, personId: person.id, replyTag, inReplyTo: proposalMessageId, body,
    }));
    for (const id of result.outboundIds) await enqueueSend(service.ctx, id);
    return { ...result, messageId: msg.messageId, inboundId: msg.id };
  }

  it('"Oui, avec plaisir !" accepts; an unclear reply is kept for the operator and answered with the buttons', async () => {
    const { a: sofia, b: jules, introId } = await makePair('Sofia', 'Die', 'Jules', 'Pontaix');
    const toSofia = await sendProposal(introId, sofia, jules);
    const toJules = await sendProposal(introId, jules, sofia);
    await waitForMails(jules.email, 1, 'proposal');

    const yes = await reply(sofia, toSofia, 'Oui, avec plaisir !');
    expect(yes.outcome).toBe('answer-accepted');
    const [, ack] = await waitForMails(sofia.email, 2, 'acknowledgement');
    expect(ack!.subject).toBe('Votre réponse à propos de Jules');
    expect(ack!.inReplyTo).toBe(yes.messageId);
    expect(ack!.text).toContain('Si Jules accepte aussi');
    // Replying to the acknowledgement answers the same introduction.
    expect(ack!.replyTo!.value[0]!.address).toContain('+r-');

    const unclear = await reply(jules, toJules, 'Bonjour, c’est qui exactement ? Je ne me souviens pas de m’être inscrit.');
    expect(unclear.outcome).toBe('not-understood');
    expect(unclear.forOperator).toBe(true);
    const flagged = await service.ctx.sql`select for_operator from inbound_messages where id = ${unclear.inboundId}`;
    expect(flagged[0]!.for_operator).toBe(true);
    const [, notUnderstood] = await waitForMails(jules.email, 2, 'not understood');
    expect(notUnderstood!.subject).toBe('Nous n\'avons pas compris votre réponse');
    expect(notUnderstood!.text).toContain('/reponse?t=');
    expect((await intro(introId)).status).toBe('proposed');

    // Answered through the In-Reply-To alone (a client that dropped the tagged Reply-To).
    const yesToo = await reply(jules, toJules, 'ok !', 'in-reply-to');
    expect(yesToo.outcome).toBe('meeting-sent');
    const [, , meeting] = await waitForMails(jules.email, 3, 'meeting');
    expect(meeting!.subject).toContain('tous les deux accepté');
    expect(await settledCount(sofia.email)).toBe(3);
  });

  it('a real reply "oui", quote and all, through the intake (store → parse → classify → apply)', async () => {
    const { a: pia, b: rémi, introId } = await makePair('Pia', 'Die', 'Rémi', 'Crest');
    const toPia = await sendProposal(introId, pia, rémi);
    const [proposal] = await waitForMails(pia.email, 1, 'proposal');
    const replyTo = proposal!.replyTo!.value[0]!.address!;
    expect(replyTo).toMatch(/^bonjour\+r-[0-9a-z]+-[0-9a-z]+-[0-9a-f]{20}@maillage\.test$/);
    const raw = Buffer.from([
      `From: Pia <${pia.email}>`,
      `To: ${replyTo}`,
      `Subject: Re: ${proposal!.subject}`,
      `Message-ID: <${randomUUID()}@mail.example.org>`,
      `In-Reply-To: ${toPia}`,
      `References: ${toPia}`,
      'Date: Tue, 10 Mar 2026 10:12:00 +0100',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
      '',
      'Oui avec plaisir !',
      '',
      'Pia',
      '',
      'Le mar. 10 mars 2026 à 09:00, maillage <bonjour@maillage.test> a écrit :',
      `> ${proposal!.text!.split('\n').slice(0, 6).join('\n> ')}`,
      '',
    ].join('\r\n'));
    const stored = await ingestRaw(service.ctx, raw, { channel: 'test' });
    await waitFor(async () => (await intro(introId))[pia.id < rémi.id ? 'answer_a' : 'answer_b'] === 'accepted', 15_000, 'answer recorded from the email');
    const inboundRow = await service.ctx.sql`select kind, outcome, for_operator from inbound_messages where id = ${stored.id}`;
    expect(inboundRow[0]).toMatchObject({ kind: 'intro_reply', outcome: 'answer-accepted', for_operator: false });
    const [, ack] = await waitForMails(pia.email, 2, 'acknowledgement in the thread');
    expect(ack!.subject).toBe('Votre réponse à propos de Rémi');
    expect(await settledCount(rémi.email)).toBe(0);
  });

  it('replying STOP to a proposal unsubscribes and closes it silently (the intake\'s commands)', async () => {
    const { a: quentin, b: sara, introId } = await makePair('Quentin', 'Die', 'Sara', 'Crest');
    const toQuentin = await sendProposal(introId, quentin, sara);
    const [proposal] = await waitForMails(quentin.email, 1, 'proposal');
    const raw = Buffer.from([
      `From: ${quentin.email}`, `To: ${proposal!.replyTo!.value[0]!.address}`, `Subject: Re: ${proposal!.subject}`,
      `Message-ID: <${randomUUID()}@mail.example.org>`, `In-Reply-To: ${toQuentin}`, 'Content-Type: text/plain; charset=utf-8', '', 'STOP', '',
    ].join('\r\n'));
    await ingestRaw(service.ctx, raw, { channel: 'test' });
    await waitFor(async () => (await service.ctx.sql`select status from people where id = ${quentin.id}`)[0]!.status === 'unsubscribed', 15_000, 'unsubscribed by STOP');
    expect((await intro(introId)).status).toBe('expired');
    expect(await settledCount(sara.email)).toBe(0);
  });

  it('"non merci" declines silently; a reply from someone else than the recipient is not taken as an answer', async () => {
    const { a: nina, b: omar, introId } = await makePair('Nina', 'Saou', 'Omar', 'Crest');
    const toNina = await sendProposal(introId, nina, omar);
    await waitForMails(nina.email, 1, 'proposal');
    const stranger = await makePerson('Zoé', 'Lyon', 'Une autre personne inscrite, qui transfère des messages.');
    const forged = await reply(stranger, toNina, 'oui', 'in-reply-to');
    expect(forged.outcome).toBe('unknown-introduction');
    expect((await intro(introId)).answer_a).toBeNull();

    const no = await reply(nina, toNina, 'Non merci, pas pour le moment.');
    expect(no.outcome).toBe('answer-declined');
    expect((await intro(introId)).status).toBe('declined');
    expect(await settledCount(omar.email)).toBe(0);
  });
});

describe('links that are not what they claim', () => {
  it('a tampered, forged, expired or mismatched link gets a clear page and changes nothing', async () => {
    const { a: rose, b: yann, introId } = await makePair('Rose', 'Die', 'Yann', 'Crest');
    const config = service.ctx.config;
    const good = new URL(answerUrl(config, introId, rose.id, 'accepted')).searchParams.get('t')!;
    const before = await snapshot();
    const cases: [string, number, string][] = [
      [good.slice(0, -2) + (good.endsWith('AA') ? 'BB' : 'AA'), 400, 'abîmé'],
      [createToken('another-secret-0123456789', { k: 'answer', p: rose.id, i: introId, a: 'accepted' }, 3600), 400, 'abîmé'],
      // Genuine but too old: 410 Gone, with what to do instead.
      [createToken(config.secret, { k: 'answer', p: rose.id, i: introId, a: 'accepted' }, -60), 410, 'répondez simplement à l’e-mail qui contenait ce lien'],
      // A valid signature for someone who is not part of this introduction.
      [createToken(config.secret, { k: 'answer', p: yann.id + 100_000, i: introId, a: 'accepted' }, 3600), 404, 'ne correspond plus'],
      // An unsubscribe token used as an answer.
      [createToken(config.secret, { k: 'unsubscribe', p: rose.id }, 3600), 400, 'abîmé'],
      ['garbage', 400, 'abîmé'],
      ['', 400, 'abîmé'],
    ];
    for (const [t, status, text] of cases) {
      const shown = await get(`${service.url}/reponse?t=${encodeURIComponent(t)}`);
      expect(shown.status, t).toBe(status);
      expect(shown.body).toContain(text);
      const posted = await post('/reponse', { t });
      expect(posted.status, t).toBe(status);
    }
    const noToken = await post('/reponse', {});
    expect(noToken.status).toBe(400);
    expect(await snapshot()).toBe(before);
  });
});

describe('RFC 8058 one-click unsubscribe', () => {
  it('the List-Unsubscribe URL answers a cookieless POST with 200 and closes open proposals silently', async () => {
    const { a: nadia, b: tom, introId } = await makePair('Nadia', 'Die', 'Tom', 'Crest');
    await sendProposal(introId, nadia, tom);
    const [mail] = await waitForMails(nadia.email, 1, 'proposal');
    const header = rawHeader(mail!, 'list-unsubscribe')!;
    expect(header).toMatch(/<mailto:[^>]+\?subject=STOP>/);
    const url = /<(https?:[^>]+)>/.exec(header)![1]!;
    expect(rawHeader(mail!, 'list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');

    // What a mail provider sends: no cookie, no CSRF token, just this body.
    const res = await fetch(url, {
      method: 'POST', redirect: 'manual', body: 'List-Unsubscribe=One-Click',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Vous êtes désinscrit·e');
    const person = await service.ctx.sql`select status, unsubscribed_at from people where id = ${nadia.id}`;
    expect(person[0]!.status).toBe('unsubscribed');
    expect((await intro(introId)).status).toBe('expired');
    const events = await service.ctx.sql`select data from events where type = 'person.unsubscribed' and person_id = ${nadia.id}`;
    expect(events[0]!.data).toEqual({ source: 'one-click' });
    // Tom is told nothing; a second POST is harmless.
    expect(await settledCount(tom.email)).toBe(0);
    const again = await fetch(url, { method: 'POST', body: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(again.status).toBe(200);
  });

  it('also takes the multipart/form-data body RFC 8058 allows', async () => {
    const { a: ugo, b: vera, introId } = await makePair('Ugo', 'Die', 'Vera', 'Crest');
    await sendProposal(introId, ugo, vera);
    const [mail] = await waitForMails(ugo.email, 1, 'proposal');
    const url = /<(https?:[^>]+)>/.exec(rawHeader(mail!, 'list-unsubscribe')!)![1]!;
    const form = new FormData();
    form.set('List-Unsubscribe', 'One-Click');
    const res = await fetch(url, { method: 'POST', redirect: 'manual', body: form });
    expect(res.status).toBe(200);
    const person = await service.ctx.sql`select status from people where id = ${ugo.id}`;
    expect(person[0]!.status).toBe('unsubscribed');
  });
});
