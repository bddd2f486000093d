// Per-recipient reply addresses: a proposal email's Reply-To is `<local>+r-<tag>@<domain>` (of
// REPLY_TO), where the tag names the introduction and the person it was sent to, signed with
// SECRET. A reply ("oui", "non merci", a question) is then tied to that introduction whatever
// the mail client does to the subject or the References, and nobody can forge one for another
// person's introduction.
//
// The tag is lower case only (some servers lower-case local parts) and short enough that the
// whole local part stays within the 64 characters SMTP allows.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Config } from '../config.js';

const SIGNATURE_HEX = 20; // 80 bits: plenty for a value nobody can test guesses against offline
const TAG = /^r-([0-9a-z]{1,11})-([0-9a-z]{1,11})-([0-9a-f]{20})$/;

function signature(secret: string, introductionId: number, personId: number): string {
  // The "reply-tag" prefix keeps these signatures apart from every other use of SECRET.
  return createHmac('sha256', secret).update(`reply-tag:${introductionId}:${personId}`).digest('hex').slice(0, SIGNATURE_HEX);
}

/** `r-<introduction id>-<person id>-<signature>`, ids in base 36. */
export function createReplyTag(secret: string, introductionId: number, personId: number): string {
  if (!Number.isSafeInteger(introductionId) || introductionId <= 0 || !Number.isSafeInteger(personId) || personId <= 0) {
    throw new RangeError('reply tags need positive integer ids');
  }
  return `r-${introductionId.toString(36)}-${personId.toString(36)}-${signature(secret, introductionId, personId)}`;
}

/** The ids a tag stands for, or null when it is malformed or not signed by us. Case-insensitive. */
export function verifyReplyTag(secret: string, tag: unknown): { introductionId: number; personId: number } | null {
  if (typeof tag !== 'string' || tag.length > 64) return null;
  const m = TAG.exec(tag.trim().toLowerCase());
  if (!m) return null;
  const introductionId = parseInt(m[1]!, 36);
  const personId = parseInt(m[2]!, 36);
  if (!Number.isSafeInteger(introductionId) || !Number.isSafeInteger(personId) || introductionId <= 0 || personId <= 0) return null;
  const expected = Buffer.from(signature(secret, introductionId, personId));
  const given = Buffer.from(m[3]!);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  return { introductionId, personId };
}

type ReplyConfig = Pick<Config, 'secret' | 'replyTo'>;

/** The Reply-To of an email about this introduction, for this person. */
export function replyAddress(config: ReplyConfig, introductionId: number, personId: number): string {
  const at = config.replyTo.lastIndexOf('@');
  const local = config.replyTo.slice(0, at);
  const domain = config.replyTo.slice(at + 1);
  // An operator's REPLY_TO may already use plus-addressing: the tag replaces that part.
  const base = local.split('+')[0];
  return `${base}+${createReplyTag(config.secret, introductionId, personId)}@${domain}`;
}

/**
 * The tag carried by one of our reply addresses (`inscription+r-…@domain`, any case), or null
 * when the address is not a tagged address of our REPLY_TO. Verify it with verifyReplyTag.
 */
export function replyTagOf(config: Pick<Config, 'replyTo'>, address: string): string | null {
  const at = config.replyTo.lastIndexOf('@');
  const base = config.replyTo.slice(0, at).split('+')[0]!.toLowerCase();
  const domain = config.replyTo.slice(at + 1).toLowerCase();
  const m = /^([^@\s]+)@([^@\s]+)$/.exec(address.trim().replace(/^<|>$/g, '').toLowerCase());
  if (!m || m[2] !== domain) return null;
  const plus = m[1]!.indexOf('+');
  if (plus < 0 || m[1]!.slice(0, plus) !== base) return null;
  const tag = m[1]!.slice(plus + 1);
  return tag.startsWith('r-') ? tag : null;
}

/** Both steps at once: the introduction and person a reply address stands for, or null. */
export function resolveReplyAddress(config: ReplyConfig, address: string): { introductionId: number; personId: number } | null {
  const tag = replyTagOf(config, address);
  return tag === null ? null : verifyReplyTag(config.secret, tag);
}
