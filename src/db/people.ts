// Repository: people and profiles.
import type { Db } from './client.js';

export interface PersonRow {
  id: number;
  email: string | null;
  name: string | null;
  status: 'pending' | 'active' | 'unsubscribed' | 'erased';
  source: 'form' | 'email' | 'import' | 'admin';
  network_id: number | null;
  consent_at: Date | null;
  visible_to_referents: boolean;
  confirmed_at: Date | null;
  confirm_nonce: string | null;
  pending_update: ProfileInput | null;
  paused_until: Date | null;
  unsubscribed_at: Date | null;
  bounced_at: Date | null;
  erased_at: Date | null;
  waiting_since: Date;
  created_at: Date;
}

export interface ProfileInput {
  role: 'porteur' | 'rejoindre' | 'ressource' | null;
  categories: string[];
  description: string;
  postcode: string | null;
  commune: string | null;
  communeCode: string | null;
  departement: string | null;
  lat: number | null;
  lon: number | null;
  radiusKm: number | null;
  terms: string[];
  termCounts: number[];
}

export interface ProfileRow {
  person_id: number;
  role: ProfileInput['role'];
  categories: string[];
  description: string;
  postcode: string | null;
  commune: string | null;
  commune_code: string | null;
  departement: string | null;
  lat: number | null;
  lon: number | null;
  radius_km: number | null;
  terms: string[];
  term_counts: number[];
  updated_at: Date;
}

export async function findPersonByEmail(db: Db, email: string): Promise<PersonRow | undefined> {
  const rows = await db<PersonRow[]>`select * from people where email = ${email}`;
  return rows[0];
}

export async function getPerson(db: Db, id: number): Promise<PersonRow | undefined> {
  const rows = await db<PersonRow[]>`select * from people where id = ${id}`;
  return rows[0];
}

export async function getProfile(db: Db, personId: number): Promise<ProfileRow | undefined> {
  const rows = await db<ProfileRow[]>`select * from profiles where person_id = ${personId}`;
  return rows[0];
}

export async function insertPerson(
  db: Db,
  p: { email: string; name: string | null; source: PersonRow['source']; networkId: number | null; consent: boolean; visibleToReferents: boolean; confirmNonce: string | null; status?: PersonRow['status'] },
): Promise<PersonRow> {
  const rows = await db<PersonRow[]>`
    insert into people (email, name, source, network_id, consent_at, visible_to_referents, confirm_nonce, status, confirmed_at)
    values (${p.email}, ${p.name}, ${p.source}, ${p.networkId}, ${p.consent ? new Date() : null}, ${p.visibleToReferents},
            ${p.confirmNonce}, ${p.status ?? 'pending'}, ${p.status === 'active' ? new Date() : null})
    returning *`;
  return rows[0]!;
}

export async function updatePendingPerson(
  db: Db,
  id: number,
  p: { name: string | null; networkId: number | null; consent: boolean; visibleToReferents: boolean; confirmNonce: string },
): Promise<void> {
  await db`
    update people set name = ${p.name}, network_id = coalesce(${p.networkId}, network_id),
      consent_at = case when ${p.consent} then now() else consent_at end,
      visible_to_referents = ${p.visibleToReferents}, confirm_nonce = ${p.confirmNonce}, updated_at = now()
    where id = ${id}`;
}

export async function upsertProfile(db: Db, personId: number, p: ProfileInput): Promise<void> {
  await db`
    insert into profiles (person_id, role, categories, description, postcode, commune, commune_code, departement, lat, lon, radius_km, terms, term_counts, updated_at)
    values (${personId}, ${p.role}, ${p.categories}, ${p.description}, ${p.postcode}, ${p.commune}, ${p.communeCode}, ${p.departement},
            ${p.lat}, ${p.lon}, ${p.radiusKm}, ${p.terms}, ${p.termCounts}, now())
    on conflict (person_id) do update set
      role = excluded.role, categories = excluded.categories, description = excluded.description,
      postcode = excluded.postcode, commune = excluded.commune, commune_code = excluded.commune_code,
      departement = excluded.departement, lat = excluded.lat, lon = excluded.lon, radius_km = excluded.radius_km,
      terms = excluded.terms, term_counts = excluded.term_counts, updated_at = now()`;
}

/** Stores a change an already active person asked for, applied when they confirm by link. */
export async function setPendingUpdate(db: Db, id: number, update: { name: string | null } & ProfileInput, confirmNonce: string): Promise<void> {
  await db`update people set pending_update = ${db.json(update as never)}, confirm_nonce = ${confirmNonce}, updated_at = now() where id = ${id}`;
}

/** Confirms with the single-use nonce; returns the person when this call did it. */
export async function confirmPerson(db: Db, id: number, nonce: string): Promise<PersonRow | undefined> {
  const rows = await db<PersonRow[]>`
    update people set
      status = 'active',
      confirmed_at = coalesce(confirmed_at, now()),
      -- the click on a link that says what it agrees to is the consent of people invited
      -- from a partner's list (form and email registrations recorded theirs already)
      consent_at = coalesce(consent_at, now()),
      -- clicking a link we sent proves the address works again
      unsubscribed_at = null, bounced_at = null,
      waiting_since = case when status = 'active' then waiting_since else now() end,
      confirm_nonce = null, updated_at = now()
    where id = ${id} and confirm_nonce = ${nonce} and status in ('pending', 'active', 'unsubscribed')
    returning *`;
  return rows[0];
}

export async function clearPendingUpdate(db: Db, id: number): Promise<void> {
  await db`update people set pending_update = null, updated_at = now() where id = ${id}`;
}

export async function findNetworkBySlug(db: Db, slug: string): Promise<{ id: number; slug: string; name: string } | undefined> {
  const rows = await db<{ id: number; slug: string; name: string }[]>`select id, slug, name from networks where slug = ${slug}`;
  return rows[0];
}
