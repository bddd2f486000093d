// Stored message → what it means for maillage, in one transaction: a profile created or
// updated, a person paused or unsubscribed, an address suppressed after a bounce, a message
// kept for the operator, and at most one answer in the sender's thread. The pure steps (parse,
// classify, trim, extract, trust) decide what the message is; this module decides what to do.
//
// Answers are written to the outbox in the same transaction (idempotency key `ack:<inboundId>`)
// and queued after the commit, so processing a message twice changes nothing more.
import { createHash, randomBytes } from 'node:crypto';
import type { AppContext } from '../context.js';
import { pausePerson, unsubscribePerson, markBounced, REFERENT_INVITATION } from '../control.js';
import type { Db, TransactionSql } from '../db/client.js';
import { recordEvent } from '../db/events.js';
import { getOutbound } from '../db/outbound.js';
import { deleteReferent, REFERENT_TEMPLATES, unsubscribeReferent, type ReferentRow } from '../db/referents.js';
import { findNetworkBySlug, getProfile, setPendingUpdate, upsertProfile, type PersonRow, type ProfileInput, type ProfileRow } from '../db/people.js';
import { departementName, placeWords } from '../geo/index.js';
import { handleIntroReply } from '../introductions/reply.js';
import { personalFooter, frenchFullDate } from '../introductions/templates.js';
import { eraseUrl, LINK_TTL_SECONDS, visibleUrl } from '../mail/links.js';
import { enqueueSends, outboundFor, writeEmail, type EmailRequest } from '../mail/outbox.js';
import type { NewOutbound } from '../db/outbound.js';
import type { TemplateVars } from '../mail/templates.js';
import { analyse } from '../match/text.js';
import { confirmationUrl } from '../registration.js';
import { referentUnsubscribeUrl } from '../territory/referents.js';
import { CATEGORY_SHORT_LABELS, isCategory, type Role } from '../vocabulary.js';
import { escapeHtml } from '../web/html.js';
import type { Classification } from './classify.js';
import type { ExtractedProfile } from './extract.js';
import { foldText } from './lexicon.js';
import { wellFormed, type ParsedMessage } from './parse.js';
import { readAllHere, type ReadMessage } from './read.js';
import type { Reader } from './reader.js';
import type { InboundChannel } from './store.js';
import type { SenderTrust } from './trust.js';
import type { Understanding } from './understand.js';

