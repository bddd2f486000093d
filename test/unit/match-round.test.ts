import { describe, expect, it } from 'vitest';
import { planRound, UNMATCHED_LABELS, UNMATCHED_REASONS, type PlannedPair, type RoundPlan } from '../../src/match/round.js';
import type { MatchInput } from '../../src/match/population.js';
import { DIE, person, randomPopulation } from './match-helpers.js';

function reasonOf(plan: RoundPlan, id: number): string | undefined {
  return plan.unmatched.find((u) => u.id === id)?.reason;
}

function expectWellFormed(plan: RoundPlan, rows: readonly unknown[]): void {
  expect(plan.report.people).toBe(rows.length);
  // Everyone is either in a pair or listed with a reason and a French label.
  const matched = new Set(plan.pairs.flatMap((p) => [p.a, p.b]));
  for (const u of plan.unmatched) {
    expect(matched.has(u.id)).toBe(false);
    expect(UNMATCHED_REASONS).toContain(u.reason);
    expect(u.label).toBe(UNMATCHED_LABELS[u.reason as keyof typeof UNMATCHED_LABELS]);
  }
  expect(plan.report.pairs).toBe(plan.pairs.length);
  expect(plan.report.unmatched).toBe(plan.unmatched.length);
  expect(Object.values(plan.report.byReason).reduce((x, y) => x + y, 0)).toBe(plan.unmatched.length);
  for (const pair of plan.pairs) {
    expect(pair.a).toBeLessThan(pair.b);
    expect(pair.explanation).toMatch(/^[A-ZÀ-Ý].*\.$/);
  }
}

