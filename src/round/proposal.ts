// The proposal email: "this week, we suggest you meet Paul, in Saillans (14 km)". One per person
// and introduction, written to the outbox by the send-proposal job. It shows who the other
// person is (first name, commune, role, themes, their own words, shortened and escaped) and why
// we matched them, never how to reach them: addresses are exchanged only when both accept.
import type { AppContext } from '../context.js';
import type { Config } from '../config.js';
import { recordEvent } from '../db/events.js';
import { answerUrls, controlUrls, listUnsubscribeHeaders, unsubscribeUrl } from '../mail/links.js';
import { enqueueSend, writeEmail, type EmailRequest } from '../mail/outbox.js';
import { replyAddress } from '../mail/reply-tag.js';
import type { TemplateVars } from '../mail/templates.js';
import { CATEGORY_LABELS, isCategory, isRole, ROLE_LABELS } from '../vocabulary.js';
import { html } from '../web/html.js';

export interface ProposalFacts {
  introductionId: number;
  recipient: { id: number; name: string | null };
  other: {
    name: string | null;
    commune: string | null;
    departement: string | null;
    role: string | null;
    categories: readonly string[];
    description: string | null;
  };
  distanceKm: number | null;
  explanation: string;
  /** Days the proposal stays open. */
  validDays: number;
}

