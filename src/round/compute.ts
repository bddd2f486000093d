// The CPU-heavy parts of a round, each reading what it needs from PostgreSQL itself so it can
// run in a worker thread (src/round/thread.ts) while the job's event loop stays free: BullMQ
// keeps renewing the job's lock, the heartbeat keeps beating, the web server keeps answering.
import { hostname } from 'node:os';
import type { Sql } from '../db/client.js';
import {
  buildCandidateIndex,
  buildPopulation,
  computeTermStats,
  keepPerPersonFor,
  planRound,
  planRoundSharing,
  scoreShard,
  type IdPairs,
  type PlannedPair,
  type RoundPlan,
  type ShardBounds,
  type TermStats,
} from '../match/index.js';
import { CANDIDATES } from '../match/weights.js';
import { KM_PER_DEGREE } from '../match/distance.js';
import {
  loadEligibleDescriptions,
  loadEligibleProfiles,
  loadExcludedPairs,
  type LoadWindow,
} from './load.js';
import { startRoundHelper, type RoundHelper } from './helper.js';
import { planFromShards, planFromShardsSharing, type MergeInput } from './merge.js';
import { packPairs, packStats, unpackPairs, unpackStats } from './pack.js';

export interface RoundSettings {
  maxPerPerson: number;
  /** Undefined: the engine's calibrated default. */
  minScore?: number;
}

export interface ComputedPlan {
  plan: RoundPlan;
  timingsMs: { load: number; plan: number };
}

/** A whole round in one process: load, then planRound. */
export async function computeSinglePlan(sql: Sql, settings: RoundSettings, onExplained?: (pairs: PlannedPair[]) => void): Promise<ComputedPlan> {
  const t0 = performance.now();
  // Three connections, three queries at once: PostgreSQL reads on one core while Node parses.
  const [rows, descriptions, excludedPairs] = await Promise.all([
    loadEligibleProfiles(sql),
    loadEligibleDescriptions(sql),
    loadExcludedPairs(sql),
  ]);
  const t1 = performance.now();
  const helper = startRoundHelper(rows.length);
  try {
    const options = {
      maxPerPerson: settings.maxPerPerson,
      minScore: settings.minScore,
      excludedPairs,
      now: Date.now(),
      describe: (id: number) => descriptions.get(id),
      onExplained,
    };
    const plan = helper ? await planRoundSharing(rows, options, helper) : planRound(rows, options);
    return { plan, timingsMs: { load: t1 - t0, plan: performance.now() - t1 } };
  } finally {
    await helper?.close();
  }
}

export interface ShardTask {
  roundId: number;
  shard: number;
  bounds: ShardBounds;
  overlapKm: number;
  asOf: string;
}

export interface ShardSummary {
  shard: number;
  loaded: number;
  owned: number;
  pairs: number;
  ms: number;
  warnings: string[];
  /** Which process, on which machine, scored it (shards are spread over every worker process). */
  pid?: number;
  host?: string;
}

/** The candidate grid's cell size in degrees, as buildCandidateIndex lays it out. */
function gridCell(): { latDeg: number; lonDeg: number } {
  const index = buildCandidateIndex(buildPopulation([]));
  return { latDeg: index.cellLatDeg, lonDeg: index.cellLonDeg };
}

/**
 * The rectangle a shard loads: its strip widened by `overlapKm` (at least the largest radius, so
 * every partner of a person it owns is there), then out to whole cells of the candidate grid. A
 * person's search reads whole cells and stops after a budget of entries: with every cell it may
 * read complete, it reads exactly what it would read in a one-process round.
 */
export function shardWindow(bounds: ShardBounds, overlapKm: number): LoadWindow {
  const dLat = overlapKm / KM_PER_DEGREE;
  const worstLat = Math.min(89.9, Math.max(Math.abs(bounds.south), Math.abs(bounds.north)) + dLat);
  const dLon = overlapKm / (KM_PER_DEGREE * Math.cos((worstLat * Math.PI) / 180));
  const cell = gridCell();
  return {
    south: Math.floor((bounds.south - dLat) / cell.latDeg) * cell.latDeg,
    north: (Math.floor((bounds.north + dLat) / cell.latDeg) + 1) * cell.latDeg,
    west: Math.floor((bounds.west - dLon) / cell.lonDeg) * cell.lonDeg,
    east: (Math.floor((bounds.east + dLon) / cell.lonDeg) + 1) * cell.lonDeg,
    withUnlocated: bounds.ownsUnlocated === true,
  };
}