describe('match/round: planRound', () => {
  it('introduces a carrier and a joiner near each other and explains why in French', () => {
    const rows = [
      person(1, 'Nous montons un habitat partagé à Die, chantier participatif en paille.', {
        role: 'porteur',
        categories: ['habitat-partage'],
      }),
      person(2, 'Je souhaite rejoindre un habitat partagé, la construction en paille et les chantiers participatifs me passionnent.', {
        role: 'rejoindre',
        categories: ['habitat-partage'],
        northKm: 14,
      }),
      person(3, 'Atelier vélo et repair café.', { role: 'porteur', categories: ['reparation'], northKm: 3 }),
    ];
    const plan = planRound(rows, { describe: (id) => rows.find((r) => r.id === id)?.description });
    expectWellFormed(plan, rows);
    expect(plan.pairs).toHaveLength(1);
    const [pair] = plan.pairs;
    expect([pair!.a, pair!.b]).toEqual([1, 2]);
    expect(pair!.distanceKm).toBeCloseTo(14, 0);
    expect(pair!.explanation).toContain("L'un·e de vous porte un projet d'habitat partagé");
    expect(pair!.explanation).toContain('paille');
    expect(pair!.explanation).toContain('14 km');
    expect(pair!.sharedWords.join(' ')).not.toMatch(/paill\b|chanti\b/);
    expect(reasonOf(plan, 3)).toBe('no_shared_words');
  });

  it('asks descriptions only for the people it introduces', () => {
    const rows = randomPopulation(200, 7);
    const asked = new Set<number>();
    const plan = planRound(rows, {
      describe: (id) => {
        asked.add(id);
        return rows.find((r) => r.id === id)?.description;
      },
    });
    const matched = new Set(plan.pairs.flatMap((p) => [p.a, p.b]));
    expect([...asked].sort()).toEqual([...matched].sort());
  });

  it('caps proposals per person and never repeats an excluded pair', () => {
    const rows = randomPopulation(300, 8);
    const once = planRound(rows, { maxPerPerson: 1 });
    const count = (plan: RoundPlan) => {
      const n = new Map<number, number>();
      for (const p of plan.pairs) for (const id of [p.a, p.b]) n.set(id, (n.get(id) ?? 0) + 1);
      return Math.max(0, ...n.values());
    };
    expect(count(once)).toBe(1);
    const twice = planRound(rows, { maxPerPerson: 2 });
    expect(count(twice)).toBe(2);
    expect(twice.pairs.length).toBeGreaterThan(once.pairs.length);
    // Next week: last week's pairs are history.
    const history = once.pairs.map((p) => [p.b, p.a] as [number, number]);
    const next = planRound(rows, { excludedPairs: history });
    const before = new Set(once.pairs.map((p) => `${p.a}:${p.b}`));
    for (const p of next.pairs) expect(before.has(`${p.a}:${p.b}`)).toBe(false);
    expect(next.pairs.length).toBeGreaterThan(0);
  });

  it('explains who was already introduced to everyone compatible', () => {
    const rows = [person(1, 'paille chanvre enduits terre'), person(2, 'paille chanvre enduits bois', { northKm: 5 })];
    const plan = planRound(rows, { excludedPairs: [[1, 2]] });
    expect(plan.pairs).toEqual([]);
    expect(reasonOf(plan, 1)).toBe('already_introduced');
    expect(reasonOf(plan, 2)).toBe('already_introduced');
  });

  it('is deterministic and ignores row order', () => {
    const rows = randomPopulation(250, 12);
    const a = planRound(rows, { now: Date.UTC(2025, 1, 1) });
    const b = planRound([...rows].reverse(), { now: Date.UTC(2025, 1, 1) });
    const strip = (plan: RoundPlan) => ({ pairs: plan.pairs, unmatched: [...plan.unmatched].sort((x, y) => x.id - y.id) });
    expect(strip(b)).toEqual(strip(a));
  });

  it('gives the longest-waiting person the partner when two are equally good', () => {
    const text = 'atelier vélo réparation recyclerie';
    const day = 86_400_000;
    const rows = [
      person(1, text, { role: 'porteur' }),
      person(2, text + ' compost', { role: 'rejoindre', northKm: 2, waitingSince: Date.UTC(2025, 0, 1) }),
      person(3, text + ' compost', { role: 'rejoindre', lat: person(0, '', { northKm: -2 }).lat, waitingSince: Date.UTC(2025, 0, 1) - 30 * day }),
    ];
    const plan = planRound(rows);
    expect(plan.pairs).toHaveLength(1);
    expect([plan.pairs[0]!.a, plan.pairs[0]!.b]).toEqual([1, 3]);
    expect(reasonOf(plan, 2)).toBe('partners_taken');
  });

  describe('bad input completes and explains', () => {
    it('empty population', () => {
      const plan = planRound([]);
      expect(plan.pairs).toEqual([]);
      expect(plan.unmatched).toEqual([]);
      expect(plan.report.eligible).toBe(0);
    });

    it('a single person', () => {
      const plan = planRound([person(1, 'habitat partagé')]);
      expect(reasonOf(plan, 1)).toBe('nobody_in_reach');
    });

    it('empty, stopword-only and one-word descriptions', () => {
      const rows = [
        person(1, ''),
        person(2, 'Bonjour, merci, cordialement, je cherche des personnes pour un projet'),
        person(3, 'maraîchage', { northKm: 2 }),
        person(4, 'Maraîchage bio sur sol vivant, nous cherchons des associés.', { northKm: 4 }),
      ];
      const plan = planRound(rows, { describe: (id) => rows[id - 1]!.description });
      expectWellFormed(plan, rows);
      expect(reasonOf(plan, 1)).toBe('no_words');
      expect(reasonOf(plan, 2)).toBe('no_words');
      expect(plan.pairs.map((p) => [p.a, p.b])).toEqual([[3, 4]]);
      expect(plan.pairs[0]!.explanation).toContain('vous parlez de maraîchage');
    });

    it('people without a location', () => {
      const rows = [
        person(1, 'habitat partagé paille', { lat: null, lon: null }),
        person(2, 'habitat partagé paille', { lat: Number.NaN, lon: 5 }),
        person(3, 'habitat partagé paille chanvre', { lat: null, lon: null, radiusKm: null }),
        person(4, 'habitat partagé paille verger', { northKm: 300, radiusKm: null }),
      ];
      const plan = planRound(rows);
      expectWellFormed(plan, rows);
      expect(reasonOf(plan, 1)).toBe('no_location');
      expect(reasonOf(plan, 2)).toBe('no_location');
      // Two "anywhere" people meet on text alone, one of them without any location.
      expect(plan.pairs.map((p) => [p.a, p.b])).toEqual([[3, 4]]);
      expect(plan.pairs[0]!.distanceKm).toBeNull();
      expect(plan.pairs[0]!.explanation).toContain('la distance ne compte pas');
    });

    it('20,000-character descriptions', () => {
      const long = 'Habitat partagé en paille et chantier participatif. '.repeat(400);
      expect(long.length).toBeGreaterThanOrEqual(20_000);
      const rows = [person(1, long), person(2, 'Chantier participatif paille', { northKm: 3 })];
      const plan = planRound(rows, { describe: (id) => rows[id - 1]!.description });
      expect(plan.pairs).toHaveLength(1);
    });

    it('the same text under two e-mails is never introduced to itself', () => {
      const text = 'Nous créons un éco-lieu avec yourtes, permaculture, forêt comestible et toilettes sèches près de Die.';
      const rows = [person(1, text), person(2, text, { northKm: 0.1 })];
      const plan = planRound(rows);
      expect(plan.pairs).toEqual([]);
      expect(reasonOf(plan, 1)).toBe('only_duplicates');
      // With a third, genuinely different person, both copies can still meet them.
      const third = person(3, 'Je veux rejoindre un éco-lieu en permaculture avec une forêt comestible.', { role: 'rejoindre', northKm: 2 });
      const withThird = planRound([...rows, third]);
      expect(withThird.pairs).toHaveLength(1);
      expect(withThird.pairs[0]!.b).toBe(3);
    });

    it('everyone in one commune', () => {
      const rows = randomPopulation(2000, 13).map((row) => ({ ...row, lat: DIE.lat, lon: DIE.lon, radiusKm: 50 }));
      const plan = planRound(rows);
      expectWellFormed(plan, rows);
      expect(plan.pairs.length).toBeGreaterThan(500);
      for (const pair of plan.pairs) expect(pair.explanation).toContain("moins d'un kilomètre");
    });

    it('garbage rows, repeated ids and odd options', () => {
      const rows = [
        person(1, 'paille chanvre'),
        person(1, 'paille chanvre bois'),
        { ...person(2, 'paille chanvre', { northKm: 2 }), id: Number.NaN },
        { ...person(3, 'paille chanvre', { northKm: 2 }), terms: ['paill', 42, ''], counts: [1, 1, -1] } as unknown as MatchInput,
        { ...person(4, 'paille', { northKm: 2 }), categories: ['not-a-slug'], role: 'chef' } as unknown as MatchInput,
        { ...person(5, 'paille', { northKm: 2 }), radiusKm: -3, waitingSince: Number.NaN } as MatchInput,
      ];
      const plan = planRound(rows, { maxPerPerson: -1, minScore: Number.NaN, describe: () => { throw new Error('db down'); } });
      expect(plan.unmatched.filter((u) => u.reason === 'invalid_profile')).toHaveLength(2);
      const again = planRound(rows, { describe: () => { throw new Error('db down'); } });
      expect(again.pairs.length).toBeGreaterThan(0);
      for (const pair of again.pairs) expect(pair.sharedWords).toEqual([]);
    });
  });

  it('reports figures for the operator', () => {
    const rows = randomPopulation(300, 14);
    const plan = planRound(rows, { now: Date.UTC(2025, 1, 1) });
    expect(plan.report.eligible).toBeGreaterThan(250);
    expect(plan.report.scoreHistogram).toHaveLength(10);
    expect(plan.report.scoreHistogram.reduce((n, bin) => n + bin.count, 0)).toBe(plan.pairs.length);
    expect(plan.report.timingsMs.total).toBeGreaterThanOrEqual(0);
    expect(plan.report.medianWaitDays.matched).toBeGreaterThan(0);
  });
});