const ORGANISATION_START =
  /^(association|asso|collectif|coop[ée]rative|coop|scop|scic|sarl|sas|gaec|earl|ferme|atelier|compagnie|cie|fablab|tiers-lieu|r[ée]seau|maison|f[ée]d[ée]ration|mairie|commune|amap|les|la|le|l'|l’)\b/i;
const CIVILITY = /^(m\.?|mr\.?|mme\.?|mlle\.?|dr\.?|monsieur|madame)$/i;

/**
 * How we name someone in a proposal: their first name ("Marie Dupont" → "Marie"), so the other
 * person cannot look them up before both agree; an organisation keeps its full name, since it
 * is not a private person. Null when there is nothing usable.
 */
export function displayName(name: string | null | undefined): string | null {
  const clean = (name ?? '').replace(/[\u0000-\u001f\u007f<>"]+/g, ' ').replace(/\s+/g, ' ').trim();
  if (!clean || /@/.test(clean)) return null;
  if (ORGANISATION_START.test(clean)) return clean.length > 60 ? `${clean.slice(0, 59).trimEnd()}…` : clean;
  const words = clean.split(' ');
  if (CIVILITY.test(words[0]!)) return clean.length > 40 ? clean.slice(0, 40).trimEnd() : clean;
  let first = words[0]!.slice(0, 30);
  // "marie" or "MARIE" (typed in a hurry) reads better as "Marie"; "Anne-Sophie" stays.
  if (first === first.toLowerCase() || first === first.toUpperCase()) {
    first = first.toLowerCase().replace(/(^|[-'’])(\p{L})/gu, (_, sep: string, letter: string) => sep + letter.toUpperCase());
  }
  return first;
}

const EMAIL = /[^\s<>()"'«»,;:]+@[^\s<>()"'«»,;:]+\.[a-z]{2,}/giu;
// French numbers: 06 12 34 56 78, 06.12.34.56.78, +33 6 12 34 56 78, 0612345678.
const PHONE = /(?:\+33\s?|0033\s?|\b0)[1-9](?:[\s.-]?\d{2}){4}\b/g;

/**
 * The other person's words, as they wrote them, but without their email address or phone
 * number: contact details are exchanged only when both accept, and a proposal is sometimes
 * forwarded or declined.
 */
export function maskContactDetails(text: string): string {
  // Most descriptions have neither: skip the regular expressions (they run per email sent).
  const withoutEmails = text.includes('@') ? text.replace(EMAIL, '[adresse masquée]') : text;
  return /\d{2}/.test(withoutEmails) ? withoutEmails.replace(PHONE, '[téléphone masqué]') : withoutEmails;
}

/**
 * Shortens a text to about `max` characters at a sentence end when one falls in the second half,
 * else at a word boundary, and marks the cut with "…". Paragraph breaks are kept (at most one
 * blank line); never cuts a character in two.
 */
export function shortenText(text: string, max = 600): string {
  // Fast path, the common case: short, already tidy text.
  if (text.length <= max && !/\r|\t| {2}|\n{3}| \n|\n |^\s|\s$/.test(text)) return text;
  const normalised = text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.replace(/[\t ]+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  const chars = Array.from(normalised);
  if (chars.length <= max) return normalised;
  const head = chars.slice(0, max).join('');
  let sentenceEnd = -1;
  for (const m of head.matchAll(/[.!?…](?=[\s»"')]|$)/g)) sentenceEnd = m.index! + 1;
  if (sentenceEnd >= head.length * 0.5) return `${head.slice(0, sentenceEnd).trimEnd()} …`;
  const space = head.search(/\s\S*$/);
  const cut = space >= head.length * 0.5 ? head.slice(0, space) : head;
  return `${cut.replace(/[\s,;:(«\-–—]+$/u, '')}…`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function formatKm(distanceKm: number): string {
  if (distanceKm < 1) return "moins d'1 km";
  return `${Math.round(distanceKm)} km`;
}

export function placeOf(commune: string | null, departement: string | null): string | null {
  const c = commune?.trim();
  if (!c) return null;
  return departement?.trim() ? `${c} (${departement.trim()})` : c;
}

export interface ProposalLinks {
  accept: string;
  decline: string;
  pause1m: string;
  pause3m: string;
  profile: string;
  unsubscribe: string;
  erase: string;
  /** RFC 2369 / 8058 headers, with the same unsubscribe link as the body. */
  listUnsubscribeHeaders: Record<string, string>;
}

export function proposalLinks(config: Pick<Config, 'secret' | 'publicUrl' | 'replyTo'>, introductionId: number, personId: number): ProposalLinks {
  // Three HMACs for seven links: accept/decline together, pause/profile/erase together
  // (src/mail/tokens.ts), and the unsubscribe link, shared by the body and the header.
  const answers = answerUrls(config, introductionId, personId);
  const controls = controlUrls(config, personId);
  const unsubscribe = unsubscribeUrl(config, personId);
  return {
    accept: answers.accepted,
    decline: answers.declined,
    ...controls,
    unsubscribe,
    listUnsubscribeHeaders: listUnsubscribeHeaders(config, personId, unsubscribe),
  };
}

/** Template variables of templates/proposal.{mjml,txt}. Pure: the render benchmark calls it too. */
export function proposalVars(facts: ProposalFacts, links: ProposalLinks): TemplateVars {
  const recipientName = displayName(facts.recipient.name);
  const otherName = displayName(facts.other.name) ?? 'une personne inscrite';
  const place = placeOf(facts.other.commune, facts.other.departement);
  const km = facts.distanceKm !== null && Number.isFinite(facts.distanceKm) ? formatKm(facts.distanceKm) : null;
  // Subject and first line: "Paul, à Saillans (14 km)".
  const where = facts.other.commune?.trim()
    ? `, à ${facts.other.commune.trim()}${km ? ` (${km})` : ''}`
    : km
      ? ` (${km})`
      : '';
  const role = facts.other.role && isRole(facts.other.role) ? capitalise(`${otherName} ${ROLE_LABELS[facts.other.role]}.`) : null;
  const themes = facts.other.categories.filter(isCategory).map((c) => CATEGORY_LABELS[c]);
  const description = shortenText(maskContactDetails(facts.other.description ?? ''));
  const distanceLine = km ? `À ${km} de chez vous.` : place ? null : 'La distance ne compte pas pour vous deux.';

  const cardHtml = html`<strong>${otherName}</strong>${place ? html` · ${place}` : ''}${distanceLine ? html`<br>${distanceLine}` : ''}${
    role ? html`<br>${role}` : ''
  }${themes.length > 0 ? html`<br>Thèmes : ${themes.join(', ')}` : ''}${
    description ? html`<br><br><em>« ${description.split('\n').map((line, k) => (k === 0 ? line : html`<br>${line}`))} »</em>` : ''
  }`.value;
  const cardText = [
    `${otherName}${place ? ` · ${place}` : ''}`,
    distanceLine,
    role,
    themes.length > 0 ? `Thèmes : ${themes.join(', ')}` : null,
    description ? `\n« ${description} »` : null,
  ]
    .filter((line): line is string => line !== null)
    .join('\n');

  return {
    greeting: recipientName ? `Bonjour ${recipientName},` : 'Bonjour,',
    otherName,
    otherWhere: where,
    explanation: facts.explanation || 'Vos descriptions se ressemblent.',
    cardHtml,
    cardText,
    validDays: facts.validDays,
    acceptUrl: links.accept,
    declineUrl: links.decline,
    pause1mUrl: links.pause1m,
    pause3mUrl: links.pause3m,
    profileUrl: links.profile,
    unsubscribeUrl: links.unsubscribe,
    eraseUrl: links.erase,
    preview: `${otherName}${where} : ${facts.explanation}`.slice(0, 140),
  };
}

/** The outbox request of one proposal: links, variables, Reply-To, List-Unsubscribe. Pure: bench/render.ts times it. */
export function proposalEmail(config: Pick<Config, 'secret' | 'publicUrl' | 'replyTo'>, to: string, facts: ProposalFacts): EmailRequest {
  const { introductionId, recipient } = facts;
  const links = proposalLinks(config, introductionId, recipient.id);
  return {
    key: `proposal:${introductionId}:${recipient.id}`,
    personId: recipient.id,
    to,
    template: 'proposal',
    vars: proposalVars(facts, links),
    replyTo: replyAddress(config, introductionId, recipient.id),
    extraHeaders: links.listUnsubscribeHeaders,
  };
}

export type ProposalOutcome =
  | { status: 'written'; outboundId: number; created: boolean }
  | { status: 'skipped'; reason: 'unknown-introduction' | 'not-a-party' | 'closed' | 'recipient-unavailable' | 'other-unavailable' };

interface ProposalRow {
  id: number;
  status: string;
  person_a: number;
  person_b: number;
  distance_km: number | null;
  explanation: string;
  r_email: string | null;
  r_name: string | null;
  r_status: string;
  r_bounced: boolean;
  o_name: string | null;
  o_status: string;
  o_commune: string | null;
  o_departement: string | null;
  o_role: string | null;
  o_categories: string[] | null;
  o_description: string | null;
}

/**
 * Writes one proposal into the outbox (key `proposal:<introduction>:<person>`, so a retry writes
 * nothing twice) unless the introduction closed or either person left in the meantime.
 */
export async function writeProposal(ctx: AppContext, introductionId: number, personId: number): Promise<ProposalOutcome> {
  const rows = await ctx.sql<ProposalRow[]>`
    select i.id, i.status, i.person_a, i.person_b, i.distance_km, i.explanation,
           r.email::text as r_email, r.name as r_name, r.status as r_status, (r.bounced_at is not null) as r_bounced,
           o.name as o_name, o.status as o_status,
           f.commune as o_commune, f.departement as o_departement, f.role as o_role,
           f.categories as o_categories, f.description as o_description
    from introductions i
    left join people r on r.id = ${personId} and r.id in (i.person_a, i.person_b)
    left join people o on o.id = case when i.person_a = ${personId} then i.person_b else i.person_a end
    left join profiles f on f.person_id = o.id
    where i.id = ${introductionId}`;
  const row = rows[0];
  if (!row) return { status: 'skipped', reason: 'unknown-introduction' };
  if (row.person_a !== personId && row.person_b !== personId) return { status: 'skipped', reason: 'not-a-party' };
  if (row.status !== 'proposed') return { status: 'skipped', reason: 'closed' };
  if (row.r_status !== 'active' || row.r_bounced || !row.r_email) return { status: 'skipped', reason: 'recipient-unavailable' };
  if (row.o_status !== 'active') return { status: 'skipped', reason: 'other-unavailable' };

  const request = proposalEmail(ctx.config, row.r_email, {
    introductionId,
    recipient: { id: personId, name: row.r_name },
    other: {
      name: row.o_name,
      commune: row.o_commune,
      departement: row.o_departement,
      role: row.o_role,
      categories: row.o_categories ?? [],
      description: row.o_description,
    },
    distanceKm: row.distance_km,
    explanation: row.explanation,
    validDays: ctx.config.proposalExpiryDays ?? 7,
  });
  const written = await ctx.sql.begin(async (tx) => {
    const mail = await writeEmail(tx, ctx, request);
    if (mail.created) await recordEvent(tx, 'introduction.proposal_written', personId, { introductionId });
    return mail;
  });
  return { status: 'written', outboundId: written.id, created: written.created };
}

/** The send-proposal job's work: write, then hand to the send job. */
export async function sendProposal(ctx: AppContext, introductionId: number, personId: number): Promise<ProposalOutcome> {
  const outcome = await writeProposal(ctx, introductionId, personId);
  if (outcome.status === 'written') await enqueueSend(ctx, outcome.outboundId);
  return outcome;
}
