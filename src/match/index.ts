// Public surface of the matching engine (pure: no database, queue, mail or network).
export { analyse, surfaceForms, contentTokens, foldAccents, isStopword, MAX_STORED_TERMS } from './text.js';
export type { TextAnalysis, ContentToken, AnalyseOptions } from './text.js';
export { buildPopulation, computeTermStats } from './population.js';
export type { MatchInput, Population, TermStats, BuildPopulationOptions } from './population.js';
export {
  buildCandidateIndex,
  scoreShard,
  mergeScoredPairs,
  rowBelongsToShard,
  ownsLocation,
} from './candidates.js';
export type {
  CandidateOptions,
  CandidateIndex,
  ScoredPairList,
  ShardBounds,
  ShardResult,
  ScoreShardOptions,
  PersonCandidateStats,
} from './candidates.js';
export { buildExclusions, isExcluded, toIdPairs } from './exclusions.js';
export type { Exclusions, ExcludedPairsInput, IdPairs } from './exclusions.js';
export { scorePair } from './score.js';
export type { ScoreComponents, ExactPairScore } from './score.js';
export { selectPairs } from './select.js';
export type { SelectOptions, Selection } from './select.js';
export { explainPair } from './explain.js';
export type { ExplainInput, Explanation } from './explain.js';
export { planRound, planRoundSharing, finishRound, finishRoundSharing, explanationInputs, keepPerPersonFor, explainSelected, sharedStemsOf, UNMATCHED_REASONS, UNMATCHED_LABELS } from './round.js';
export type { PlanRoundOptions, RoundSharing, FinishRoundInput, PlannedPair, RoundPlan, RoundReport, UnmatchedPerson, UnmatchedReason } from './round.js';
export { haversineKm } from './distance.js';
