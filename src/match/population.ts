// The population of a round, in columns: typed arrays indexed 0…size-1 (people sorted by id), a
// term dictionary, and TF-IDF vectors in CSR form. Built once per round (or per shard) from the
// plain rows the caller loads; nothing downstream touches the rows again except for the
// explanations of selected pairs.
import { CATEGORIES, ROLES, type Role } from '../vocabulary.js';
import { DEFAULT_RADIUS_KM, MAX_RADIUS_KM, MAX_VECTOR_TERMS } from './weights.js';

/** One person as the round sees them: what intake stored, nothing more. */
export interface MatchInput {
  /** Database id (any safe integer, or any finite number). */
  id: number;
  role: Role | null;
  /** Category slugs from src/vocabulary.ts; unknown strings are ignored. */
  categories: readonly string[];
  lat: number | null;
  lon: number | null;
  /** Kilometres. `null` = "anywhere" (matched on text alone); omitted = DEFAULT_RADIUS_KM. */
  radiusKm?: number | null;
  /** From `analyse()` at intake: folded stems and their counts, same length. */
  terms: readonly string[];
  counts: readonly number[];
  /** Epoch ms since when this person has been waiting for a proposal (the last one, or signup). */
  waitingSince: number;
  /**
   * Optional: the description, used only to explain selected pairs. For large rounds prefer the
   * `describe` callback of planRound so 100k descriptions need not sit in memory.
   */
  description?: string;
}

/** Role codes in the typed column: 0 = unknown, then the vocabulary's order. */
export const ROLE_CODE_UNKNOWN = 0;
export function roleCode(role: Role | null | undefined): number {
  const index = role == null ? -1 : (ROLES as readonly string[]).indexOf(role);
  return index + 1;
}
export function roleOfCode(code: number): Role | null {
  return code === 0 ? null : (ROLES[code - 1] ?? null);
}

/** Per-row problems found while building, for the "not matched because" report. */
export const PROBLEM_INVALID_LOCATION = 1;

/** Document frequencies shared by every shard of a round, so a score never depends on the shard. */
export interface TermStats {
  /** Number of people with at least one term. */
  documentCount: number;
  documentFrequency: ReadonlyMap<string, number>;
}

export interface Population {
  size: number;
  /** Person index → id. Indices follow a spatial order (see buildPopulation), not ids. */
  ids: Float64Array;
  indexOfId: ReadonlyMap<number, number>;
  role: Uint8Array;
  /** Bit k set = CATEGORIES[k]. */
  categoryMask: Uint32Array;
  categoryCount: Uint8Array;
  /** NaN when unknown. */
  lat: Float64Array;
  lon: Float64Array;
  /** cos(lat), precomputed for the fast distance approximation. */
  cosLat: Float64Array;
  /** 1 when lat/lon are known and valid. */
  located: Uint8Array;
  /** Kilometres, clamped to MAX_RADIUS_KM; Infinity = anywhere. */
  radiusKm: Float64Array;
  waitingSince: Float64Array;
  /** 0 = has waited longest; ties broken by id. Used to order equal scores. */
  waitRank: Int32Array;
  problems: Uint8Array;
  /** Term id → folded stem. */
  termText: string[];
  termIndex: ReadonlyMap<string, number>;
  /** Term id → number of people whose (pruned) vector contains it; terms pruned everywhere have 0. */
  termDf: Int32Array;
  /** CSR: person i's vector is vectorTerm/vectorWeight[vectorStart[i] … vectorStart[i+1]), term ids ascending, L2 = 1. */
  vectorStart: Int32Array;
  vectorTerm: Int32Array;
  vectorWeight: Float32Array;
  /** Descriptions given inline in rows (sparse; only when rows carried them). */
  descriptions: ReadonlyMap<number, string>;
  /** Rows that could not be used at all (missing or repeated id). */
  rejectedRows: { id: number; reason: 'invalid_id' | 'duplicate_id' }[];
}

