// Choosing the week's pairs from the scored candidates: best first, at most N proposals per person,
// never an excluded pair, people who waited longest first among equal scores. Greedy on purpose:
// it is explainable ("you got your best partner who was still free"), deterministic, and within a
// factor two of the best total score, which is more than word-similarity scores deserve.
import type { ScoredPairList } from './candidates.js';
import { toIdPairs, type ExcludedPairsInput } from './exclusions.js';
import { DEFAULT_MAX_PER_PERSON, DEFAULT_MIN_SCORE, SCORE_TIE_QUANTUM } from './weights.js';

export interface SelectOptions {
  /** Proposals per person this round (default 1). */
  maxPerPerson?: number;
  /** Pairs scoring below this are never proposed (default DEFAULT_MIN_SCORE). */
  minScore?: number;
  /** Pairs never to propose, as ids in either order: past introductions, declines. */
  excludedPairs?: ExcludedPairsInput;
  /**
   * The same as a question about two ids: a round asks its index of past introductions
   * (src/match/exclusions.ts) rather than hand over millions of pairs.
   */
  isExcluded?: (a: number, b: number) => boolean;
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

function localPairKey(x: number, y: number, people: number): number {
  return x < y ? x * people + y : y * people + x;
}

export function selectPairs(list: ScoredPairList, options: SelectOptions = {}): Selection {
  const maxPerPerson =
    typeof options.maxPerPerson === 'number' && Number.isFinite(options.maxPerPerson)
      ? Math.max(0, Math.floor(options.maxPerPerson))
      : DEFAULT_MAX_PER_PERSON;
  const minScore =
    typeof options.minScore === 'number' && Number.isFinite(options.minScore) ? options.minScore : DEFAULT_MIN_SCORE;
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
  // Exclusions between two people of the list only (the others cannot matter), keyed by their
  // local numbers: after a year of rounds there are millions of past introductions.
  const excluded = new Set<number>();
  const pairs = toIdPairs(options.excludedPairs);
  for (let e = 0; e < pairs.a.length; e++) {
    const x = localOf.get(pairs.a[e]!);
    const y = localOf.get(pairs.b[e]!);
    if (x !== undefined && y !== undefined && x !== y) excluded.add(localPairKey(x, y, people));
  }
  const isExcluded = options.isExcluded;
  const notExcluded = new Uint8Array(people);
  const viable = new Uint8Array(people);
  const candidates: number[] = [];
  for (let k = 0; k < n; k++) {
    const a = aLocal[k]!;
    const b = bLocal[k]!;
    if (excluded.size > 0 && excluded.has(localPairKey(a, b, people))) continue;
    if (isExcluded && isExcluded(idOf[a]!, idOf[b]!)) continue;
    notExcluded[a] = notExcluded[b] = 1;
    if (!(list.score[k]! >= minScore)) continue;
    viable[a] = viable[b] = 1;
    candidates.push(k);
  }

  // Order: score bucket (best first), then the rank of the longer wait of the two, then the
  // other's. Ranks (0 = waited longest, ties by id) are integers and a pair of people is unique
  // in the list, so the order is total and the same on every run (see orderCandidates).
  const waits = new Float64Array(people);
  for (let p = 0; p < people; p++) waits[p] = waitOf(idOf[p]!);
  const byWait = new Int32Array(people);
  for (let p = 0; p < people; p++) byWait[p] = p;
  byWait.sort((x, y) => waits[x]! - waits[y]! || idOf[x]! - idOf[y]!);
  const rank = new Int32Array(people);
  for (let r = 0; r < people; r++) rank[byWait[r]!] = r;
  let best = 1;
  for (const k of candidates) if (list.score[k]! > best) best = list.score[k]!;
  const maxBucket = Math.floor(best / SCORE_TIE_QUANTUM) + 1;
  const order = orderCandidates(candidates, list.score, maxBucket, rank, aLocal, bLocal);
  const count = candidates.length;

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

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function bitsFor(values: number): number {
  let bits = 1;
  while (2 ** bits < values) bits++;
  return bits;
}

/**
 * Positions 0…count-1 of `candidates` by (bucket, rank of the longer wait, rank of the other):
 * a total order, since a pair of people is unique in the list. When the three fields and the
 * position fit in 64 bits, each candidate becomes one unsigned 64-bit key sorted natively (no
 * comparator call per comparison: several times faster on the ~400,000 candidates of a 100k
 * round); otherwise the same order with a comparator.
 */
export function orderCandidates(
  candidates: readonly number[],
  scores: Float64Array,
  maxBucket: number,
  rank: Int32Array,
  aLocal: Int32Array,
  bLocal: Int32Array,
  /** Tests only: the comparator path, which the packed keys must agree with. */
  withComparator = false,
): Uint32Array {
  const count = candidates.length;
  const rankBits = bitsFor(rank.length);
  const indexBits = bitsFor(count);
  const bucketBits = bitsFor(maxBucket + 1);
  const order = new Uint32Array(count);
  if (!withComparator && LITTLE_ENDIAN && indexBits <= 32 && bucketBits + 2 * rankBits <= 53 && bucketBits + 2 * rankBits + indexBits <= 64) {
    // key = ((bucket · 2^rankBits + earlier rank) · 2^rankBits + later rank) · 2^indexBits + position,
    // written as its two 32-bit halves (the part above the position is exact in a double).
    const rankSpan = 2 ** rankBits;
    const indexSpan = 2 ** indexBits;
    const lowSpan = 2 ** (32 - indexBits);
    const keys = new BigUint64Array(count);
    const words = new Uint32Array(keys.buffer);
    for (let c = 0; c < count; c++) {
      const k = candidates[c]!;
      const ra = rank[aLocal[k]!]!;
      const rb = rank[bLocal[k]!]!;
      const bucket = maxBucket - Math.floor(scores[k]! / SCORE_TIE_QUANTUM);
      const upper = (bucket * rankSpan + (ra < rb ? ra : rb)) * rankSpan + (ra < rb ? rb : ra);
      const high = Math.floor(upper / lowSpan);
      words[2 * c] = (upper - high * lowSpan) * indexSpan + c;
      words[2 * c + 1] = high;
    }
    keys.sort();
    for (let c = 0; c < count; c++) order[c] = words[2 * c]! % indexSpan;
    return order;
  }
  const keyA = new Float64Array(count);
  const keyB = new Float64Array(count);
  for (let c = 0; c < count; c++) {
    const k = candidates[c]!;
    const ra = rank[aLocal[k]!]!;
    const rb = rank[bLocal[k]!]!;
    keyA[c] = (maxBucket - Math.floor(scores[k]! / SCORE_TIE_QUANTUM)) * rank.length + Math.min(ra, rb);
    keyB[c] = Math.max(ra, rb);
  }
  for (let c = 0; c < count; c++) order[c] = c;
  order.sort((x, y) => keyA[x]! - keyA[y]! || keyB[x]! - keyB[y]!);
  return order;
}
