// Exact scoring of one pair. Candidate generation ranks with a cheap version of the same formula;
// everything that is kept is re-scored here, so every score in a result comes from this file.
// Pairs are always scored in canonical order (smaller id first) so that score(a,b) and
// score(b,a) are bit-identical wherever they are computed (e.g. in two shards).
import { haversineKm as haversineImported } from './distance.js';
import { popcount as popcountImported, type Population } from './population.js';
import {
  AFFINITY_WEIGHTS,
  ANYWHERE_PROXIMITY,
  CATEGORY_UNKNOWN_FIT,
  DECAY_SCALE,
  DUPLICATE_MIN_TERMS,
  DUPLICATE_TEXT_COSINE,
  REJOINDRE_PAIR_FAR_FIT,
  REJOINDRE_PAIR_NEAR_KM,
  ROLE_FIT,
  ROLE_UNKNOWN_FIT,
  TEXT_SATURATION_COSINE,
} from './weights.js';
import { ROLES } from '../vocabulary.js';

// Module-local copies: these run millions of times per round, and reading a local constant is
// much cheaper than an imported binding (which transpilers may turn into a getter).
const haversineKm = haversineImported;
const popcount = popcountImported;
const W_TEXT = AFFINITY_WEIGHTS.text;
const W_CATEGORY = AFFINITY_WEIGHTS.category;
const W_ROLE = AFFINITY_WEIGHTS.role;
const TEXT_SATURATION = TEXT_SATURATION_COSINE;
const DECAY = DECAY_SCALE;
const ANYWHERE = ANYWHERE_PROXIMITY;
const CATEGORY_UNKNOWN = CATEGORY_UNKNOWN_FIT;
const ROLE_UNKNOWN = ROLE_UNKNOWN_FIT;
const REJOINDRE_NEAR_KM = REJOINDRE_PAIR_NEAR_KM;
const REJOINDRE_FAR = REJOINDRE_PAIR_FAR_FIT;
/** ROLE_FIT as a flat table indexed by role codes (0 = unknown): roleCodeA * 4 + roleCodeB. */
const ROLE_TABLE = new Float64Array(16).fill(ROLE_UNKNOWN_FIT);
for (let a = 0; a < ROLES.length; a++) {
  for (let b = 0; b < ROLES.length; b++) ROLE_TABLE[(a + 1) * 4 + (b + 1)] = ROLE_FIT[ROLES[a]!][ROLES[b]!];
}
const REJOINDRE_CODE = ROLES.indexOf('rejoindre') + 1;

export interface ScoreComponents {
  /** Cosine of the two TF-IDF vectors (0…1). */
  text: number;
  /** Proximity factor (0…1]; ANYWHERE_PROXIMITY when distance does not apply. */
  distance: number;
  /** Category fit (0…1). */
  category: number;
  /** Role fit (0…1). */
  role: number;
}

/** Cosine of two L2-normalised sparse vectors (term ids ascending): a linear merge. */
export function textCosine(population: Population, i: number, j: number): number {
  const { vectorStart, vectorTerm, vectorWeight } = population;
  let p = vectorStart[i]!;
  const pEnd = vectorStart[i + 1]!;
  let q = vectorStart[j]!;
  const qEnd = vectorStart[j + 1]!;
  let dot = 0;
  while (p < pEnd && q < qEnd) {
    const tp = vectorTerm[p]!;
    const tq = vectorTerm[q]!;
    if (tp === tq) {
      dot += vectorWeight[p]! * vectorWeight[q]!;
      p++;
      q++;
    } else if (tp < tq) p++;
    else q++;
  }
  return Math.min(1, dot);
}

/** Haversine distance between two people, or NaN when either cannot be placed. */
export function pairDistanceKm(population: Population, i: number, j: number): number {
  if (!population.located[i] || !population.located[j]) return Number.NaN;
  return haversineKm(population.lat[i]!, population.lon[i]!, population.lat[j]!, population.lon[j]!);
}

/**
 * Whether two people may be introduced at all, distance-wise: within both radii, or both said
 * "anywhere". Someone whose location is unknown cannot be held to anyone's radius, so they can
 * only meet other "anywhere" people, and only if they said "anywhere" themselves.
 */
export function withinReach(radiusA: number, radiusB: number, distanceKm: number): boolean {
  if (Number.isNaN(distanceKm)) return radiusA === Infinity && radiusB === Infinity;
  return distanceKm <= radiusA && distanceKm <= radiusB;
}