export interface BuildPopulationOptions {
  /** Global document frequencies when building one shard of a larger round. */
  termStats?: TermStats;
  maxVectorTerms?: number;
}

/** Document frequencies of a set of rows: what a parent job computes once and hands to every shard. */
export function computeTermStats(rows: Iterable<Pick<MatchInput, 'terms' | 'counts'>>): TermStats {
  const documentFrequency = new Map<string, number>();
  let documentCount = 0;
  for (const row of rows) {
    const seen = new Set<string>();
    const terms = Array.isArray(row.terms) ? row.terms : [];
    const counts = Array.isArray(row.counts) ? row.counts : [];
    for (let k = 0; k < terms.length; k++) {
      const term = terms[k];
      const count = counts[k];
      if (typeof term !== 'string' || term.length === 0 || !(typeof count === 'number' && count > 0)) continue;
      if (seen.has(term)) continue;
      seen.add(term);
      documentFrequency.set(term, (documentFrequency.get(term) ?? 0) + 1);
    }
    if (seen.size > 0) documentCount++;
  }
  return { documentCount, documentFrequency };
}

function isValidCoordinate(lat: unknown, lon: unknown): lat is number {
  return (
    typeof lat === 'number' &&
    typeof lon === 'number' &&
    Number.isFinite(lat) &&
    Number.isFinite(lon) &&
    Math.abs(lat) <= 90 &&
    Math.abs(lon) <= 180 &&
    // (0, 0) is the classic "geocoder gave up" value, in the Gulf of Guinea.
    !(lat === 0 && lon === 0)
  );
}

function normaliseRadius(radius: number | null | undefined): number {
  if (radius === null) return Infinity;
  if (typeof radius !== 'number' || !Number.isFinite(radius) || radius <= 0) {
    // Infinity as a number means "anywhere" too; anything else unusable falls back to the default.
    return radius === Infinity ? Infinity : DEFAULT_RADIUS_KM;
  }
  return Math.min(radius, MAX_RADIUS_KM);
}

const CATEGORY_BIT = new Map<string, number>(CATEGORIES.map((slug, k) => [slug, 1 << k]));

