// Splitting a round by geography so several worker processes (on several machines) score it in
// parallel, as a BullMQ flow: parent `weekly-round` (phase "merge") with one child `round-shard`
// per strip of longitude.
//
// - Strips hold about the same number of located people (longitude quantiles), so shards take
//   about the same time; the first starts at -181° and the last ends at 181°, and all span the
//   population's latitudes, so every located person (overseas territories too) is owned by
//   exactly one shard.
// - Each shard loads everyone within `overlapKm` of its strip (the largest radius, + 1 km), out to
//   whole cells of the candidate grid: every partner of a person it owns is loaded, and every cell
//   that person's search may read is complete, so the search reads what it would read in one
//   process. No nearby pair across a border is lost.
// - People who said "anywhere" can pair across the country: every shard loads them all. Each is
//   owned by the shard of their location, or by shard 0 when they gave none.
// - People without a location and a radius can only pair with "anywhere" people: shard 0 owns
//   them (ownsUnlocated).
// - The parent first computes the round's statistics over the whole population (document
//   frequencies, before and after vectors are pruned, the largest radius: round_term_stats), and
//   every shard scores and searches with those, not with its own part: a pair seen by two shards
//   gets the same score in both, and each person the same candidates as in one process.
import type { Db } from '../db/client.js';
import type { ShardBounds } from '../match/index.js';
import { DEFAULT_RADIUS_KM, MAX_RADIUS_KM } from '../match/weights.js';
import { eligibleFrom } from './load.js';

export interface ShardPlan {
  bounds: ShardBounds[];
  overlapKm: number;
}

/**
 * Strips between the longitude cuts. South and north follow the population (with a degree to
 * spare) rather than the poles: the overlap in longitude a shard loads grows as 1/cos(latitude),
 * so strips reaching the poles would load the whole world.
 */
export function stripsFromCuts(count: number, cuts: readonly number[], latRange: { min: number; max: number } | null): ShardBounds[] {
  const edges = [-181, ...cuts.slice(0, count - 1), 181];
  while (edges.length < count + 1) edges.splice(edges.length - 1, 0, 181);
  const south = latRange ? Math.max(-90, Math.floor(latRange.min) - 1) : -90;
  const north = latRange ? Math.min(90.0001, Math.ceil(latRange.max) + 1) : 90.0001;
  const bounds: ShardBounds[] = [];
  for (let k = 0; k < count; k++) {
    bounds.push({ south, north, west: edges[k]!, east: Math.max(edges[k]!, edges[k + 1]!), ownsUnlocated: k === 0 });
  }
  return bounds;
}

/** Strips of longitude with as many located people each; `maxRadiusKm` from the round's statistics. */
export async function planShardBounds(db: Db, count: number, asOf: Date, maxRadiusKm: number): Promise<ShardPlan> {
  const fractions = Array.from({ length: Math.max(0, count - 1) }, (_, k) => (k + 1) / count);
  const [row] = await db`
    select ${fractions.length > 0 ? db`percentile_disc(${db.array(fractions)}::float8[]) within group (order by f.lon)` : db`null::float8[]`} as cuts,
           min(f.lat) as min_lat, max(f.lat) as max_lat
    ${eligibleFrom(db, asOf)} and f.lat is not null and f.lon is not null`;
  const cuts = ((row?.cuts as number[] | null) ?? []).map(Number);
  const latRange = row?.min_lat === null || row?.min_lat === undefined ? null : { min: Number(row.min_lat), max: Number(row.max_lat) };
  // +1 km: a margin over the distance approximations at the edges.
  return { bounds: stripsFromCuts(count, cuts, latRange), overlapKm: Math.min(MAX_RADIUS_KM, maxRadiusKm > 0 ? maxRadiusKm : DEFAULT_RADIUS_KM) + 1 };
}
