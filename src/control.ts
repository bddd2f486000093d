// What a person can do to stay in control: pause for a while, unsubscribe, erase everything.
// Each is one transaction, recorded in the event log without personal data.
import type { Db } from './db/client.js';
import { recordEvent } from './db/events.js';

export async function pausePerson(db: Db, personId: number, until: Date, source: string): Promise<boolean> {
  const rows = await db`
    update people set paused_until = ${until}, updated_at = now()
    where id = ${personId} and status in ('pending', 'active')
    returning id`;
  if (rows.length > 0) await recordEvent(db, 'person.paused', personId, { source, days: Math.round((until.getTime() - Date.now()) / 86_400_000) });
  return rows.length > 0;
}

export async function resumePerson(db: Db, personId: number, source: string): Promise<boolean> {
  const rows = await db`update people set paused_until = null, updated_at = now() where id = ${personId} and paused_until is not null returning id`;
  if (rows.length > 0) await recordEvent(db, 'person.resumed', personId, { source });
  return rows.length > 0;
}

/**
 * How people registered without the form's box are invited to be shown to the référent·es (the
 * acknowledgement email and the page after /confirmer), followed by a link to /visible.
 */
export const REFERENT_INVITATION = {
  intro: 'Un coup de pouce près de chez vous ?',
  text: 'Les référent·es maillage de votre territoire peuvent vous aider à trouver du monde. Si vous le souhaitez, nous leur présenterons votre prénom, votre commune et votre projet, jamais vos coordonnées',
  link: 'voir ce qui leur serait montré et donner mon accord',
};

/** Recorded each time a person agrees to be shown to the référent·es (ids only, as every event). */
export const VISIBLE_EVENT = 'person.visible_to_referents';

/**
 * The person agrees that the référent·es of their territory see them in the weekly digest (first
 * name, commune, project). The event dates the agreement: the digest lists someone who agreed
 * during its week as new, even if they registered earlier (src/territory/digest-run.ts).
 */
export async function showToReferents(db: Db, personId: number, source: string): Promise<boolean> {
  const rows = await db`
    update people set visible_to_referents = true, updated_at = now()
    where id = ${personId} and status in ('pending', 'active') and not visible_to_referents
    returning id`;
  if (rows.length > 0) await recordEvent(db, VISIBLE_EVENT, personId, { source });
  return rows.length > 0;
}

export async function unsubscribePerson(db: Db, personId: number, source: string): Promise<boolean> {
  const rows = await db`
    update people set status = 'unsubscribed', unsubscribed_at = now(), confirm_nonce = null, pending_update = null, updated_at = now()
    where id = ${personId} and status in ('pending', 'active')
    returning id`;
  if (rows.length > 0) {
    // Open proposals close silently: the other side is never told why.
    await db`
      update introductions set status = 'expired', closed_at = now()
      where status = 'proposed' and (person_a = ${personId} or person_b = ${personId})`;
    await recordEvent(db, 'person.unsubscribed', personId, { source });
  }
  return rows.length > 0;
}

/** Suppresses an address after a permanent bounce: nothing more is sent to it. */
export async function markBounced(db: Db, email: string, detail: { status: string | null }): Promise<number | null> {
  const rows = await db`update people set bounced_at = now(), updated_at = now() where email = ${email} and bounced_at is null returning id`;
  const id = (rows[0]?.id as number | undefined) ?? null;
  if (id !== null) await recordEvent(db, 'person.bounced', id, { status: detail.status });
  return id;
}

/**
 * Erases a person's personal data everywhere: profile, raw inbound mail, the outbox (référents'
 * digests included), free text about them in introductions. The people row stays as an
 * anonymous tombstone (no email, no name) so that counts and the other person's history keep
 * their meaning.
 * Returns the address that was erased (to send the confirmation), or null if nothing to do.
 */
