// Shared builders for the match unit tests.
import type { Category, Role } from '../../src/vocabulary.js';
import type { MatchInput } from '../../src/match/population.js';
import { analyse } from '../../src/match/text.js';

/** Die (Drôme) and places at known distances from it. */
export const DIE = { lat: 44.7536, lon: 5.3703 };
/** ~1 km of latitude in degrees. */
export const KM = 1 / 111.195;

export interface PersonSpec {
  role?: Role | null;
  categories?: Category[];
  lat?: number | null;
  lon?: number | null;
  radiusKm?: number | null;
  waitingSince?: number;
  /** Kilometres north of Die (convenient distances). */
  northKm?: number;
}

/** A row as intake would store it: the description analysed, with a location. */
export function person(id: number, description: string, spec: PersonSpec = {}): MatchInput & { description: string } {
  const { terms, counts } = analyse(description);
  const north = spec.northKm ?? 0;
  return {
    id,
    role: spec.role === undefined ? 'porteur' : spec.role,
    categories: spec.categories ?? [],
    lat: spec.lat === undefined ? DIE.lat + north * KM : spec.lat,
    lon: spec.lon === undefined ? DIE.lon : spec.lon,
    radiusKm: spec.radiusKm === undefined ? 50 : spec.radiusKm,
    terms,
    counts,
    waitingSince: spec.waitingSince ?? Date.UTC(2025, 0, 1),
    description,
  };
}

/** Deterministic PRNG for property-style tests. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS =
  'paille chanvre maraîchage verger habitat partagé éco-lieu yourte forêt ruche abeilles vélo atelier réparation fablab imprimante amap épicerie compost recyclerie énergie solaire éolien chantier participatif enduits terre bois charpente école montessori théâtre festival haies mares semences fromagerie chèvres boulangerie four pain coopérative sociocratie jardin potager permaculture mobilité covoiturage monnaie locale épargne'.split(
    ' ',
  );
const ROLES: (Role | null)[] = ['porteur', 'rejoindre', 'ressource', null];
const CATS: Category[] = ['eco-lieu', 'habitat-partage', 'ferme', 'eco-construction', 'reparation', 'alimentation'];

/**
 * A random small population around Die: random words, roles, categories, radii (some
 * "anywhere", some without location), spread over ~120 km so radii matter.
 */
export function randomPopulation(size: number, seed: number): (MatchInput & { description: string })[] {
  const random = seeded(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const rows: (MatchInput & { description: string })[] = [];
  for (let id = 1; id <= size; id++) {
    const wordCount = 1 + Math.floor(random() * 9);
    const words = Array.from({ length: wordCount }, () => pick(WORDS));
    const radiusDraw = random();
    const located = random() > 0.05;
    rows.push(
      person(id * 3 + 7, words.join(' '), {
        role: pick(ROLES),
        categories: random() < 0.3 ? [] : [pick(CATS)],
        lat: located ? DIE.lat + (random() - 0.5) * 120 * KM : null,
        lon: located ? DIE.lon + ((random() - 0.5) * 120 * KM) / Math.cos((DIE.lat * Math.PI) / 180) : null,
        radiusKm: radiusDraw < 0.15 ? null : radiusDraw < 0.4 ? 20 : radiusDraw < 0.9 ? 50 : 100,
        waitingSince: Date.UTC(2025, 0, 1) - Math.floor(random() * 60) * 86_400_000,
      }),
    );
  }
  return rows;
}
