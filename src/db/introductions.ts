// Repository: introductions, the proposals that two people meet. This file holds what a round
// needs (insert a round's pairs, list who to write to); reading and answering one introduction
// live with the introductions feature (src/introductions/model.ts).
import type { Db } from './client.js';

export interface NewIntroduction {
  /** Either order: stored with the smaller id as person_a. */
  a: number;
  b: number;
  score: number;
  distanceKm: number | null;
  explanation: string;
  sharedWords: readonly string[];
}

// Unit separator between shared words: a word as written never contains it.
const SEP = '\u001f';
const BATCH = 10_000;

/**
 * Inserts a round's pairs, 10,000 per statement, and restarts both people's waiting time. A pair
 * already introduced in any earlier round (whatever its status) is skipped by the unique pair,
 * and so is a pair where either person is no longer eligible (unsubscribed, paused, bounced or
 * erased since the round loaded them): the check runs in the same statement, so nobody is
 * proposed after leaving. Returns what was inserted.
 */
export async function insertRoundIntroductions(
  db: Db,
  roundId: number | null,
  pairs: readonly NewIntroduction[],
): Promise<{ id: number; personA: number; personB: number }[]> {
  const inserted: { id: number; personA: number; personB: number }[] = [];
  for (let start = 0; start < pairs.length; start += BATCH) {
    const batch = pairs.slice(start, start + BATCH);
    const rows = await db`
      with inserted as (
      insert into introductions (round_id, person_a, person_b, score, distance_km, explanation, shared_words)
      select ${roundId}, t.a, t.b, t.score, nullif(t.distance_text, 'NaN')::float8, t.explanation,
             coalesce(string_to_array(nullif(t.words, ''), ${SEP}), '{}')
      from unnest(
        ${db.array(batch.map((p) => Math.min(p.a, p.b)))}::bigint[],
        ${db.array(batch.map((p) => Math.max(p.a, p.b)))}::bigint[],
        ${db.array(batch.map((p) => p.score))}::float8[],
        ${db.array(batch.map((p) => (p.distanceKm === null || !Number.isFinite(p.distanceKm) ? 'NaN' : String(p.distanceKm))))}::text[],
        ${db.array(batch.map((p) => p.explanation))}::text[],
        ${db.array(batch.map((p) => p.sharedWords.join(SEP)))}::text[]
      ) with ordinality as t(a, b, score, distance_text, explanation, words, k)
      where t.a <> t.b
        and exists (select 1 from people p where p.id = t.a and ${eligiblePerson(db)})
        and exists (select 1 from people p where p.id = t.b and ${eligiblePerson(db)})
      order by t.k
      on conflict (person_a, person_b) do nothing
      returning id, person_a, person_b
      ), waited as (
        -- Both people start waiting again from now: the longest-waiting come first next time.
        update people set waiting_since = now()
        where id in (select person_a from inserted union all select person_b from inserted)
      )
      select id, person_a, person_b from inserted`;
    for (const r of rows) inserted.push({ id: r.id as number, personA: r.person_a as number, personB: r.person_b as number });
  }
  return inserted;
}

/** The same eligibility as the round's loader, for one row aliased `p`. */
function eligiblePerson(db: Db) {
  return db`p.status = 'active' and p.confirmed_at is not null and p.consent_at is not null
            and p.bounced_at is null and (p.paused_until is null or p.paused_until <= now())`;
}

/** (introduction id, person id) for both sides of every introduction of a round still proposed. */
export async function listRoundRecipients(db: Db, roundId: number): Promise<{ introductionId: number; personId: number }[]> {
  const rows = (await db`
    select id, person_a, person_b from introductions
    where round_id = ${roundId} and status = 'proposed' order by id`.values()) as unknown as [number, number, number][];
  const out: { introductionId: number; personId: number }[] = [];
  for (const [id, a, b] of rows) {
    out.push({ introductionId: id, personId: a }, { introductionId: id, personId: b });
  }
  return out;
}
