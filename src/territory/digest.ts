// The référent's weekly digest, as text and HTML: pure, from facts gathered by digest-run.ts.
//
// What a référent sees of a person is what that person agreed to (visible_to_referents, asked on
// the registration form: "mon prénom, ma commune et mon projet"): first name, commune, role,
// themes and their own words, shortened, with any address or phone number masked. Nothing else:
// no address, no surname, not even the network they came through. People who did not agree are only
// counted ("et 2 autres personnes"), which names nobody.
import { displayName, maskContactDetails, shortenText } from '../round/proposal.js';
import { UNMATCHED_LABELS, type UnmatchedReason } from '../match/index.js';
import { CATEGORY_SHORT_LABELS, isCategory, isRole, ROLE_LABELS } from '../vocabulary.js';
import { html, type SafeHtml } from '../web/html.js';

export interface DigestPerson {
  /** The person's id, recorded with the stored digest so an erasure can find it (never shown). */
  id?: number;
  name: string | null;
  commune: string | null;
  departement: string | null;
  role: string | null;
  categories: readonly string[];
  description: string;
  /** For the unmatched: the reason code of the last round that found nobody. */
  reason?: string | null;
}

export interface DigestFacts {
  referentName: string;
  territory: string;
  /** The week covered: [from, to). */
  from: Date;
  to: Date;
  /** New people in the territory this week who agreed to be shown, and how many there were in all. */
  newPeople: DigestPerson[];
  newTotal: number;
  /** Introductions proposed this week with at least one side in the territory. */
  introductions: number;
  /** Introductions both sides accepted this week, with at least one side in the territory. */
  meetings: number;
  /** People without any proposal in each of the last three rounds (visible ones, and all). */
  unmatched: DigestPerson[];
  unmatchedTotal: number;
  /** Rounds done so far (fewer than three: the "still unmatched" section waits). */
  roundsDone: number;
}

export interface Digest {
  /** Nothing happened and nobody waits: no email is sent (see digest-run.ts). */
  empty: boolean;
  subject: string;
  html: string;
  text: string;
  counts: { newTotal: number; newShown: number; introductions: number; meetings: number; unmatchedTotal: number; unmatchedShown: number };
  /** The ids of the people the email names (listed with their details), each once. */
  personIds: number[];
}

/** Listed in full up to this many; beyond, the rest is counted (an email is not a database). */
export const DIGEST_MAX_LISTED = 30;

const dateFmt = new Intl.DateTimeFormat('fr-FR', { day: 'numeric', month: 'long', timeZone: 'Europe/Paris' });

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function whoLine(p: DigestPerson): string {
  const name = displayName(p.name) ?? 'Une personne';
  const place = p.commune ? `${p.commune}${p.departement ? ` (${p.departement})` : ''}` : null;
  return place ? `${name}, à ${place}` : name;
}

function detailLine(p: DigestPerson): string | null {
  const parts: string[] = [];
  if (p.role && isRole(p.role)) parts.push(ROLE_LABELS[p.role]);
  const themes = p.categories.filter(isCategory).map((c) => CATEGORY_SHORT_LABELS[c]);
  if (themes.length > 0) parts.push(themes.join(', '));
  if (parts.length === 0) return null;
  const line = parts.join(' · ');
  return line.charAt(0).toUpperCase() + line.slice(1);
}

function words(p: DigestPerson): string {
  return shortenText(maskContactDetails(p.description ?? ''), 500);
}

function reasonLabel(p: DigestPerson): string | null {
  const r = p.reason as UnmatchedReason | null | undefined;
  return r && r in UNMATCHED_LABELS ? UNMATCHED_LABELS[r] : null;
}

function personHtml(p: DigestPerson, withReason: boolean): SafeHtml {
  const detail = detailLine(p);
  const text = words(p);
  const reason = withReason ? reasonLabel(p) : null;
  return html`<li style="margin:0 0 14px"><strong>${whoLine(p)}</strong>${detail ? html`<br><span style="color:#5b6b61">${detail}</span>` : ''}${
    text ? html`<br><em>« ${text.split('\n').map((line, k) => (k === 0 ? line : html`<br>${line}`))} »</em>` : ''
  }${reason ? html`<br><span style="color:#5b6b61">Pourquoi : ${reason}</span>` : ''}</li>`;
}

/**
 * One new person as the digest lists them (an <li>): what the /visible page shows a person before
 * they agree, so that what they see is what the référent·es will read.
 */
export function digestEntryHtml(p: DigestPerson): SafeHtml {
  return personHtml(p, false);
}

function personText(p: DigestPerson, withReason: boolean): string {
  const lines = [`- ${whoLine(p)}`];
  const detail = detailLine(p);
  if (detail) lines.push(`  ${detail}`);
  const text = words(p);
  if (text) lines.push(`  « ${text.replace(/\n+/g, ' ')} »`);
  const reason = withReason ? reasonLabel(p) : null;
  if (reason) lines.push(`  Pourquoi : ${reason}`);
  return lines.join('\n');
}

function othersSentence(total: number, shown: number, listed: number): string | null {
  const hidden = total - shown;
  const cut = shown - listed;
  const parts: string[] = [];
  if (cut > 0) parts.push(`${plural(cut, 'autre personne', 'autres personnes')} que la place manque pour présenter ici`);
  if (hidden > 0) {
    parts.push(
      `${plural(hidden, 'personne', 'personnes')} qui ${hidden === 1 ? 'n’a' : 'n’ont'} pas souhaité apparaître dans ce récapitulatif`,
    );
  }
  return parts.length > 0 ? `Et aussi : ${parts.join(', et ')}.` : null;
}

