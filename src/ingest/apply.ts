// Stored message → what it means for maillage, in one transaction: a profile created or
// updated, a person paused or unsubscribed, an address suppressed after a bounce, a message
// kept for the operator, and at most one answer in the sender's thread. The pure steps (parse,
// classify, trim, extract, trust) decide what the message is; this module decides what to do.
//
// Answers are written to the outbox in the same transaction (idempotency key `ack:<inboundId>`)
// and queued after the commit, so processing a message twice changes nothing more.
import { createHash, randomBytes } from 'node:crypto';
import type { AppContext } from '../context.js';
import { pausePerson, unsubscribePerson, markBounced } from '../control.js';
import type { Db, TransactionSql } from '../db/client.js';
import { recordEvent } from '../db/events.js';
import { getOutbound } from '../db/outbound.js';
import { findNetworkBySlug, getProfile, setPendingUpdate, upsertProfile, type PersonRow, type ProfileInput, type ProfileRow } from '../db/people.js';
import { departementName, loadGazetteer, placeWords } from '../geo/index.js';
import { handleIntroReply } from '../introductions/reply.js';
import { personalFooter, frenchFullDate } from '../introductions/templates.js';
import { eraseUrl, LINK_TTL_SECONDS } from '../mail/links.js';
import { enqueueSend, writeEmail } from '../mail/outbox.js';
import type { TemplateVars } from '../mail/templates.js';
import { analyse } from '../match/text.js';
import { confirmationUrl } from '../registration.js';
import { CATEGORY_SHORT_LABELS, isCategory, type Role } from '../vocabulary.js';
import { escapeHtml } from '../web/html.js';
import type { Classification, ClassifyContext } from './classify.js';
import type { ExtractedProfile, PlaceFinder } from './extract.js';
import { foldText } from './lexicon.js';
import { parseMessage, type ParsedMessage } from './parse.js';
import type { InboundChannel } from './store.js';
import { senderTrust, type SenderTrust } from './trust.js';
import { understandMessage, type Understanding } from './understand.js';

export interface InboundRow {
  id: number;
  status: 'stored' | 'processed' | 'failed';
  raw: Buffer;
  channel: InboundChannel;
  network_id: number | null;
  truncated: boolean;
  raw_size: number;
  received_at: Date;
  attempts: number;
}

/** What processing one stored message did (also what `maillage ingest --wait` prints). */
export interface ProcessOutcome {
  state: 'processed' | 'already-processed' | 'missing' | 'unreadable';
  kind: string | null;
  reason: string | null;
  outcome: string | null;
  personId: number | null;
  /** Outbox ids of the answers written (queued for sending). */
  mails: number[];
}

/** The pure reading of a message: parsed, understood, and whether its From can be believed. */
export interface ReadMessage {
  msg: ParsedMessage;
  understanding: Understanding;
  trust: SenderTrust;
}

interface Decision {
  kind: string;
  reason: string;
  outcome: string;
  personId: number | null;
  forOperator: boolean;
  mails: number[];
}

/** Answers that are not registrations go at most this often to one address in a day. */
const MAX_ANSWERS_PER_ADDRESS_PER_DAY = 8;
const PAUSE_DAYS_BY_EMAIL = 90;
/** More recipients than this: a mailing, not someone writing to us. */
const MAX_RECIPIENTS = 50;
const DEFAULT_RADIUS_KM = 50;
/** Local parts nobody reads: a reply would go nowhere, or to a robot. */
const NO_REPLY_RE = /^(?:no-?reply|ne-?pas-?repondre|nepasrepondre|do-?not-?reply|donotreply|noreply[-.+].*|.*[-.+]noreply)@/i;

let gazetteer: PlaceFinder | null | undefined;
function sharedGazetteer(): PlaceFinder | null {
  if (gazetteer === undefined) {
    try {
      gazetteer = loadGazetteer();
    } catch {
      // Without the gazetteer places stay null; the acknowledgement then asks for the commune.
      gazetteer = null;
    }
  }
  return gazetteer;
}

export function classifyContextFor(config: AppContext['config']): ClassifyContext {
  return { ourAddresses: [config.mailFromAddress, config.replyTo], ourMessageIdDomain: config.mailDomain };
}

/**
 * The authserv-ids whose Authentication-Results count for a message from this channel. The
 * SMTP listener's own id is trusted only for what the listener received (it removes forged
 * copies of its own header); a message fetched by IMAP could carry a forged one.
 */
export function trustedIdsFor(channel: InboundChannel, config: AppContext['config']): string[] {
  const ids = [...config.trustedAuthservIds];
  if (channel === 'smtp' && config.smtpListen) ids.push(config.smtpListen.authservId);
  return ids;
}

