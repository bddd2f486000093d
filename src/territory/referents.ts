// Référent·es: added by the operator, active once they confirm by the link we email them (GET
// shows, POST confirms, single-use nonce), and free to leave with the link in every digest.
import { randomBytes } from 'node:crypto';
import type { AppContext } from '../context.js';
import { recordEvent } from '../db/events.js';
import {
  confirmReferent,
  getReferent,
  unsubscribeReferent,
  upsertReferent,
  type ReferentRow,
} from '../db/referents.js';
import { loadGazetteer } from '../geo/index.js';
import { enqueueSend, writeEmail } from '../mail/outbox.js';
import { displayName } from '../round/proposal.js';
import { createToken, verifyToken, type TokenError } from '../mail/tokens.js';
import { escapeHtml } from '../web/html.js';
import { parseTerritory, territoryLabel, type TerritoryInput } from './territory.js';

const DAY = 86_400;
export const REFERENT_UNSUBSCRIBE_TTL = 730 * DAY;
const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:"]{2,}$/;

type LinkCtx = Pick<AppContext, 'config'>;

export function referentConfirmUrl(ctx: LinkCtx, referentId: number, nonce: string): string {
  const token = createToken(ctx.config.secret, { k: 'referent-confirm', p: referentId, n: nonce }, ctx.config.confirmLinkDays * DAY);
  return `${ctx.config.publicUrl}/referent/confirmer?t=${encodeURIComponent(token)}`;
}

export function referentUnsubscribeUrl(ctx: LinkCtx, referentId: number): string {
  const token = createToken(ctx.config.secret, { k: 'referent-unsubscribe', p: referentId }, REFERENT_UNSUBSCRIBE_TTL);
  return `${ctx.config.publicUrl}/referent/desinscription?t=${encodeURIComponent(token)}`;
}

/** RFC 2369 + RFC 8058: the mail client's own "unsubscribe" button stops the digest. */
export function referentListUnsubscribeHeaders(ctx: LinkCtx, referentId: number): Record<string, string> {
  return {
    'List-Unsubscribe': `<${referentUnsubscribeUrl(ctx, referentId)}>`,
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  };
}

export function referentFooter(ctx: LinkCtx, referentId: number): { footerHtml: string; footerText: string } {
  const url = referentUnsubscribeUrl(ctx, referentId);
  const why = 'Vous recevez ce message parce que l’équipe de maillage vous a proposé d’être référent·e local·e.';
  return {
    footerHtml: `${escapeHtml(why)}<br><a href="${escapeHtml(url)}">Ne plus recevoir le récapitulatif</a>`,
    footerText: `—\n${why}\nNe plus recevoir le récapitulatif : ${url}`,
  };
}

export class ReferentInputError extends Error {
  constructor(readonly errors: string[]) {
    super(errors.join('\n'));
  }
}

export interface AddReferentInput extends TerritoryInput {
  email: string;
  name: string;
}

export type AddReferentResult = {
  referent: ReferentRow;
  created: boolean;
  /** false when the référent was already active: their territory changed, nothing to confirm. */
  confirmationSent: boolean;
  territory: string;
};

/**
 * Adds (or updates) a référent and emails them a confirmation link. Bad input (address, empty or
 * unknown territory) throws ReferentInputError with one French sentence per problem.
 */
