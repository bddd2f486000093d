// Small request-level protections: CSRF for our own forms (double-submit cookie bound by
// HMAC), fixed-window rate limits in Redis, and a cookie reader.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Redis } from 'ioredis';
import { doneWithin } from '../queue/deadline.js';

export function readCookies(req: Request): Record<string, string> {
  const header = req.headers.cookie;
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    try {
      out[key] = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      // A malformed cookie value is ignored, not an error page.
    }
  }
  return out;
}

const CSRF_COOKIE = 'maillage_csrf';

function csrfFor(secret: string, cookie: string): string {
  return createHmac('sha256', secret).update(`csrf:${cookie}`).digest('base64url');
}

/** Returns the hidden-field value for this browser, setting its cookie when missing. */
export function issueCsrf(req: Request, res: Response, secret: string, secure: boolean): string {
  let cookie = readCookies(req)[CSRF_COOKIE];
  if (!cookie || !/^[A-Za-z0-9_-]{16,64}$/.test(cookie)) {
    cookie = randomBytes(18).toString('base64url');
    res.append('Set-Cookie', `${CSRF_COOKIE}=${cookie}; Path=/; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`);
  }
  return csrfFor(secret, cookie);
}

export function checkCsrf(req: Request, secret: string, field: unknown): boolean {
  const cookie = readCookies(req)[CSRF_COOKIE];
  if (!cookie || typeof field !== 'string') return false;
  const expected = Buffer.from(csrfFor(secret, cookie));
  const given = Buffer.from(field);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** How long a request waits for the rate-limit counter before letting itself through. */
const RATE_LIMIT_DEADLINE_MS = 1_000;

/**
 * Counts a hit against `key` and says whether it is within `limit` per `windowSeconds`.
 * If Redis is unreachable the request is let through: a registration lost to a rate-limit
 * outage is worse than a few extra form posts. And let through quickly: while Redis is down its
 * client holds a command for up to 20 s before giving up.
 */
export async function withinRateLimit(redis: Redis, key: string, limit: number, windowSeconds: number): Promise<boolean> {
  let count = 0;
  const counted = redis.multi().incr(key).expire(key, windowSeconds, 'NX').exec().then((results) => {
    count = Number(results?.[0]?.[1] ?? 0);
  });
  if (!(await doneWithin(counted, RATE_LIMIT_DEADLINE_MS))) return true;
  return count <= limit;
}
