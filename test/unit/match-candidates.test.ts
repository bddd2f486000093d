import { describe, expect, it } from 'vitest';
import {
  buildCandidateIndex,
  mergeScoredPairs,
  rowBelongsToShard,
  scoreShard,
  type ScoredPairList,
  type ShardBounds,
} from '../../src/match/candidates.js';
import { buildPopulation, computeTermStats, type MatchInput, type Population } from '../../src/match/population.js';
import { looksLikeDuplicate, scorePair } from '../../src/match/score.js';
import { CANDIDATES } from '../../src/match/weights.js';
import { DIE, KM, person, randomPopulation } from './match-helpers.js';

/** Every person's best partners by brute force over all pairs: the reference. */
function bruteForceTop(population: Population, keep: number, excluded = new Set<string>()): Map<number, { id: number; score: number }[]> {
  const top = new Map<number, { id: number; score: number }[]>();
  for (let i = 0; i < population.size; i++) {
    const found: { id: number; score: number }[] = [];
    for (let j = 0; j < population.size; j++) {
      if (i === j) continue;
      const a = population.ids[i]!;
      const b = population.ids[j]!;
      if (excluded.has(`${Math.min(a, b)}:${Math.max(a, b)}`)) continue;
      const exact = scorePair(population, i, j);
      if (!exact || looksLikeDuplicate(population, i, j, exact.components.text)) continue;
      found.push({ id: b, score: exact.score });
    }
    found.sort((x, y) => y.score - x.score || x.id - y.id);
    top.set(population.ids[i]!, found.slice(0, keep));
  }
  return top;
}

function pairScores(list: ScoredPairList): Map<string, number> {
  const scores = new Map<string, number>();
  for (let n = 0; n < list.length; n++) scores.set(`${list.a[n]}:${list.b[n]}`, list.score[n]!);
  return scores;
}

describe('match/candidates: same top pairs as brute force', () => {
  for (const [size, seed] of [
    [40, 1],
    [120, 2],
    [250, 3],
    [250, 4],
    [400, 5],
  ] as const) {
    it(`finds every person's best partners (n=${size}, seed=${seed})`, () => {
      const population = buildPopulation(randomPopulation(size, seed));
      const keep = CANDIDATES.keepPerPerson;
      const reference = bruteForceTop(population, keep);
      const result = scoreShard(population, null, 0);
      const found = pairScores(result.pairs);
      let compared = 0;
      for (const [id, partners] of reference) {
        for (const partner of partners) {
          const key = `${Math.min(id, partner.id)}:${Math.max(id, partner.id)}`;
          expect(found.has(key), `pair ${key} missing`).toBe(true);
          expect(found.get(key)!).toBeCloseTo(partner.score, 12);
          compared++;
        }
      }
      expect(compared).toBeGreaterThan(size);
      // Nothing invalid slips in: every emitted pair is one brute force would score.
      for (let n = 0; n < result.pairs.length; n++) {
        const i = population.indexOfId.get(result.pairs.a[n]!)!;
        const j = population.indexOfId.get(result.pairs.b[n]!)!;
        expect(scorePair(population, i, j)?.score).toBeCloseTo(result.pairs.score[n]!, 12);
      }
    });
  }

  it('honours excluded pairs (either order) and still finds the next best', () => {
    const population = buildPopulation(randomPopulation(150, 9));
    const first = scoreShard(population, null, 0);
    const excluded: [number, number][] = [];
    for (let n = 0; n < first.pairs.length; n += 3) excluded.push(n % 2 ? [first.pairs.b[n]!, first.pairs.a[n]!] : [first.pairs.a[n]!, first.pairs.b[n]!]);
    const keys = new Set(excluded.map(([a, b]) => `${Math.min(a, b)}:${Math.max(a, b)}`));
    const result = scoreShard(population, null, 0, { excludedPairs: excluded });
    const found = pairScores(result.pairs);
    for (const key of keys) expect(found.has(key)).toBe(false);
    const reference = bruteForceTop(population, CANDIDATES.keepPerPerson, keys);
    for (const [id, partners] of reference) {
      for (const partner of partners) expect(found.has(`${Math.min(id, partner.id)}:${Math.max(id, partner.id)}`)).toBe(true);
    }
  });

  it('stays bounded when everyone lives in the same commune', () => {
    const rows = randomPopulation(4000, 21).map((row) => ({ ...row, lat: DIE.lat, lon: DIE.lon, radiusKm: 50 }));
    const population = buildPopulation(rows);
    const result = scoreShard(population, null, 0);
    // At most the read budget plus one cell's lists per person, whatever the crowd.
    expect(result.work.reads / population.size).toBeLessThanOrEqual(CANDIDATES.readBudget + 40 * CANDIDATES.postingsPerList);
    expect(result.pairs.length).toBeGreaterThan(population.size / 2);
  });

  it('still finds partners when everyone writes the same common words', () => {
    const rows: MatchInput[] = [];
    for (let id = 1; id <= 1500; id++) {
      rows.push(person(id, `habitat partagé paille ${id % 2 ? 'chantier' : 'verger'} ${id % 3 ? 'ruche' : 'yourte'} n${id}x`, { lat: DIE.lat, lon: DIE.lon }));
    }
    const result = scoreShard(buildPopulation(rows), null, 0);
    expect(result.pairs.length).toBeGreaterThan(700);
  });
});