export interface InboundRow {
  id: number;
  status: 'stored' | 'processed' | 'failed';
  channel: InboundChannel;
  network_id: number | null;
  truncated: boolean;
  raw_size: number;
  received_at: Date;
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

/** What processing one message of a batch came to: its outcome, or the error its job retries on. */
export type InboundResult = { ok: true; outcome: ProcessOutcome } | { ok: false; error: Error };

/** Processes one stored message. Idempotent; throws only on I/O errors (the job retries). */
export async function processInbound(ctx: AppContext, inboundId: number): Promise<ProcessOutcome> {
  const [result] = await processInboundBatch(ctx, [inboundId]);
  if (!result!.ok) throw result!.error;
  return result!.outcome;
}

/**
 * Processes several stored messages in one transaction: one claim, one commit and a handful of
 * statements shared by all of them instead of the same per message, and the statements of
 * messages that touch different people sent together (one write to the socket for all).
 * The result is the same as processing them one by one: see applyBatch for the order.
 *
 * When the batch's transaction fails (a constraint a single message breaks, a deadlock with
 * another worker, the database going away), nothing of it was written: each message is then
 * processed again on its own, so one bad message only fails its own job. Idempotent like
 * processInbound: a message already processed is skipped and answered 'already-processed'.
 */
export async function processInboundBatch(
  ctx: AppContext,
  inboundIds: number[],
  options: { batchBytes?: number; reader?: Reader } = {},
): Promise<InboundResult[]> {
  const results = new Map<number, InboundResult>();
  let left = [...new Set(inboundIds)];
  while (left.length > 0) {
    // The pure reading needs no transaction: it comes first, so the transaction holds its
    // locks only for the database work (and one batch is read while another is applied).
    // Big messages are read a few at a time: at most BATCH_BYTES of raw mail per transaction.
    let readings: Map<number, Reading>;
    let later: Set<number>;
    try {
      ({ readings, later } = await readStored(ctx.sql, ctx.config, left, options.batchBytes ?? BATCH_BYTES, options.reader));
    } catch (err) {
      for (const id of left) results.set(id, { ok: false, error: err as Error });
      break;
    }
    const ids = left.filter((id) => !later.has(id));
    left = left.filter((id) => later.has(id));
    for (const [id, result] of await applyReadings(ctx, ids, readings)) results.set(id, result);
  }
  return inboundIds.map((id) => results.get(id)!);
}

/** Raw mail read into memory for one transaction, at most (a bigger message goes alone). */
const BATCH_BYTES = 16_000_000;

async function applyReadings(ctx: AppContext, ids: number[], readings: Map<number, Reading>): Promise<Map<number, InboundResult>> {
  let outcomes: Map<number, ProcessOutcome>;
  try {
    outcomes = await ctx.sql.begin((tx) => applyBatch(tx, ctx, ids, readings));
  } catch (err) {
    if (ids.length === 1) return new Map([[ids[0]!, { ok: false, error: err as Error }]]);
    ctx.log.warn({ messages: ids.length, err: (err as Error).message }, 'inbound batch failed: processing its messages one by one');
    const alone = new Map<number, InboundResult>();
    for (const id of ids) alone.set(id, (await processInboundBatch(ctx, [id]))[0]!);
    return alone;
  }
  // Answers are queued once committed; a crash before this leaves them to sweep-outbox.
  const notClaimed = ids.filter((id) => !outcomes.has(id));
  const [, earlier] = await Promise.all([
    enqueueSends(ctx, [...outcomes.values()].flatMap((o) => o.mails)),
    notClaimed.length > 0 ? alreadyDone(ctx, notClaimed) : new Map<number, ProcessOutcome>(),
  ]);
  return new Map(ids.map((id) => [id, { ok: true, outcome: outcomes.get(id) ?? earlier.get(id)! }]));
}

async function alreadyDone(ctx: Pick<AppContext, 'sql'>, ids: number[]): Promise<Map<number, ProcessOutcome>> {
  const rows = await ctx.sql<{ id: number; kind: string | null; reason: string | null; outcome: string | null; person_id: number | null }[]>`
    select id, kind, reason, outcome, person_id from inbound_messages where id = any(${ids}::bigint[])`;
  const found = new Map(rows.map((r) => [r.id, r]));
  return new Map(ids.map((id) => {
    const r = found.get(id);
    return [id, { state: r ? 'already-processed' : 'missing', kind: r?.kind ?? null, reason: r?.reason ?? null, outcome: r?.outcome ?? null, personId: r?.person_id ?? null, mails: [] }];
  }));
}

/** A stored message's pure reading, or why it could not be read. */
type Reading = { read: ReadMessage } | { error: string };

/**
 * Reads the stored messages among `ids`, in id order, while the raw bytes read so far stay under
 * `budget` (the first one whatever its size); `later` holds the stored ones left for next time.
 */
async function readStored(
  db: Db,
  config: AppContext['config'],
  ids: number[],
  budget = Infinity,
  reader?: Reader,
): Promise<{ readings: Map<number, Reading>; later: Set<number> }> {
  const rows = await db<{ id: number; raw: Buffer | null; channel: InboundChannel }[]>`
    select id, channel, case when (before < ${Number.isFinite(budget) ? budget : null}::bigint) is not false then raw end as raw
    from (
      select id, channel, raw, sum(octet_length(raw)) over (order by id) - octet_length(raw) as before
      from inbound_messages where id = any(${ids}::bigint[]) and status = 'stored'
    ) m
    order by id`;
  const later = new Set(rows.filter((row) => row.raw === null).map((row) => row.id));
  const toRead = rows.filter((row): row is typeof row & { raw: Buffer } => row.raw !== null);
  const outcomes = reader ? await reader.readAll(toRead) : await readAllHere(toRead, config);
  const readings = new Map<number, Reading>();
  toRead.forEach((row, i) => {
    const outcome = outcomes[i]!;
    // A message that breaks the pure steps would break them again on every retry: it is kept
    // for the operator, raw and all.
    readings.set(row.id, 'read' in outcome ? outcome : { error: wellFormed(`could not read the message: ${outcome.error.message}`.slice(0, 1000)) });
  });
  return { readings, later };
}

/** A claimed message, read, with what the batch looked up for it. */
interface BatchItem {
  row: InboundRow;
  read: ReadMessage;
  pre: Prefetched;
  /** Whose rows applying it may change: its sender, or for a bounce the address it is about (lowercased). */
  addresses: string[];
}

/**
 * The batch's transaction. Order of application: every message whose sender appears for the
 * first time in the batch and that touches only that sender's rows (registration, update,
 * command, question) is applied at the same time as the others like it; then, one after
 * another in arrival order, the messages that may touch someone else's rows (bounces, replies
 * to an introduction, which both people of a pair may send at once) and a sender's second
 * message. Two messages applied at the same time never touch the same row, so the result is
 * that of processing them one by one in some order, as concurrent jobs always did.
 */
async function applyBatch(tx: TransactionSql, ctx: AppContext, ids: number[], readings: Map<number, Reading>): Promise<Map<number, ProcessOutcome>> {
  // Claims the messages: their rows stay locked until this transaction ends, so a second worker
  // on one of them waits here, then finds it processed (locked in id order: two batches never
  // wait on each other in a circle). The raw message was committed durably when it was stored
  // and this transaction only derives from it, so its commit does not wait for the WAL flush
  // (several times cheaper): a PostgreSQL crash may lose the last fraction of a second of
  // processing, which the sweep then redoes from the raw copy (at worst, one answer sent twice).
  // A lock, not an update: the row is written once, when it is marked processed (attempts
  // counted there: a rolled-back attempt never counted anyway).
  const rows = await tx<InboundRow[]>`
    select id, status, channel, network_id, truncated, raw_size, received_at, set_config('synchronous_commit', 'off', true) as commit_mode
    from inbound_messages where id = any(${ids}::bigint[]) and status = 'stored'
    order by id for update`;
  rows.sort((a, b) => a.id - b.id);
  // Stored messages are never changed, only deleted (erasure): what was read before the claim
  // is what was claimed. A message claimed but not read (stored between the two) is read now.
  const missing = rows.filter((row) => !readings.has(row.id)).map((row) => row.id);
  if (missing.length > 0) for (const [id, r] of (await readStored(tx, ctx.config, missing)).readings) readings.set(id, r);

  const outcomes = new Map<number, ProcessOutcome>();
  const unreadable: { id: number; error: string }[] = [];
  const read: { row: InboundRow; read: ReadMessage }[] = [];
  for (const row of rows) {
    const reading = readings.get(row.id)!;
    if ('read' in reading) {
      read.push({ row, read: reading.read });
      continue;
    }
    ctx.log.warn({ inboundId: row.id, err: reading.error }, 'inbound message unreadable');
    unreadable.push({ id: row.id, error: reading.error });
    outcomes.set(row.id, { state: 'unreadable', kind: null, reason: reading.error, outcome: 'kept for the operator', personId: null, mails: [] });
  }

  const items = await prefetch(tx, ctx, read);
  const together: BatchItem[] = [];
  const oneByOne: BatchItem[] = [];
  const touched = new Set<string>();
  for (const item of items) {
    const c = item.read.understanding.classification;
    const alone = c.kind === 'bounce' || isIntroReply(c, item.pre.thread) || item.addresses.some((a) => touched.has(a));
    for (const a of item.addresses) touched.add(a);
    if (alone) {
      // Looked up again when its turn comes: a message before it may have changed the person.
      item.pre = { thread: item.pre.thread, personLoaded: false };
      oneByOne.push(item);
    } else together.push(item);
  }
  const decisions = new Map<number, Decision>();
  const deferred: Deferred = { people: [], profiles: [], events: [], dailyKeys: [], mails: [] };
  const settled = await Promise.allSettled(together.map(async (item) => decisions.set(item.row.id, await applyMessage(tx, ctx, item.row, item.read, item.pre, deferred))));
  const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failure) throw failure.reason;
  // What they wrote goes in before the others are applied: a sender's second message reads it.
  const written = oneByOne.length > 0 ? await writeDeferred(tx, deferred) : null;
  for (const item of oneByOne) decisions.set(item.row.id, await applyMessage(tx, ctx, item.row, item.read, item.pre));

