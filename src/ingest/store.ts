// Store first: every inbound message, whatever way it came in, is written to inbound_messages
// before anything reads it, then one job is queued. A crash after this point loses nothing (the
// job is retried, the sweep re-queues what was never queued), and the same message arriving twice
// (IMAP re-fetch, a provider retrying its webhook, an mbox imported again) is stored once.
import { createHash } from 'node:crypto';
import type { AppContext } from '../context.js';
import type { Db } from '../db/client.js';
import { findNetworkBySlug } from '../db/people.js';
import { JOBS } from '../queue/names.js';
import { doneWithin } from '../queue/deadline.js';
import { createBatcher, onePerPool, type BatchOutcome } from '../queue/group-commit.js';

export type InboundChannel = 'imap' | 'webhook' | 'smtp' | 'cli' | 'test';

export interface StoreOptions {
  channel: InboundChannel;
  /** Network credited for registrations from this channel; an unknown slug is ignored. */
  networkSlug?: string | null;
  /** Messages above this size are stored truncated (default 10 MB, MAX_MESSAGE_BYTES). */
  maxBytes?: number;
  /** Size at the source when `raw` is already only its beginning (IMAP partial fetch). */
  originalSize?: number;
  /** sha256 (hex) of the whole message, when the caller read more than it passes in `raw`. */
  sha256?: string;
}

export interface StoreResult {
  id: number;
  /** false when the same message (Message-ID, else identical bytes) was already stored. */
  created: boolean;
  truncated: boolean;
  status: 'stored' | 'processed' | 'failed';
}

export const DEFAULT_MAX_MESSAGE_BYTES = 10_000_000;
/** Headers of a message are read from at most this many bytes (10,000 recipients fit). */
const MAX_HEADER_BYTES = 1_000_000;
/** What is kept of the body of a truncated message: its first part, at most this much. */
const TRUNCATED_BODY_BYTES = 1_000_000;
const MAX_MESSAGE_ID_CHARS = 500;

/** Inserts the raw message unless it is already stored. Works inside a transaction. */
export async function storeInbound(db: Db, raw: Buffer, options: StoreOptions): Promise<StoreResult> {
  return (await storeInboundMany(db, [{ raw, options }]))[0]!;
}

export interface StoreRequest {
  raw: Buffer;
  options: StoreOptions;
}

/**
 * Inserts several raw messages in one statement (one commit, one WAL flush for all), each unless
 * already stored; one result per request, in order. The same message twice in one call is stored
 * once: the second gets `created: false`.
 */
export async function storeInboundMany(db: Db, requests: StoreRequest[]): Promise<StoreResult[]> {
  const prepared = requests.map(({ raw, options }) => prepareStore(raw, options));
  const networkIds = new Map<string, number | null>();
  for (const slug of new Set(prepared.map((p) => p.networkSlug).filter((v): v is string => v !== null))) {
    networkIds.set(slug, (await findNetworkBySlug(db, slug))?.id ?? null);
  }
  const rows = prepared.map((p) => ({
    dedupe_key: p.dedupeKey, message_id: p.messageId, sha256: p.sha256, channel: p.channel,
    network_id: p.networkSlug ? networkIds.get(p.networkSlug) ?? null : null, from_address: p.from,
    raw: p.stored, raw_size: p.originalSize, truncated: p.truncated,
  }));
  const inserted = await db<{ id: number; dedupe_key: string }[]>`
    insert into inbound_messages ${db(rows, 'dedupe_key', 'message_id', 'sha256', 'channel', 'network_id', 'from_address', 'raw', 'raw_size', 'truncated')}
    on conflict (dedupe_key) do nothing
    returning id, dedupe_key`;
  const created = new Map(inserted.map((r) => [r.dedupe_key, r.id]));
  const others = [...new Set(prepared.map((p) => p.dedupeKey).filter((key) => !created.has(key)))];
  const existing = others.length === 0 ? new Map<string, { id: number; status: StoreResult['status']; truncated: boolean }>() : new Map(
    (await db<{ id: number; status: StoreResult['status']; truncated: boolean; dedupe_key: string }[]>`
      select id, status, truncated, dedupe_key from inbound_messages where dedupe_key = any(${others}::text[])`).map((r) => [r.dedupe_key, r]),
  );
  const claimed = new Set<string>();
  return prepared.map((p) => {
    const id = created.get(p.dedupeKey);
    if (id !== undefined) {
      // A second copy in the same call finds the first one stored.
      const first = !claimed.has(p.dedupeKey);
      claimed.add(p.dedupeKey);
      return { id, created: first, truncated: p.truncated, status: 'stored' };
    }
    const row = existing.get(p.dedupeKey)!;
    return { id: row.id, created: false, truncated: row.truncated, status: row.status };
  });
}