/** Proximity factor: 1/(1 + d/(DECAY_SCALE·R)) with R the smaller radius; see weights.ts. */
export function proximity(radiusA: number, radiusB: number, distanceKm: number): number {
  const radius = Math.min(radiusA, radiusB);
  if (radius === Infinity || Number.isNaN(distanceKm)) return ANYWHERE;
  return 1 / (1 + distanceKm / (DECAY * radius));
}

export function categoryFit(maskA: number, countA: number, maskB: number, countB: number): number {
  if (countA === 0 || countB === 0) return CATEGORY_UNKNOWN;
  return popcount((maskA & maskB) >>> 0) / Math.sqrt(countA * countB);
}

/** Role fit from weights.ts; two joiners fit only when they are near each other. */
export function roleFit(codeA: number, codeB: number, distanceKm: number): number {
  if (codeA === 0 || codeB === 0) return ROLE_UNKNOWN;
  if (codeA === REJOINDRE_CODE && codeB === REJOINDRE_CODE) {
    return !Number.isNaN(distanceKm) && distanceKm <= REJOINDRE_NEAR_KM ? ROLE_TABLE[codeA * 4 + codeB]! : REJOINDRE_FAR;
  }
  return ROLE_TABLE[codeA * 4 + codeB]!;
}

/** The final score from components (see the formula at the top of weights.ts). */
export function combineScore(textCos: number, category: number, role: number, proximityFactor: number): number {
  const textFit = Math.min(1, textCos / TEXT_SATURATION);
  const affinity = W_TEXT * textFit + W_CATEGORY * category + W_ROLE * role;
  return affinity * proximityFactor;
}

/** Same text twice (two emails, one person): such a pair is never proposed. */
export function looksLikeDuplicate(population: Population, i: number, j: number, textCos: number): boolean {
  if (textCos < DUPLICATE_TEXT_COSINE) return false;
  const { vectorStart } = population;
  return (
    vectorStart[i + 1]! - vectorStart[i]! >= DUPLICATE_MIN_TERMS &&
    vectorStart[j + 1]! - vectorStart[j]! >= DUPLICATE_MIN_TERMS
  );
}

export interface ExactPairScore {
  score: number;
  distanceKm: number;
  components: ScoreComponents;
}

/** Slots of the output array of scorePairInto. */
export const EXACT_SCORE = 0;
export const EXACT_DISTANCE = 1;
export const EXACT_TEXT = 2;
export const EXACT_PROXIMITY = 3;
export const EXACT_CATEGORY = 4;
export const EXACT_ROLE = 5;

/**
 * Exact score of a pair written into `out` at `offset` (slots above), without allocating: it runs for every
 * finalist of every person. Returns false when the pair is impossible: out of reach, or nothing
 * in common in their words. (Duplicates are not filtered here; see looksLikeDuplicate.)
 */
export function scorePairInto(population: Population, x: number, y: number, out: Float64Array, offset = 0): boolean {
  if (x === y) return false;
  // Canonical order by id, so the same pair gives the same numbers in every shard.
  const swap = population.ids[x]! > population.ids[y]!;
  const i = swap ? y : x;
  const j = swap ? x : y;
  const distanceKm = pairDistanceKm(population, i, j);
  const ri = population.radiusKm[i]!;
  const rj = population.radiusKm[j]!;
  if (!withinReach(ri, rj, distanceKm)) return false;
  const text = textCosine(population, i, j);
  if (!(text > 0)) return false;
  const category = categoryFit(
    population.categoryMask[i]!,
    population.categoryCount[i]!,
    population.categoryMask[j]!,
    population.categoryCount[j]!,
  );
  const role = roleFit(population.role[i]!, population.role[j]!, distanceKm);
  const distance = proximity(ri, rj, distanceKm);
  out[offset + EXACT_SCORE] = combineScore(text, category, role, distance);
  out[offset + EXACT_DISTANCE] = distanceKm;
  out[offset + EXACT_TEXT] = text;
  out[offset + EXACT_PROXIMITY] = distance;
  out[offset + EXACT_CATEGORY] = category;
  out[offset + EXACT_ROLE] = role;
  return true;
}

/** Exact score of a pair, or null when the pair is impossible (see scorePairInto). */
export function scorePair(population: Population, x: number, y: number): ExactPairScore | null {
  const out = new Float64Array(6);
  if (!scorePairInto(population, x, y, out)) return null;
  return {
    score: out[EXACT_SCORE]!,
    distanceKm: out[EXACT_DISTANCE]!,
    components: {
      text: out[EXACT_TEXT]!,
      distance: out[EXACT_PROXIMITY]!,
      category: out[EXACT_CATEGORY]!,
      role: out[EXACT_ROLE]!,
    },
  };
}
