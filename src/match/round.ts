// planRound: the one function a weekly round calls. Pure: rows in, pairs + reasons + report out.
//
//   rows ──buildPopulation──▶ columns ──scoreShard(all)──▶ scored candidates ──selectPairs──▶ pairs
//                                                                              └─▶ explanations (selected only)
//
// The round job loads eligible profiles (active, confirmed, not paused / bounced /
// unsubscribed), past introductions and declines (→ excludedPairs), calls this, and writes the
// result. Multi-worker rounds use the same pieces: scoreShard per shard (candidates.ts), then
// finishRound on the merged lists (see README.md, "Sharding").
import { CATEGORIES, type Category } from '../vocabulary.js';
import {
  scoreShard,
  type CandidateOptions,
  type PersonCandidateStats,
  type ScoredPairList,
  type ScoreShardOptions,
  type ShardResult,
} from './candidates.js';
import { buildExclusions, isExcluded, type ExcludedPairsInput, type Exclusions } from './exclusions.js';
import { explainPair, type ExplainInput, type Explanation } from './explain.js';
import { buildPopulation, roleOfCode, type MatchInput, type Population, type TermStats } from './population.js';
import { selectPairs, type Selection } from './select.js';
import type { ScoreComponents } from './score.js';
import { CANDIDATES, DEFAULT_MAX_PER_PERSON, DEFAULT_MIN_SCORE, REJOINDRE_PAIR_NEAR_KM } from './weights.js';

export type { MatchInput } from './population.js';

export interface PlanRoundOptions extends CandidateOptions {
  /** Proposals per person this round (default 1). */
  maxPerPerson?: number;
  /** Minimum score of a proposed pair (default DEFAULT_MIN_SCORE in weights.ts). */
  minScore?: number;
  /** Pairs never to propose, as ids in either order: past introductions, declines either way. */
  excludedPairs?: ExcludedPairsInput;
  /** Epoch ms of the round, for waiting-time figures in the report (default: the latest waitingSince). */
  now?: number;
  /**
   * The description of a person, called only for people in selected pairs (to quote their own
   * words). Falls back to `row.description`; without either, explanations skip the words.
   */
  describe?: (id: number) => string | null | undefined;
  /** Global document frequencies, when this round is one shard of a larger one. */
  termStats?: TermStats;
  /** Called with the planned pairs as they are explained (see FinishRoundInput.onExplained). */
  onExplained?: (pairs: PlannedPair[]) => void;
  /** Pairs per onExplained call (default EXPLAIN_CHUNK). */
  explainChunk?: number;
}

export interface PlannedPair {
  /** Smaller id. */
  a: number;
  /** Larger id. */
  b: number;
  score: number;
  /** Null when one of them has no location. */
  distanceKm: number | null;
  components: ScoreComponents;
  /** The words they share, as they wrote them. */
  sharedWords: string[];
  /** One French sentence for both of them. */
  explanation: string;
}

export const UNMATCHED_REASONS = [
  'invalid_profile',
  'no_words',
  'no_location',
  'nobody_in_reach',
  'no_shared_words',
  'only_duplicates',
  'already_introduced',
  'below_min_score',
  'partners_taken',
] as const;
export type UnmatchedReason = (typeof UNMATCHED_REASONS)[number];

/** French labels of the reasons, for the operator's report and for the person's own page. */
export const UNMATCHED_LABELS: Record<UnmatchedReason, string> = {
  invalid_profile: "Profil inutilisable (identifiant manquant ou en double) : il n'a pas été pris en compte.",
  no_words:
    'La description est vide ou ne contient que des mots trop courants : impossible de trouver des affinités sans quelques mots sur le projet.',
  no_location:
    "Nous ne savons pas où se trouve cette personne : il manque une commune ou un code postal (ou l'indication « n'importe où »).",
  nobody_in_reach: "Personne d'autre n'est encore inscrit dans le rayon choisi.",
  no_shared_words: 'Des personnes sont inscrites dans le rayon choisi, mais aucune ne parle encore de thèmes proches.',
  only_duplicates:
    "La seule description proche semble être la sienne, inscrite une seconde fois (même texte sous une autre adresse).",
  already_introduced: 'Toutes les personnes proches et compatibles lui ont déjà été présentées, ou la rencontre a été déclinée.',
  below_min_score: 'Les affinités trouvées cette semaine sont trop faibles pour proposer une rencontre.',
  partners_taken:
    'Les personnes les plus proches de son projet ont déjà reçu leur proposition de la semaine : ce sera pour une prochaine fois.',
};

