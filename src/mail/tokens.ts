// Signed, expiring tokens for every link we email (confirmation, answers, unsubscribe…).
// The payload is readable but cannot be forged or altered without SECRET; a nonce lets a
// single-use link be refused once it has been used or superseded.
//
// Format (v2): `2.<kind>.<person>.<introduction>.<option>.<nonce>.<expiry>.<signature>`, ids and
// expiry (seconds since epoch) in base 36, absent fields empty; the signature is 128 bits,
// base64url, of HMAC-SHA256 over everything before it, or a slice of its group's HMAC (below).
// Every character is URL-safe, so a link needs no escaping, and a token is about 60 characters
// instead of the 100 of the JSON format.
//
// Links that go out together are signed together (SIGNED_TOGETHER): "accept" and "decline" of
// the same proposal come from ONE HMAC, each taking its own 16-byte slice of the output; so do the
// pause, profile and erase links of one person. Slices of a MAC are independent: the "accept"
// link says nothing about the "decline" signature, and a pause link cannot be turned into an
// erase link. Each link stays bound to its person, introduction, kind and option, as before, for
// fewer HMACs: a proposal email carries eight signed values, and the HMACs were half of the time
// spent rendering one.
//
// Links sent before v2 (v1: `<base64url of a JSON payload>.<signature>`) keep working until their
// own expiry (at most two years, LINK_TTL_SECONDS.unsubscribe): verifyToken reads both formats.
// The v1 reader can go once the last of them has expired (end of 2028).
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';

export interface TokenPayload {
  /** what the link does: 'confirm', 'answer', 'unsubscribe', 'pause', 'erase', 'visible', … */
  k: string;
  /** person id */
  p: number;
  /** introduction id, when the link is about one */
  i?: number;
  /** the answer or option the link carries ('accepted', 'declined', '1m'…) */
  a?: string;
  /** single-use nonce, checked against the database by the handler */
  n?: string;
  /** expiry, seconds since epoch */
  e: number;
}

export type TokenError = 'malformed' | 'tampered' | 'expired';

const SIGNATURE_BYTES = 16; // 128 bits
const SIGNATURE_LENGTH = 22; // 16 bytes in base64url

/**
 * Groups of links signed by one HMAC, as `<kind>:<option>` (option empty when the kind has
 * none). Members of a group share the person, introduction, nonce and expiry of the MAC.
 * Append only: a member's position picks its slice, so reordering would invalidate every link
 * already sent. A `<kind>:<option>` belongs to one group at most; the others are signed alone.
 */
const SIGNED_TOGETHER: Record<string, readonly string[]> = {
  answer: ['answer:accepted', 'answer:declined'],
  controls: ['pause:1m', 'pause:3m', 'profile:', 'erase:'],
  followup: ['followup:met', 'followup:not-yet', 'followup:no'],
};

const GROUP_OF = new Map<string, { group: string; slot: number; size: number }>();
for (const [group, members] of Object.entries(SIGNED_TOGETHER)) {
  members.forEach((member, slot) => GROUP_OF.set(member, { group, slot, size: members.length }));
}

// One key object per secret spares the string-to-key conversion each HMAC would otherwise redo.
const keys = new Map<string, KeyObject>();
function keyFor(secret: string): KeyObject {
  let key = keys.get(secret);
  if (!key) {
    key = createSecretKey(Buffer.from(secret, 'utf8'));
    keys.set(secret, key);
  }
  return key;
}

function hmac(digest: 'sha256' | 'sha384' | 'sha512', secret: string, data: string): Buffer {
  return createHmac(digest, keyFor(secret)).update(data).digest();
}

/** The smallest SHA-2 whose output has a 16-byte slice for each member. */
function digestFor(size: number): 'sha256' | 'sha384' | 'sha512' {
  if (size <= 2) return 'sha256';
  if (size <= 3) return 'sha384';
  if (size <= 4) return 'sha512';
  throw new RangeError('at most four links can be signed together');
}

// Field values end up between dots in a URL: no dot, nothing a URL would escape.
const FIELD = /^[A-Za-z0-9_~-]*$/;

function field(value: string | undefined, name: string): string {
  if (value === undefined) return '';
  if (!FIELD.test(value)) throw new RangeError(`token ${name} must match ${FIELD}`);
  return value;
}

/** Everything before the signature of a token. */
function body(kind: string, p: string, i: string, option: string, nonce: string, expiry: string): string {
  return `2.${kind}.${p}.${i}.${option}.${nonce}.${expiry}`;
}

/**
 * What a group's HMAC covers. It starts with "g." where a token's own body starts with "2.", so
 * a group MAC can never stand for a token signed alone.
 */
function groupInput(group: string, p: string, i: string, nonce: string, expiry: string): string {
  return `g.${group}.${p}.${i}.${nonce}.${expiry}`;
}

function slice(mac: Buffer, slot: number): string {
  return mac.toString('base64url', slot * SIGNATURE_BYTES, (slot + 1) * SIGNATURE_BYTES);
}

function ids(payload: { p: number; i?: number }): { p: string; i: string } {
  if (!Number.isSafeInteger(payload.p) || payload.p < 0) throw new RangeError('token person must be a non-negative integer');
  if (payload.i !== undefined && (!Number.isSafeInteger(payload.i) || payload.i < 0)) throw new RangeError('token introduction must be a non-negative integer');
  return { p: payload.p.toString(36), i: payload.i === undefined ? '' : payload.i.toString(36) };
}