/** Parse, classify, extract, trust: pure work, no database. */
export async function readMessage(raw: Buffer, channel: InboundChannel, config: AppContext['config']): Promise<ReadMessage> {
  const msg = await parseMessage(raw);
  const understanding = understandMessage(msg, classifyContextFor(config), sharedGazetteer());
  const trust = senderTrust(msg.headers, msg.from?.address ?? null, trustedIdsFor(channel, config));
  return { msg, understanding, trust };
}

/** Processes one stored message. Idempotent; throws only on I/O errors (the job retries). */
export async function processInbound(ctx: AppContext, inboundId: number): Promise<ProcessOutcome> {
  const result = await ctx.sql.begin(async (tx): Promise<ProcessOutcome | null> => {
    // Claims the message: the row stays locked until this transaction ends, so a second worker
    // on the same message waits here, then finds it processed. The raw message was committed
    // durably when it was stored and this transaction only derives from it, so its commit does
    // not wait for the WAL flush (several times cheaper): a PostgreSQL crash may lose the last
    // fraction of a second of processing, which the sweep then redoes from the raw copy (at
    // worst, one answer sent twice).
    const rows = await tx<InboundRow[]>`
      update inbound_messages set attempts = attempts + 1 where id = ${inboundId} and status = 'stored'
      returning id, status, raw, channel, network_id, truncated, raw_size, received_at, attempts,
        set_config('synchronous_commit', 'off', true) as commit_mode`;
    const row = rows[0];
    if (!row) return null;

    let read: ReadMessage;
    try {
      read = await readMessage(row.raw, row.channel, ctx.config);
    } catch (err) {
      // A message that breaks the pure steps would break them again on every retry: keep it for
      // the operator, raw and all, and move on.
      const error = `could not read the message: ${(err as Error).message}`.slice(0, 1000);
      await tx`update inbound_messages set status = 'failed', error = ${error}, for_operator = true, processed_at = now() where id = ${inboundId}`;
      ctx.log.warn({ inboundId, err: (err as Error).message }, 'inbound message unreadable');
      return { state: 'unreadable', kind: null, reason: error, outcome: 'kept for the operator', personId: null, mails: [] };
    }

    const d = await applyMessage(tx, ctx, row, read);
    const event = { inbound: inboundId, channel: row.channel, kind: d.kind, answered: d.mails.length > 0 };
    await tx`
      with done as (
        update inbound_messages set
          status = 'processed', kind = ${d.kind}, reason = ${d.reason.slice(0, 500)}, outcome = ${d.outcome.slice(0, 500)},
          person_id = ${d.personId}, from_address = ${read.msg.from?.address || null}, for_operator = ${d.forOperator},
          error = null, processed_at = now()
        where id = ${inboundId}
        returning id
      )
      insert into events (type, person_id, data) select 'inbound.processed', ${d.personId}, ${tx.json(event)} from done`;
    return { state: 'processed', kind: d.kind, reason: d.reason, outcome: d.outcome, personId: d.personId, mails: d.mails };
  });
  if (!result) return alreadyDone(ctx, inboundId);
  for (const id of result.mails) await enqueueSend(ctx, id);
  return result;
}

async function alreadyDone(ctx: Pick<AppContext, 'sql'>, inboundId: number): Promise<ProcessOutcome> {
  const rows = await ctx.sql`select kind, reason, outcome, person_id from inbound_messages where id = ${inboundId}`;
  const r = rows[0];
  return {
    state: r ? 'already-processed' : 'missing',
    kind: (r?.kind as string | null) ?? null,
    reason: (r?.reason as string | null) ?? null,
    outcome: (r?.outcome as string | null) ?? null,
    personId: (r?.person_id as number | null) ?? null,
    mails: [],
  };
}

// ---------------------------------------------------------------------------------------------

/** Everything a branch needs about the message being applied. */
interface Env {
  tx: TransactionSql;
  ctx: AppContext;
  row: InboundRow;
  msg: ParsedMessage;
  u: Understanding;
  c: Classification;
  trust: SenderTrust;
  /** The sender's address ('' when there is none). */
  from: string;
  /** The sender's person row, locked, when already looked up (undefined: nobody with this address). */
  person?: PersonRow | undefined;
  personLoaded?: boolean;
}

