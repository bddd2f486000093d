import { describe, expect, it } from 'vitest';
import type { ScoredPairList } from '../../src/match/candidates.js';
import { selectPairs } from '../../src/match/select.js';

/** A scored list from [a, b, score] triples. */
function list(pairs: [number, number, number][]): ScoredPairList {
  const column = (k: number) => Float64Array.from(pairs.map((p) => p[k]!));
  const zeros = new Float64Array(pairs.length);
  return {
    length: pairs.length,
    a: Float64Array.from(pairs.map(([a, b]) => Math.min(a, b))),
    b: Float64Array.from(pairs.map(([a, b]) => Math.max(a, b))),
    score: column(2),
    distanceKm: zeros,
    text: zeros,
    proximity: zeros,
    category: zeros,
    role: zeros,
  };
}

function chosen(scored: ScoredPairList, selected: number[]): string[] {
  return selected.map((n) => `${scored.a[n]}-${scored.b[n]}`);
}

describe('match/select', () => {
  it('gives each person at most N proposals, best first', () => {
    const scored = list([
      [1, 2, 0.9],
      [1, 3, 0.8],
      [2, 3, 0.7],
      [3, 4, 0.6],
      [1, 4, 0.5],
    ]);
    expect(chosen(scored, selectPairs(scored, { maxPerPerson: 1, minScore: 0 }).selected)).toEqual(['1-2', '3-4']);
    const two = selectPairs(scored, { maxPerPerson: 2, minScore: 0 });
    expect(chosen(scored, two.selected)).toEqual(['1-2', '1-3', '2-3']);
    const counts = new Map<number, number>();
    for (const n of two.selected) for (const id of [scored.a[n]!, scored.b[n]!]) counts.set(id, (counts.get(id) ?? 0) + 1);
    for (const count of counts.values()) expect(count).toBeLessThanOrEqual(2);
  });

  it('never proposes an excluded pair (past introduction or decline, either order)', () => {
    const scored = list([
      [1, 2, 0.9],
      [1, 3, 0.8],
      [2, 4, 0.7],
    ]);
    const result = selectPairs(scored, { minScore: 0, excludedPairs: [[2, 1]] });
    expect(chosen(scored, result.selected)).toEqual(['1-3', '2-4']);
    const onlyExcluded = selectPairs(list([[5, 6, 0.9]]), { minScore: 0, excludedPairs: [[5, 6]] });
    expect(onlyExcluded.selected).toEqual([]);
    expect(onlyExcluded.onlyExcluded.has(5)).toBe(true);
  });

  it('requires a minimum score', () => {
    const scored = list([
      [1, 2, 0.3],
      [3, 4, 0.05],
    ]);
    const result = selectPairs(scored, { minScore: 0.1 });
    expect(chosen(scored, result.selected)).toEqual(['1-2']);
    expect(result.hadScoredPair.has(3)).toBe(true);
    expect(result.hadViablePair.has(3)).toBe(false);
  });

  it('lets the person who waited longest go first when scores tie', () => {
    const scored = list([
      [1, 2, 0.5],
      [1, 3, 0.5],
    ]);
    const day = 86_400_000;
    const waited = new Map([
      [1, 100 * day],
      [2, 50 * day],
      [3, 10 * day],
    ]);
    expect(chosen(scored, selectPairs(scored, { minScore: 0, waitingSince: waited }).selected)).toEqual(['1-3']);
    waited.set(2, 5 * day);
    expect(chosen(scored, selectPairs(scored, { minScore: 0, waitingSince: (id) => waited.get(id)! }).selected)).toEqual(['1-2']);
    // A real score difference still wins over waiting.
    const clear = list([
      [1, 2, 0.6],
      [1, 3, 0.5],
    ]);
    waited.set(2, 90 * day);
    expect(chosen(clear, selectPairs(clear, { minScore: 0, waitingSince: waited }).selected)).toEqual(['1-2']);
  });

  it('is deterministic whatever the order of the list', () => {
    const pairs: [number, number, number][] = [];
    for (let a = 1; a <= 30; a++) for (let b = a + 1; b <= 30; b += 3) pairs.push([a, b, ((a * 7 + b * 13) % 10) / 10]);
    const forward = list(pairs);
    const backward = list([...pairs].reverse());
    const keyed = (scored: ScoredPairList, selected: number[]) => chosen(scored, selected).sort();
    expect(keyed(forward, selectPairs(forward, { minScore: 0 }).selected)).toEqual(
      keyed(backward, selectPairs(backward, { minScore: 0 }).selected),
    );
  });

  it('accepts an empty list and odd options without throwing', () => {
    expect(selectPairs(list([]), {}).selected).toEqual([]);
    expect(selectPairs(list([[1, 2, 0.9]]), { maxPerPerson: Number.NaN, minScore: Number.NaN }).selected).toEqual([0]);
    expect(selectPairs(list([[1, 2, 0.9]]), { maxPerPerson: 0 }).selected).toEqual([]);
  });
});

describe('match/select: ordering the candidates', () => {
  it('sorts packed 64-bit keys in exactly the order of the comparator', async () => {
    const { orderCandidates } = await import('../../src/match/select.js');
    // Deterministic pseudo-random pairs among 5,000 people, many with equal score buckets, so
    // the ranks decide most of the order (the part of the key that straddles the two halves).
    let seed = 12345;
    const random = () => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed / 2 ** 32;
    };
    const people = 5_000;
    const rank = Int32Array.from({ length: people }, (_, p) => p);
    for (let p = people - 1; p > 0; p--) {
      const q = Math.floor(random() * (p + 1));
      [rank[p], rank[q]] = [rank[q]!, rank[p]!];
    }
    const count = 40_000;
    const seen = new Set<number>();
    const a = new Int32Array(count);
    const b = new Int32Array(count);
    const scores = new Float64Array(count);
    for (let k = 0; k < count; ) {
      const x = Math.floor(random() * people);
      const y = Math.floor(random() * people);
      if (x === y || seen.has(Math.min(x, y) * people + Math.max(x, y))) continue;
      seen.add(Math.min(x, y) * people + Math.max(x, y));
      a[k] = x;
      b[k] = y;
      scores[k] = Math.round(random() * 40) / 40;
      k++;
    }
    const candidates = Array.from({ length: count }, (_, k) => k).filter((k) => k % 7 !== 3);
    const maxBucket = Math.floor(1 / 0.005) + 1;
    const packed = orderCandidates(candidates, scores, maxBucket, rank, a, b);
    const compared = orderCandidates(candidates, scores, maxBucket, rank, a, b, true);
    expect(packed.length).toBe(candidates.length);
    expect(Array.from(packed)).toEqual(Array.from(compared));
    // Best bucket first.
    expect(scores[candidates[packed[0]!]!]).toBe(Math.max(...candidates.map((k) => scores[k]!)));
  });
});