const HELP_SENTENCE =
  'Vous aimeriez aider l’une de ces personnes à trouver du monde ? Répondez simplement à cet e-mail : l’équipe de maillage fera le lien, avec son accord. Nous ne transmettons jamais d’adresse sans que la personne l’ait accepté.';

export function buildDigest(f: DigestFacts): Digest {
  const listedNew = f.newPeople.slice(0, DIGEST_MAX_LISTED);
  const listedUnmatched = f.unmatched.slice(0, DIGEST_MAX_LISTED);
  const counts = {
    newTotal: f.newTotal,
    newShown: f.newPeople.length,
    introductions: f.introductions,
    meetings: f.meetings,
    unmatchedTotal: f.unmatchedTotal,
    unmatchedShown: f.unmatched.length,
  };
  const empty = f.newTotal === 0 && f.introductions === 0 && f.meetings === 0 && f.unmatchedTotal === 0;

  const headline: string[] = [];
  if (f.newTotal > 0) headline.push(plural(f.newTotal, 'nouvelle personne', 'nouvelles personnes'));
  if (f.introductions > 0) headline.push(plural(f.introductions, 'rencontre proposée', 'rencontres proposées'));
  if (f.meetings > 0) headline.push(plural(f.meetings, 'mise en relation', 'mises en relation'));
  if (f.unmatchedTotal > 0) headline.push(plural(f.unmatchedTotal, 'personne en attente', 'personnes en attente'));
  const subject = `Votre territoire cette semaine : ${headline.join(', ') || 'rien de neuf'}`;
  const period = `du ${dateFmt.format(f.from)} au ${dateFmt.format(new Date(f.to.getTime() - 1))}`;

  const activity = [
    `${plural(f.introductions, 'rencontre a été proposée', 'rencontres ont été proposées')} à des personnes de votre territoire`,
    `${plural(f.meetings, 'mise en relation a abouti', 'mises en relation ont abouti')} (les deux personnes ont dit oui)`,
  ];

  const newOthers = othersSentence(f.newTotal, f.newPeople.length, listedNew.length);
  const unmatchedOthers = othersSentence(f.unmatchedTotal, f.unmatched.length, listedUnmatched.length);
  const waitingIntro = f.roundsDone < 3
    ? null
    : f.unmatchedTotal === 0
      ? 'Personne n’attend depuis trois semaines sans proposition : bravo à votre territoire !'
      : 'Ces personnes n’ont reçu aucune proposition lors des trois derniers tours. Un coup de pouce local (un lieu, un contact, une réunion publique) peut tout changer.';

  const h2 = 'font-size:17px;color:#1d4a2a;margin:22px 0 8px';
  const bodyHtml = html`
<p style="margin:0 0 8px">Voici ce qui s’est passé ${period} sur votre territoire : <strong>${f.territory}</strong>.</p>
<h2 style="${h2}">Nouvelles inscriptions (${f.newTotal})</h2>
${f.newTotal === 0 ? html`<p>Aucune nouvelle inscription cette semaine.</p>` : ''}
${listedNew.length > 0 ? html`<ul style="padding-left:18px;margin:0">${listedNew.map((p) => personHtml(p, false))}</ul>` : ''}
${newOthers ? html`<p>${newOthers}</p>` : ''}
<h2 style="${h2}">Rencontres</h2>
<ul style="padding-left:18px;margin:0">${activity.map((a) => html`<li>${a}</li>`)}</ul>
${waitingIntro ? html`<h2 style="${h2}">Toujours sans proposition après trois tours (${f.unmatchedTotal})</h2><p>${waitingIntro}</p>` : ''}
${waitingIntro && listedUnmatched.length > 0 ? html`<ul style="padding-left:18px;margin:0">${listedUnmatched.map((p) => personHtml(p, true))}</ul>` : ''}
${waitingIntro && unmatchedOthers ? html`<p>${unmatchedOthers}</p>` : ''}
${listedNew.length > 0 || (waitingIntro && listedUnmatched.length > 0) ? html`<p style="margin-top:22px">${HELP_SENTENCE}</p>` : ''}`.value;

  const text: string[] = [`Voici ce qui s’est passé ${period} sur votre territoire : ${f.territory}.`, '', `NOUVELLES INSCRIPTIONS (${f.newTotal})`, ''];
  if (f.newTotal === 0) text.push('Aucune nouvelle inscription cette semaine.', '');
  for (const p of listedNew) text.push(personText(p, false), '');
  if (newOthers) text.push(newOthers, '');
  text.push('RENCONTRES', '', ...activity.map((a) => `- ${a}`), '');
  if (waitingIntro) {
    text.push(`TOUJOURS SANS PROPOSITION APRÈS TROIS TOURS (${f.unmatchedTotal})`, '', waitingIntro, '');
    for (const p of listedUnmatched) text.push(personText(p, true), '');
    if (unmatchedOthers) text.push(unmatchedOthers, '');
  }
  if (listedNew.length > 0 || (waitingIntro && listedUnmatched.length > 0)) text.push(HELP_SENTENCE);

  const named = [...listedNew, ...(waitingIntro ? listedUnmatched : [])];
  const personIds = [...new Set(named.flatMap((p) => (p.id === undefined ? [] : [p.id])))];
  return { empty, subject, html: bodyHtml, text: text.join('\n').trimEnd(), counts, personIds };
}
