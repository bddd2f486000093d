// The emails written after a proposal, and the footer every one of them carries: the links
// that keep a person in control (pause, profile, unsubscribe, erase), personal to them.
import type { Config } from '../config.js';
import { controlUrls, unsubscribeUrl } from '../mail/links.js';
import { escapeHtml } from '../web/html.js';

export const TEMPLATES = {
  meeting: 'meeting',
  reminder: 'reminder',
  followup: 'followup',
  notUnderstood: 'not-understood',
  answerReceived: 'answer-received',
  paused: 'paused',
  erased: 'erased',
} as const;

/** Sent to an address that no longer exists anywhere else; the send job deletes it once done. */
export const ERASURE_TEMPLATE = TEMPLATES.erased;

type LinkConfig = Pick<Config, 'secret' | 'publicUrl'>;

/** Footer for a message to one person: why they get it, and their control links. */
export function personalFooter(config: LinkConfig, personId: number): { footerHtml: string; footerText: string } {
  const controls = controlUrls(config, personId);
  const links: [string, string][] = [
    ['Pause d’un mois', controls.pause1m],
    ['Pause de trois mois', controls.pause3m],
    ['Modifier mon profil', controls.profile],
    ['Me désinscrire', unsubscribeUrl(config, personId)],
    ['Effacer toutes mes données', controls.erase],
  ];
  const why = 'Vous recevez ce message parce que vous vous êtes inscrit·e sur maillage, le service de mise en relation pour les projets collectifs écologiques.';
  return {
    footerHtml:
      `${escapeHtml(why)}<br>` +
      links.map(([label, url]) => `<a href="${escapeHtml(url)}">${escapeHtml(label)}</a>`).join(' · '),
    footerText: `—\n${why}\n${links.map(([label, url]) => `${label} : ${url}`).join('\n')}`,
  };
}

/** "le mardi 12 mars" in Paris time. */
// One formatter each, made once: toLocaleDateString builds a new Intl.DateTimeFormat on every
// call, which cost the answer pages more CPU than anything else of ours under load.
const DAY_MONTH = new Intl.DateTimeFormat('fr-FR', { weekday: 'long', day: 'numeric', month: 'long', timeZone: 'Europe/Paris' });
const FULL_DATE = new Intl.DateTimeFormat('fr-FR', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'Europe/Paris' });

export function frenchDate(date: Date): string {
  return DAY_MONTH.format(date);
}

/** "le 12 mars 2026", for dates further away. */
export function frenchFullDate(date: Date): string {
  return FULL_DATE.format(date);
}
