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
 * Erases a person's personal data everywhere: profile, raw inbound mail, the outbox, free
 * text about them in introductions. The people row stays as an anonymous tombstone (no email,
 * no name) so that counts and the other person's history keep their meaning.
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