async function applyMessage(tx: TransactionSql, ctx: AppContext, row: InboundRow, read: ReadMessage): Promise<Decision> {
  const { msg, understanding: u, trust } = read;
  const c = u.classification;
  const env: Env = { tx, ctx, row, msg, u, c, trust, from: msg.from?.address ?? '' };
  const done = (outcome: string, extra: Partial<Decision> = {}): Decision => ({
    kind: c.kind, reason: c.reason, outcome, personId: null, forOperator: false, mails: [], ...extra,
  });

  // Machine-written mail is never answered.
  if (c.kind === 'loop') return done('ignored: our own message came back');
  if (c.kind === 'bounce') return applyBounce(env, done);
  if (c.kind === 'auto_reply') return done('ignored: automatic message');

  // A From that DMARC says is forged: acting or answering would serve whoever forged it.
  if (trust.verdict === 'fail') return done(`ignored: the sender failed authentication (${trust.detail})`);
  if (!env.from) return done('kept for the operator: no sender address to answer', { forOperator: true });
  if (NO_REPLY_RE.test(env.from)) return done('kept for the operator: the sender does not accept replies', { forOperator: true });
  // A reply to the bulletin goes to us; a message to dozens of people is a mailing (or spam).
  const recipients = msg.to.length + msg.cc.length;
  if (recipients > MAX_RECIPIENTS) return done(`kept for the operator: sent to ${recipients}${recipients >= 1000 ? '+' : ''} recipients, not a reply to us`, { forOperator: true });

  if (c.kind !== 'command') {
    // Both at once: one round trip to PostgreSQL instead of two.
    const [thread, person] = await Promise.all([
      threadTemplate(tx, msg),
      c.kind === 'registration' ? lockPerson(tx, env.from) : Promise.resolve(undefined),
    ]);
    if (c.kind === 'registration') Object.assign(env, { person, personLoaded: true });
    if (c.kind === 'intro_reply' || (thread && INTRODUCTION_TEMPLATES.includes(thread))) return routeIntroReply(env, done);
    // Two introduced people writing to each other (reply-all): not a profile, not for us to answer.
    if (thread && CONVERSATION_TEMPLATES.includes(thread)) return done('kept for the operator: a reply in the thread of an introduction email', { kind: 'other', forOperator: true });
  }
  if (row.truncated) return answerTooLarge(env, done);
  if (c.kind === 'command') return applyCommand(env, done);
  if (c.kind === 'registration') return applyRegistration(env, done);
  return applyOther(env, done);
}

type Done = (outcome: string, extra?: Partial<Decision>) => Decision;

// --- bounces ---------------------------------------------------------------------------------

async function applyBounce(env: Env, done: Done): Promise<Decision> {
  const { tx, ctx, msg, c } = env;
  const bounce = c.bounce ?? { recipient: null, permanent: false, status: null };
  let recipient = bounce.recipient?.toLowerCase() ?? null;
  // Our envelope sender is <local>+b-<outbound id>@<domain> (VERP): the bounce names the message
  // it is about, which tells the failed address better than any parsing of the bounce text.
  const outboundId = verpOutboundId(msg, ctx.config.mailFromAddress);
  if (outboundId !== null) {
    const sent = await getOutbound(tx, outboundId);
    const addresses = sent ? sent.to_address.split(',').map((a) => a.trim().toLowerCase()).filter(Boolean) : [];
    if (addresses.length === 1) recipient = addresses[0]!;
    else if (addresses.length > 1 && !(recipient && addresses.includes(recipient))) recipient = null;
  }
  const person = recipient ? await tx<{ id: number; bounced_at: Date | null }[]>`select id, bounced_at from people where email = ${recipient}` : [];
  const personId = person[0]?.id ?? null;
  if (!bounce.permanent) {
    await recordEvent(tx, 'person.bounce-temporary', personId, { status: bounce.status });
    return done('temporary failure noted, nothing suppressed', { personId });
  }
  if (!recipient) return done('kept for the operator: permanent bounce with no recognisable recipient', { forOperator: true });
  if (!personId) return done('permanent bounce for an address nobody registered with', { personId });
  if (person[0]!.bounced_at) return done('address already suppressed', { personId });
  await markBounced(tx, recipient, { status: bounce.status });
  return done('address suppressed: nothing more will be sent to it', { personId });
}

function verpOutboundId(msg: ParsedMessage, mailFromAddress: string): number | null {
  const [local, domain] = mailFromAddress.split('@') as [string, string];
  for (const address of [...msg.deliveredTo, ...msg.to, ...msg.cc]) {
    const m = /^([^@+]+)\+b-(\d{1,15})@(.+)$/i.exec(address);
    if (m && m[1]!.toLowerCase() === local && m[3]!.toLowerCase() === domain) return Number(m[2]);
  }
  return null;
}

// --- replies to introductions ----------------------------------------------------------------

/** Our emails about an introduction: a reply in their thread is an answer to it. */
const INTRODUCTION_TEMPLATES = ['proposal', 'reminder', 'not-understood', 'answer-received'];
/** Our emails to two introduced people: what comes back in their thread is their conversation. */
const CONVERSATION_TEMPLATES = ['meeting', 'followup'];

/** The template of the newest email of ours this message is a reply to (In-Reply-To, References). */
async function threadTemplate(db: Db, msg: ParsedMessage): Promise<string | undefined> {
  const ids = [msg.inReplyTo, ...msg.references].filter((v): v is string => !!v).slice(0, 50);
  if (ids.length === 0) return undefined;
  const rows = await db<{ template: string }[]>`
    select template from outbound_messages
    where message_id = any(${ids}) and template = any(${[...INTRODUCTION_TEMPLATES, ...CONVERSATION_TEMPLATES]})
    order by id desc limit 1`;
  return rows[0]?.template;
}

