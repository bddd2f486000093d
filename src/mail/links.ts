// Every link maillage puts in an email, built in one place so the pages behind them and the
// emails that carry them agree. Each is a signed token (src/mail/tokens.ts); the page it opens
// shows one button, and only the POST of that button acts.
import type { Config } from '../config.js';
import { createToken } from './tokens.js';

const DAY = 86_400;

/** How long each kind of link stays valid. An unsubscribe link must work for a long time. */
export const LINK_TTL_SECONDS = {
  answer: 30 * DAY,
  pause: 180 * DAY,
  unsubscribe: 730 * DAY,
  erase: 180 * DAY,
  profile: 180 * DAY,
  followup: 60 * DAY,
} as const;

export type Answer = 'accepted' | 'declined';
export type PauseOption = '1m' | '3m';

type LinkConfig = Pick<Config, 'secret' | 'publicUrl'>;

function link(config: LinkConfig, path: string, payload: Parameters<typeof createToken>[1], ttl: number): string {
  return `${config.publicUrl}${path}?t=${encodeURIComponent(createToken(config.secret, payload, ttl))}`;
}

export function answerUrl(config: LinkConfig, introductionId: number, personId: number, answer: Answer): string {
  return link(config, '/reponse', { k: 'answer', p: personId, i: introductionId, a: answer }, LINK_TTL_SECONDS.answer);
}

export function pauseUrl(config: LinkConfig, personId: number, option: PauseOption): string {
  return link(config, '/pause', { k: 'pause', p: personId, a: option }, LINK_TTL_SECONDS.pause);
}

/** Ends a pause early: the button in the "pause enregistrée" email. */
export function resumeUrl(config: LinkConfig, personId: number): string {
  return link(config, '/pause', { k: 'pause', p: personId, a: 'resume' }, LINK_TTL_SECONDS.pause);
}

export function unsubscribeUrl(config: LinkConfig, personId: number): string {
  return link(config, '/desinscription', { k: 'unsubscribe', p: personId }, LINK_TTL_SECONDS.unsubscribe);
}

export function eraseUrl(config: LinkConfig, personId: number): string {
  return link(config, '/effacer', { k: 'erase', p: personId }, LINK_TTL_SECONDS.erase);
}

export function profileUrl(config: LinkConfig, personId: number): string {
  return link(config, '/profil', { k: 'profile', p: personId }, LINK_TTL_SECONDS.profile);
}

export function followupUrl(config: LinkConfig, introductionId: number, personId: number, answer: 'met' | 'not-yet' | 'no'): string {
  return link(config, '/suite', { k: 'followup', p: personId, i: introductionId, a: answer }, LINK_TTL_SECONDS.followup);
}

/**
 * RFC 2369 + RFC 8058 headers: mail clients show an "unsubscribe" button that POSTs
 * "List-Unsubscribe=One-Click" to the https URL, with no cookie and no CSRF token.
 */
export function listUnsubscribeHeaders(config: LinkConfig & Pick<Config, 'replyTo'>, personId: number): Record<string, string> {
  return {
    'List-Unsubscribe': `<${unsubscribeUrl(config, personId)}>, <mailto:${config.replyTo}?subject=STOP>`,
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  };
}
