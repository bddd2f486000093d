// Registration with double opt-in: a submission creates (or updates) a pending person and
// sends a single-use confirmation link; only the POST behind that link activates anything.
import { randomBytes } from 'node:crypto';
import type { AppContext } from './context.js';
import { recordEvent } from './db/events.js';
import {
  clearPendingUpdate,
  confirmPerson,
  findNetworkBySlug,
  findPersonByEmail,
  getPerson,
  insertPerson,
  setPendingUpdate,
  updatePendingPerson,
  upsertProfile,
  type PersonRow,
  type ProfileInput,
} from './db/people.js';
import { enqueueSend, writeEmail } from './mail/outbox.js';
import { createToken, verifyToken, type TokenError } from './mail/tokens.js';
import { placeWords } from './geo/index.js';
import { analyse } from './match/text.js';
import { CATEGORY_SHORT_LABELS, isCategory, ROLE_YOU, type Role } from './vocabulary.js';
import { escapeHtml } from './web/html.js';

export interface RegistrationInput {
  name: string;
  email: string;
  role: Role;
  categories: string[];
  description: string;
  place: { postcode: string | null; commune: string; communeCode: string; departement: string; lat: number; lon: number };
  radiusKm: number | null;
  visibleToReferents: boolean;
  networkSlug: string | null;
}

export type RegistrationOutcome = 'created' | 'updated-pending' | 'update-requested';

export function profileFromInput(input: Pick<RegistrationInput, 'role' | 'categories' | 'description' | 'place' | 'radiusKm'>): ProfileInput {
  const analysed = analyse(input.description, { ignoreWords: placeWords(input.place.commune, input.place.departement) });
  return {
    role: input.role,
    categories: input.categories.filter(isCategory),
    description: input.description,
    postcode: input.place.postcode,
    commune: input.place.commune,
    communeCode: input.place.communeCode,
    departement: input.place.departement,
    lat: input.place.lat,
    lon: input.place.lon,
    radiusKm: input.radiusKm,
    terms: analysed.terms,
    termCounts: analysed.counts,
  };
}

export async function registerFromForm(ctx: AppContext, input: RegistrationInput): Promise<{ personId: number; outcome: RegistrationOutcome }> {
  const profile = profileFromInput(input);
  const nonce = randomBytes(12).toString('base64url');
  const result = await ctx.sql.begin(async (tx) => {
    const network = input.networkSlug ? await findNetworkBySlug(tx, input.networkSlug) : undefined;
    const existing = await tx<PersonRow[]>`select * from people where email = ${input.email} for update`;
    let person = existing[0];
    let outcome: RegistrationOutcome;
    if (!person) {
      person = await insertPerson(tx, {
        email: input.email,
        name: input.name,
        source: 'form',
        networkId: network?.id ?? null,
        consent: true,
        visibleToReferents: input.visibleToReferents,
        confirmNonce: nonce,
      });
      await upsertProfile(tx, person.id, profile);
      outcome = 'created';
    } else if (person.status === 'pending') {
      await updatePendingPerson(tx, person.id, {
        name: input.name,
        networkId: network?.id ?? null,
        consent: true,
        visibleToReferents: input.visibleToReferents,
        confirmNonce: nonce,
      });
      await upsertProfile(tx, person.id, profile);
      outcome = 'updated-pending';
    } else {
      // Someone else could type this address: an active profile changes only once its owner confirms.
      await setPendingUpdate(tx, person.id, { name: input.name, ...profile }, nonce);
      outcome = 'update-requested';
    }
    await recordEvent(tx, 'registration.submitted', person.id, { source: 'form', outcome, network: network?.slug ?? null });
    const mail = await writeEmail(tx, ctx, {
      key: `confirm:${person.id}:${nonce}`,
      personId: person.id,
      to: input.email,
      template: 'confirm-registration',
      vars: {
        name: input.name,
        confirmUrl: confirmationUrl(ctx, person.id, nonce),
        validDays: ctx.config.confirmLinkDays,
        ...profileSummary(input.name, profile),
        preview: 'Un clic pour confirmer votre inscription',
      },
    });
    return { personId: person.id, outcome, outboundId: mail.id };
  });
  // With Redis down the registration still succeeded: the email waits in the outbox for the sweep.
  if (!(await enqueueSend(ctx, result.outboundId))) ctx.log.warn({ outboundId: result.outboundId }, 'send job not queued: left to sweep-outbox');
  return { personId: result.personId, outcome: result.outcome };
}