/** Replies to an introduction: the introductions feature records the yes or no and answers. */
async function routeIntroReply(env: Env, done: Done): Promise<Decision> {
  const { tx, ctx, msg, u, c, row } = env;
  const person = await tx<{ id: number }[]>`select id from people where email = ${env.from}`;
  const personId = person[0]?.id ?? null;
  const result = await handleIntroReply(tx, ctx, {
    inboundId: row.id,
    personId,
    replyTag: c.replyTag ?? null,
    inReplyTo: msg.inReplyTo,
    body: u.trimmed.body,
  });
  return done(result.outcome, { kind: 'intro_reply', personId, forOperator: result.forOperator, mails: result.outboundIds });
}

// --- commands --------------------------------------------------------------------------------

async function lockPerson(tx: TransactionSql, email: string): Promise<PersonRow | undefined> {
  // Two messages from one address processed at once must not both create a person: the lock is
  // on the address, so it holds before the row exists, until this transaction ends.
  const rows = await tx<(PersonRow & { locked: unknown })[]>`
    select p.*, l.locked from (select pg_advisory_xact_lock(hashtext(${email.toLowerCase()})) as locked) l
    left join people p on p.email = ${email}`;
  const row = rows[0];
  if (!row || row.id === null) return undefined;
  const { locked: _locked, ...person } = row;
  return person as PersonRow;
}

async function applyCommand(env: Env, done: Done): Promise<Decision> {
  const { tx, ctx, c } = env;
  const person = await lockPerson(tx, env.from);
  const live = person && (person.status === 'pending' || person.status === 'active');
  const notRegistered = async (action: string, followUp: string) => {
    const mail = await answer(env, 'ack-not-registered', { action, followUp }, { personId: null, limitReason: `not-registered-${c.command}` });
    return done(`kept for the operator: no registration at this address${mail ? '' : ' (already answered today)'}`, { forOperator: true, mails: mail ? [mail] : [] });
  };

  if (c.command === 'stop') {
    if (!person) {
      return notRegistered('arrêter', 'Si vous ne souhaitez plus recevoir le bulletin, nous transmettons votre demande à l’équipe qui l’envoie.');
    }
    const changed = live ? await unsubscribePerson(tx, person.id, 'email') : false;
    const mail = await answer(env, 'ack-stop', { eraseUrl: eraseUrl(ctx.config, person.id) }, { personId: person.id, limitReason: changed ? undefined : 'stop-again' });
    // The bulletin's own list is kept elsewhere: the operator passes the request on.
    return done(changed ? 'unsubscribed' : 'already unsubscribed', { personId: person.id, forOperator: true, mails: mail ? [mail] : [] });
  }

  if (c.command === 'pause') {
    if (!person || !live) return notRegistered('mettre en pause', 'Si c’est le bulletin que vous souhaitez mettre en pause, nous transmettons votre demande à l’équipe qui l’envoie.');
    const until = new Date(Date.now() + PAUSE_DAYS_BY_EMAIL * 86_400_000);
    await pausePerson(tx, person.id, until, 'email');
    const mail = await answer(env, 'ack-pause', { until: frenchFullDate(until) }, { personId: person.id });
    return done(`paused until ${until.toISOString().slice(0, 10)}`, { personId: person.id, mails: mail ? [mail] : [] });
  }

  // Erasure cannot be undone and anyone can write an email with someone else's From: the
  // answer carries a link, and only the POST behind it erases (also for authenticated senders,
  // since a misread message would otherwise erase a person for good).
  if (!person) {
    return notRegistered('effacer', 'Nous transmettons votre demande à l’équipe de maillage, qui effacera aussi les messages que vous nous avez écrits.');
  }
  await recordEvent(tx, 'person.erasure-requested', person.id, { source: 'email' });
  const mail = await answer(
    env,
    'ack-erase',
    { eraseUrl: eraseUrl(ctx.config, person.id), validDays: Math.round(LINK_TTL_SECONDS.erase / 86_400) },
    { personId: person.id, limitReason: 'erase' },
  );
  return done('erasure link sent', { personId: person.id, mails: mail ? [mail] : [] });
}

// --- registrations and profile updates --------------------------------------------------------

