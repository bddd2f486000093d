// Staying in control, with the emails that go with it: a pause confirmed by email (with a
// button to resume early), an erasure confirmed to the address being erased, a profile update
// from the link in every email. The database side is src/control.ts; each function here takes
// the transaction so the intake (STOP / PAUSE / SUPPRIMER by email) can call it too, and
// returns the outbox ids to enqueue once that transaction has committed.
import type { AppContext } from '../context.js';
import { erasePerson, pausePerson, resumePerson, unsubscribePerson, VISIBLE_EVENT } from '../control.js';
import type { Db } from '../db/client.js';
import { recordEvent } from '../db/events.js';
import { getPerson, upsertProfile, type PersonRow } from '../db/people.js';
import { resumeUrl } from '../mail/links.js';
import { writeEmail } from '../mail/outbox.js';
import { profileFromInput, type RegistrationInput } from '../registration.js';
import { firstName } from './model.js';
import { ERASURE_TEMPLATE, frenchFullDate, personalFooter, TEMPLATES } from './templates.js';

type Ctx = Pick<AppContext, 'config' | 'templates'>;

export type PauseOption = '1m' | '3m';

/** The day a pause ends: one or three calendar months from now. */
export function pauseEnd(option: PauseOption, now = new Date()): Date {
  const until = new Date(now);
  until.setMonth(until.getMonth() + (option === '1m' ? 1 : 3));
  return until;
}

export async function pauseAndConfirm(
  tx: Db,
  ctx: Ctx,
  personId: number,
  until: Date,
  source: string,
): Promise<{ paused: boolean; outboundIds: number[] }> {
  const paused = await pausePerson(tx, personId, until, source);
  if (!paused) return { paused: false, outboundIds: [] };
  const person = await getPerson(tx, personId);
  if (!person?.email) return { paused: true, outboundIds: [] };
  const day = until.toISOString().slice(0, 10);
  const mail = await writeEmail(tx, ctx, {
    key: `paused:${personId}:${day}`,
    personId,
    to: person.email,
    template: TEMPLATES.paused,
    vars: {
      preview: 'Plus aucune proposition d’ici là',
      name: firstName(person.name),
      until: frenchFullDate(until),
      resumeUrl: resumeUrl(ctx.config, personId),
      ...personalFooter(ctx.config, personId),
    },
  });
  return { paused: true, outboundIds: mail.created ? [mail.id] : [] };
}

export async function resume(tx: Db, personId: number, source: string): Promise<boolean> {
  return resumePerson(tx, personId, source);
}

export async function unsubscribe(tx: Db, personId: number, source: string): Promise<boolean> {
  return unsubscribePerson(tx, personId, source);
}

/**
 * Erases the person, then writes the confirmation to the address that was just erased, in the
 * same transaction (both happen or neither). The outbox row has no person_id and is the only
 * place left holding the address; the send job deletes it once delivered or refused, and the
 * expiry job drops any left after three days.
 */
export async function eraseAndConfirm(tx: Db, ctx: Ctx, personId: number, source: string): Promise<{ erased: boolean; outboundIds: number[] }> {
  const email = await erasePerson(tx, personId, source);
  if (email === null) return { erased: false, outboundIds: [] };
  if (!email) return { erased: true, outboundIds: [] };
  const mail = await writeEmail(tx, ctx, {
    key: `erased:${personId}`,
    personId: null,
    to: email,
    template: ERASURE_TEMPLATE,
    vars: { preview: 'Toutes vos données ont été effacées' },
  });
  return { erased: true, outboundIds: [mail.id] };
}

/**
 * A profile change from the link in one of our emails. The link was delivered to the address,
 * which is the same proof a confirmation email would ask for, so the change applies at once.
 * The address itself cannot change here.
 */
export async function updateProfileFromLink(tx: Db, person: PersonRow, input: RegistrationInput): Promise<void> {
  await upsertProfile(tx, person.id, profileFromInput(input));
  await tx`
    update people set name = ${input.name}, visible_to_referents = ${input.visibleToReferents},
      consent_at = coalesce(consent_at, now()), pending_update = null, updated_at = now()
    where id = ${person.id}`;
  await recordEvent(tx, 'profile.updated', person.id, { source: 'profile-link' });
  // Ticking the box dates the agreement, as the /visible page does (the digest reads it).
  if (input.visibleToReferents && !person.visible_to_referents) await recordEvent(tx, VISIBLE_EVENT, person.id, { source: 'profile-link' });
}