  const finished = items.map(({ row, read: { msg } }) => {
    const d = decisions.get(row.id)!;
    return {
      id: row.id, kind: d.kind, reason: d.reason.slice(0, 500), outcome: d.outcome.slice(0, 500), person_id: d.personId,
      from_address: msg.from?.address || null, for_operator: d.forOperator,
      event: { inbound: row.id, channel: row.channel, kind: d.kind, answered: d.mails.length > 0 },
    };
  });
  // Sent in this order on the transaction's connection: the people inserted first, then the
  // statement whose rows name them.
  const [mailIds] = await Promise.all([
    written ?? writeDeferred(tx, deferred),
    finished.length > 0 &&
      tx`
        with d as (
          select * from jsonb_to_recordset(${jsonParam(finished)}::text::jsonb) as d(
            id bigint, kind text, reason text, outcome text, person_id bigint, from_address text, for_operator boolean, event jsonb)
        ), updated as (
          update inbound_messages m set
            status = 'processed', attempts = m.attempts + 1, kind = d.kind, reason = d.reason, outcome = d.outcome, person_id = d.person_id,
            from_address = d.from_address, for_operator = d.for_operator, error = null, processed_at = now()
          from d where m.id = d.id
          returning m.id
        )
        insert into events (type, person_id, data)
        select 'inbound.processed', d.person_id, d.event from d join updated using (id) order by d.id`,
    unreadable.length > 0 &&
      tx`
        update inbound_messages m set status = 'failed', attempts = m.attempts + 1, error = d.error, for_operator = true, processed_at = now()
        from jsonb_to_recordset(${jsonParam(unreadable)}::text::jsonb) as d(id bigint, error text)
        where m.id = d.id`,
  ]);
  for (const { row } of items) {
    const d = decisions.get(row.id)!;
    // Answers written with the others have their outbox id now.
    const mails = d.mails.map((id) => (id < 0 ? mailIds.get(deferred.mails[-id - 1]!.idempotencyKey) : id)).filter((id): id is number => id !== undefined);
    outcomes.set(row.id, { state: 'processed', kind: d.kind, reason: d.reason, outcome: d.outcome, personId: d.personId, mails });
  }
  return outcomes;
}