/** One token. A member of a SIGNED_TOGETHER group costs the group's HMAC: see signTogether. */
export function createToken(secret: string, payload: Omit<TokenPayload, 'e'>, ttlSeconds: number, now = Date.now()): string {
  const kind = field(payload.k, 'kind');
  const option = field(payload.a, 'option');
  const member = GROUP_OF.get(`${kind}:${option}`);
  if (member) return signTogether(secret, member.group, payload, ttlSeconds, now)[`${kind}:${option}`]!;
  const { p, i } = ids(payload);
  const b = body(kind, p, i, option, field(payload.n, 'nonce'), (Math.floor(now / 1000) + ttlSeconds).toString(36));
  return `${b}.${slice(hmac('sha256', secret, b), 0)}`;
}

/**
 * Every token of a SIGNED_TOGETHER group (e.g. 'answer:accepted' and 'answer:declined'), for the
 * same person, introduction, nonce and expiry, from a single HMAC. Keyed by `<kind>:<option>`.
 */
export function signTogether(secret: string, group: string, payload: { p: number; i?: number; n?: string }, ttlSeconds: number, now = Date.now()): Record<string, string> {
  const members = SIGNED_TOGETHER[group];
  if (!members) throw new RangeError(`no group of links called "${group}"`);
  const { p, i } = ids(payload);
  const nonce = field(payload.n, 'nonce');
  const expiry = (Math.floor(now / 1000) + ttlSeconds).toString(36);
  const mac = hmac(digestFor(members.length), secret, groupInput(group, p, i, nonce, expiry));
  const tokens: Record<string, string> = {};
  members.forEach((member, slot) => {
    const colon = member.indexOf(':');
    tokens[member] = `${body(member.slice(0, colon), p, i, member.slice(colon + 1), nonce, expiry)}.${slice(mac, slot)}`;
  });
  return tokens;
}

/** The signature a v2 token must carry (fields: its parts split at the dots). */
function expectedSignature(secret: string, fields: string[]): string {
  const [, kind, p, i, option, nonce, expiry] = fields as [string, string, string, string, string, string, string];
  const member = GROUP_OF.get(`${kind}:${option}`);
  if (!member) return slice(hmac('sha256', secret, body(kind, p, i, option, nonce, expiry)), 0);
  return slice(hmac(digestFor(member.size), secret, groupInput(member.group, p, i, nonce, expiry)), member.slot);
}

function sameSignature(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

const BASE36 = /^[0-9a-z]{1,11}$/;

function readV2(secret: string, token: string): { ok: true; payload: TokenPayload } | { ok: false; error: TokenError } {
  const fields = token.split('.');
  if (fields.length !== 8 || !fields.every((f) => FIELD.test(f))) return { ok: false, error: 'malformed' };
  if (!sameSignature(fields[7]!, expectedSignature(secret, fields))) return { ok: false, error: 'tampered' };
  const [, k, p, i, a, n, e] = fields as [string, string, string, string, string, string, string];
  // Signed by us, so well formed unless SECRET leaked; checked anyway.
  if (!BASE36.test(p) || (i !== '' && !BASE36.test(i)) || !BASE36.test(e)) return { ok: false, error: 'malformed' };
  const payload: TokenPayload = { k, p: parseInt(p, 36), e: parseInt(e, 36) };
  if (i !== '') payload.i = parseInt(i, 36);
  if (a !== '') payload.a = a;
  if (n !== '') payload.n = n;
  return { ok: true, payload };
}

/** Tokens written before v2 (JSON payload, HMAC-SHA256 of its base64url). */
function readV1(secret: string, token: string): { ok: true; payload: TokenPayload } | { ok: false; error: TokenError } {
  const dot = token.indexOf('.');
  if (dot <= 0) return { ok: false, error: 'malformed' };
  const b = token.slice(0, dot);
  const expected = hmac('sha256', secret, b).toString('base64url').slice(0, SIGNATURE_LENGTH);
  if (!sameSignature(token.slice(dot + 1), expected)) return { ok: false, error: 'tampered' };
  try {
    return { ok: true, payload: JSON.parse(Buffer.from(b, 'base64url').toString('utf8')) as TokenPayload };
  } catch {
    return { ok: false, error: 'malformed' };
  }
}

export function verifyToken(
  secret: string,
  token: unknown,
  expectedKind: string,
  now = Date.now(),
): { ok: true; payload: TokenPayload } | { ok: false; error: TokenError } {
  if (typeof token !== 'string' || token.length > 2_000) return { ok: false, error: 'malformed' };
  const read = token.startsWith('2.') ? readV2(secret, token) : readV1(secret, token);
  if (!read.ok) return read;
  const payload = read.payload;
  if (typeof payload !== 'object' || payload === null || payload.k !== expectedKind || !Number.isSafeInteger(payload.p)) {
    return { ok: false, error: 'tampered' };
  }
  if (typeof payload.e !== 'number' || payload.e * 1000 < now) return { ok: false, error: 'expired' };
  return { ok: true, payload };
}
