// The parent of a sharded round: merges the shards' scored candidates, keeps the pairs whose two
// people are still in the round, then selects, explains and reports with the engine's own
// finishRound, the second half of planRound: a round split over several machines proposes what
// one process would.
import {
  finishRound,
  finishRoundSharing,
  mergeScoredPairs,
  type ExcludedPairsInput,
  type FinishRoundInput,
  type RoundSharing,
  type PersonCandidateStats,
  type Population,
  type RoundPlan,
  type ScoredPairList,
} from '../match/index.js';

export interface MergeInput {
  population: Population;
  /** Rows the population was built from (for the report's count). */
  rowCount: number;
  shardPairs: readonly ScoredPairList[];
  shardStats: readonly PersonCandidateStats[];
  maxPerPerson?: number;
  minScore?: number;
  excludedPairs: ExcludedPairsInput;
  describe: (id: number) => string | null | undefined;
  onExplained?: FinishRoundInput['onExplained'];
  now: number;
  warnings: string[];
  /** Time spent building the whole population, and finding candidates (the longest shard). */
  populationMs: number;
  candidatesMs: number;
}

/** Keeps the pairs whose two people are both in the population (someone may have left meanwhile). */
export function keepKnownPairs(list: ScoredPairList, population: Population): ScoredPairList {
  const keep: number[] = [];
  for (let n = 0; n < list.length; n++) {
    if (population.indexOfId.has(list.a[n]!) && population.indexOfId.has(list.b[n]!)) keep.push(n);
  }
  if (keep.length === list.length) return list;
  const pick = (column: Float64Array) => Float64Array.from(keep, (n) => column[n]!);
  return {
    length: keep.length,
    a: pick(list.a),
    b: pick(list.b),
    score: pick(list.score),
    distanceKm: pick(list.distanceKm),
    text: pick(list.text),
    proximity: pick(list.proximity),
    category: pick(list.category),
    role: pick(list.role),
  };
}

export function planFromShards(input: MergeInput): RoundPlan {
  return finishRound(finishInputOf(input));
}

/** planFromShards with part of the explanations written elsewhere (the round's helper thread). */
export function planFromShardsSharing(input: MergeInput, sharing: Pick<RoundSharing, 'explainSome'>): Promise<RoundPlan> {
  return finishRoundSharing(finishInputOf(input), (inputs) => sharing.explainSome(inputs));
}

function finishInputOf(input: MergeInput): FinishRoundInput {
  const started = performance.now() - input.populationMs - input.candidatesMs;
  return {
    population: input.population,
    rowCount: input.rowCount,
    pairs: keepKnownPairs(mergeScoredPairs(input.shardPairs), input.population),
    stats: input.shardStats,
    maxPerPerson: input.maxPerPerson,
    minScore: input.minScore,
    excludedPairs: input.excludedPairs,
    describe: input.describe,
    onExplained: input.onExplained,
    now: input.now,
    warnings: input.warnings,
    timingsMs: { population: input.populationMs, candidates: input.candidatesMs },
    started,
  };
}