/** What storing one message writes, worked out without the database. */
function prepareStore(raw: Buffer, options: StoreOptions) {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const originalSize = Math.max(options.originalSize ?? raw.length, raw.length);
  const prefixOnly = originalSize > raw.length && !options.sha256;
  // Two big messages with the same first megabytes are still two messages: when only a prefix
  // was read, its size goes into the key.
  const sha256 = options.sha256 ?? `${createHash('sha256').update(raw).digest('hex')}${prefixOnly ? `-${originalSize}` : ''}`;
  const head = headerBlock(raw);
  const messageId = headerValue(head, 'message-id');
  const truncated = originalSize > maxBytes || originalSize > raw.length;
  const slug = options.networkSlug?.trim().toLowerCase();
  return {
    dedupeKey: dedupeKeyFor(messageId, sha256),
    messageId: messageId ? messageId.slice(0, MAX_MESSAGE_ID_CHARS) : null,
    sha256,
    channel: options.channel,
    networkSlug: slug && /^[a-z0-9][a-z0-9-]{0,62}$/.test(slug) ? slug : null,
    from: addressIn(headerValue(head, 'from') ?? ''),
    stored: truncated ? truncateMessage(raw, maxBytes) : raw,
    originalSize,
    truncated,
  };
}

/**
 * Stores, then queues processing (unless already done). The caller may answer its sender
 * "accepted" after this. Messages arriving at the same time (webhook calls, SMTP sessions side by
 * side) are stored together: one statement and one commit, then their jobs in one round trip.
 */
export async function ingestRaw(ctx: Pick<AppContext, 'sql' | 'queues' | 'config'>, raw: Buffer, options: StoreOptions): Promise<StoreResult> {
  return storerFor(ctx).submit({ raw, options: { maxBytes: ctx.config.maxMessageBytes, ...options } });
}

/** Messages stored in one statement at most, and at most this much raw mail. */
const MAX_STORE_BATCH = 64;
const MAX_STORE_BATCH_BYTES = 16_000_000;

const storerFor = onePerPool((ctx: Pick<AppContext, 'sql' | 'queues' | 'config'>) =>
  createBatcher<StoreResult, StoreRequest>((requests) => storeAndQueue(ctx, requests), { maxBatch: MAX_STORE_BATCH }),
);

async function storeAndQueue(ctx: Pick<AppContext, 'sql' | 'queues' | 'config'>, requests: StoreRequest[]): Promise<BatchOutcome<StoreResult>[]> {
  const out: BatchOutcome<StoreResult>[] = [];
  for (const chunk of byBytes(requests, MAX_STORE_BATCH_BYTES)) {
    let results: StoreResult[];
    try {
      results = await storeInboundMany(ctx.sql, chunk);
    } catch (err) {
      // Nothing of the chunk was written. With the database away every message fails alike;
      // otherwise one message broke the statement: each is stored on its own, so only it fails.
      if (chunk.length === 1) {
        out.push({ ok: false, error: err as Error });
        continue;
      }
      for (const request of chunk) out.push(...(await storeAndQueue(ctx, [request])));
      continue;
    }
    // A duplicate still 'stored' may have lost its job (crash before the enqueue): queue it
    // again, the jobId makes that a no-op when the job exists.
    await enqueueInbounds(ctx, [...new Set(results.filter((r) => r.status === 'stored').map((r) => r.id))]);
    out.push(...results.map((outcome) => ({ ok: true as const, outcome })));
  }
  return out;
}

/** Consecutive requests in groups of at most `budget` raw bytes (a bigger message goes alone). */
function byBytes(requests: StoreRequest[], budget: number): StoreRequest[][] {
  const chunks: StoreRequest[][] = [];
  let bytes = 0;
  for (const request of requests) {
    if (chunks.length === 0 || bytes + request.raw.length > budget) {
      chunks.push([]);
      bytes = 0;
    }
    chunks[chunks.length - 1]!.push(request);
    bytes += request.raw.length;
  }
  return chunks;
}

export function inboundJobId(inboundId: number): string {
  return `inbound-${inboundId}`;
}

