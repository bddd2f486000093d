// The operator's console session: a signed cookie, no server-side state. The signature covers
// the expiry and a hash of ADMIN_PASSWORD, so changing the password logs every session out.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Config } from '../../config.js';
import { readCookies } from '../security.js';

export const ADMIN_COOKIE = 'maillage_admin';
/** A working day: long enough not to annoy, short enough that a forgotten browser logs out. */
export const SESSION_SECONDS = 12 * 3600;

type SessionConfig = Pick<Config, 'secret' | 'adminPassword' | 'publicUrl'>;

function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Constant-time: both sides are hashed to 32 bytes, so neither length nor content leaks. */
export function samePassword(given: string, expected: string): boolean {
  return timingSafeEqual(sha256(given), sha256(expected));
}

function signature(config: SessionConfig, expires: number): string {
  return createHmac('sha256', config.secret)
    .update(`admin-session:${expires}:${sha256(config.adminPassword ?? '').toString('hex')}`)
    .digest('base64url');
}

export function sessionCookieValue(config: SessionConfig, now = Date.now()): string {
  const expires = Math.floor(now / 1000) + SESSION_SECONDS;
  return `${expires}.${signature(config, expires)}`;
}

export function hasAdminSession(req: Request, config: SessionConfig, now = Date.now()): boolean {
  if (!config.adminPassword) return false;
  const value = readCookies(req)[ADMIN_COOKIE];
  if (!value || value.length > 200) return false;
  const dot = value.indexOf('.');
  const expires = Number(value.slice(0, dot));
  if (dot <= 0 || !Number.isSafeInteger(expires) || expires * 1000 < now) return false;
  const given = Buffer.from(value.slice(dot + 1));
  const expected = Buffer.from(signature(config, expires));
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function cookieAttributes(config: SessionConfig): string {
  // SameSite=Strict: no other site can make the browser send it, which also shields bull-board's
  // JSON actions (they carry no CSRF token of ours).
  return `Path=/; HttpOnly; SameSite=Strict${config.publicUrl.startsWith('https:') ? '; Secure' : ''}`;
}

export function setSessionCookie(res: Response, config: SessionConfig): void {
  res.append('Set-Cookie', `${ADMIN_COOKIE}=${sessionCookieValue(config)}; ${cookieAttributes(config)}; Max-Age=${SESSION_SECONDS}`);
}

export function clearSessionCookie(res: Response, config: SessionConfig): void {
  res.append('Set-Cookie', `${ADMIN_COOKIE}=; ${cookieAttributes(config)}; Max-Age=0`);
}
