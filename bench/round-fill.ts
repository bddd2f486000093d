// Fills a PostgreSQL database with synthetic, eligible people and their analysed profiles, at
// COPY-like speed (unnest of arrays, 10,000 rows per statement). Used by bench/round.ts and by
// the two-worker demonstration; never by the service itself.
import type { Db } from '../src/db/client.js';
import { analyse } from '../src/match/text.js';
import type { SyntheticProfile } from './synthetic.js';

const SEP = '\u001f';
const BATCH = 10_000;

/** Inserts the profiles as active, confirmed, consented people; returns their database ids in order. */
export async function fillProfiles(db: Db, profiles: readonly SyntheticProfile[], options: { status?: string } = {}): Promise<number[]> {
  const ids: number[] = [];
  const status = options.status ?? 'active';
  for (let start = 0; start < profiles.length; start += BATCH) {
    const batch = profiles.slice(start, start + BATCH);
    const people = await db`
      insert into people (email, name, status, source, consent_at, confirmed_at, waiting_since)
      select e, n, ${status}, 'import', now(), now(), to_timestamp(w / 1000.0)
      from unnest(${db.array(batch.map((p) => p.email))}::text[], ${db.array(batch.map((p) => p.name))}::text[],
                  ${db.array(batch.map((p) => p.waitingSince))}::float8[]) with ordinality as t(e, n, w, k)
      order by k
      returning id`;
    const batchIds = people.map((r) => r.id as number);
    // As intake does: the commune a person names is matched by distance, not as a shared word.
    const analysed = batch.map((p) => analyse(p.description, { ignoreWords: p.commune ? [p.commune] : [] }));
    await db`
      insert into profiles (person_id, role, categories, description, commune, lat, lon, radius_km, terms, term_counts)
      select id, role, string_to_array(cats, ${SEP}), d, nullif(c, ''), lat, lon, r,
             coalesce(string_to_array(nullif(terms, ''), ${SEP}), '{}'),
             coalesce(string_to_array(nullif(counts, ''), ',')::int[], '{}')
      from unnest(${db.array(batchIds)}::bigint[], ${db.array(batch.map((p) => p.role))}::text[],
                  ${db.array(batch.map((p) => p.categories.join(SEP)))}::text[], ${db.array(batch.map((p) => p.description))}::text[],
                  ${db.array(batch.map((p) => p.commune ?? ''))}::text[],
                  ${db.array(batch.map((p) => (p.lat === null ? 'NaN' : String(p.lat))))}::text[],
                  ${db.array(batch.map((p) => (p.lon === null ? 'NaN' : String(p.lon))))}::text[],
                  ${db.array(batch.map((p) => (p.radiusKm === null ? 0 : p.radiusKm)))}::int[],
                  ${db.array(analysed.map((a) => a.terms.join(SEP)))}::text[],
                  ${db.array(analysed.map((a) => a.counts.join(',')))}::text[])
        as t(id, role, cats, d, c, lat_s, lon_s, r0, terms, counts),
      lateral (select nullif(lat_s, 'NaN')::float8 as lat, nullif(lon_s, 'NaN')::float8 as lon, nullif(r0, 0) as r) x`;
    ids.push(...batchIds);
  }
  return ids;
}
