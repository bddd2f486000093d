// Pairs a round must never propose: every past introduction (any status) and every decline.
// After a year of weekly rounds at 100,000 people there are millions of them. Held as a Set of
// pair keys they cost a second to build, a cache miss per lookup and a few hundred megabytes;
// here they are each person's excluded partners, sorted, in two typed arrays (a CSR index):
// built by counting, looked up by a binary search in a list of a few dozen, and shared with
// other threads without copying.
import type { Population } from './population.js';

/** Pairs of person ids in two columns: no object per pair (see src/round/load.ts). */
export interface IdPairs {
  readonly a: Float64Array;
  readonly b: Float64Array;
}

/** What callers may pass: columns, or [id, id] pairs in either order (tests, small rounds). */
export type ExcludedPairsInput = IdPairs | Iterable<readonly [number, number]>;

function isIdPairs(input: ExcludedPairsInput): input is IdPairs {
  return (input as IdPairs).a instanceof Float64Array && (input as IdPairs).b instanceof Float64Array;
}

export function toIdPairs(input: ExcludedPairsInput | undefined): IdPairs {
  if (!input) return { a: new Float64Array(0), b: new Float64Array(0) };
  if (isIdPairs(input)) return input;
  const a: number[] = [];
  const b: number[] = [];
  for (const pair of input) {
    if (!pair) continue;
    a.push(pair[0]);
    b.push(pair[1]);
  }
  return { a: Float64Array.from(a), b: Float64Array.from(b) };
}

/** Person index i's excluded partners (indices) are partner[start[i]] … partner[start[i + 1] - 1], ascending. */
export interface Exclusions {
  start: Int32Array;
  partner: Int32Array;
}

/** The exclusions between people of this population (pairs with someone not in it are dropped). */
export function buildExclusions(population: Pick<Population, 'size' | 'indexOfId'>, input: ExcludedPairsInput | undefined): Exclusions {
  const { a, b } = toIdPairs(input);
  const size = population.size;
  const left = new Int32Array(a.length);
  const right = new Int32Array(a.length);
  const start = new Int32Array(size + 1);
  let kept = 0;
  for (let k = 0; k < a.length; k++) {
    const i = population.indexOfId.get(a[k]!);
    const j = population.indexOfId.get(b[k]!);
    if (i === undefined || j === undefined || i === j) continue;
    left[kept] = i;
    right[kept] = j;
    kept++;
    // Both directions: i's list holds j, j's list holds i.
    start[i + 1] = start[i + 1]! + 1;
    start[j + 1] = start[j + 1]! + 1;
  }
  for (let i = 0; i < size; i++) start[i + 1] = start[i + 1]! + start[i]!;
  const partner = new Int32Array(start[size]!);
  const fill = start.slice(0, size);
  for (let k = 0; k < kept; k++) {
    const i = left[k]!;
    const j = right[k]!;
    partner[fill[i]!] = j;
    fill[i] = fill[i]! + 1;
    partner[fill[j]!] = i;
    fill[j] = fill[j]! + 1;
  }
  for (let i = 0; i < size; i++) if (start[i + 1]! - start[i]! > 1) partner.subarray(start[i]!, start[i + 1]!).sort();
  return { start, partner };
}

export function isExcluded(exclusions: Exclusions, i: number, j: number): boolean {
  const { start, partner } = exclusions;
  let lo = start[i]!;
  let hi = start[i + 1]!;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const p = partner[mid]!;
    if (p === j) return true;
    if (p < j) lo = mid + 1;
    else hi = mid;
  }
  return false;
}