/**
 * A JSON parameter for jsonb_to_recordset, passed as text (`${...}::text::jsonb`: postgres.js
 * would encode a string for a jsonb parameter once more). Strings are made well-formed first: a
 * text cut in the middle of an emoji leaves half of it, which JSON writes as an escape
 * PostgreSQL refuses (as a plain text parameter it would have become U+FFFD).
 */
function jsonParam(value: unknown): string {
  const json = JSON.stringify(value);
  // JSON.stringify escapes a lone surrogate as \udXXX and nothing else as "\ud": the slower,
  // exact pass is only for the rare text that has one (or a backslash followed by "ud").
  return json.includes('\\ud') ? JSON.stringify(value, (_key, v: unknown) => (typeof v === 'string' ? wellFormed(v) : v)) : json;
}

/**
 * What the messages applied together write, kept to be sent in one statement once all are
 * applied: new people with their profile and events, answer counts, answers. Their ids were
 * taken before (person ids from the sequence by the prefetch; an answer's outbox id is only
 * known after, so answer() hands out -(its index + 1) until then).
 */
interface Deferred {
  people: { id: number; email: string; name: string | null; network_id: number | null; consent_at: Date; confirm_nonce: string | null; status: string; confirmed_at: Date | null }[];
  profiles: Record<string, unknown>[];
  events: { type: string; person_id: number; data: Record<string, unknown> }[];
  /** One more answer due today to each of these (inbound_reply_limits keys, see dailyKey). */
  dailyKeys: string[];
  mails: NewOutbound[];
}

/** Inserts what the messages applied together deferred; returns the outbox ids by idempotency key. */
async function writeDeferred(tx: TransactionSql, w: Deferred): Promise<Map<string, number>> {
  if (w.people.length + w.events.length + w.dailyKeys.length + w.mails.length === 0) return new Map();
  // Answers go in as plain parameters, one per value, not inside the JSON: each carries ~10 kB
  // of HTML, which JSON would escape here and PostgreSQL parse again there.
  const mails = w.mails.map((m) => ({
    idempotency_key: m.idempotencyKey, message_id: m.messageId, person_id: m.personId, to_address: m.to, template: m.template,
    subject: m.subject, html: m.html, text_body: m.text,
    // Sent as JSON (see jsonParam): a value cut inside an emoji must not be refused.
    headers: Object.fromEntries(Object.entries(m.headers).map(([name, value]) => [name, wellFormed(value)])),
  }));
  const insertMails = mails.length > 0
    ? tx`
      insert into outbound_messages ${tx(mails, 'idempotency_key', 'message_id', 'person_id', 'to_address', 'template', 'subject', 'html', 'text_body', 'headers')}
      on conflict (idempotency_key) do nothing
      returning id, idempotency_key`
    : tx`select null::bigint as id, null::text as idempotency_key where false`;
  // Foreign keys are checked at the end of the statement, when the people exist.
  const rows = await tx<{ id: number; idempotency_key: string }[]>`
    with new_people as (
      insert into people (id, email, name, source, network_id, consent_at, confirm_nonce, status, confirmed_at)
      select id, email, name, 'email', network_id, consent_at, confirm_nonce, status, confirmed_at
      from jsonb_to_recordset(${jsonParam(w.people)}::text::jsonb) as p(
        id bigint, email text, name text, network_id int, consent_at timestamptz, confirm_nonce text, status text, confirmed_at timestamptz)
    ), new_profiles as (
      insert into profiles (person_id, role, categories, description, postcode, commune, commune_code, departement, lat, lon, radius_km, terms, term_counts)
      select person_id, role, categories, description, postcode, commune, commune_code, departement, lat, lon, radius_km, terms, term_counts
      from jsonb_to_recordset(${jsonParam(w.profiles)}::text::jsonb) as f(
        person_id bigint, role text, categories text[], description text, postcode text, commune text, commune_code text, departement text,
        lat double precision, lon double precision, radius_km int, terms text[], term_counts int[])
    ), new_events as (
      insert into events (type, person_id, data)
      select type, person_id, data from jsonb_to_recordset(${jsonParam(w.events)}::text::jsonb) as e(type text, person_id bigint, data jsonb)
    ), counted as (
      insert into inbound_reply_limits (key, count)
      select key, count(*) from unnest(${w.dailyKeys}::text[]) as key group by key
      on conflict (key) do update set count = inbound_reply_limits.count + excluded.count
    )
    ${insertMails}`;
  return new Map(rows.map((r) => [r.idempotency_key, r.id]));
}