export const INBOUND_JOB_OPTIONS = {
  attempts: 6,
  backoff: { type: 'exponential', delay: 2_000 },
  removeOnComplete: { age: 24 * 3600, count: 20_000 },
  removeOnFail: { age: 30 * 24 * 3600 },
} as const;

/** False when Redis did not take the job within a short wait: sweep-inbound queues the stored message later. */
export async function enqueueInbound(ctx: Pick<AppContext, 'queues'>, inboundId: number): Promise<boolean> {
  return enqueueInbounds(ctx, [inboundId]);
}

/** Queues several stored messages in one round trip; false as enqueueInbound. */
export async function enqueueInbounds(ctx: Pick<AppContext, 'queues'>, inboundIds: number[]): Promise<boolean> {
  if (inboundIds.length === 0) return true;
  return doneWithin(
    ctx.queues.inbound.addBulk(inboundIds.map((inboundId) => ({ name: JOBS.processInbound, data: { inboundId }, opts: { jobId: inboundJobId(inboundId), ...INBOUND_JOB_OPTIONS } }))),
  );
}

// ---------------------------------------------------------------------------------------------

/** Message-ID when there is one (the same mail through two channels is one message), else the bytes. */
export function dedupeKeyFor(messageId: string | null, sha256: string): string {
  if (!messageId) return `sha256:${sha256}`;
  return messageId.length <= MAX_MESSAGE_ID_CHARS ? `mid:${messageId}` : `mid-sha256:${createHash('sha256').update(messageId).digest('hex')}`;
}

function headerEnd(raw: Buffer): number {
  const limit = Math.min(raw.length, MAX_HEADER_BYTES);
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  const candidates = [crlf >= 0 && crlf < limit ? crlf + 4 : -1, lf >= 0 && lf < limit ? lf + 2 : -1].filter((i) => i >= 0);
  return candidates.length ? Math.min(...candidates) : limit;
}

/** The header block as text, unfolded, lines separated by "\n"; without NUL, which PostgreSQL text refuses. */
function headerBlock(raw: Buffer): string {
  return raw.subarray(0, headerEnd(raw)).toString('latin1').replace(/\r\n?/g, '\n').replace(/\n[ \t]+/g, ' ').replace(/\u0000/g, '');
}

function headerValue(head: string, name: string): string | null {
  const m = new RegExp(`^${name}[ \\t]*:[ \\t]*(.*)$`, 'im').exec(head);
  const v = m?.[1]?.trim();
  return v ? v : null;
}

function addressIn(value: string): string | null {
  const m = /<([^<>\s@]+@[^<>\s@]+\.[^<>\s@]+)>/.exec(value) ?? /([^\s<>"',;:]+@[^\s<>"',;:]+\.[^\s<>"',;:]+)/.exec(value);
  return m ? m[1]!.toLowerCase().slice(0, 320) : null;
}

/**
 * Keeps the headers and the first part of an oversized message: the text a person wrote comes
 * first in every client, the photos and PDFs after it. The multipart is closed again so the
 * parser reads a well-formed message.
 */
export function truncateMessage(raw: Buffer, maxBytes: number): Buffer {
  const end = headerEnd(raw);
  const headers = raw.subarray(0, end);
  const budget = Math.max(0, Math.min(TRUNCATED_BODY_BYTES, maxBytes - headers.length));
  const head = headers.toString('latin1').replace(/\r\n?/g, '\n').replace(/\n[ \t]+/g, ' ');
  const boundary = /^content-type:[^\n]*multipart\/[^\n]*boundary\s*=\s*(?:"([^"]+)"|([^\s;]+))/im.exec(head);
  const newline = raw.includes('\r\n') ? '\r\n' : '\n';
  let body = raw.subarray(end, end + budget);
  if (boundary) {
    const marker = Buffer.from(`\n--${boundary[1] ?? boundary[2]}`);
    const first = raw.indexOf(marker, end - 1);
    const second = first >= 0 ? raw.indexOf(marker, first + marker.length) : -1;
    const stop = second >= 0 ? Math.min(second, end + budget) : end + budget;
    body = raw.subarray(end, Math.max(end, stop));
    body = cutAtLastNewline(body);
    return Buffer.concat([headers, body, Buffer.from(`${newline}--${boundary[1] ?? boundary[2]}--${newline}`)]);
  }
  return Buffer.concat([headers, cutAtLastNewline(body)]);
}

function cutAtLastNewline(body: Buffer): Buffer {
  const last = body.lastIndexOf('\n');
  return last >= 0 ? body.subarray(0, last + 1) : body;
}