/** Statistics of the whole round that every shard's candidate search must use instead of its own. */
export interface RoundStats {
  termStats: TermStats;
  /** Term → number of people whose pruned vector holds it. */
  prunedDf: ReadonlyMap<string, number>;
  /** People with at least one term. */
  documents: number;
  /** Largest finite radius (km, after the engine's clamp); 0 when none. */
  maxRadiusKm: number;
}

/** The parent's preparation: the whole population once, to know the round-wide statistics. */
export async function computeRoundStats(sql: Sql, task: { roundId: number; asOf: string }): Promise<{ documents: number; maxRadiusKm: number }> {
  const rows = await loadEligibleProfiles(sql, undefined, new Date(task.asOf));
  const termStats = computeTermStats(rows);
  const population = buildPopulation(rows, { termStats });
  const terms: string[] = [];
  const df: number[] = [];
  const pruned: number[] = [];
  for (const [term, count] of termStats.documentFrequency) {
    terms.push(term);
    df.push(count);
    const t = population.termIndex.get(term);
    pruned.push(t === undefined ? 0 : population.termDf[t]!);
  }
  let documents = 0;
  let maxRadiusKm = 0;
  for (let i = 0; i < population.size; i++) {
    if (population.vectorStart[i + 1]! > population.vectorStart[i]!) documents++;
    const r = population.radiusKm[i]!;
    if (r !== Infinity && r > maxRadiusKm) maxRadiusKm = r;
  }
  await sql`
    insert into round_term_stats (round_id, document_count, terms, df, pruned_df, documents, max_radius_km)
    values (${task.roundId}, ${termStats.documentCount}, ${sql.array(terms)}::text[], ${sql.array(df)}::int[],
            ${sql.array(pruned)}::int[], ${documents}, ${maxRadiusKm})
    on conflict (round_id) do update set document_count = excluded.document_count, terms = excluded.terms, df = excluded.df,
      pruned_df = excluded.pruned_df, documents = excluded.documents, max_radius_km = excluded.max_radius_km`;
  return { documents, maxRadiusKm };
}

export async function loadRoundStats(sql: Sql, roundId: number): Promise<RoundStats> {
  const [row] = await sql`select document_count, terms, df, pruned_df, documents, max_radius_km from round_term_stats where round_id = ${roundId}`;
  if (!row) throw new Error(`round ${roundId} has no term statistics`);
  const terms = row.terms as string[];
  const df = row.df as number[];
  const pruned = (row.pruned_df as number[] | null) ?? df;
  const documentFrequency = new Map<string, number>();
  const prunedDf = new Map<string, number>();
  for (let k = 0; k < terms.length; k++) {
    documentFrequency.set(terms[k]!, df[k]!);
    prunedDf.set(terms[k]!, pruned[k]!);
  }
  return {
    termStats: { documentCount: row.document_count as number, documentFrequency },
    prunedDf,
    documents: (row.documents as number | null) ?? (row.document_count as number),
    maxRadiusKm: Number(row.max_radius_km ?? 0),
  };
}