async function applyRegistration(env: Env, done: Done): Promise<Decision> {
  const { tx, ctx, msg, u, trust, row } = env;
  const person = env.personLoaded ? env.person : await lockPerson(tx, env.from);
  const existing = person ? await getProfile(tx, person.id) : undefined;
  const profile = profileFromMessage({ ...u.profile, description: withoutTrailingName(u.profile.description, [u.profile.name, msg.from?.name]) }, existing);
  const name = u.profile.name ?? person?.name ?? null;
  const trusted = trust.verdict === 'pass';
  const replyDate = consentDateOf(msg, row);
  const network = await networkFor(env);
  const nonce = randomBytes(12).toString('base64url');
  const summary = understoodSummary(name, profile);
  const greetingName = name;

  if (!person) {
    // Person, profile and event in one statement: one round trip instead of three.
    const submitted = { source: 'email', outcome: 'created', network: network?.slug ?? null, trust: trust.verdict };
    const confirmed = { source: 'email', via: 'authenticated-sender' };
    const inserted = await tx<{ id: number; answers_today: number }[]>`
      with person as (
        insert into people (email, name, source, network_id, consent_at, confirm_nonce, status, confirmed_at)
        values (${env.from}, ${name}, 'email', ${network?.id ?? null}, ${replyDate},
                ${trusted ? null : nonce}, ${trusted ? 'active' : 'pending'}, ${trusted ? new Date() : null})
        returning id
      ), profile as (
        insert into profiles (person_id, role, categories, description, postcode, commune, commune_code, departement, lat, lon, radius_km, terms, term_counts)
        select id, ${profile.role}, ${profile.categories}, ${profile.description}, ${profile.postcode}, ${profile.commune}, ${profile.communeCode},
               ${profile.departement}, ${profile.lat}, ${profile.lon}, ${profile.radiusKm}, ${profile.terms}, ${profile.termCounts}
        from person
      ), event as (
        insert into events (type, person_id, data)
        select 'registration.submitted', id, ${tx.json(submitted)} from person
        union all select 'registration.confirmed', id, ${tx.json(confirmed)} from person where ${trusted}
      ), daily as (
        ${dailyCount(tx, env.from)}
      )
      select person.id, (select count from daily) as answers_today from person`;
    const created = inserted[0]!;
    const counted = { answersToday: created.answers_today };
    if (trusted) {
      const mail = await answer(env, 'ack-registration', { ...summary, consentDate: frenchFullDate(replyDate) }, { personId: created.id, greetingName, personalLinks: true, ...counted });
      return done('registered and active (authenticated sender)', { personId: created.id, mails: mail ? [mail] : [] });
    }
    const mail = await answer(env, 'confirm-email-registration', { ...summary, ...confirmVars(ctx, created.id, nonce) }, { personId: created.id, greetingName, ...counted });
    return done('registered, waiting for confirmation by link', { personId: created.id, mails: mail ? [mail] : [] });
  }

  // The address wrote to us, so it works again: every branch below clears bounced_at.
  const networkId = person.network_id ?? network?.id ?? null;
  if (person.status === 'pending' || person.status === 'unsubscribed') {
    await upsertProfile(tx, person.id, profile);
    // Someone who once said STOP opts back in only by clicking, even from an authenticated address.
    const activate = trusted && person.status === 'pending';
    await tx`
      update people set name = ${name}, network_id = ${networkId}, bounced_at = null,
        consent_at = coalesce(consent_at, ${replyDate}),
        status = ${activate ? 'active' : person.status},
        confirmed_at = ${activate ? new Date() : person.confirmed_at},
        waiting_since = ${activate ? new Date() : person.waiting_since},
        confirm_nonce = ${activate ? null : nonce}, updated_at = now()
      where id = ${person.id}`;
    await recordEvent(tx, 'registration.submitted', person.id, { source: 'email', outcome: 'updated-pending', network: network?.slug ?? null, trust: trust.verdict });
    if (activate) {
      await recordEvent(tx, 'registration.confirmed', person.id, { source: 'email', via: 'authenticated-sender' });
      const mail = await answer(env, 'ack-registration', { ...summary, consentDate: frenchFullDate(replyDate) }, { personId: person.id, greetingName, personalLinks: true });
      return done('registration completed and active (authenticated sender)', { personId: person.id, mails: mail ? [mail] : [] });
    }
    const mail = await answer(env, 'confirm-email-registration', { ...summary, ...confirmVars(ctx, person.id, nonce) }, { personId: person.id, greetingName });
    return done('registration updated, waiting for confirmation by link', { personId: person.id, mails: mail ? [mail] : [] });
  }

  // An active person: this is a profile update.
  if (trusted) {
    await upsertProfile(tx, person.id, profile);
    await tx`
      update people set name = coalesce(${name}, name), network_id = ${networkId}, bounced_at = null,
        pending_update = null, updated_at = now()
      where id = ${person.id}`;
    await recordEvent(tx, 'profile.updated', person.id, { source: 'email', trust: trust.verdict });
    const mail = await answer(env, 'ack-update', summary, { personId: person.id, greetingName, personalLinks: true });
    return done('profile updated (authenticated sender)', { personId: person.id, mails: mail ? [mail] : [] });
  }
  // Anyone can write with this From: the change waits for a click from the mailbox's owner.
  await tx`update people set network_id = ${networkId}, bounced_at = null where id = ${person.id}`;
  await setPendingUpdate(tx, person.id, { name, ...profile }, nonce);
  await recordEvent(tx, 'profile.update-requested', person.id, { source: 'email', trust: trust.verdict });
  const mail = await answer(env, 'confirm-email-update', { ...summary, ...confirmVars(ctx, person.id, nonce) }, { personId: person.id, greetingName, personalLinks: true });
  return done('profile update waiting for confirmation by link', { personId: person.id, mails: mail ? [mail] : [] });
}