describe('match/candidates: geographic shards', () => {
  it('gives the same pairs and scores as one process, when rows are loaded with the overlap rule', () => {
    const rows = randomPopulation(300, 11);
    const all = buildPopulation(rows);
    const single = scoreShard(all, null, 0);
    const termStats = computeTermStats(rows);
    const midLat = DIE.lat;
    const midLon = DIE.lon;
    const overlapKm = 100;
    const shards: ShardBounds[] = [
      { south: -90, west: -180, north: midLat, east: midLon, ownsUnlocated: true },
      { south: -90, west: midLon, north: midLat, east: 180 },
      { south: midLat, west: -180, north: 90, east: midLon },
      { south: midLat, west: midLon, north: 90, east: 180 },
    ];
    const lists = shards.map((bounds) => {
      const shardRows = rows.filter((row) => rowBelongsToShard(row, bounds, overlapKm));
      const population = buildPopulation(shardRows, { termStats });
      const result = scoreShard(population, bounds, overlapKm);
      expect(result.warnings).toEqual([]);
      return result.pairs;
    });
    const merged = pairScores(mergeScoredPairs(lists));
    const expected = pairScores(single.pairs);
    expect(merged.size).toBe(expected.size);
    for (const [key, value] of expected) {
      expect(merged.has(key), `pair ${key} lost at a shard border`).toBe(true);
      expect(merged.get(key)!).toBeCloseTo(value, 9);
    }
    // Each person is owned by exactly one shard.
    const owners = new Map<number, number>();
    shards.forEach((bounds) => {
      const population = buildPopulation(rows.filter((row) => rowBelongsToShard(row, bounds, overlapKm)), { termStats });
      for (const id of scoreShard(population, bounds, overlapKm).stats.ids) owners.set(id, (owners.get(id) ?? 0) + 1);
    });
    expect(owners.size).toBe(rows.length);
    for (const count of owners.values()) expect(count).toBe(1);
  });

  it('warns when the overlap is smaller than a radius', () => {
    const rows = [person(1, 'paille chanvre', { radiusKm: 100 }), person(2, 'paille chanvre', { northKm: 60 })];
    const population = buildPopulation(rows);
    const result = scoreShard(population, { south: -90, west: -180, north: 90, east: 180 }, 50);
    expect(result.warnings.length).toBe(1);
  });

  it('builds an index for an empty population', () => {
    const population = buildPopulation([]);
    expect(buildCandidateIndex(population).cellRow.length).toBe(0);
    expect(scoreShard(population, null, 0).pairs.length).toBe(0);
  });

  it('keeps an isolated pair at the edge of both radii (50 km, measured with haversine)', () => {
    const words = 'habitat partagé paille';
    const rows = [person(1, words), person(2, words, { lat: DIE.lat + 49.9 * KM })];
    const result = scoreShard(buildPopulation(rows), null, 0);
    expect(result.pairs.length).toBe(1);
    const beyond = [person(1, words), person(2, words, { lat: DIE.lat + 50.2 * KM })];
    expect(scoreShard(buildPopulation(beyond), null, 0).pairs.length).toBe(0);
  });
});
