// Repository: référent·es and the record of their weekly digests.
import type { Db } from './client.js';

export interface ReferentRow {
  id: number;
  email: string;
  name: string;
  status: 'pending' | 'active' | 'unsubscribed';
  departements: string[];
  commune_codes: string[];
  epci_codes: string[];
  confirm_nonce: string | null;
  confirmed_at: Date | null;
  unsubscribed_at: Date | null;
  created_at: Date;
}

export interface ReferentListRow extends ReferentRow {
  last_digest_week: string | null;
  last_digest_at: Date | null;
  digests_sent: number;
}

export interface NewReferent {
  email: string;
  name: string;
  departements: string[];
  communeCodes: string[];
  epciCodes: string[];
  confirmNonce: string;
}

/**
 * Adds a pending référent, or, for an address already known, replaces name and territory and
 * issues a fresh confirmation nonce (an unsubscribed référent added again must confirm again).
 */
export async function upsertReferent(db: Db, r: NewReferent): Promise<{ referent: ReferentRow; created: boolean }> {
  const rows = await db<(ReferentRow & { created: boolean })[]>`
    insert into referents (email, name, departements, commune_codes, epci_codes, confirm_nonce)
    values (${r.email}, ${r.name}, ${r.departements}, ${r.communeCodes}, ${r.epciCodes}, ${r.confirmNonce})
    on conflict (email) do update set
      name = excluded.name, departements = excluded.departements, commune_codes = excluded.commune_codes,
      epci_codes = excluded.epci_codes,
      -- an active référent keeps receiving digests; anyone else confirms (again) with the new link
      confirm_nonce = case when referents.status = 'active' then null else excluded.confirm_nonce end,
      status = case when referents.status = 'active' then 'active' else 'pending' end,
      unsubscribed_at = case when referents.status = 'active' then null else referents.unsubscribed_at end
    returning *, (xmax = 0) as created`;
  const { created, ...referent } = rows[0]!;
  return { referent, created };
}

export async function getReferent(db: Db, id: number): Promise<ReferentRow | undefined> {
  const rows = await db<ReferentRow[]>`select * from referents where id = ${id}`;
  return rows[0];
}

export async function findReferentByEmail(db: Db, email: string): Promise<ReferentRow | undefined> {
  const rows = await db<ReferentRow[]>`select * from referents where email = ${email}`;
  return rows[0];
}

/** Confirms with the single-use nonce; returns the référent when this call did it. */
export async function confirmReferent(db: Db, id: number, nonce: string): Promise<ReferentRow | undefined> {
  const rows = await db<ReferentRow[]>`
    update referents set status = 'active', confirmed_at = now(), confirm_nonce = null, unsubscribed_at = null
    where id = ${id} and confirm_nonce = ${nonce} and status = 'pending'
    returning *`;
  return rows[0];
}

export async function unsubscribeReferent(db: Db, id: number): Promise<boolean> {
  const rows = await db`
    update referents set status = 'unsubscribed', unsubscribed_at = now(), confirm_nonce = null
    where id = ${id} and status <> 'unsubscribed'
    returning id`;
  return rows.length > 0;
}

/** Our emails to a référent in that role: a reply in their thread is about the digest. */
export const REFERENT_TEMPLATES = ['referent-digest', 'referent-confirm', 'ack-referent-stop', 'ack-referent-pause'];

/**
 * Deletes the référent, the record of their digests and the mail exchanged with them in that
 * role: the digests we sent them (they greet them by name), our answers to them, and what they
 * wrote to us, as far as none of it belongs to a registration at the same address.
 * `keepInboundId`: the message being processed right now (their SUPPRIMER), which intake still
 * has to close; it is the record of their request.
 */
export async function deleteReferent(db: Db, id: number, options: { keepInboundId?: number } = {}): Promise<boolean> {
  const rows = await db`delete from referents where id = ${id} returning email`;
  if (rows.length === 0) return false;
  const email = rows[0]!.email as string;
  await db`
    delete from outbound_messages
    where lower(to_address) = lower(${email}) and (template = any(${REFERENT_TEMPLATES}::text[]) or person_id is null)`;
  await db`
    delete from inbound_messages
    where from_address = ${email} and person_id is null and id <> ${options.keepInboundId ?? 0}`;
  return true;
}

export async function listReferents(db: Db): Promise<ReferentListRow[]> {
  return db<ReferentListRow[]>`
    select r.*,
      (select d.week from referent_digests d where d.referent_id = r.id order by d.created_at desc limit 1) as last_digest_week,
      (select max(d.created_at) from referent_digests d where d.referent_id = r.id and d.sent) as last_digest_at,
      (select count(*)::int from referent_digests d where d.referent_id = r.id and d.sent) as digests_sent
    from referents r
    order by r.name, r.id`;
}

export async function listActiveReferentIds(db: Db): Promise<number[]> {
  const rows = await db`select id from referents where status = 'active' order by id`;
  return rows.map((r) => r.id as number);
}

export async function findDigest(db: Db, referentId: number, week: string): Promise<{ sent: boolean; outbound_id: number | null } | undefined> {
  const rows = await db<{ sent: boolean; outbound_id: number | null }[]>`
    select sent, outbound_id from referent_digests where referent_id = ${referentId} and week = ${week}`;
  return rows[0];
}

/**
 * Records the week's digest and the ids of the people it names (for erasure); false when that
 * week was already recorded (a retry, a second run).
 */
export async function recordDigest(
  db: Db,
  d: { referentId: number; week: string; sent: boolean; outboundId: number | null; counts: Record<string, number>; personIds: number[] },
): Promise<boolean> {
  const rows = await db`
    insert into referent_digests (referent_id, week, sent, outbound_id, counts, person_ids)
    values (${d.referentId}, ${d.week}, ${d.sent}, ${d.outboundId}, ${db.json(d.counts)}, ${db.array(d.personIds)}::bigint[])
    on conflict (referent_id, week) do nothing
    returning referent_id`;
  return rows.length > 0;
}