/** What the batch looked up for a message before applying it. */
interface Prefetched {
  /** Template of the newest email of ours this message replies to (In-Reply-To, References). */
  thread: string | undefined;
  /** The sender's person row (undefined: nobody with this address), when personLoaded. */
  person?: PersonRow | undefined;
  /** The sender's address is locked and `person` is current. */
  personLoaded: boolean;
  newcomer?: Newcomer;
}

interface Newcomer {
  /** Taken from people's sequence by the prefetch. */
  id: number;
  /** inbound_reply_limits key of today's answers to this address, and their count before this message. */
  dailyKey: string;
  answersToday: number;
}

/**
 * Up to three statements for the whole batch, sent together: the thread of every message (which
 * of our emails it answers), the senders' addresses locked with their person rows, and the
 * addresses the bounced emails went to.
 */
async function prefetch(tx: TransactionSql, ctx: AppContext, read: { row: InboundRow; read: ReadMessage }[]): Promise<BatchItem[]> {
  const refsOf = (msg: ParsedMessage) => [msg.inReplyTo, ...msg.references].filter((v): v is string => !!v).slice(0, 50);
  const refs = [...new Set(read.flatMap(({ read: r }) => (r.understanding.classification.kind === 'command' ? [] : refsOf(r.msg))))];
  const emails = [...new Set(read.filter(({ read: r }) => PERSON_KINDS.has(r.understanding.classification.kind) && r.msg.from?.address).map(({ read: r }) => r.msg.from!.address.toLowerCase()))];
  const registering = new Set(read.filter(({ read: r }) => r.understanding.classification.kind === 'registration' && r.msg.from?.address).map(({ read: r }) => r.msg.from!.address.toLowerCase()));
  const verpOf = (r: ReadMessage) => (r.understanding.classification.kind === 'bounce' ? verpOutboundId(r.msg, ctx.config.mailFromAddress) : null);
  const bounced = [...new Set(read.map(({ read: r }) => verpOf(r)).filter((id): id is number => id !== null))];
  const [threads, people, sent] = await Promise.all([
    refs.length === 0 ? [] : tx<{ id: number; message_id: string; template: string }[]>`
      select id, message_id, template from outbound_messages
      where message_id = any(${refs}) and template = any(${[...INTRODUCTION_TEMPLATES, ...CONVERSATION_TEMPLATES]})`,
    emails.length === 0 ? new Map<string, Locked>() : lockPeople(tx, emails, registering),
    bounced.length === 0 ? [] : tx<{ id: number; to_address: string }[]>`select id, to_address from outbound_messages where id = any(${bounced}::bigint[])`,
  ]);
  return read.map(({ row, read: r }) => {
    const c = r.understanding.classification;
    const ids = new Set(c.kind === 'command' ? [] : refsOf(r.msg));
    // The newest of our emails in the thread: the one this message answers.
    const thread = threads.filter((t) => ids.has(t.message_id)).sort((a, b) => b.id - a.id)[0]?.template;
    const from = r.msg.from?.address.toLowerCase() ?? '';
    const locked = people.get(from);
    // A bounce is about the address our bounced email went to (any of them), or the one it names.
    const verp = verpOf(r);
    const addresses = c.kind === 'bounce'
      ? [c.bounce?.recipient ?? '', ...(sent.find((s) => s.id === verp)?.to_address.split(',') ?? [])].map((a) => a.trim().toLowerCase()).filter(Boolean)
      : from ? [from] : [];
    return { row, read: r, addresses, pre: locked ? { thread, person: locked.person ?? undefined, personLoaded: true, newcomer: locked.newcomer } : { thread, personLoaded: false } };
  });
}

/** Kinds whose sender's person row the apply step reads. */
const PERSON_KINDS = new Set(['registration', 'command', 'other', 'intro_reply']);

function isIntroReply(c: Classification, thread: string | undefined): boolean {
  return c.kind === 'intro_reply' || (c.kind !== 'command' && !!thread && INTRODUCTION_TEMPLATES.includes(thread));
}

interface Locked {
  person: PersonRow | null;
  newcomer?: Newcomer;
}

/**
 * Locks several addresses as lockPerson does one, in the order of their lock keys (two batches
 * locking overlapping senders never wait on each other in a circle), and reads their people.
 * For a registration from an address nobody has, also takes the new person's id from the
 * sequence and reads today's answer count: the person is then written with the batch's other
 * writes, in one statement (a registration that ends up not creating anyone leaves a gap in
 * the ids, nothing else).
 */
