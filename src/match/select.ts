// Choosing the week's pairs from the scored candidates: best first, at most N proposals per person,
// never an excluded pair, people who waited longest first among equal scores. Greedy on purpose:
// it is explainable ("you got your best partner who was still free"), deterministic, and within a
// factor two of the best total score, which is more than word-similarity scores deserve.
import type { ScoredPairList } from './candidates.js';
import { DEFAULT_MAX_PER_PERSON, DEFAULT_MIN_SCORE, SCORE_TIE_QUANTUM } from './weights.js';

export interface SelectOptions {
  /** Proposals per person this round (default 1). */
  maxPerPerson?: number;
  /** Pairs scoring below this are never proposed (default DEFAULT_MIN_SCORE). */
  minScore?: number;
  /** Pairs never to propose, as [id, id] in either order: past introductions, declines. */
  excludedPairs?: Iterable<readonly [number, number]>;
  /** When each person started waiting (epoch ms); missing = waited least. */
  waitingSince?: ReadonlyMap<number, number> | ((id: number) => number);
}

export interface Selection {
  /** Indices into the scored list, in the order they were chosen (best first). */
  selected: number[];
  /** Ids with at least one pair at or above the minimum score (chosen or not). */
  hadViablePair: Set<number>;
  /** Ids that appear in at least one scored pair. */
  hadScoredPair: Set<number>;
  /** Ids for which every scored pair was an excluded one. */
  onlyExcluded: Set<number>;
}

function pairId(a: number, b: number): string {
  return a < b ? `${a}:${b}` : `${b}:${a}`;
}

export function selectPairs(list: ScoredPairList, options: SelectOptions = {}): Selection {
  const maxPerPerson =
    typeof options.maxPerPerson === 'number' && Number.isFinite(options.maxPerPerson)
      ? Math.max(0, Math.floor(options.maxPerPerson))
      : DEFAULT_MAX_PER_PERSON;
  const minScore =
    typeof options.minScore === 'number' && Number.isFinite(options.minScore) ? options.minScore : DEFAULT_MIN_SCORE;
  const excluded = new Set<string>();
  for (const pair of options.excludedPairs ?? []) {
    if (pair && pair[0] !== pair[1]) excluded.add(pairId(pair[0], pair[1]));
  }
  const waiting = options.waitingSince;
  const waitOf =
    typeof waiting === 'function'
      ? (id: number): number => {
          const value = waiting(id);
          return Number.isFinite(value) ? value : Number.MAX_SAFE_INTEGER;
        }
      : (id: number): number => waiting?.get(id) ?? Number.MAX_SAFE_INTEGER;

  // People of the list, numbered once, so the rest works on typed arrays.
  const localOf = new Map<number, number>();
  const idOf: number[] = [];
  const local = (id: number): number => {
    let k = localOf.get(id);
    if (k === undefined) {
      k = idOf.length;
      localOf.set(id, k);
      idOf.push(id);
    }
    return k;
  };
  const n = list.length;
  const aLocal = new Int32Array(n);
  const bLocal = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    aLocal[k] = local(list.a[k]!);
    bLocal[k] = local(list.b[k]!);
  }
  const people = idOf.length;
  const notExcluded = new Uint8Array(people);
  const viable = new Uint8Array(people);
  const candidates: number[] = [];
  for (let k = 0; k < n; k++) {
    const a = aLocal[k]!;
    const b = bLocal[k]!;
    if (excluded.size > 0 && excluded.has(pairId(list.a[k]!, list.b[k]!))) continue;
    notExcluded[a] = notExcluded[b] = 1;
    if (!(list.score[k]! >= minScore)) continue;
    viable[a] = viable[b] = 1;
    candidates.push(k);
  }

  // One numeric key per pair: score bucket (best first), then the rank of the longer wait of the
  // two, then the other's. Ranks (0 = waited longest, ties by id) keep the key an exact integer
  // below 2^53, and a pair of people is unique in the list, so the order is total and the same on
  // every run; a single-number comparison keeps sorting 100k+ pairs fast.
  const waits = new Float64Array(people);
  for (let p = 0; p < people; p++) waits[p] = waitOf(idOf[p]!);
  const byWait = new Int32Array(people);
  for (let p = 0; p < people; p++) byWait[p] = p;
  byWait.sort((x, y) => waits[x]! - waits[y]! || idOf[x]! - idOf[y]!);
  const rank = new Int32Array(people);
  for (let r = 0; r < people; r++) rank[byWait[r]!] = r;
  const span = Math.max(1, people);
  let best = 1;
  for (const k of candidates) if (list.score[k]! > best) best = list.score[k]!;
  const maxBucket = Math.floor(best / SCORE_TIE_QUANTUM) + 1;
  const count = candidates.length;
  const keys = new Float64Array(count);
  for (let c = 0; c < count; c++) {
    const k = candidates[c]!;
    const bucket = Math.floor(list.score[k]! / SCORE_TIE_QUANTUM);
    const ra = rank[aLocal[k]!]!;
    const rb = rank[bLocal[k]!]!;
    keys[c] = (maxBucket - bucket) * span * span + Math.min(ra, rb) * span + Math.max(ra, rb);
  }
  const order = new Uint32Array(count);
  for (let c = 0; c < count; c++) order[c] = c;
  order.sort((x, y) => keys[x]! - keys[y]!);

  const given = new Int32Array(people);
  const selected: number[] = [];
  if (maxPerPerson > 0) {
    for (let c = 0; c < count; c++) {
      const k = candidates[order[c]!]!;
      const a = aLocal[k]!;
      const b = bLocal[k]!;
      if (given[a]! >= maxPerPerson || given[b]! >= maxPerPerson) continue;
      given[a]!++;
      given[b]!++;
      selected.push(k);
    }
  }

  const hadScoredPair = new Set<number>();
  const hadViablePair = new Set<number>();
  const onlyExcluded = new Set<number>();
  for (let p = 0; p < people; p++) {
    const id = idOf[p]!;
    hadScoredPair.add(id);
    if (viable[p]) hadViablePair.add(id);
    if (!notExcluded[p]) onlyExcluded.add(id);
  }
  return { selected, hadViablePair, hadScoredPair, onlyExcluded };
}