export function confirmationUrl(ctx: Pick<AppContext, 'config'>, personId: number, nonce: string): string {
  const token = createToken(ctx.config.secret, { k: 'confirm', p: personId, n: nonce }, ctx.config.confirmLinkDays * 86_400);
  return `${ctx.config.publicUrl}/confirmer?t=${encodeURIComponent(token)}`;
}

/** What we understood, for the confirmation email: an HTML list and its text twin. */
export function profileSummary(name: string | null, p: ProfileInput): { summaryHtml: string; summaryText: string } {
  const lines: string[] = [];
  if (name) lines.push(`Nom : ${name}`);
  if (p.commune) lines.push(`Lieu : ${p.commune}${p.departement ? ` (${p.departement})` : ''}`);
  if (p.role) lines.push(ROLE_YOU[p.role]);
  if (p.categories.length > 0) lines.push(`Thèmes : ${p.categories.map((c) => (isCategory(c) ? CATEGORY_SHORT_LABELS[c] : c)).join(', ')}`);
  lines.push(`Distance : ${p.radiusKm === null ? 'partout en France' : `jusqu'à ${p.radiusKm} km`}`);
  const description = p.description.length > 600 ? `${p.description.slice(0, 600)}…` : p.description;
  return {
    summaryHtml:
      lines.map((l) => escapeHtml(l)).join('<br>') +
      `<br><br><em>« ${escapeHtml(description).replace(/\n/g, '<br>')} »</em>`,
    summaryText: [...lines.map((l) => `- ${l}`), '', `« ${description} »`].join('\n'),
  };
}

export type ConfirmationCheck =
  | { state: 'ready'; person: PersonRow; isUpdate: boolean }
  | { state: 'already-confirmed'; person: PersonRow }
  | { state: 'invalid'; error: TokenError | 'superseded' | 'unknown' };

/** For the GET page: says what a POST would do, and changes nothing. */
export async function checkConfirmation(ctx: AppContext, token: unknown): Promise<ConfirmationCheck> {
  const verified = verifyToken(ctx.config.secret, token, 'confirm');
  if (!verified.ok) return { state: 'invalid', error: verified.error };
  const person = await getPerson(ctx.sql, verified.payload.p);
  if (!person || person.status === 'erased') return { state: 'invalid', error: 'unknown' };
  if (person.confirm_nonce === verified.payload.n) return { state: 'ready', person, isUpdate: person.pending_update !== null };
  if (person.status === 'active' && person.pending_update === null) return { state: 'already-confirmed', person };
  return { state: 'invalid', error: 'superseded' };
}

export async function confirmRegistration(ctx: AppContext, token: unknown): Promise<ConfirmationCheck> {
  const check = await checkConfirmation(ctx, token);
  if (check.state !== 'ready') return check;
  const nonce = verifyToken(ctx.config.secret, token, 'confirm');
  if (!nonce.ok) return { state: 'invalid', error: nonce.error };
  const outcome = await ctx.sql.begin(async (tx) => {
    const wasActive = check.person.status === 'active';
    const person = await confirmPerson(tx, check.person.id, nonce.payload.n!);
    // Lost the race with a concurrent POST of the same link: that one did the work.
    if (!person) return null;
    if (person.pending_update) {
      const { name, ...profile } = person.pending_update as ProfileInput & { name: string | null };
      await upsertProfile(tx, person.id, profile);
      if (name) await tx`update people set name = ${name} where id = ${person.id}`;
      await clearPendingUpdate(tx, person.id);
      await recordEvent(tx, 'profile.updated', person.id, { source: 'form' });
    }
    let welcomeId: number | null = null;
    if (!wasActive) {
      await recordEvent(tx, 'registration.confirmed', person.id, { source: person.source });
      const mail = await writeEmail(tx, ctx, {
        key: `welcome:${person.id}`,
        personId: person.id,
        to: person.email!,
        template: 'welcome',
        vars: { name: person.name ?? '', preview: 'Votre inscription est confirmée' },
      });
      welcomeId = mail.created ? mail.id : null;
    }
    return { person, welcomeId };
  });
  if (!outcome) {
    const person = await getPerson(ctx.sql, check.person.id);
    return person ? { state: 'already-confirmed', person } : { state: 'invalid', error: 'unknown' };
  }
  if (outcome.welcomeId !== null) await enqueueSend(ctx, outcome.welcomeId);
  return { state: 'ready', person: outcome.person, isUpdate: check.isUpdate };
}