describe('match/round: sharded round', () => {
  it('proposes what one process would, when shards are merged and finished with finishRound', async () => {
    const { buildPopulation, computeTermStats } = await import('../../src/match/population.js');
    const { mergeScoredPairs, rowBelongsToShard, scoreShard } = await import('../../src/match/candidates.js');
    const { finishRound, keepPerPersonFor } = await import('../../src/match/round.js');
    const rows = randomPopulation(400, 31);
    const history: [number, number][] = [[rows[0]!.id, rows[5]!.id]];
    const single = planRound(rows, { excludedPairs: history, now: Date.UTC(2025, 1, 1) });
    const termStats = computeTermStats(rows);
    const bounds = [
      { south: -90, west: -180, north: DIE.lat, east: 180, ownsUnlocated: true },
      { south: DIE.lat, west: -180, north: 90, east: 180 },
    ];
    const overlapKm = 100;
    const shards = bounds.map((b) =>
      scoreShard(buildPopulation(rows.filter((row) => rowBelongsToShard(row, b, overlapKm)), { termStats }), b, overlapKm, {
        excludedPairs: history,
        keepPerPerson: keepPerPersonFor(1),
      }),
    );
    const plan = finishRound({
      population: buildPopulation(rows, { termStats }),
      rowCount: rows.length,
      pairs: mergeScoredPairs(shards.map((s) => s.pairs)),
      stats: shards.map((s) => s.stats),
      excludedPairs: history,
      now: Date.UTC(2025, 1, 1),
    });
    expect(plan.pairs.map((p) => [p.a, p.b])).toEqual(single.pairs.map((p) => [p.a, p.b]));
    expect(plan.unmatched).toEqual(single.unmatched);
  });
});

