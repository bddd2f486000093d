// A second thread for a round's CPU-heavy steps, so a single-process round uses both cores of a
// small machine: the candidate search (people claimed in blocks from a shared counter, so a
// dense city does not leave one thread waiting) and the explanations (every other pair).
// The helper receives plain typed arrays and strings, never a database connection; what it
// returns is what the same pure functions return on the round's own thread (src/match/), so
// the plan is the same with or without it (test/unit/round-helper.test.ts). Worth it from
// HELPER_MIN_PEOPLE people up; if the thread dies, the round thread does its part itself.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import {
  buildCandidateIndex,
  buildExclusions,
  explainPair,
  mergeScoredPairs,
  scoreShard,
  type CandidateIndex,
  type CandidateOptions,
  type Exclusions,
  type ExplainInput,
  type Explanation,
  type PersonCandidateStats,
  type Population,
  type RoundSharing,
  type ScoreShardOptions,
  type ShardResult,
} from '../match/index.js';
import { bootstrapSource } from './thread.js';

/** What crosses to the helper: the population without its maps (rebuilt there from `ids`). */
export type PortablePopulation = Omit<Population, 'indexOfId' | 'termIndex' | 'descriptions' | 'termText' | 'rejectedRows'>;

export type HelperRequest =
  | {
      kind: 'score';
      population: PortablePopulation;
      index: CandidateIndex;
      options: CandidateOptions;
      exclusions: Exclusions;
      counter: SharedArrayBuffer;
    }
  | { kind: 'explain'; inputs: ExplainInput[] };

export type HelperReply = { ok: true; result: unknown } | { ok: false; error: string };

/**
 * Below this many people a round does without the helper: starting a thread (loader, modules,
 * cold caches) costs more CPU (~0.6 s) than it saves on a search of a second or less.
 */
export const HELPER_MIN_PEOPLE = 20_000;

/**
 * Whether a round of `people` people starts a helper thread: at least two cores and
 * HELPER_MIN_PEOPLE people. MAILLAGE_ROUND_HELPER=0 never starts one, =1 always does (tests).
 */
export function helperWanted(people: number): boolean {
  const setting = process.env.MAILLAGE_ROUND_HELPER;
  if (setting === '0') return false;
  if (setting === '1') return true;
  return people >= HELPER_MIN_PEOPLE && availableParallelism() >= 2;
}

export class RoundHelper implements RoundSharing {
  private readonly worker: Worker;
  private failure: Error | null = null;
  private pending: { resolve(value: unknown): void; reject(err: Error): void } | null = null;
  /** People scored on each side by the last scoreEveryone (for tests and curiosity). */
  lastShare: { here: number; there: number } | null = null;

