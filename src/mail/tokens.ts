// Signed, expiring tokens for every link we email (confirmation, answers, unsubscribe…).
// The payload is readable but cannot be forged or altered without SECRET; a nonce lets a
// single-use link be refused once it has been used or superseded.
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';

export interface TokenPayload {
  /** what the link does: 'confirm', 'answer', 'unsubscribe', 'pause', 'erase', … */
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

const SIGNATURE_LENGTH = 22; // 128 bits of HMAC-SHA256, base64url

// A proposal email carries eight signed links: reusing one key object per secret spares the
// string-to-key conversion each HMAC would otherwise redo.
const keys = new Map<string, KeyObject>();
function keyFor(secret: string): KeyObject {
  let key = keys.get(secret);
  if (!key) {
    key = createSecretKey(Buffer.from(secret, 'utf8'));
    keys.set(secret, key);
  }
  return key;
}

function sign(secret: string, body: string): string {
  return createHmac('sha256', keyFor(secret)).update(body).digest('base64url').slice(0, SIGNATURE_LENGTH);
}

export function createToken(secret: string, payload: Omit<TokenPayload, 'e'>, ttlSeconds: number, now = Date.now()): string {
  const full: TokenPayload = { ...payload, e: Math.floor(now / 1000) + ttlSeconds };
  const body = Buffer.from(JSON.stringify(full)).toString('base64url');
  return `${body}.${sign(secret, body)}`;
}

export function verifyToken(
  secret: string,
  token: unknown,
  expectedKind: string,
  now = Date.now(),
): { ok: true; payload: TokenPayload } | { ok: false; error: TokenError } {
  if (typeof token !== 'string' || token.length > 2_000) return { ok: false, error: 'malformed' };
  const dot = token.indexOf('.');
  if (dot <= 0) return { ok: false, error: 'malformed' };
  const body = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1));
  const expected = Buffer.from(sign(secret, body));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, error: 'tampered' };
  let payload: TokenPayload;
  try {
    payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as TokenPayload;
  } catch {
    return { ok: false, error: 'malformed' };
  }
  if (typeof payload !== 'object' || payload === null || payload.k !== expectedKind || !Number.isSafeInteger(payload.p)) {
    return { ok: false, error: 'tampered' };
  }
  if (typeof payload.e !== 'number' || payload.e * 1000 < now) return { ok: false, error: 'expired' };
  return { ok: true, payload };
}