export async function addReferent(ctx: AppContext, input: AddReferentInput): Promise<AddReferentResult> {
  const errors: string[] = [];
  const email = input.email.trim().toLowerCase();
  const name = input.name.replace(/\s+/g, ' ').trim();
  if (!EMAIL.test(email) || email.length > 254) errors.push(`Adresse e-mail invalide : « ${input.email} ».`);
  if (!name) errors.push('Indiquez le nom du ou de la référent·e (--name "Camille Martin").');
  else if (name.length > 120 || /[<>{}\\]/.test(name)) errors.push('Le nom est trop long ou contient des caractères < > { } \\.');
  const gaz = loadGazetteer();
  const parsed = parseTerritory(input, gaz);
  if (!parsed.ok) errors.push(...parsed.errors);
  if (errors.length > 0 || !parsed.ok) throw new ReferentInputError(errors);
  const t = parsed.territory;
  const label = territoryLabel(t, gaz);
  const nonce = randomBytes(12).toString('base64url');

  const result = await ctx.sql.begin(async (tx) => {
    const { referent, created } = await upsertReferent(tx, {
      email, name, departements: t.departements, communeCodes: t.communeCodes, epciCodes: t.epciCodes, confirmNonce: nonce,
    });
    await recordEvent(tx, 'referent.added', null, { referentId: referent.id, created });
    if (referent.status === 'active') return { referent, created, outboundId: null };
    const mail = await writeEmail(tx, ctx, {
      key: `referent-confirm:${referent.id}:${nonce}`,
      personId: null,
      to: email,
      template: 'referent-confirm',
      vars: {
        preview: 'Un clic pour recevoir chaque semaine le récapitulatif de votre territoire',
        name: displayName(name) ?? name,
        territory: label,
        confirmUrl: referentConfirmUrl(ctx, referent.id, nonce),
        validDays: ctx.config.confirmLinkDays,
        ...referentFooter(ctx, referent.id),
      },
      extraHeaders: referentListUnsubscribeHeaders(ctx, referent.id),
    });
    return { referent, created, outboundId: mail.id };
  });
  if (result.outboundId !== null) await enqueueSend(ctx, result.outboundId);
  return { referent: result.referent, created: result.created, confirmationSent: result.outboundId !== null, territory: label };
}

export type ReferentLinkCheck =
  | { state: 'ready'; referent: ReferentRow }
  | { state: 'already-confirmed'; referent: ReferentRow }
  | { state: 'invalid'; error: TokenError | 'superseded' | 'unknown' };

/** For the GET page: says what the POST would do, changes nothing. */
export async function checkReferentConfirmation(ctx: AppContext, token: unknown): Promise<ReferentLinkCheck> {
  const verified = verifyToken(ctx.config.secret, token, 'referent-confirm');
  if (!verified.ok) return { state: 'invalid', error: verified.error };
  const referent = await getReferent(ctx.sql, verified.payload.p);
  if (!referent) return { state: 'invalid', error: 'unknown' };
  if (referent.status === 'pending' && referent.confirm_nonce === verified.payload.n) return { state: 'ready', referent };
  if (referent.status === 'active') return { state: 'already-confirmed', referent };
  return { state: 'invalid', error: 'superseded' };
}

export async function confirmReferentLink(ctx: AppContext, token: unknown): Promise<ReferentLinkCheck> {
  const check = await checkReferentConfirmation(ctx, token);
  if (check.state !== 'ready') return check;
  const verified = verifyToken(ctx.config.secret, token, 'referent-confirm');
  if (!verified.ok) return { state: 'invalid', error: verified.error };
  const confirmed = await ctx.sql.begin(async (tx) => {
    const row = await confirmReferent(tx, check.referent.id, verified.payload.n!);
    if (row) await recordEvent(tx, 'referent.confirmed', null, { referentId: row.id });
    return row;
  });
  if (!confirmed) {
    // A concurrent POST of the same link did it.
    const now = await getReferent(ctx.sql, check.referent.id);
    return now ? { state: 'already-confirmed', referent: now } : { state: 'invalid', error: 'unknown' };
  }
  return { state: 'ready', referent: confirmed };
}

export type ReferentUnsubscribeCheck =
  | { state: 'ready' | 'already'; referent: ReferentRow }
  | { state: 'invalid'; error: TokenError | 'unknown' };

export async function checkReferentUnsubscribe(ctx: AppContext, token: unknown): Promise<ReferentUnsubscribeCheck> {
  const verified = verifyToken(ctx.config.secret, token, 'referent-unsubscribe');
  if (!verified.ok) return { state: 'invalid', error: verified.error };
  const referent = await getReferent(ctx.sql, verified.payload.p);
  if (!referent) return { state: 'invalid', error: 'unknown' };
  return { state: referent.status === 'unsubscribed' ? 'already' : 'ready', referent };
}

export async function unsubscribeReferentLink(ctx: AppContext, token: unknown): Promise<ReferentUnsubscribeCheck> {
  const check = await checkReferentUnsubscribe(ctx, token);
  if (check.state !== 'ready') return check;
  await ctx.sql.begin(async (tx) => {
    if (await unsubscribeReferent(tx, check.referent.id)) await recordEvent(tx, 'referent.unsubscribed', null, { referentId: check.referent.id });
  });
  return check;
}
