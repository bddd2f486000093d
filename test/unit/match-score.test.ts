import { describe, expect, it } from 'vitest';
import { buildPopulation } from '../../src/match/population.js';
import { categoryFit, proximity, roleFit, scorePair, textCosine } from '../../src/match/score.js';
import { haversineKm } from '../../src/match/distance.js';
import { roleCode } from '../../src/match/population.js';
import { ANYWHERE_PROXIMITY, ROLE_FIT } from '../../src/match/weights.js';
import { person } from './match-helpers.js';

function pairOf(a: ReturnType<typeof person>, b: ReturnType<typeof person>) {
  const population = buildPopulation([a, b]);
  return { population, i: population.indexOfId.get(a.id)!, j: population.indexOfId.get(b.id)! };
}

describe('match/score: cosine', () => {
  it('is 1 for the same words, 0 for nothing in common, and symmetric', () => {
    const same = pairOf(person(1, 'paille chanvre enduits'), person(2, 'enduits paille chanvre'));
    expect(textCosine(same.population, same.i, same.j)).toBeCloseTo(1, 6);
    const none = pairOf(person(1, 'paille chanvre'), person(2, 'théâtre festival'));
    expect(textCosine(none.population, none.i, none.j)).toBe(0);
    const some = pairOf(person(1, 'paille chanvre verger'), person(2, 'paille théâtre'));
    const x = textCosine(some.population, some.i, some.j);
    expect(x).toBeGreaterThan(0);
    expect(x).toBeLessThan(1);
    expect(textCosine(some.population, some.j, some.i)).toBe(x);
  });
});

describe('match/score: distance', () => {
  it('haversine agrees with a known distance (Paris–Lyon ≈ 392 km)', () => {
    expect(haversineKm(48.8566, 2.3522, 45.764, 4.8357)).toBeGreaterThan(388);
    expect(haversineKm(48.8566, 2.3522, 45.764, 4.8357)).toBeLessThan(396);
  });

  it('decays with distance within the radius', () => {
    const values = [0, 5, 10, 25, 49].map((d) => proximity(50, 50, d));
    for (let k = 1; k < values.length; k++) expect(values[k]!).toBeLessThan(values[k - 1]!);
    expect(values[0]).toBe(1);
    // Scaled by the smaller radius: someone who said 10 km is more demanding.
    expect(proximity(10, 50, 5)).toBeLessThan(proximity(50, 50, 5));
  });

  it('excludes a pair beyond either radius', () => {
    const words = 'habitat partagé paille chantier participatif';
    const within = pairOf(person(1, words), person(2, words, { northKm: 40 }));
    expect(scorePair(within.population, within.i, within.j)).not.toBeNull();
    const tooFarForB = pairOf(person(1, words, { radiusKm: 50 }), person(2, words, { northKm: 40, radiusKm: 30 }));
    expect(scorePair(tooFarForB.population, tooFarForB.i, tooFarForB.j)).toBeNull();
    const tooFarForA = pairOf(person(1, words, { radiusKm: 30 }), person(2, words, { northKm: 40, radiusKm: 100 }));
    expect(scorePair(tooFarForA.population, tooFarForA.i, tooFarForA.j)).toBeNull();
  });

  it('matches "anywhere" people on text alone, whatever the distance', () => {
    const words = 'habitat partagé paille chantier participatif';
    const far = pairOf(person(1, words, { radiusKm: null }), person(2, words, { northKm: 600, radiusKm: null }));
    const result = scorePair(far.population, far.i, far.j);
    expect(result).not.toBeNull();
    expect(result!.components.distance).toBe(ANYWHERE_PROXIMITY);
    // Someone without a location can meet "anywhere" people only.
    const unplaced = pairOf(person(1, words, { lat: null, lon: null, radiusKm: null }), person(2, words, { radiusKm: null }));
    expect(scorePair(unplaced.population, unplaced.i, unplaced.j)).not.toBeNull();
    const unplacedLocal = pairOf(person(1, words, { lat: null, lon: null, radiusKm: 50 }), person(2, words));
    expect(scorePair(unplacedLocal.population, unplacedLocal.i, unplacedLocal.j)).toBeNull();
    // "Anywhere" meets someone with a radius only inside that radius.
    const mixed = pairOf(person(1, words, { radiusKm: null }), person(2, words, { northKm: 80, radiusKm: 50 }));
    expect(scorePair(mixed.population, mixed.i, mixed.j)).toBeNull();
  });
});

describe('match/score: fit', () => {
  it('ranks roles: carrier + joiner best, carriers may join forces, joiners only when near', () => {
    const p = roleCode('porteur');
    const r = roleCode('rejoindre');
    const s = roleCode('ressource');
    expect(roleFit(p, r, 10)).toBe(1);
    expect(roleFit(r, p, 10)).toBe(1);
    expect(roleFit(p, p, 10)).toBe(ROLE_FIT.porteur.porteur);
    expect(roleFit(p, p, 10)).toBeLessThan(roleFit(p, r, 10));
    expect(roleFit(r, r, 5)).toBeGreaterThan(roleFit(r, r, 45));
    expect(roleFit(r, r, Number.NaN)).toBe(roleFit(r, r, 45));
    expect(roleFit(s, p, 10)).toBeGreaterThan(roleFit(s, r, 10));
    expect(roleFit(0, p, 10)).toBeGreaterThan(0);
  });

  it('measures category overlap, neutral when unknown', () => {
    expect(categoryFit(0b1, 1, 0b1, 1)).toBe(1);
    expect(categoryFit(0b1, 1, 0b10, 1)).toBe(0);
    expect(categoryFit(0b11, 2, 0b1, 1)).toBeCloseTo(1 / Math.SQRT2, 9);
    const unknown = categoryFit(0, 0, 0b1, 1);
    expect(unknown).toBeGreaterThan(0);
    expect(unknown).toBeLessThan(1);
  });

  it('prefers, for the same words and distance, a carrier with a joiner of the same kind', () => {
    const words = 'habitat partagé paille chantier participatif';
    const spec = { categories: ['habitat-partage' as const] };
    const best = pairOf(person(1, words, { ...spec, role: 'porteur' }), person(2, words, { ...spec, role: 'rejoindre', northKm: 10 }));
    const forces = pairOf(person(1, words, { ...spec, role: 'porteur' }), person(2, words, { ...spec, role: 'porteur', northKm: 10 }));
    const otherKind = pairOf(
      person(1, words, { ...spec, role: 'porteur' }),
      person(2, words, { categories: ['fablab'], role: 'rejoindre', northKm: 10 }),
    );
    const score = (x: ReturnType<typeof pairOf>) => scorePair(x.population, x.i, x.j)!.score;
    expect(score(best)).toBeGreaterThan(score(forces));
    expect(score(best)).toBeGreaterThan(score(otherKind));
  });
});
