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
 * erased since the round loaded them), checked in the same transaction just before; someone
 * leaving in the instant between is caught by the send-proposal job, which writes nothing to or
 * about a person who left. Returns what was inserted.
 *
 * The batches are sent at once (postgres.js pipelines them on the transaction's connection):
 * PostgreSQL inserts one while Node serialises the next.
 */
export async function insertRoundIntroductions(
  db: Db,
  roundId: number | null,
  pairs: readonly NewIntroduction[],
): Promise<{ id: number; personA: number; personB: number }[]> {
  const gone = await ineligibleAmong(db, [...new Set(pairs.flatMap((p) => [p.a, p.b]))]);
  const kept = gone.size === 0 ? pairs : pairs.filter((p) => !gone.has(p.a) && !gone.has(p.b));
  const batches: Promise<{ id: number; personA: number; personB: number }[]>[] = [];
  for (let start = 0; start < kept.length; start += BATCH) batches.push(insertBatch(db, roundId, kept.slice(start, start + BATCH)));
  return (await Promise.all(batches)).flat();
}

async function insertBatch(db: Db, roundId: number | null, batch: readonly NewIntroduction[]): Promise<{ id: number; personA: number; personB: number }[]> {
  const rows = (await db`
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
      order by t.k
      on conflict (person_a, person_b) do nothing
      returning id, person_a, person_b
    ), waited as (
      -- Both people start waiting again from now: the longest-waiting come first next time.
      -- "= any(array)": an index lookup per person. A round writes a few thousand pairs at a
      -- time (src/round/run.ts), and a join would scan every person for each of them.
      update people p set waiting_since = now()
      where p.id = any(array(select person_a from inserted union all select person_b from inserted))
    )
    select id, person_a, person_b from inserted`.values()) as unknown as [number, number, number][];
  return rows.map(([id, personA, personB]) => ({ id, personA, personB }));
}

/** Of these people, those no longer eligible for a proposal (or gone altogether). */
async function ineligibleAmong(db: Db, ids: number[]): Promise<Set<number>> {
  const gone = new Set<number>(ids);
  for (let start = 0; start < ids.length; start += 50_000) {
    const chunk = ids.slice(start, start + 50_000);
    // The eligible ones, by index lookups; whoever is not among them is gone.
    const rows = await db`
      select p.id from people p
      where p.id = any(${db.array(chunk)}::bigint[]) and p.status = 'active' and p.confirmed_at is not null
        and p.consent_at is not null and p.bounced_at is null and (p.paused_until is null or p.paused_until <= now())`;
    for (const r of rows) gone.delete(r.id as number);
  }
  return gone;
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