export async function erasePerson(db: Db, personId: number, source: string): Promise<string | null> {
  const rows = await db`select email from people where id = ${personId} and status <> 'erased' for update`;
  if (rows.length === 0) return null;
  const email = rows[0]!.email as string | null;
  await db`delete from profiles where person_id = ${personId}`;
  await db`delete from inbound_messages where person_id = ${personId} or (${email}::citext is not null and from_address = ${email})`;
  // to_address may list several people (the meeting email, "a@x, b@y"): any mention goes.
  await db`
    delete from outbound_messages
    where person_id = ${personId}
       or (${email}::text is not null and lower(${email}::text) = any(string_to_array(replace(lower(to_address), ' ', ''), ',')))`;
  // The emails to the other side of each introduction (proposal, reminder, follow-up, answers)
  // name this person, with their commune and words: they go too. Their keys start with
  // `<template>:<introduction id>:` (src/round/proposal.ts, src/introductions/).
  await db`
    delete from outbound_messages o
    using introductions i
    where (i.person_a = ${personId} or i.person_b = ${personId})
      and split_part(o.idempotency_key, ':', 1) in ('proposal', 'reminder', 'followup', 'not-understood', 'answer-received', 'meeting')
      and split_part(o.idempotency_key, ':', 2) = i.id::text`;
  await forgetInDigests(db, personId);
  await db`
    update introductions set explanation = '', shared_words = '{}',
      status = case when status = 'proposed' then 'expired' else status end,
      closed_at = coalesce(closed_at, now())
    where person_a = ${personId} or person_b = ${personId}`;
  await db`
    update people set email = null, name = null, status = 'erased', erased_at = now(), confirm_nonce = null,
      pending_update = null, consent_at = null, visible_to_referents = false, paused_until = null, updated_at = now()
    where id = ${personId}`;
  await recordEvent(db, 'person.erased', personId, { source });
  return email;
}

/** What a stored référent digest says once a person it named has erased their data. */
export const ERASED_DIGEST_NOTE =
  'Ce récapitulatif a été effacé : une personne qu’il mentionnait a demandé la suppression de ses données.';

/**
 * The référents' digests that named this person (first name, commune, their words: recorded in
 * referent_digests.person_ids) keep no trace of them. Whatever happens, the referent_digests row
 * stays, with its week and counts (no personal data): the référent's history and the console's
 * figures keep their meaning.
 * - Delivered, or never to be delivered (sent, held in the outbox without SMTP, suppressed): the
 *   référent has read it already, and re-rendering it without this person would store an email
 *   nobody received. The stored copy's body becomes a short note; the subject (counts only) and
 *   headers stay. The whole body goes, not just this person's lines: cutting them out of rendered
 *   HTML is fragile, and the others named lose nothing (the copy is only our archive).
 * - Not delivered yet (queued, sending, failed: a send job would still deliver it): deleted, as
 *   the unsent emails of an introduction are above. Rebuilding it needs the week's facts and the
 *   templates, which an erasure (one transaction) has not; and a digest waits in the outbox only
 *   for the seconds before its send job, or while delivery is failing. The week is recorded as
 *   not sent; next week's digest comes as usual.
 */
async function forgetInDigests(db: Db, personId: number): Promise<void> {
  const digests = await db`
    update referent_digests set person_ids = '{}'
    where person_ids @> array[${personId}]::bigint[] and outbound_id is not null
    returning outbound_id`;
  if (digests.length === 0) return;
  const ids = db.array(digests.map((d) => d.outbound_id as number));
  // The statuses a send job still claims (jobs/send-email.ts).
  const unsent = await db`
    delete from outbound_messages where id = any(${ids}::bigint[]) and status in ('queued', 'sending', 'failed')
    returning id`;
  if (unsent.length > 0) {
    await db`
      update referent_digests set sent = false, outbound_id = null
      where outbound_id = any(${db.array(unsent.map((r) => r.id as number))}::bigint[])`;
  }
  await db`
    update outbound_messages set html = ${`<p>${ERASED_DIGEST_NOTE}</p>`}, text_body = ${ERASED_DIGEST_NOTE}
    where id = any(${ids}::bigint[])`;
}