/** One shard: the people it owns get their candidates scored; the packed result is stored. */
export async function computeShard(sql: Sql, task: ShardTask, settings: RoundSettings): Promise<ShardSummary> {
  const t0 = performance.now();
  const asOf = new Date(task.asOf);
  const [rows, stats, excludedPairs] = await Promise.all([
    loadEligibleProfiles(sql, shardWindow(task.bounds, task.overlapKm), asOf),
    loadRoundStats(sql, task.roundId),
    loadExcludedPairs(sql),
  ]);
  const population = buildPopulation(rows, { termStats: stats.termStats });
  // The candidate search must judge "too common a word" and "how far anywhere-people look" on
  // the whole round, as one process does, not on this shard's part of it.
  for (let t = 0; t < population.termText.length; t++) {
    const global = stats.prunedDf.get(population.termText[t]!);
    if (global !== undefined) population.termDf[t] = global;
  }
  const dfCap = Math.max(CANDIDATES.dfSkipMin, Math.floor(CANDIDATES.dfSkipRatio * stats.documents));
  const candidateOptions = { dfSkipMin: dfCap, dfSkipRatio: Number.MIN_VALUE };
  const index = buildCandidateIndex(population, candidateOptions);
  index.maxFiniteRadius = stats.maxRadiusKm;
  const result = scoreShard(population, task.bounds, task.overlapKm, {
    ...candidateOptions,
    index,
    excludedPairs,
    keepPerPerson: keepPerPersonFor(settings.maxPerPerson),
  });
  const ms = performance.now() - t0;
  await sql`
    update round_shards set status = 'done', pair_count = ${result.pairs.length},
      pairs = ${packPairs(result.pairs)}, stats = ${packStats(result.stats)},
      work = ${sql.json({ ...result.work, loaded: rows.length, ms: Math.round(ms), pid: process.pid, host: hostname() } as never)},
      warnings = ${sql.array(result.warnings)}::text[], finished_at = now()
    where round_id = ${task.roundId} and shard = ${task.shard}`;
  return { shard: task.shard, loaded: rows.length, owned: result.work.owned, pairs: result.pairs.length, ms, warnings: result.warnings, pid: process.pid, host: hostname() };
}

export interface MergeTask {
  roundId: number;
  asOf: string;
}

/** The parent of a sharded round: everyone's columns, the shards' candidates, then selection. */
export async function computeMerge(sql: Sql, task: MergeTask, settings: RoundSettings, onExplained?: (pairs: PlannedPair[]) => void): Promise<ComputedPlan> {
  const t0 = performance.now();
  const asOf = new Date(task.asOf);
  const [rows, descriptions, excludedPairs, stats, shards] = await Promise.all([
    loadEligibleProfiles(sql, undefined, asOf),
    loadEligibleDescriptions(sql, asOf),
    loadExcludedPairs(sql),
    loadRoundStats(sql, task.roundId),
    sql`select shard, status, pairs, stats, work, warnings from round_shards where round_id = ${task.roundId} order by shard`,
  ]);
  const missing = shards.filter((s) => s.status !== 'done').map((s) => s.shard as number);
  if (shards.length === 0 || missing.length > 0) throw new Error(`round ${task.roundId}: shards not done: ${missing.join(', ') || 'none planned'}`);
  const t1 = performance.now();
  // The explanations are shared with a helper thread, started now so it is ready by then.
  const helper = startRoundHelper(rows.length);
  try {
    return await mergeWith(rows, descriptions, excludedPairs, stats, shards as unknown as Record<string, unknown>[], settings, helper, { t0, t1 }, onExplained);
  } finally {
    await helper?.close();
  }
}

async function mergeWith(
  rows: Awaited<ReturnType<typeof loadEligibleProfiles>>,
  descriptions: Map<number, string>,
  excludedPairs: IdPairs,
  stats: RoundStats,
  shards: readonly Record<string, unknown>[],
  settings: RoundSettings,
  helper: RoundHelper | null,
  times: { t0: number; t1: number },
  onExplained?: (pairs: PlannedPair[]) => void,
): Promise<ComputedPlan> {
  const { t0, t1 } = times;
  const population = buildPopulation(rows, { termStats: stats.termStats });
  const populationMs = performance.now() - t1;
  const warnings = shards.flatMap((s) => s.warnings as string[]);
  const mergeInput: MergeInput = {
    population,
    rowCount: rows.length,
    shardPairs: shards.map((s) => unpackPairs(s.pairs as Uint8Array)),
    shardStats: shards.map((s) => unpackStats(s.stats as Uint8Array)),
    maxPerPerson: settings.maxPerPerson,
    minScore: settings.minScore,
    excludedPairs,
    describe: (id: number) => descriptions.get(id),
    onExplained,
    now: Date.now(),
    warnings,
    populationMs,
    candidatesMs: Math.max(0, ...shards.map((s) => Number((s.work as { ms?: number } | null)?.ms ?? 0))),
  };
  const plan = helper ? await planFromShardsSharing(mergeInput, helper) : planFromShards(mergeInput);
  return { plan, timingsMs: { load: t1 - t0, plan: performance.now() - t1 } };
}