export interface UnmatchedPerson {
  id: number;
  reason: UnmatchedReason;
  label: string;
}

export interface RoundReport {
  /** Rows received. */
  people: number;
  /** People who could be matched in principle: some words, and a location or "anywhere". */
  eligible: number;
  pairs: number;
  unmatched: number;
  byReason: Record<UnmatchedReason, number>;
  /** Selected pair scores in ten bins of 0.1 (the last bin also holds scores ≥ 1). */
  scoreHistogram: { from: number; to: number; count: number }[];
  /** Candidate pairs scored exactly and offered to selection. */
  candidatePairs: number;
  /** Median days waited by people who got a proposal / who did not (null when none). */
  medianWaitDays: { matched: number | null; unmatched: number | null };
  timingsMs: { population: number; candidates: number; select: number; explain: number; total: number };
  warnings: string[];
}

export interface RoundPlan {
  pairs: PlannedPair[];
  unmatched: UnmatchedPerson[];
  report: RoundReport;
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Shared stems of two people, strongest contribution to their cosine first. */
export function sharedStemsOf(population: Population, i: number, j: number): string[] {
  const { vectorStart, vectorTerm, vectorWeight, termText } = population;
  const shared: { stem: string; weight: number }[] = [];
  let p = vectorStart[i]!;
  let q = vectorStart[j]!;
  while (p < vectorStart[i + 1]! && q < vectorStart[j + 1]!) {
    const tp = vectorTerm[p]!;
    const tq = vectorTerm[q]!;
    if (tp === tq) {
      shared.push({ stem: termText[tp]!, weight: vectorWeight[p]! * vectorWeight[q]! });
      p++;
      q++;
    } else if (tp < tq) p++;
    else q++;
  }
  shared.sort((x, y) => y.weight - x.weight || (x.stem < y.stem ? -1 : 1));
  return shared.map((s) => s.stem);
}

function sharedCategoriesOf(population: Population, i: number, j: number): Category[] {
  const mask = population.categoryMask[i]! & population.categoryMask[j]!;
  return CATEGORIES.filter((_, k) => (mask & (1 << k)) !== 0);
}

/** Why a person got no proposal, from what candidate generation and selection saw. */
function reasonFor(
  population: Population,
  i: number,
  stat: { stats: PersonCandidateStats; k: number } | undefined,
  selection: Selection,
): UnmatchedReason {
  const id = population.ids[i]!;
  if (population.vectorStart[i + 1] === population.vectorStart[i]) return 'no_words';
  if (!population.located[i] && population.radiusKm[i] !== Infinity) return 'no_location';
  if (selection.hadViablePair.has(id)) return 'partners_taken';
  if (selection.hadScoredPair.has(id)) return selection.onlyExcluded.has(id) ? 'already_introduced' : 'below_min_score';
  if (!stat) return 'nobody_in_reach';
  const { stats, k } = stat;
  if (stats.inReach[k] === 0) return stats.anyoneInReach[k] ? 'no_shared_words' : 'nobody_in_reach';
  if (stats.duplicates[k]! > 0) return 'only_duplicates';
  if (stats.excluded[k]! > 0) return 'already_introduced';
  // Everyone touched turned out just beyond a radius when measured exactly.
  return 'nobody_in_reach';
}

function emptyByReason(): Record<UnmatchedReason, number> {
  return Object.fromEntries(UNMATCHED_REASONS.map((reason) => [reason, 0])) as Record<UnmatchedReason, number>;
}

function resolveMaxPerPerson(value: number | undefined): number {
  return typeof value === 'number' && Number.isFinite(value) ? Math.max(0, Math.floor(value)) : DEFAULT_MAX_PER_PERSON;
}

/** Partners kept per person by candidate search for a given cap (shards must use the same). */
export function keepPerPersonFor(maxPerPerson: number): number {
  return Math.max(CANDIDATES.keepPerPerson, 2 * resolveMaxPerPerson(maxPerPerson) + 4);
}

/**
 * Plans one round. Deterministic for the same rows and options (row order does not matter), and
 * never throws on bad data: whoever cannot be matched is listed in `unmatched` with a reason.
 */
export function planRound(rows: readonly MatchInput[], options: PlanRoundOptions = {}): RoundPlan {
  const prepared = prepareRound(rows, options);
  const shard = scoreShard(prepared.population, null, 0, prepared.shardOptions);
  return finishRound(prepared.finishInput(shard));
}

/**
 * Where planRound's two heavy steps may run elsewhere (other threads): `scoreEveryone` must
 * return what scoreShard(population, null, 0, options) returns, and `explainSome` what
 * explainPair returns for each input. The plan is then planRound's.
 */
export interface RoundSharing {
  scoreEveryone(population: Population, options: ScoreShardOptions): Promise<ShardResult>;
  explainSome(inputs: ExplainInput[]): Promise<Explanation[]>;
}

/** planRound with its heavy steps shared (see RoundSharing): the same plan. */
export async function planRoundSharing(rows: readonly MatchInput[], options: PlanRoundOptions, sharing: RoundSharing): Promise<RoundPlan> {
  const prepared = prepareRound(rows, options);
  const shard = await sharing.scoreEveryone(prepared.population, prepared.shardOptions);
  return finishRoundSharing(prepared.finishInput(shard), (inputs) => sharing.explainSome(inputs));
}

function prepareRound(rows: readonly MatchInput[], options: PlanRoundOptions) {
  const started = performance.now();
  const maxPerPerson = resolveMaxPerPerson(options.maxPerPerson);
  const population = buildPopulation(Array.isArray(rows) ? rows : [], { termStats: options.termStats });
  const afterPopulation = performance.now();
  // Indexed once for this population: the search and the selection both ask it.
  const exclusions = buildExclusions(population, options.excludedPairs);
  const shardOptions: ScoreShardOptions = {
    ...options,
    excludedPairs: undefined,
    exclusions,
    // Enough alternatives that someone whose favourite partners are taken still gets a good one.
    keepPerPerson: options.keepPerPerson ?? keepPerPersonFor(maxPerPerson),
  };
  // Only the count is kept: the rows themselves (100k objects, millions of strings) can go.
  const rowCount = Array.isArray(rows) ? rows.length : 0;
  const finishInput = (shard: ShardResult): FinishRoundInput => ({
    population,
    rowCount,
    pairs: shard.pairs,
    stats: [shard.stats],
    maxPerPerson,
    minScore: options.minScore,
    exclusions,
    describe: options.describe,
    onExplained: options.onExplained,
    explainChunk: options.explainChunk,
    now: options.now,
    warnings: shard.warnings,
    timingsMs: { population: afterPopulation - started, candidates: performance.now() - afterPopulation },
    started,
  });
  return { population, shardOptions, finishInput };
}

export interface FinishRoundInput {
  /** The whole round's population (for a sharded round: built from all rows, for explanations). */
  population: Population;
  /** Rows received, for the report. */
  rowCount: number;
  /** Scored candidates: scoreShard's list, or mergeScoredPairs of the shards' lists. */
  pairs: ScoredPairList;
  /** Candidate statistics of every shard (each person is owned by exactly one). */
  stats: readonly PersonCandidateStats[];
  maxPerPerson?: number;
  minScore?: number;
  excludedPairs?: ExcludedPairsInput;
  /** The same, already indexed for `population` (buildExclusions): then excludedPairs is not read. */
  exclusions?: Exclusions;
  describe?: (id: number) => string | null | undefined;
  /**
   * Called with the planned pairs in chunks (selection order, each pair once) as soon as they are
   * explained, before the plan is returned: the round job writes them while the rest are still
   * being explained. The plan still holds every pair.
   */
  onExplained?: (pairs: PlannedPair[]) => void;
  /** Pairs per onExplained call (default EXPLAIN_CHUNK). */
  explainChunk?: number;
  now?: number;
  warnings?: readonly string[];
  /** Time already spent building the population and finding candidates. */
  timingsMs?: { population?: number; candidates?: number };
  /** performance.now() when the round started, for the total (default: now). */
  started?: number;
}

/**
 * Pairs explained (and handed to onExplained) at a time: small enough that the writing follows
 * closely (about a tenth of a 100k round), large enough that each insert is a good batch.
 */
export const EXPLAIN_CHUNK = 4_096;

function chunkSize(input: FinishRoundInput): number {
  const size = input.explainChunk;
  return typeof size === 'number' && Number.isInteger(size) && size > 0 ? size : EXPLAIN_CHUNK;
}

/**
 * The second half of a round, shared by planRound and by a parent merging shards: selection,
 * explanations of the selected pairs, reasons for everyone else, and the report.
 */
export function finishRound(input: FinishRoundInput): RoundPlan {
  const chosen = chooseRoundPairs(input);
  const selected = chosen.selection.selected;
  const planned: PlannedPair[] = [];
  const size = chunkSize(input);
  for (let start = 0; start < selected.length; start += size) {
    const chunk = selected.slice(start, start + size);
    const inputs = explanationInputs(input.population, input.pairs, chunk, input.describe);
    handOver(input, planned, plannedPairs(input.pairs, chunk, inputs.map((one) => (one === null ? null : explainPair(one)))));
  }
  return summariseRound(input, chosen, planned);
}

/**
 * finishRound with the explanations computed by `explainSome` for part of the pairs, e.g. on
 * another thread while this one writes the rest: the result is finishRound's, whatever
 * `explainSome` runs on, as long as it calls explainPair.
 */
export async function finishRoundSharing(
  input: FinishRoundInput,
  explainSome: (inputs: ExplainInput[]) => Promise<Explanation[]>,
): Promise<RoundPlan> {
  const chosen = chooseRoundPairs(input);
  const selected = chosen.selection.selected;
  const planned: PlannedPair[] = [];
  const size = chunkSize(input);
  for (let start = 0; start < selected.length; start += size) {
    const chunk = selected.slice(start, start + size);
    // Every other pair goes away (long and short descriptions spread evenly); the others are
    // explained here one at a time, so their inputs never all sit in memory at once.
    const awayInputs = explanationInputs(input.population, input.pairs, chunk.filter((_, n) => n % 2 === 1), input.describe);
    const pending = explainSome(awayInputs.filter((one): one is ExplainInput => one !== null));
    const explanations: (Explanation | null)[] = new Array(chunk.length).fill(null);
    for (let n = 0; n < chunk.length; n += 2) {
      const [one] = explanationInputs(input.population, input.pairs, [chunk[n]!], input.describe);
      if (one) explanations[n] = explainPair(one);
    }
    const done = await pending;
    let k = 0;
    awayInputs.forEach((one, m) => {
      if (one !== null) explanations[2 * m + 1] = done[k++] ?? null;
    });
    handOver(input, planned, plannedPairs(input.pairs, chunk, explanations));
  }
  return summariseRound(input, chosen, planned);
}

/** Adds a chunk of explained pairs to the plan and hands it to onExplained. */
function handOver(input: FinishRoundInput, planned: PlannedPair[], chunk: PlannedPair[]): void {
  for (const pair of chunk) planned.push(pair);
  input.onExplained?.(chunk);
}

interface ChosenPairs {
  selection: Selection;
  started: number;
  selectMs: number;
  /** When explaining began (selection's end). */
  explainStarted: number;
}

function chooseRoundPairs(input: FinishRoundInput): ChosenPairs {
  const started = input.started ?? performance.now();
  const { population } = input;
  const maxPerPerson = resolveMaxPerPerson(input.maxPerPerson);
  const minScore = typeof input.minScore === 'number' && Number.isFinite(input.minScore) ? input.minScore : DEFAULT_MIN_SCORE;
  const exclusions = input.exclusions ?? buildExclusions(population, input.excludedPairs);
  const beforeSelect = performance.now();
  const selection = selectPairs(input.pairs, {
    maxPerPerson,
    minScore,
    isExcluded: (a, b) => {
      const i = population.indexOfId.get(a);
      const j = population.indexOfId.get(b);
      return i !== undefined && j !== undefined && isExcluded(exclusions, i, j);
    },
    waitingSince: (id) => population.waitingSince[population.indexOfId.get(id) ?? -1] ?? Number.MAX_SAFE_INTEGER,
  });
  const afterSelect = performance.now();
  return { selection, started, selectMs: afterSelect - beforeSelect, explainStarted: afterSelect };
}

function summariseRound(input: FinishRoundInput, chosen: ChosenPairs, pairs: PlannedPair[]): RoundPlan {
  const { population } = input;
  const { selection, started } = chosen;
  const afterExplain = performance.now();

  const statOf = new Map<number, { stats: PersonCandidateStats; k: number }>();
  for (const stats of input.stats) for (let k = 0; k < stats.ids.length; k++) statOf.set(stats.ids[k]!, { stats, k });

  // Who got nothing, and why.
  const matched = new Set<number>();
  for (const pair of pairs) {
    matched.add(pair.a);
    matched.add(pair.b);
  }
  const unmatched: UnmatchedPerson[] = [];
  const byReason = emptyByReason();
  for (const rejected of population.rejectedRows) {
    unmatched.push({ id: rejected.id, reason: 'invalid_profile', label: UNMATCHED_LABELS.invalid_profile });
    byReason.invalid_profile++;
  }
  let eligible = 0;
  const now = typeof input.now === 'number' && Number.isFinite(input.now) ? input.now : latestWait(population);
  const waitMatched: number[] = [];
  const waitUnmatched: number[] = [];
  const dayMs = 86_400_000;
  for (let i = 0; i < population.size; i++) {
    const hasWords = population.vectorStart[i + 1]! > population.vectorStart[i]!;
    if (hasWords && (population.located[i] || population.radiusKm[i] === Infinity)) eligible++;
    const id = population.ids[i]!;
    const waited = population.waitingSince[i]! < Number.MAX_SAFE_INTEGER ? (now - population.waitingSince[i]!) / dayMs : null;
    if (matched.has(id)) {
      if (waited !== null) waitMatched.push(waited);
      continue;
    }
    if (waited !== null) waitUnmatched.push(waited);
    const reason = reasonFor(population, i, statOf.get(id), selection);
    unmatched.push({ id, reason, label: UNMATCHED_LABELS[reason] });
    byReason[reason]++;
  }

  const scoreHistogram = Array.from({ length: 10 }, (_, k) => ({
    from: Math.round(k * 10) / 100,
    to: Math.round((k + 1) * 10) / 100,
    count: 0,
  }));
  for (const pair of pairs) scoreHistogram[Math.min(9, Math.max(0, Math.floor(pair.score * 10)))]!.count++;

  const finished = performance.now();
  return {
    pairs,
    unmatched,
    report: {
      people: input.rowCount,
      eligible,
      pairs: pairs.length,
      unmatched: unmatched.length,
      byReason,
      scoreHistogram,
      candidatePairs: input.pairs.length,
      medianWaitDays: { matched: median(waitMatched), unmatched: median(waitUnmatched) },
      timingsMs: {
        population: input.timingsMs?.population ?? 0,
        candidates: input.timingsMs?.candidates ?? 0,
        select: chosen.selectMs,
        explain: afterExplain - chosen.explainStarted,
        total: finished - started,
      },
      warnings: [...(input.warnings ?? [])],
    },
  };
}

function latestWait(population: Population): number {
  let latest = 0;
  for (let i = 0; i < population.size; i++) {
    const w = population.waitingSince[i]!;
    if (w < Number.MAX_SAFE_INTEGER && w > latest) latest = w;
  }
  return latest;
}

/** Builds the explanations of the selected pairs (and only those). */
export function explainSelected(
  population: Population,
  list: ScoredPairList,
  selected: readonly number[],
  describe?: (id: number) => string | null | undefined,
): PlannedPair[] {
  const inputs = explanationInputs(population, list, selected, describe);
  return plannedPairs(list, selected, inputs.map((one) => (one === null ? null : explainPair(one))));
}

/**
 * What explainPair needs for each selected pair (null when a side is not in the population):
 * plain data, so the explaining can run on another thread.
 */
export function explanationInputs(
  population: Population,
  list: ScoredPairList,
  selected: readonly number[],
  describe?: (id: number) => string | null | undefined,
): (ExplainInput | null)[] {
  const descriptionOf = (id: number): string => {
    try {
      const text = describe?.(id) ?? population.descriptions.get(id);
      return typeof text === 'string' ? text : '';
    } catch {
      // A failing lookup costs the quote, not the round.
      return '';
    }
  };
  return selected.map((n) => {
    const a = list.a[n]!;
    const b = list.b[n]!;
    const i = population.indexOfId.get(a);
    const j = population.indexOfId.get(b);
    if (i === undefined || j === undefined) return null;
    const distance = list.distanceKm[n]!;
    return {
      roleA: roleOfCode(population.role[i]!),
      roleB: roleOfCode(population.role[j]!),
      sharedCategories: sharedCategoriesOf(population, i, j),
      sharedStems: sharedStemsOf(population, i, j),
      descriptionA: descriptionOf(a),
      descriptionB: descriptionOf(b),
      distanceKm: distance,
      nearEnoughToStart: !Number.isNaN(distance) && distance <= REJOINDRE_PAIR_NEAR_KM,
    };
  });
}

function plannedPairs(list: ScoredPairList, selected: readonly number[], explanations: readonly (Explanation | null)[]): PlannedPair[] {
  return selected.map((n, k) => {
    const distance = list.distanceKm[n]!;
    const explained = explanations[k] ?? null;
    return {
      a: list.a[n]!,
      b: list.b[n]!,
      score: list.score[n]!,
      distanceKm: Number.isNaN(distance) ? null : distance,
      components: {
        text: list.text[n]!,
        distance: list.proximity[n]!,
        category: list.category[n]!,
        role: list.role[n]!,
      },
      sharedWords: explained?.sharedWords ?? [],
      explanation: explained?.sentence ?? '',
    };
  });
}
