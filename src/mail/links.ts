// Every link maillage puts in an email, built in one place so the pages behind them and the
// emails that carry them agree. Each is a signed token (src/mail/tokens.ts); the page it opens
// shows one button, and only the POST of that button acts.
import type { Config } from '../config.js';
import { createToken, signTogether } from './tokens.js';

const DAY = 86_400;
// Pause, profile and erase links are signed together (one HMAC, src/mail/tokens.ts): one expiry.
const CONTROLS_TTL = 180 * DAY;

/** How long each kind of link stays valid. An unsubscribe link must work for a long time. */
export const LINK_TTL_SECONDS = {
  answer: 30 * DAY,
  pause: CONTROLS_TTL,
  unsubscribe: 730 * DAY,
  erase: CONTROLS_TTL,
  profile: CONTROLS_TTL,
  // Signed alone (the controls group is full), with the profile link's lifetime: the page it
  // opens points to the profile page to change one's mind.
  visible: CONTROLS_TTL,
  followup: 60 * DAY,
} as const;

export type Answer = 'accepted' | 'declined';
export type PauseOption = '1m' | '3m';

type LinkConfig = Pick<Config, 'secret' | 'publicUrl'>;

// Tokens are URL-safe as they are (src/mail/tokens.ts): no encodeURIComponent needed.
function link(config: LinkConfig, path: string, payload: Parameters<typeof createToken>[1], ttl: number): string {
  return `${config.publicUrl}${path}?t=${createToken(config.secret, payload, ttl)}`;
}

/** The token of one of these links: for a page's button, or a link relative to the page's own host. */
export function tokenOf(url: string): string {
  return new URL(url).searchParams.get('t')!;
}

/** Both answer links of one proposal, signed by one HMAC. */
export function answerUrls(config: LinkConfig, introductionId: number, personId: number): Record<Answer, string> {
  const t = signTogether(config.secret, 'answer', { p: personId, i: introductionId }, LINK_TTL_SECONDS.answer);
  return { accepted: `${config.publicUrl}/reponse?t=${t['answer:accepted']}`, declined: `${config.publicUrl}/reponse?t=${t['answer:declined']}` };
}

export function answerUrl(config: LinkConfig, introductionId: number, personId: number, answer: Answer): string {
  return link(config, '/reponse', { k: 'answer', p: personId, i: introductionId, a: answer }, LINK_TTL_SECONDS.answer);
}

/** The pause (1 and 3 months), profile and erase links of one person, signed by one HMAC. */
export function controlUrls(config: LinkConfig, personId: number): { pause1m: string; pause3m: string; profile: string; erase: string } {
  const t = signTogether(config.secret, 'controls', { p: personId }, CONTROLS_TTL);
  const base = config.publicUrl;
  return {
    pause1m: `${base}/pause?t=${t['pause:1m']}`,
    pause3m: `${base}/pause?t=${t['pause:3m']}`,
    profile: `${base}/profil?t=${t['profile:']}`,
    erase: `${base}/effacer?t=${t['erase:']}`,
  };
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

/** "Let the référent·es of my territory see me": the invitation sent to people the form never asked. */
export function visibleUrl(config: LinkConfig, personId: number): string {
  return link(config, '/visible', { k: 'visible', p: personId }, LINK_TTL_SECONDS.visible);
}

export function followupUrl(config: LinkConfig, introductionId: number, personId: number, answer: 'met' | 'not-yet' | 'no'): string {
  return link(config, '/suite', { k: 'followup', p: personId, i: introductionId, a: answer }, LINK_TTL_SECONDS.followup);
}

/**
 * RFC 2369 + RFC 8058 headers: mail clients show an "unsubscribe" button that POSTs
 * "List-Unsubscribe=One-Click" to the https URL, with no cookie and no CSRF token.
 */
export function listUnsubscribeHeaders(
  config: LinkConfig & Pick<Config, 'replyTo'>,
  personId: number,
  /** The body's unsubscribe link, when the email has one: the header reuses it. */
  url = unsubscribeUrl(config, personId),
): Record<string, string> {
  return {
    'List-Unsubscribe': `<${url}>, <mailto:${config.replyTo}?subject=STOP>`,
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  };
}