  constructor() {
    this.worker = new Worker(bootstrapSource('./helper-entry.ts'), { eval: true, stdout: false });
    this.worker.on('message', (reply: HelperReply) => {
      const pending = this.pending;
      this.pending = null;
      if (!pending) return;
      if (reply.ok) pending.resolve(reply.result);
      else pending.reject(new Error(`round helper thread: ${reply.error}`));
    });
    const fail = (err: Error) => {
      this.failure ??= err;
      this.pending?.reject(err);
      this.pending = null;
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`the round helper thread stopped (exit code ${code})`)));
  }

  private request<T>(message: HelperRequest, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.pending) return Promise.reject(new Error('round helper thread: one request at a time'));
    return new Promise<T>((resolve, reject) => {
      this.pending = { resolve: resolve as (value: unknown) => void, reject };
      this.worker.postMessage(message, transfer);
    });
  }

  /** scoreShard(population, null, 0, options) on two threads at once; the same result. */
  async scoreEveryone(population: Population, options: ScoreShardOptions): Promise<ShardResult> {
    // Only the candidate options cross (the caller's may hold functions, which cannot).
    const { index: given } = options;
    const rest: CandidateOptions = {
      cellKm: options.cellKm,
      postingsPerList: options.postingsPerList,
      dfSkipRatio: options.dfSkipRatio,
      dfSkipMin: options.dfSkipMin,
      keepPerPerson: options.keepPerPerson,
      finalists: options.finalists,
      readBudget: options.readBudget,
      queryTerms: options.queryTerms,
    };
    const index = given ?? buildCandidateIndex(population, options);
    const exclusions = options.exclusions ?? buildExclusions(population, options.excludedPairs);
    if (this.failure) return scoreShard(population, null, 0, { ...rest, exclusions, index });
    // Shared, not copied: the helper reads the same memory (no second 100 MB copy at 100k).
    shareTypedArrays(population);
    shareTypedArrays(index);
    shareTypedArrays(exclusions);
    const counter = new SharedArrayBuffer(4);
    const claims = new Int32Array(counter);
    const { indexOfId: _i, termIndex: _t, descriptions: _d, termText: _x, rejectedRows: _r, ...portable } = population;
    const away = this.request<ShardResult>({
      kind: 'score',
      population: portable,
      index,
      options: rest,
      exclusions,
      counter,
    });
    // Claimed here and there from the same counter: together, every block exactly once.
    let here: ShardResult;
    try {
      here = scoreShard(population, null, 0, { ...rest, exclusions, index, claimBlock: () => Atomics.add(claims, 0, 1) });
    } catch (err) {
      away.catch(() => {});
      throw err;
    }
    let there: ShardResult;
    try {
      there = await away;
    } catch {
      // The helper is gone (out of memory, killed), with the blocks it had claimed: score
      // everyone here instead. Slower, same result: the helper only ever saves time.
      this.lastShare = null;
      return scoreShard(population, null, 0, { ...rest, exclusions, index });
    }
    this.lastShare = { here: here.work.owned, there: there.work.owned };
    return {
      pairs: mergeScoredPairs([here.pairs, there.pairs]),
      stats: concatStats(here.stats, there.stats),
      work: {
        reads: here.work.reads + there.work.reads,
        touched: here.work.touched + there.work.touched,
        exactScored: here.work.exactScored + there.work.exactScored,
        owned: here.work.owned + there.work.owned,
      },
      warnings: [...here.warnings, ...there.warnings],
    };
  }

  explainSome(inputs: ExplainInput[]): Promise<Explanation[]> {
    if (inputs.length === 0) return Promise.resolve([]);
    // Without the helper (gone), explained here: the same sentences.
    return this.request<Explanation[]>({ kind: 'explain', inputs }).catch(() => inputs.map((input) => explainPair(input)));
  }

  /** Tests only: stops the thread as a crash would. */
  async crashForTest(): Promise<void> {
    await this.worker.terminate();
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    this.worker.on('exit', () => {});
    await this.worker.terminate();
  }
}

type AnyTypedArray = Float64Array | Float32Array | Int32Array | Uint32Array | Uint8Array;

/**
 * Moves every typed-array field of `holder` into shared memory (same values, same types), so
 * that posting it to the helper shares rather than copies it. The engine only reads these
 * arrays during the search, and never from both threads while writing.
 */
function shareTypedArrays(holder: object): void {
  const fields = holder as Record<string, unknown>;
  for (const [key, value] of Object.entries(fields)) {
    if (!ArrayBuffer.isView(value) || value instanceof DataView || value.buffer instanceof SharedArrayBuffer) continue;
    const array = value as AnyTypedArray;
    const Kind = array.constructor as new (buffer: SharedArrayBuffer) => AnyTypedArray;
    const shared = new Kind(new SharedArrayBuffer(array.byteLength));
    shared.set(array);
    fields[key] = shared;
  }
}

function concatStats(x: PersonCandidateStats, y: PersonCandidateStats): PersonCandidateStats {
  const join = <T extends Float64Array | Int32Array | Uint8Array>(a: T, b: T, make: (n: number) => T): T => {
    const out = make(a.length + b.length);
    out.set(a, 0);
    out.set(b, a.length);
    return out;
  };
  return {
    ids: join(x.ids, y.ids, (n) => new Float64Array(n)),
    inReach: join(x.inReach, y.inReach, (n) => new Int32Array(n)),
    excluded: join(x.excluded, y.excluded, (n) => new Int32Array(n)),
    duplicates: join(x.duplicates, y.duplicates, (n) => new Int32Array(n)),
    anyoneInReach: join(x.anyoneInReach, y.anyoneInReach, (n) => new Uint8Array(n)),
  };
}

/**
 * Starts a helper for a round of `people` people when it is worth it (see helperWanted), else
 * null. Started once the rows are loaded: its start-up overlaps building the population and the
 * candidate index, which it does not need.
 */
export function startRoundHelper(people: number): RoundHelper | null {
  return helperWanted(people) ? new RoundHelper() : null;
}