function confirmVars(ctx: AppContext, personId: number, nonce: string): TemplateVars {
  return { confirmUrl: confirmationUrl(ctx, personId, nonce), validDays: ctx.config.confirmLinkDays };
}

/**
 * The profile to store: what this message says, and for what it does not say (no commune, no
 * role…), what the person told us before. The description is always the new text: the
 * acknowledgement tells people that the last version replaces the previous one.
 */
export function profileFromMessage(p: ExtractedProfile, existing: ProfileRow | undefined): ProfileInput {
  const hasPlace = p.commune !== null || p.departement !== null;
  const place = hasPlace || !existing
    ? { postcode: p.postcode, commune: p.commune, communeCode: p.communeCode, departement: p.departement, lat: p.lat, lon: p.lon }
    : { postcode: existing.postcode, commune: existing.commune, communeCode: existing.commune_code, departement: existing.departement, lat: existing.lat, lon: existing.lon };
  const stated = radiusFromText(p.description);
  const radiusKm = stated !== undefined ? stated : existing ? existing.radius_km : DEFAULT_RADIUS_KM;
  const description = p.description || existing?.description || '';
  const analysed = analyse(description, { ignoreWords: placeWords(place.commune, place.departement) });
  return {
    role: p.role ?? (existing?.role as Role | null | undefined) ?? null,
    categories: p.categories.length > 0 ? [...p.categories] : (existing?.categories ?? []).filter(isCategory),
    description,
    ...place,
    radiusKm,
    terms: analysed.terms,
    termCounts: analysed.counts,
  };
}

/**
 * "…on cherche encore 2-3 foyers. Marie": a phone reply often signs on the last line of the
 * text itself, which the trimmer keeps. The sender's own name at the very end is a signature.
 */