async function lockPeople(tx: TransactionSql, emails: string[], registering: Set<string>): Promise<Map<string, Locked>> {
  const keys = emails.map(dailyKey);
  const rows = await tx<(PersonRow & { locked_email: string; daily_key: string; new_id: number | null; answers_today: number })[]>`
    with locked as materialized (
      select email, daily_key, pg_advisory_xact_lock(hashtext(email))
      from unnest(${emails}::text[], ${keys}::text[]) as t(email, daily_key) order by hashtext(email)
    )
    select p.*, locked.email as locked_email, locked.daily_key,
      case when p.id is null and locked.email = any(${[...registering]}::text[]) then nextval(pg_get_serial_sequence('people', 'id')) end as new_id,
      coalesce((select count from inbound_reply_limits where key = locked.daily_key), 0) as answers_today
    from locked left join people p on p.email = locked.email::citext`;
  return new Map(rows.map(({ locked_email, daily_key, new_id, answers_today, ...person }) => [
    locked_email,
    {
      person: person.id === null ? null : (person as PersonRow),
      newcomer: new_id === null ? undefined : { id: new_id, dailyKey: daily_key, answersToday: answers_today },
    },
  ]));
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
  personLoaded: boolean;
  /** For a sender nobody registered with: the id a new person takes, and the answers due to them today. */
  newcomer?: Newcomer;
  /** Set when applied together with others: answers and new people are written with theirs. */
  deferred?: Deferred;
}

