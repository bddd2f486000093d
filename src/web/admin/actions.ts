// What the operator can do to a person from the console. Each is one transaction, answers with a
// short code the page turns into a sentence, and handles an erased person plainly.
import { randomBytes } from 'node:crypto';
import type { AppContext } from '../../context.js';
import { recordEvent } from '../../db/events.js';
import { getPerson, getProfile, type ProfileInput, type ProfileRow } from '../../db/people.js';
import { eraseAndConfirm, pauseAndConfirm, pauseEnd, resume, type PauseOption } from '../../introductions/controls.js';
import { enqueueSend, writeEmail } from '../../mail/outbox.js';
import { confirmationUrl, profileSummary } from '../../registration.js';

export type ActionResult = 'pause' | 'reprise' | 'pas-en-pause' | 'pause-impossible' | 'confirmation' | 'deja-confirmee' | 'desinscrite' | 'effacement' | 'deja-effacee' | 'inconnue';

export async function pauseFromConsole(ctx: AppContext, personId: number, option: PauseOption): Promise<ActionResult> {
  const person = await getPerson(ctx.sql, personId);
  if (!person) return 'inconnue';
  if (person.status === 'erased') return 'deja-effacee';
  const result = await ctx.sql.begin((tx) => pauseAndConfirm(tx, ctx, personId, pauseEnd(option), 'admin'));
  for (const id of result.outboundIds) await enqueueSend(ctx, id);
  return result.paused ? 'pause' : 'pause-impossible';
}

export async function resumeFromConsole(ctx: AppContext, personId: number): Promise<ActionResult> {
  const person = await getPerson(ctx.sql, personId);
  if (!person) return 'inconnue';
  if (person.status === 'erased') return 'deja-effacee';
  const resumed = await ctx.sql.begin((tx) => resume(tx, personId, 'admin'));
  return resumed ? 'reprise' : 'pas-en-pause';
}

export async function eraseFromConsole(ctx: AppContext, personId: number): Promise<ActionResult> {
  const person = await getPerson(ctx.sql, personId);
  if (!person) return 'inconnue';
  if (person.status === 'erased') return 'deja-effacee';
  const result = await ctx.sql.begin((tx) => eraseAndConfirm(tx, ctx, personId, 'admin'));
  for (const id of result.outboundIds) await enqueueSend(ctx, id);
  return result.erased ? 'effacement' : 'deja-effacee';
}

function profileInputOf(p: ProfileRow): ProfileInput {
  return {
    role: p.role, categories: p.categories, description: p.description, postcode: p.postcode, commune: p.commune,
    communeCode: p.commune_code, departement: p.departement, lat: p.lat, lon: p.lon, radiusKm: p.radius_km,
    terms: p.terms, termCounts: p.term_counts,
  };
}

/**
 * A fresh confirmation link for a person still pending (lost email, expired link). The new nonce
 * retires every earlier link. Nobody who unsubscribed is written to: they come back by themselves.
 */
export async function resendConfirmation(ctx: AppContext, personId: number): Promise<ActionResult> {
  const nonce = randomBytes(12).toString('base64url');
  const outcome = await ctx.sql.begin(async (tx): Promise<{ result: ActionResult; outboundId?: number }> => {
    const rows = await tx`select id, email, name, status from people where id = ${personId} for update`;
    const person = rows[0];
    if (!person) return { result: 'inconnue' };
    if (person.status === 'erased') return { result: 'deja-effacee' };
    if (person.status === 'unsubscribed') return { result: 'desinscrite' };
    if (person.status === 'active') return { result: 'deja-confirmee' };
    await tx`update people set confirm_nonce = ${nonce}, updated_at = now() where id = ${personId}`;
    const profile = await getProfile(tx, personId);
    const name = (person.name as string | null) ?? '';
    const summary = profile ? profileSummary(name || null, profileInputOf(profile)) : { summaryHtml: '', summaryText: '' };
    const mail = await writeEmail(tx, ctx, {
      key: `confirm:${personId}:${nonce}`,
      personId,
      to: person.email as string,
      template: 'confirm-registration',
      vars: {
        name,
        confirmUrl: confirmationUrl(ctx, personId, nonce),
        validDays: ctx.config.confirmLinkDays,
        ...summary,
        preview: 'Un clic pour confirmer votre inscription',
      },
    });
    await recordEvent(tx, 'registration.confirmation-resent', personId, { source: 'admin' });
    return { result: 'confirmation', outboundId: mail.id };
  });
  if (outcome.outboundId !== undefined) await enqueueSend(ctx, outcome.outboundId);
  return outcome.result;
}