describe('match/round: a round shared between threads', () => {
  it('proposes the same pairs with the same explanations when the search and the explanations are split', async () => {
    const { planRoundSharing } = await import('../../src/match/round.js');
    const { mergeScoredPairs, scoreShard, SHARE_BLOCK } = await import('../../src/match/candidates.js');
    const { explainPair } = await import('../../src/match/explain.js');
    // Enough people for several blocks, so both "threads" score some of them.
    const rows = randomPopulation(3 * SHARE_BLOCK + 100, 11);
    const history: [number, number][] = [[rows[0]!.id, rows[7]!.id]];
    const options = { excludedPairs: history, now: Date.UTC(2025, 1, 1) };
    const single = planRound(rows, options);
    let explainedAway = 0;
    const shared = await planRoundSharing(rows, options, {
      async scoreEveryone(population, shardOptions) {
        // Two workers taking alternate blocks, as a shared counter would hand them out.
        let even = 0;
        let odd = 0;
        const x = scoreShard(population, null, 0, { ...shardOptions, claimBlock: () => 2 * even++ });
        const y = scoreShard(population, null, 0, { ...shardOptions, claimBlock: () => 2 * odd++ + 1 });
        expect(x.work.owned).toBeGreaterThan(0);
        expect(y.work.owned).toBeGreaterThan(0);
        expect(x.work.owned + y.work.owned).toBe(population.size);
        const join = (f: (s: typeof x.stats) => ArrayLike<number>) => [...Array.from(f(x.stats)), ...Array.from(f(y.stats))];
        return {
          pairs: mergeScoredPairs([x.pairs, y.pairs]),
          stats: {
            ids: Float64Array.from(join((s) => s.ids)),
            inReach: Int32Array.from(join((s) => s.inReach)),
            excluded: Int32Array.from(join((s) => s.excluded)),
            duplicates: Int32Array.from(join((s) => s.duplicates)),
            anyoneInReach: Uint8Array.from(join((s) => s.anyoneInReach)),
          },
          work: x.work,
          warnings: [],
        };
      },
      async explainSome(inputs) {
        explainedAway += inputs.length;
        return inputs.map((input) => explainPair(input));
      },
    });
    expect(single.pairs.length).toBeGreaterThan(100);
    expect(explainedAway).toBe(Math.floor(single.pairs.length / 2));
    expect(shared.pairs).toEqual(single.pairs);
    expect(shared.unmatched).toEqual(single.unmatched);
    expect(shared.report.candidatePairs).toBe(single.report.candidatePairs);
    expect(shared.report.byReason).toEqual(single.report.byReason);
  });
});

describe('match/round: pairs handed over as they are explained', () => {
  // The round job writes each chunk while the next is being explained: every pair must come
  // once, in the plan's order, with its explanation, before the plan itself.
  it('hands every planned pair over once, in order, in chunks, before returning the plan', async () => {
    const { planRoundSharing } = await import('../../src/match/round.js');
    const { explainPair } = await import('../../src/match/explain.js');
    const { scoreShard } = await import('../../src/match/candidates.js');
    const rows = randomPopulation(600, 5);
    const options = { now: Date.UTC(2025, 1, 1), explainChunk: 16 };
    for (const shared of [false, true]) {
      const chunks: PlannedPair[][] = [];
      let returned = false;
      const onExplained = (pairs: PlannedPair[]) => {
        expect(returned).toBe(false);
        chunks.push(pairs);
      };
      const plan = shared
        ? await planRoundSharing(rows, { ...options, onExplained }, {
            scoreEveryone: async (population, shardOptions) => scoreShard(population, null, 0, shardOptions),
            explainSome: async (inputs) => inputs.map((input) => explainPair(input)),
          })
        : planRound(rows, { ...options, onExplained });
      returned = true;
      expect(plan.pairs.length).toBeGreaterThan(3 * 16);
      expect(chunks.length).toBe(Math.ceil(plan.pairs.length / 16));
      expect(chunks.slice(0, -1).every((chunk) => chunk.length === 16)).toBe(true);
      expect(chunks.flat()).toEqual(plan.pairs);
      expect(chunks.flat().every((pair) => pair.explanation.length > 0)).toBe(true);
      // The same plan as a round that hands nothing over.
      const plain = planRound(rows, { now: options.now });
      expect(plan.pairs).toEqual(plain.pairs);
      expect(plan.unmatched).toEqual(plain.unmatched);
    }
  });
});