export function withoutTrailingName(description: string, names: (string | null | undefined)[]): string {
  const candidates = new Set<string>();
  for (const name of names) {
    const clean = (name ?? '').replace(/["“”]/g, '').trim();
    if (clean.length >= 2) candidates.add(clean);
    const first = clean.split(/\s+/)[0];
    if (first && first.length >= 2) candidates.add(first);
  }
  for (const candidate of [...candidates].sort((a, b) => b.length - a.length)) {
    const escaped = candidate.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    // Only after a sentence or a line ends: "la ferme de Marie" is not a signature.
    const re = new RegExp(`(?:([.!?…])[ \\t]+|\\s*\\n\\s*)(?:${escaped})[\\s.!]*$`, 'iu');
    if (description.length > candidate.length + 20 && re.test(description)) return description.replace(re, '$1').trim();
  }
  return description;
}

const ANYWHERE_RE = /\b(?:partout en france|dans toute la france|n'importe ou|peu importe (?:ou|la region|le lieu)|toute la france|ou que ce soit|pas de zone (?:precise|particuliere))\b/;
const RADIUS_RE = /\b(?:dans un rayon (?:d'environ |de |d')?|a moins de |au maximum a |maximum |max\.? |jusqu'a |dans les |autour de chez (?:moi|nous),? )(\d{1,4}) ?km\b/;

/** "dans un rayon de 30 km" → 30, "partout en France" → null (anywhere), nothing said → undefined. */
export function radiusFromText(description: string): number | null | undefined {
  const folded = foldText(description);
  if (ANYWHERE_RE.test(folded)) return null;
  const m = RADIUS_RE.exec(folded);
  if (!m) return undefined;
  const km = Number(m[1]);
  return km >= 1 && km <= 2000 ? km : undefined;
}

/** The reply's date, when believable (clients with a wrong clock exist), else when it arrived. */
function consentDateOf(msg: ParsedMessage, row: InboundRow): Date {
  const received = row.received_at;
  if (!msg.date) return received;
  const date = new Date(msg.date);
  const delta = received.getTime() - date.getTime();
  return Number.isNaN(date.getTime()) || delta < -86_400_000 || delta > 400 * 86_400_000 ? received : date;
}

/** The network credited: inscription+<slug>@ (the bulletin's reply address for a partner), else the channel's. */
async function networkFor(env: Env): Promise<{ id: number; slug: string } | null> {
  const { tx, ctx, msg, row } = env;
  const local = ctx.config.replyTo.split('@')[0]!.toLowerCase();
  const domains = new Set([ctx.config.replyTo.split('@')[1], ctx.config.mailDomain]);
  for (const address of [...msg.deliveredTo, ...msg.to, ...msg.cc]) {
    const m = /^([^@+]+)\+([^@]+)@(.+)$/.exec(address);
    if (!m || m[1]!.toLowerCase() !== local || !domains.has(m[3]!.toLowerCase())) continue;
    const slug = m[2]!.toLowerCase();
    if (/^[rb]-/.test(slug) || !/^[a-z0-9][a-z0-9-]{0,62}$/.test(slug)) continue;
    const network = await findNetworkBySlug(tx, slug);
    if (network) return network;
  }
  if (row.network_id !== null) {
    const rows = await tx<{ id: number; slug: string }[]>`select id, slug from networks where id = ${row.network_id}`;
    return rows[0] ?? null;
  }
  return null;
}

// --- the rest --------------------------------------------------------------------------------

async function applyOther(env: Env, done: Done): Promise<Decision> {
  const person = await env.tx<{ id: number }[]>`select id from people where email = ${env.from}`;
  const personId = person[0]?.id ?? null;
  const text = env.u.profile.description;
  const words = text.split(/\s+/).filter(Boolean).length;
  // A question, an empty reply (only the quoted bulletin: they may have meant to write more), or
  // a real text gets a word back; a bare "merci !" does not need one.
  const empty = env.u.trimmed.body.trim() === '';
  const worthAnswer = /\?/.test(text) || empty || words >= 15;
  const mail = worthAnswer ? await answer(env, 'ack-other', {}, { personId, limitReason: 'other' }) : null;
  return done(`kept for the operator${mail ? ', acknowledged' : ''}`, { personId, forOperator: true, mails: mail ? [mail] : [] });
}

async function answerTooLarge(env: Env, done: Done): Promise<Decision> {
  const person = await env.tx<{ id: number }[]>`select id from people where email = ${env.from}`;
  const personId = person[0]?.id ?? null;
  const size = `${(env.row.raw_size / 1_000_000).toFixed(1).replace('.', ',')} Mo`;
  const mail = await answer(env, 'reject-too-large', { size }, { personId, limitReason: 'too-large' });
  return done(`kept for the operator: message too large (${env.row.raw_size} bytes), stored truncated${mail ? ', sender told' : ''}`, {
    personId, forOperator: true, mails: mail ? [mail] : [],
  });
}

// --- answering -------------------------------------------------------------------------------

interface AnswerOptions {
  personId: number | null;
  /** Rejections and other non-registration answers: at most one per address, reason and day. */
  limitReason?: string;
  /** Name read from this message or known for the person; greeting without a name otherwise. */
  greetingName?: string | null;
  /** The person is (or was) registered: the footer carries their pause / unsubscribe / erase links. */
  personalLinks?: boolean;
  /** The daily answer count, already incremented by the caller's own statement (see dailyCount). */
  answersToday?: number;
}

function dailyKey(from: string): string {
  return `${createHash('sha256').update(from.toLowerCase()).digest('hex')}:all:${new Date().toISOString().slice(0, 10)}`;
}

/** The statement that counts one more answer due to this address today; usable as a CTE. */
function dailyCount(tx: TransactionSql, from: string) {
  return tx`
    insert into inbound_reply_limits (key, count) values (${dailyKey(from)}, 1)
    on conflict (key) do update set count = inbound_reply_limits.count + 1
    returning count`;
}

/** Writes the answer in the sender's thread; returns its outbox id, or null when none is due. */
async function answer(env: Env, template: string, vars: TemplateVars, options: AnswerOptions): Promise<number | null> {
  const { tx, ctx, msg, row, from } = env;
  // Loop breaker: a robot that answers everything without saying so gets a few answers a day,
  // not a storm (every answer due counts, sent or not). Both limits in one round trip.
  let answersToday = options.answersToday;
  if (answersToday === undefined || options.limitReason) {
    const addressHash = createHash('sha256').update(from.toLowerCase()).digest('hex');
    const day = new Date().toISOString().slice(0, 10);
    const limits = await tx<{ fresh: boolean; count: number }[]>`
      with reason as (
        insert into inbound_reply_limits (key) select ${`${addressHash}:${options.limitReason ?? ''}:${day}`}
        where ${options.limitReason ?? null}::text is not null
        on conflict (key) do nothing returning key
      ), daily as (
        ${dailyCount(tx, from)}
      )
      select exists (select 1 from reason) as fresh, (select count from daily) as count`;
    if (options.limitReason && !limits[0]!.fresh) return null;
    answersToday = limits[0]!.count;
  }
  if (answersToday > MAX_ANSWERS_PER_ADDRESS_PER_DAY) return null;

  const footer = options.personalLinks && options.personId !== null ? personalFooter(ctx.config, options.personId) : intakeFooter(ctx.config.publicUrl);
  const mail = await writeEmail(tx, ctx, {
    key: `ack:${row.id}`,
    personId: options.personId,
    to: from,
    template,
    vars: {
      preview: '',
      replySubject: replySubject(msg.subject),
      greeting: greeting(options.greetingName ?? null),
      ...footer,
      ...vars,
    },
    inReplyTo: msg.messageId,
    references: msg.references,
    autoSubmitted: 'auto-replied',
  });
  return mail.created ? mail.id : null;
}

function intakeFooter(publicUrl: string): { footerHtml: string; footerText: string } {
  const why = 'Vous recevez ce message parce que vous avez écrit à maillage, le service de mise en relation pour les projets collectifs écologiques. C’est une réponse automatique : nous ne vous écrirons pas davantage sans que vous le demandiez.';
  return {
    footerHtml: `${escapeHtml(why)} <a href="${escapeHtml(publicUrl)}">${escapeHtml(publicUrl.replace(/^https?:\/\//, ''))}</a>`,
    footerText: `—\n${why.replace(/’/g, "'")}\n${publicUrl}`,
  };
}

/** "Re: <their subject>": mail clients thread on it together with In-Reply-To. */
export function replySubject(subject: string): string {
  const clean = subject.replace(/[\r\n]+/g, ' ').replace(/^(?:\s*(?:re|tr|fwd?|aw|wg|réf|ref)\s*(?:\[\d+\])?\s*:\s*)+/i, '').trim();
  return clean ? `Re: ${clean.slice(0, 200)}` : 'Re: votre message à maillage';
}

function greeting(name: string | null): string {
  const first = (name ?? '').trim().split(/\s+/)[0] ?? '';
  // Only a first name that looks like one: "Bonjour Claire", never "Bonjour Association".
  const words = (name ?? '').trim().split(/\s+/).filter(Boolean);
  return words.length > 0 && words.length <= 3 && /^\p{Lu}[\p{Ll}'’-]+$/u.test(first) && !/^(?:association|collectif|ferme|atelier|réseau|maison|les|la|le)$/i.test(first)
    ? `Bonjour ${first}`
    : name && words.length > 0 ? `Bonjour ${name}` : 'Bonjour';
}

const ROLE_SENTENCES: Record<Role, string> = {
  porteur: 'vous portez le projet et cherchez des personnes pour le rejoindre',
  rejoindre: 'vous souhaitez rejoindre ou aider un projet',
  ressource: 'vous proposez vos compétences, ou celles de votre structure',
};

/** What we understood, as an HTML list (every value escaped) and its text twin. */
export function understoodSummary(name: string | null, p: ProfileInput): { summaryHtml: string; summaryText: string } {
  const lines: [string, string][] = [];
  lines.push(['Nom', name ?? 'non trouvé — signez simplement votre réponse de votre prénom']);
  const depName = p.departement ? safeDepartementName(p.departement) : null;
  const dep = p.departement ? `${depName ? `${depName} ` : ''}(${p.departement})` : null;
  lines.push([
    'Lieu',
    p.commune
      ? `${p.commune}${p.postcode ? ` ${p.postcode}` : ''}${dep ? ` — ${dep}` : ''}`
      : dep
        ? `${dep}, sans commune précise — dites-nous laquelle`
        : 'non trouvé — indiquez votre commune ou votre code postal',
  ]);
  lines.push(['Projet', p.categories.length > 0 ? p.categories.map((c) => (isCategory(c) ? CATEGORY_SHORT_LABELS[c] : c)).join(', ') : 'aucun thème précis reconnu']);
  lines.push(['Vous', p.role ? ROLE_SENTENCES[p.role] : 'nous ne savons pas encore si vous portez un projet, souhaitez en rejoindre un ou proposez vos compétences — dites-le-nous']);
  lines.push(['Distance', p.radiusKm === null ? 'partout en France' : `jusqu’à ${p.radiusKm} km autour ${p.commune || p.departement ? 'de ce lieu' : 'du lieu que vous nous indiquerez'}`]);
  const description = p.description.length > 1500 ? `${p.description.slice(0, 1500).replace(/\s+\S*$/, '')}…` : p.description;
  return {
    summaryHtml:
      lines.map(([label, value]) => `<strong>${escapeHtml(label)} :</strong> ${escapeHtml(value)}`).join('<br>') +
      `<br><br><strong>Votre description, avec vos mots :</strong><br><em>« ${escapeHtml(description).replace(/\n/g, '<br>')} »</em>`,
    summaryText: [...lines.map(([label, value]) => `- ${label} : ${value.replace(/’/g, "'")}`), '', 'Votre description, avec vos mots :', `« ${description} »`].join('\n'),
  };
}

function safeDepartementName(code: string): string | null {
  try {
    return departementName(code);
  } catch {
    return null;
  }
}