function popcount(value: number): number {
  let v = value - ((value >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/**
 * Builds the columnar population. Never throws on bad rows: unusable ids are listed in
 * `rejectedRows`, bad coordinates count as unknown, bad terms are skipped.
 *
 * Every row object is read once, in the order given (at 100k rows, jumping between row objects
 * in another order costs a cache miss per field); everything after works on typed arrays. The
 * result does not depend on row order: people are then ordered by place and id, and term ids
 * by the terms' spelling.
 */
export function buildPopulation(rows: readonly MatchInput[], options: BuildPopulationOptions = {}): Population {
  const maxTerms = Math.max(1, Math.floor(options.maxVectorTerms ?? MAX_VECTOR_TERMS));
  const rejectedRows: Population['rejectedRows'] = [];
  const input = Array.isArray(rows) ? rows : [];

  // Pass over the rows, in input order: validate, copy fields, translate terms to provisional ids.
  const seenIds = new Set<number>();
  const kept: number[] = [];
  const n = input.length;
  const inId = new Float64Array(n);
  const inLat = new Float64Array(n).fill(Number.NaN);
  const inLon = new Float64Array(n).fill(Number.NaN);
  const inProblems = new Uint8Array(n);
  const inRadius = new Float64Array(n);
  const inRole = new Uint8Array(n);
  const inMask = new Uint32Array(n);
  const inWait = new Float64Array(n);
  const inOccStart = new Int32Array(n + 1);
  const descriptions = new Map<number, string>();
  const provisional = new Map<string, number>();
  const provisionalText: string[] = [];
  let occTermList: number[] = [];
  let occCountList: number[] = [];
  const lastRowOfTerm: number[] = [];
  for (let r = 0; r < n; r++) {
    inOccStart[r] = occTermList.length;
    const row = input[r];
    const id = row?.id;
    if (typeof id !== 'number' || !Number.isFinite(id)) {
      rejectedRows.push({ id: typeof id === 'number' ? id : Number.NaN, reason: 'invalid_id' });
      continue;
    }
    if (seenIds.has(id)) {
      rejectedRows.push({ id, reason: 'duplicate_id' });
      continue;
    }
    seenIds.add(id);
    kept.push(r);
    inId[r] = id;
    const lat = row.lat;
    const lon = row.lon;
    if (isValidCoordinate(lat, lon)) {
      inLat[r] = lat;
      inLon[r] = lon as number;
    } else if (lat != null || lon != null) {
      inProblems[r] |= PROBLEM_INVALID_LOCATION;
    }
    inRadius[r] = normaliseRadius(row.radiusKm);
    inRole[r] = roleCode(row.role);
    let mask = 0;
    if (Array.isArray(row.categories)) for (const slug of row.categories) mask |= CATEGORY_BIT.get(slug) ?? 0;
    inMask[r] = mask >>> 0;
    inWait[r] = Number.isFinite(row.waitingSince) ? row.waitingSince : Number.MAX_SAFE_INTEGER;
    if (typeof row.description === 'string') descriptions.set(id, row.description);
    const terms = Array.isArray(row.terms) ? row.terms : [];
    const counts = Array.isArray(row.counts) ? row.counts : [];
    for (let k = 0; k < terms.length; k++) {
      const term = terms[k];
      const count = counts[k];
      if (typeof term !== 'string' || term.length === 0) continue;
      if (!(typeof count === 'number' && Number.isFinite(count) && count > 0)) continue;
      let t = provisional.get(term);
      if (t === undefined) {
        t = provisionalText.length;
        provisional.set(term, t);
        provisionalText.push(term);
        lastRowOfTerm.push(-1);
      }
      if (lastRowOfTerm[t] === r) continue; // the same term twice in one row
      lastRowOfTerm[t] = r;
      occTermList.push(t);
      occCountList.push(count);
    }
  }
  inOccStart[n] = occTermList.length;
  const occProvisional = Int32Array.from(occTermList);
  const occCount = Float64Array.from(occCountList);
  occTermList = [];
  occCountList = [];

  // Canonical term ids: by spelling.
  const termText = [...provisionalText].sort();
  const termIndex = new Map<string, number>();
  termText.forEach((term, t) => termIndex.set(term, t));
  const remap = new Int32Array(provisionalText.length);
  provisionalText.forEach((term, t) => (remap[t] = termIndex.get(term)!));
  const occTerm = new Int32Array(occProvisional.length);
  for (let k = 0; k < occProvisional.length; k++) occTerm[k] = remap[occProvisional[k]!]!;

  // Canonical person order: by ~20 km spatial bucket, then id. Independent of row order, and
  // people who are near each other sit near each other in every typed array, which keeps the
  // candidate search cache-friendly.
  const bucket = new Float64Array(n);
  for (const r of kept) {
    bucket[r] = Number.isNaN(inLat[r]!)
      ? Number.MAX_SAFE_INTEGER
      : Math.floor((inLat[r]! + 90) / 0.2) * 2000 + Math.floor((inLon[r]! + 180) / 0.3);
  }
  const order = Int32Array.from(kept).sort((x, y) => bucket[x]! - bucket[y]! || inId[x]! - inId[y]!);
  const size = order.length;

  // Smoothed IDF: stays positive for a term everyone uses, so a one-person round still works.
  const localDf = new Int32Array(termText.length);
  let documents = 0;
  for (const r of kept) {
    if (inOccStart[r + 1]! > inOccStart[r]!) documents++;
    for (let k = inOccStart[r]!; k < inOccStart[r + 1]!; k++) localDf[occTerm[k]!]!++;
  }
  const totalDocs = Math.max(1, options.termStats ? options.termStats.documentCount : documents);
  const idf = new Float64Array(termText.length);
  for (let t = 0; t < termText.length; t++) {
    const df = options.termStats ? (options.termStats.documentFrequency.get(termText[t]!) ?? 1) : localDf[t]!;
    idf[t] = Math.log((1 + totalDocs) / (1 + df)) + 1;
  }

  const ids = new Float64Array(size);
  const indexOfId = new Map<number, number>();
  const role = new Uint8Array(size);
  const categoryMask = new Uint32Array(size);
  const categoryCount = new Uint8Array(size);
  const lat = new Float64Array(size);
  const lon = new Float64Array(size);
  const cosLat = new Float64Array(size);
  const located = new Uint8Array(size);
  const radiusKm = new Float64Array(size);
  const waitingSince = new Float64Array(size);
  const problems = new Uint8Array(size);

  let capacity = 0;
  for (const r of kept) capacity += Math.min(maxTerms, inOccStart[r + 1]! - inOccStart[r]!);
  const vectorStart = new Int32Array(size + 1);
  const vectorTerm = new Int32Array(capacity);
  const vectorWeight = new Float32Array(capacity);
  const termDf = new Int32Array(termText.length);
  const weights = new Float64Array(occTerm.length);
  const picked: number[] = [];

  let cursor = 0;
  for (let i = 0; i < size; i++) {
    const r = order[i]!;
    ids[i] = inId[r]!;
    indexOfId.set(inId[r]!, i);
    role[i] = inRole[r]!;
    categoryMask[i] = inMask[r]!;
    categoryCount[i] = popcount(inMask[r]!);
    lat[i] = inLat[r]!;
    lon[i] = inLon[r]!;
    if (!Number.isNaN(inLat[r]!)) {
      cosLat[i] = Math.cos((inLat[r]! * Math.PI) / 180);
      located[i] = 1;
    }
    radiusKm[i] = inRadius[r]!;
    waitingSince[i] = inWait[r]!;
    problems[i] = inProblems[r]!;

    // TF-IDF with sublinear tf: saying "paille" five times is more than once, not five times more.
    const from = inOccStart[r]!;
    const to = inOccStart[r + 1]!;
    picked.length = 0;
    for (let k = from; k < to; k++) {
      weights[k] = (1 + Math.log(occCount[k]!)) * idf[occTerm[k]!]!;
      picked.push(k);
    }
    if (picked.length > maxTerms) {
      // Strongest terms first; ties by term id (canonical), then keep the first maxTerms.
      picked.sort((x, y) => weights[y]! - weights[x]! || occTerm[x]! - occTerm[y]!);
      picked.length = maxTerms;
    }
    let norm = 0;
    for (const k of picked) norm += weights[k]! * weights[k]!;
    norm = Math.sqrt(norm);
    // Insertion sort by term id: vectors are short, and this runs once per person.
    for (let a = 1; a < picked.length; a++) {
      const k = picked[a]!;
      const t = occTerm[k]!;
      let b = a;
      while (b > 0 && occTerm[picked[b - 1]!]! > t) {
        picked[b] = picked[b - 1]!;
        b--;
      }
      picked[b] = k;
    }
    for (const k of picked) {
      const t = occTerm[k]!;
      vectorTerm[cursor] = t;
      vectorWeight[cursor] = weights[k]! / norm;
      termDf[t]!++;
      cursor++;
    }
    vectorStart[i + 1] = cursor;
  }

  const byWait = Array.from({ length: size }, (_, i) => i).sort(
    (x, y) => waitingSince[x]! - waitingSince[y]! || ids[x]! - ids[y]!,
  );
  const waitRank = new Int32Array(size);
  byWait.forEach((person, rank) => (waitRank[person] = rank));

  return {
    size,
    ids,
    indexOfId,
    role,
    categoryMask,
    categoryCount,
    lat,
    lon,
    cosLat,
    located,
    radiusKm,
    waitingSince,
    waitRank,
    problems,
    termText,
    termIndex,
    termDf,
    vectorStart,
    vectorTerm,
    vectorWeight,
    descriptions,
    rejectedRows,
  };
}

/** Number of terms in person i's vector. */
export function vectorLength(population: Population, i: number): number {
  return population.vectorStart[i + 1]! - population.vectorStart[i]!;
}

export { popcount };