async function applyMessage(tx: TransactionSql, ctx: AppContext, row: InboundRow, read: ReadMessage, pre: Prefetched, deferred?: Deferred): Promise<Decision> {
  const { msg, understanding: u, trust } = read;
  const c = u.classification;
  const env: Env = {
    tx, ctx, row, msg, u, c, trust, from: msg.from?.address ?? '', person: pre.person, personLoaded: pre.personLoaded,
    newcomer: deferred ? pre.newcomer : undefined, deferred,
  };
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
    const thread = pre.thread;
    if (isIntroReply(c, thread)) return routeIntroReply(env, done);
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

/** Replies to an introduction: the introductions feature records the yes or no and answers. */
async function routeIntroReply(env: Env, done: Done): Promise<Decision> {
  const { tx, ctx, msg, u, c, row } = env;
  const personId = await senderId(env);
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

/** The sender's person id, from what the batch read when it did, else from the database. */
async function senderId(env: Env): Promise<number | null> {
  if (env.personLoaded) return env.person?.id ?? null;
  const person = await env.tx<{ id: number }[]>`select id from people where email = ${env.from}`;
  return person[0]?.id ?? null;
}

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
  const person = env.personLoaded ? env.person : await lockPerson(tx, env.from);
  const live = person && (person.status === 'pending' || person.status === 'active');
  const referent = await referentOf(env);
  // A référent·e is not a person (docs/ARCHITECTURE.md): the same address may be either, or
  // both. A command answering one of our emails to the référent (their digest, their
  // confirmation, our answer about them) is about the digest; so is a command from an address
  // that is only a référent. Otherwise it is about the registration, as it always was: a person
  // who writes STOP most likely means the proposals, and stopping the digest they did not name
  // would surprise them as much; their answer says how to stop the digest too. When their
  // registration already ended, the digest is all there is left to stop (STOP, PAUSE); an
  // erasure still goes to the registration, whose data matters most (its answer says how to
  // erase the référent too).
  const forReferent = referent !== undefined && (
    referent.in_thread || !person || (!live && referent.status !== 'unsubscribed' && c.command !== 'erase')
  );
  if (forReferent) return applyReferentCommand(env, done, referent, person?.id ?? null);
  const alsoReferent = alsoReferentNote(referent !== undefined && referent.status !== 'unsubscribed');

  const notRegistered = async (action: string, followUp: string) => {
    const mail = await answer(env, 'ack-not-registered', { action, followUp }, { personId: null, limitReason: `not-registered-${c.command}` });
    return done(`kept for the operator: no registration at this address${mail ? '' : ' (already answered today)'}`, { forOperator: true, mails: mail ? [mail] : [] });
  };

  if (c.command === 'stop') {
    if (!person) {
      return notRegistered('arrêter', 'Si vous ne souhaitez plus recevoir le bulletin, nous transmettons votre demande à l’équipe qui l’envoie.');
    }
    const changed = live ? await unsubscribePerson(tx, person.id, 'email') : false;
    const mail = await answer(env, 'ack-stop', { eraseUrl: eraseUrl(ctx.config, person.id), ...alsoReferent }, { personId: person.id, limitReason: changed ? undefined : 'stop-again' });
    // The bulletin's own list is kept elsewhere: the operator passes the request on.
    return done(changed ? 'unsubscribed' : 'already unsubscribed', { personId: person.id, forOperator: true, mails: mail ? [mail] : [] });
  }

  if (c.command === 'pause') {
    if (!person || !live) return notRegistered('mettre en pause', 'Si c’est le bulletin que vous souhaitez mettre en pause, nous transmettons votre demande à l’équipe qui l’envoie.');
    const until = new Date(Date.now() + PAUSE_DAYS_BY_EMAIL * 86_400_000);
    await pausePerson(tx, person.id, until, 'email');
    const mail = await answer(env, 'ack-pause', { until: frenchFullDate(until), ...alsoReferent }, { personId: person.id });
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
    { eraseUrl: eraseUrl(ctx.config, person.id), validDays: Math.round(LINK_TTL_SECONDS.erase / 86_400), ...alsoReferent },
    { personId: person.id, limitReason: 'erase' },
  );
  return done('erasure link sent', { personId: person.id, mails: mail ? [mail] : [] });
}

// --- référent·es -----------------------------------------------------------------------------

interface SenderReferent extends Pick<ReferentRow, 'id' | 'name' | 'status'> {
  /** The message answers one of REFERENT_TEMPLATES. */
  in_thread: boolean;
}

/** The référent with the sender's address, if any, and whether the message answers our emails to them. */
async function referentOf(env: Env): Promise<SenderReferent | undefined> {
  const refs = [env.msg.inReplyTo, ...env.msg.references].filter((v): v is string => !!v).slice(0, 50);
  const rows = await env.tx<SenderReferent[]>`
    select id, name, status, exists (
      select 1 from outbound_messages where message_id = any(${refs}::text[]) and template = any(${REFERENT_TEMPLATES}::text[])
    ) as in_thread
    from referents where email = ${env.from}`;
  return rows[0];
}

/**
 * STOP, PAUSE or SUPPRIMER from a référent: the same change as the link in their digest, recorded
 * the same way. The From passed the checks every command passes (a From that DMARC says is
 * forged never gets here), so it is believed as a person's STOP is.
 */
async function applyReferentCommand(env: Env, done: Done, referent: SenderReferent, personId: number | null): Promise<Decision> {
  const { tx, ctx, c } = env;
  const greetingName = referent.name;
  // Not in the thread of the digest: they may have meant the bulletin of a partner network, which
  // is sent from elsewhere; the operator sees it, as a person's STOP.
  const forOperator = !referent.in_thread;

  if (c.command === 'erase') {
    // Unlike a person's (see applyCommand), done at once: the row holds only what the operator
    // typed (name, address, territory), nothing the référent wrote, and the operator can add
    // them again in one command; the answer goes to the real mailbox, so its owner hears of any
    // request they did not make. Their digests' records go with the row (on delete cascade).
    if (await deleteReferent(tx, referent.id, { keepInboundId: env.row.id })) await recordEvent(tx, 'referent.erased', null, { referentId: referent.id, source: 'email' });
    const mail = await answer(env, 'ack-referent-erase', {}, { personId, greetingName, limitReason: 'referent-erase' });
    return done('référent erased (name, address, territory)', { personId, forOperator, mails: mail ? [mail] : [] });
  }

  // PAUSE stops the digest too: a référent has no pause to come back from (no date, no column),
  // and keeping on sending what they asked to stop would be the worse answer. The answer says
  // so, and how to come back: a reply, which the operator reads.
  const stopped = await unsubscribeReferent(tx, referent.id);
  if (stopped) await recordEvent(tx, 'referent.unsubscribed', null, { referentId: referent.id, source: 'email' });
  const template = c.command === 'pause' ? 'ack-referent-pause' : 'ack-referent-stop';
  const mail = await answer(env, template, { unsubscribeUrl: referentUnsubscribeUrl(ctx, referent.id) }, {
    personId, greetingName, limitReason: stopped ? undefined : 'referent-stop-again',
  });
  const what = `${stopped ? 'référent unsubscribed from the digest' : 'référent already unsubscribed from the digest'}${c.command === 'pause' ? ' (PAUSE: référent·es have no pause)' : ''}`;
  return done(what, { personId, forOperator, mails: mail ? [mail] : [] });
}

const ALSO_REFERENT = 'Vous recevez aussi le récapitulatif de référent·e de votre territoire : cette demande ne le concerne pas. Pour l’arrêter, ou pour que nous effacions vos coordonnées de référent·e, répondez STOP ou SUPPRIMER à l’un de ces récapitulatifs (le lien en bas de chacun fonctionne aussi).';

/** The sentence a person who is also a référent finds at the end of their answer (empty otherwise). */
function alsoReferentNote(referent: boolean): { alsoReferentHtml: string; alsoReferentText: string } {
  if (!referent) return { alsoReferentHtml: '', alsoReferentText: '' };
  return { alsoReferentHtml: `<br><br>${escapeHtml(ALSO_REFERENT)}`, alsoReferentText: `\n\n${ALSO_REFERENT.replace(/’/g, "'")}` };
}

// --- registrations and profile updates --------------------------------------------------------

/**
 * The paragraph of the acknowledgement that asks someone registered by email whether the
 * référent·es of their territory may see them (the form asks it with a box; a reply to the
 * bulletin cannot). Empty for someone who already agreed. The link opens a page that shows what
 * would be shown, and only its button agrees.
 */
function referentInvitation(ctx: AppContext, personId: number, alreadyVisible: boolean): { invitationHtml: string; invitationText: string } {
  if (alreadyVisible) return { invitationHtml: '', invitationText: '' };
  const url = visibleUrl(ctx.config, personId);
  const { intro, text, link } = REFERENT_INVITATION;
  return {
    // Appended to the paragraph before it, as the text version is: nothing left behind when empty.
    invitationHtml: `<br><br><strong>${escapeHtml(intro)}</strong> ${escapeHtml(text)} : <a href="${escapeHtml(url)}">${escapeHtml(link)}</a>.`,
    invitationText: `\n\n${intro} ${text}. Pour voir ce qui leur serait montré et donner votre accord, en un clic :\n${url}`,
  };
}

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

  const submitted = { source: 'email', outcome: 'created', network: network?.slug ?? null, trust: trust.verdict };
  const confirmed = { source: 'email', via: 'authenticated-sender' };
  if (!person) {
    // Applied with others: written with their writes, in one statement (see writeDeferred).
    const created = env.deferred && env.newcomer
      ? deferNewPerson(env.deferred, env.newcomer, {
        person: { email: env.from, name, network_id: network?.id ?? null, consent_at: replyDate, confirm_nonce: trusted ? null : nonce, status: trusted ? 'active' : 'pending', confirmed_at: trusted ? new Date() : null },
        profile,
        events: [{ type: 'registration.submitted', data: submitted }, ...(trusted ? [{ type: 'registration.confirmed', data: confirmed }] : [])],
      })
      : await insertNewPerson();
    const counted = { answersToday: created.answers_today };
    if (trusted) {
      const mail = await answer(env, 'ack-registration', { ...summary, consentDate: frenchFullDate(replyDate), ...referentInvitation(ctx, created.id, false) }, { personId: created.id, greetingName, personalLinks: true, ...counted });
      return done('registered and active (authenticated sender)', { personId: created.id, mails: mail ? [mail] : [] });
    }
    const mail = await answer(env, 'confirm-email-registration', { ...summary, ...confirmVars(ctx, created.id, nonce) }, { personId: created.id, greetingName, ...counted });
    return done('registered, waiting for confirmation by link', { personId: created.id, mails: mail ? [mail] : [] });
  }
  async function insertNewPerson(): Promise<{ id: number; answers_today: number }> {
    // Person, profile and event in one statement: one round trip instead of three.
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
    return inserted[0]!;
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
      const mail = await answer(env, 'ack-registration', { ...summary, consentDate: frenchFullDate(replyDate), ...referentInvitation(ctx, person.id, person.visible_to_referents) }, { personId: person.id, greetingName, personalLinks: true });
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

/** A new person, profile and events written with the batch (same rows as insertNewPerson's statement). */
function deferNewPerson(
  w: Deferred,
  newcomer: Newcomer,
  p: { person: Omit<Deferred['people'][number], 'id'>; profile: ProfileInput; events: { type: string; data: Record<string, unknown> }[] },
): { id: number; answers_today: number } {
  const id = newcomer.id;
  const f = p.profile;
  w.people.push({ id, ...p.person });
  w.profiles.push({
    person_id: id, role: f.role, categories: f.categories, description: f.description, postcode: f.postcode, commune: f.commune,
    commune_code: f.communeCode, departement: f.departement, lat: f.lat, lon: f.lon, radius_km: f.radiusKm, terms: f.terms, term_counts: f.termCounts,
  });
  for (const e of p.events) w.events.push({ type: e.type, person_id: id, data: e.data });
  w.dailyKeys.push(newcomer.dailyKey);
  return { id, answers_today: newcomer.answersToday + 1 };
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
  const personId = await senderId(env);
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
  const personId = await senderId(env);
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
  const request = {
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
  } satisfies EmailRequest;
  if (env.deferred) {
    // Written with the batch's other answers; its id is known once they are.
    env.deferred.mails.push(outboundFor(ctx, request));
    return -env.deferred.mails.length;
  }
  const mail = await writeEmail(tx, ctx, request);
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
