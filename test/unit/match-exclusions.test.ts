// The index of pairs a round must never propose (past introductions, declines): whatever order
// or form the pairs come in, it answers exactly what a plain set of pairs would, and a round
// given the pairs as columns proposes what it proposes given them as [id, id] pairs.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildExclusions, isExcluded, toIdPairs } from '../../src/match/exclusions.js';
import { planRound } from '../../src/match/round.js';
import { randomPopulation } from './match-helpers.js';

/** A population of `size` people with ids 100, 101, … (indices 0, 1, …). */
function people(size: number) {
  const indexOfId = new Map<number, number>();
  for (let i = 0; i < size; i++) indexOfId.set(100 + i, i);
  return { size, indexOfId };
}

describe('match/exclusions', () => {
  it('answers for both orders of a pair, and only for the pairs given', () => {
    const population = people(5);
    const exclusions = buildExclusions(population, [[100, 103], [104, 101]]);
    expect(isExcluded(exclusions, 0, 3)).toBe(true);
    expect(isExcluded(exclusions, 3, 0)).toBe(true);
    expect(isExcluded(exclusions, 1, 4)).toBe(true);
    expect(isExcluded(exclusions, 4, 1)).toBe(true);
    expect(isExcluded(exclusions, 0, 1)).toBe(false);
    expect(isExcluded(exclusions, 2, 2)).toBe(false);
  });

  it('drops pairs with someone outside the population and a person paired with themselves', () => {
    const exclusions = buildExclusions(people(3), [[100, 999], [101, 101], [102, 100]]);
    expect(Array.from(exclusions.partner)).toEqual([2, 0]);
    expect(isExcluded(exclusions, 0, 2)).toBe(true);
    expect(isExcluded(exclusions, 1, 1)).toBe(false);
  });

  it('agrees with a plain set of pairs, for any pairs in any order, duplicates included', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.array(fc.tuple(fc.nat(50), fc.nat(50)), { maxLength: 300 }), (size, raw) => {
        const population = people(size);
        const pairs = raw.map(([x, y]) => [100 + x, 100 + y] as [number, number]);
        const expected = new Set<string>();
        for (const [x, y] of pairs) {
          const i = population.indexOfId.get(x);
          const j = population.indexOfId.get(y);
          if (i !== undefined && j !== undefined && i !== j) expected.add(`${Math.min(i, j)}-${Math.max(i, j)}`);
        }
        for (const exclusions of [buildExclusions(population, pairs), buildExclusions(population, toIdPairs(pairs))]) {
          for (let i = 0; i < size; i++) {
            for (let j = 0; j < size; j++) {
              expect(isExcluded(exclusions, i, j)).toBe(expected.has(`${Math.min(i, j)}-${Math.max(i, j)}`));
            }
          }
        }
      }),
    );
  });

  it('gives a round the same plan whether past pairs come as columns or as [id, id] pairs', () => {
    const rows = randomPopulation(400, 3);
    const first = planRound(rows, { now: Date.UTC(2025, 1, 1) });
    // Everything the first round proposed is now in the past, in both orders.
    const past = first.pairs.map((p, k) => (k % 2 === 0 ? [p.a, p.b] : [p.b, p.a]) as [number, number]);
    expect(past.length).toBeGreaterThan(20);
    const asPairs = planRound(rows, { now: Date.UTC(2025, 1, 1), excludedPairs: past });
    const asColumns = planRound(rows, { now: Date.UTC(2025, 1, 1), excludedPairs: toIdPairs(past) });
    expect(asColumns.pairs).toEqual(asPairs.pairs);
    const proposedBefore = new Set(first.pairs.map((p) => `${p.a}-${p.b}`));
    expect(asColumns.pairs.some((p) => proposedBefore.has(`${p.a}-${p.b}`))).toBe(false);
    expect(asColumns.pairs.length).toBeGreaterThan(0);
  });
});
