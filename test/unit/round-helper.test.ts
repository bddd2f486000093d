// The round's helper thread (src/round/helper.ts) is a real worker thread: the plan it helps
// compute must be the one a single thread computes, pair for pair and word for word.
import { afterAll, describe, expect, it } from 'vitest';
import { planRound, planRoundSharing } from '../../src/match/round.js';
import { RoundHelper } from '../../src/round/helper.js';
import { randomPopulation } from './match-helpers.js';

describe('round helper thread', () => {
  const helper = new RoundHelper();
  afterAll(() => helper.close());

  it('shares a round with the round thread without changing a single proposal', async () => {
    // Started and warmed up first, so it takes its share of the search's blocks.
    await helper.explainSome([{ roleA: null, roleB: null, sharedCategories: [], sharedStems: ['paill'], descriptionA: 'paille', descriptionB: 'paille', distanceKm: 3 }]);
    const rows = randomPopulation(6000, 23);
    const history: [number, number][] = [[rows[2]!.id, rows[9]!.id]];
    const descriptions = new Map(rows.map((row) => [row.id, row.description]));
    const options = { excludedPairs: history, now: Date.UTC(2025, 1, 1), describe: (id: number) => descriptions.get(id) };
    const single = planRound(rows, options);
    const shared = await planRoundSharing(rows, options, helper);
    expect(single.pairs.length).toBeGreaterThan(100);
    expect(single.pairs.some((p) => p.sharedWords.length > 0)).toBe(true);
    expect(shared.pairs).toEqual(single.pairs);
    expect(shared.unmatched).toEqual(single.unmatched);
    expect(shared.report.candidatePairs).toBe(single.report.candidatePairs);
    expect(helper.lastShare!.here + helper.lastShare!.there).toBe(rows.length);
    expect(helper.lastShare!.there).toBeGreaterThan(0);
    // The helper can serve a second round.
    const again = await planRoundSharing(rows, options, helper);
    expect(again.pairs).toEqual(single.pairs);
  });
});

describe('round helper thread that dies', () => {
  it('costs time, never the round: the plan is computed here instead', async () => {
    const helper = new RoundHelper();
    await helper.crashForTest();
    const rows = randomPopulation(1500, 29);
    const descriptions = new Map(rows.map((row) => [row.id, row.description]));
    const options = { now: Date.UTC(2025, 1, 1), describe: (id: number) => descriptions.get(id) };
    const shared = await planRoundSharing(rows, options, helper);
    expect(shared.pairs).toEqual(planRound(rows, options).pairs);
    expect(helper.lastShare).toBeNull();
    await helper.close();
  });
});
