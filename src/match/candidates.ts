// Candidate generation without an all-pairs loop.
//
// Index (buildCandidateIndex): people are placed in a grid of square cells (CANDIDATES.cellKm);
// for every (cell, term) there is a posting list of the people in that cell whose vector has
// that term, strongest weight first. People who said "anywhere" are also listed in one extra,
// location-less cell. Posting entries point at "slots" (positions in the cell's people list), and
// the fields the search needs are stored per slot, so reading a cell stays in one memory area.
//
// Search for person a (CandidateScanner.bestPartners):
//   1. the cells a can reach (within a's radius; for an "anywhere" person, the cells whose
//      people's radius can reach a, plus the anywhere cell), nearest first;
//   2. for each cell, while the read budget lasts: skip it if even a perfect affinity at the
//      cell's nearest point could not beat a's current keep-th best; else accumulate dot products
//      over the cell's lists for a's strongest terms (terms too common to distinguish anyone are
//      skipped), at most postingsPerList entries per list;
//   3. the people touched in that cell are filtered by reach and ranked by a cheap score (the
//      exact formula with the partial dot product and a fast distance); the best `finalists`
//      are kept;
//   4. the finalists are re-scored exactly (score.ts) and the best `keepPerPerson` kept.
// Work per person is bounded by the read budget (plus one cell) whatever the population's size
// or shape, e.g. everyone in one commune. When the population is small enough that no budget,
// list cap or term skip applies, this finds exactly the pairs an all-pairs scorer ranks first;
// the unit tests check it against brute force. Beyond that it is an approximation whose recall
// bench/round-pure.ts measures against brute force on a sample.
import { KM_PER_DEGREE as KM_PER_DEGREE_IMPORTED } from './distance.js';
import { buildExclusions, type ExcludedPairsInput, type Exclusions } from './exclusions.js';
import { popcount as popcountImported, type Population } from './population.js';
import * as score from './score.js';
import {
  EXACT_CATEGORY,
  EXACT_DISTANCE,
  EXACT_PROXIMITY,
  EXACT_ROLE,
  EXACT_SCORE,
  EXACT_TEXT,
} from './score.js';
import * as distance from './distance.js';
import {
  AFFINITY_WEIGHTS,
  ANYWHERE_PROXIMITY,
  CANDIDATES,
  CATEGORY_UNKNOWN_FIT,
  DECAY_SCALE,
  DUPLICATE_TEXT_COSINE,
  DEFAULT_RADIUS_KM,
  ROLE_FIT,
  ROLE_UNKNOWN_FIT,
  TEXT_SATURATION_COSINE,
} from './weights.js';
import { ROLES } from '../vocabulary.js';

// Local bindings of hot imported functions: a transpiler may compile imported bindings to
// getters, which costs a call per use and blocks inlining in loops run millions of times.
const approxDistanceKm = distance.approxDistanceKm;
const KM_PER_DEGREE = KM_PER_DEGREE_IMPORTED;
const looksLikeDuplicate = score.looksLikeDuplicate;
const roleFit = score.roleFit;
const scorePairInto = score.scorePairInto;
const withinReach = score.withinReach;
const W_TEXT = AFFINITY_WEIGHTS.text;
const W_CATEGORY = AFFINITY_WEIGHTS.category;
const W_ROLE = AFFINITY_WEIGHTS.role;
const TEXT_SATURATION = TEXT_SATURATION_COSINE;
const ANYWHERE = ANYWHERE_PROXIMITY;

/** 1/√n for category counts (the mask holds up to 32 categories). */
const INV_SQRT = Float64Array.from({ length: 33 }, (_, n) => (n === 0 ? 0 : 1 / Math.sqrt(n)));
const popcount = popcountImported;
/** ROLE_FIT as a flat table indexed by role codes (0 = unknown): codeA * 4 + codeB. */
const ROLE_TABLE = new Float64Array(16).fill(ROLE_UNKNOWN_FIT);
for (let a = 0; a < ROLES.length; a++) {
  for (let b = 0; b < ROLES.length; b++) ROLE_TABLE[(a + 1) * 4 + (b + 1)] = ROLE_FIT[ROLES[a]!][ROLES[b]!];
}
const REJOINDRE_CODE = ROLES.indexOf('rejoindre') + 1;

/** The best role fit a person of this role code can have with anyone (for pruning bounds). */
const BEST_ROLE_FIT = [ROLE_UNKNOWN_FIT, ...ROLES.map((role) => Math.max(...Object.values(ROLE_FIT[role])))];
function bestRoleFitFor(code: number): number {
  return BEST_ROLE_FIT[code] ?? 1;
}

export interface CandidateOptions {
  cellKm?: number;
  postingsPerList?: number;
  dfSkipRatio?: number;
  dfSkipMin?: number;
  keepPerPerson?: number;
  finalists?: number;
  readBudget?: number;
  queryTerms?: number;
}

interface ResolvedCandidateOptions {
  readBudget: number;
  queryTerms: number;
  cellKm: number;
  postingsPerList: number;
  dfSkipRatio: number;
  dfSkipMin: number;
  keepPerPerson: number;
  finalists: number;
}

function resolveOptions(options: CandidateOptions = {}): ResolvedCandidateOptions {
  const positive = (value: number | undefined, fallback: number): number =>
    typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback;
  const keepPerPerson = Math.floor(positive(options.keepPerPerson, CANDIDATES.keepPerPerson));
  return {
    readBudget: Math.floor(positive(options.readBudget, CANDIDATES.readBudget)),
    queryTerms: Math.floor(positive(options.queryTerms, CANDIDATES.queryTerms)),
    cellKm: positive(options.cellKm, CANDIDATES.cellKm),
    postingsPerList: Math.floor(positive(options.postingsPerList, CANDIDATES.postingsPerList)),
    dfSkipRatio: positive(options.dfSkipRatio, CANDIDATES.dfSkipRatio),
    dfSkipMin: positive(options.dfSkipMin, CANDIDATES.dfSkipMin),
    keepPerPerson,
    finalists: Math.max(keepPerPerson, Math.floor(positive(options.finalists, CANDIDATES.finalists))),
  };
}

/** The grid and posting lists of one population. */
export interface CandidateIndex {
  cellLatDeg: number;
  cellLonDeg: number;
  /** Dense grid over the occupied rows/columns: (row - gridRow0) * gridCols + (col - gridCol0) → cell id or -1. */
  grid: Int32Array;
  gridRow0: number;
  gridCol0: number;
  gridRows: number;
  gridCols: number;
  /** Compact id of the location-less "anywhere" cell. */
  anywhereCell: number;
  /** Largest finite radius in each cell (0 when none): a cell is scanned only if it can reach. */
  cellMaxRadius: Float64Array;
  /** 1 when the cell holds someone who said "anywhere" (they accept any distance). */
  cellHasAnywhere: Uint8Array;
  /** Row / column of each geographic cell. */
  cellRow: Int32Array;
  cellCol: Int32Array;
  /** People per cell (CSR over compact cell ids), for "is anyone within reach at all?". */
  cellPeopleStart: Int32Array;
  cellPeople: Int32Array;
  /**
   * Posting lists are numbered cell by cell, terms ascending within a cell: cell c owns list ids
   * [cellListStart[c], cellListStart[c+1]) and listTerm gives each list's term, so finding
   * (cell, term) is a binary search in a short, contiguous array (cache-friendly, unlike a hash).
   */
  cellListStart: Int32Array;
  listTerm: Int32Array;
  listStart: Int32Array;
  listEnd: Int32Array;
  /** Posting entries point at slots: positions in cellPeople (a person has one slot per cell). */
  postingSlot: Int32Array;
  /**
   * Per slot, the fields the search reads for every person it touches (HOT_* offsets), in slot
   * order: the people of a cell are contiguous in memory, so scanning a cell stays in cache.
   */
  slotHot: Float64Array;
  postingWeight: Float32Array;
  /** Terms with a larger population df are not used to find candidates. */
  dfCap: number;
  /** Largest finite radius in the population. */
  maxFiniteRadius: number;
}

const ROW_COL_SPAN = 1 << 20;
function cellKey(row: number, col: number): number {
  return (row + ROW_COL_SPAN) * 2 * ROW_COL_SPAN + (col + ROW_COL_SPAN);
}

export function buildCandidateIndex(population: Population, options: CandidateOptions = {}): CandidateIndex {
  const opts = resolveOptions(options);
  const { size, located, lat, lon, radiusKm, vectorStart, vectorTerm, vectorWeight } = population;
  const cellLatDeg = opts.cellKm / KM_PER_DEGREE;
  // Cells are square at mid-France latitudes; the search box (not the cell shape) keeps the
  // geometry exact everywhere, overseas territories included.
  const cellLonDeg = cellLatDeg / Math.cos((46.5 * Math.PI) / 180);

  // Compact cell ids in key order, so the index layout is canonical.
  const keyOfPerson = new Float64Array(size);
  const keys: number[] = [];
  const keySeen = new Set<number>();
  for (let i = 0; i < size; i++) {
    if (!located[i] || vectorStart[i + 1] === vectorStart[i]) {
      keyOfPerson[i] = Number.NaN;
      continue;
    }
    const key = cellKey(Math.floor(lat[i]! / cellLatDeg), Math.floor(lon[i]! / cellLonDeg));
    keyOfPerson[i] = key;
    if (!keySeen.has(key)) {
      keySeen.add(key);
      keys.push(key);
    }
  }
  keys.sort((x, y) => x - y);
  const cellOfKey = new Map<number, number>();
  keys.forEach((key, c) => cellOfKey.set(key, c));
  const geoCells = keys.length;
  const anywhereCell = geoCells;
  const cellCount = geoCells + 1;
  const cellRow = new Int32Array(geoCells);
  const cellCol = new Int32Array(geoCells);
  let gridRow0 = 0;
  let gridCol0 = 0;
  let gridRowMax = -1;
  let gridColMax = -1;
  for (let c = 0; c < geoCells; c++) {
    const key = keys[c]!;
    cellRow[c] = Math.floor(key / (2 * ROW_COL_SPAN)) - ROW_COL_SPAN;
    cellCol[c] = (key % (2 * ROW_COL_SPAN)) - ROW_COL_SPAN;
    if (c === 0 || cellRow[c]! < gridRow0) gridRow0 = cellRow[c]!;
    if (c === 0 || cellCol[c]! < gridCol0) gridCol0 = cellCol[c]!;
    if (c === 0 || cellRow[c]! > gridRowMax) gridRowMax = cellRow[c]!;
    if (c === 0 || cellCol[c]! > gridColMax) gridColMax = cellCol[c]!;
  }
  const gridRows = gridRowMax - gridRow0 + 1;
  const gridCols = gridColMax - gridCol0 + 1;
  // Dense lookup when the occupied box is reasonable (mainland France at 25 km: ~45×45; with
  // overseas territories a few hundred thousand slots); otherwise searches walk the cell list.
  const grid = new Int32Array(gridRows * gridCols <= 4_000_000 ? gridRows * gridCols : 0).fill(-1);
  if (grid.length > 0) {
    for (let c = 0; c < geoCells; c++) grid[(cellRow[c]! - gridRow0) * gridCols + (cellCol[c]! - gridCol0)] = c;
  }

  // People per cell (a person with radius "anywhere" and a location sits in two cells).
  const cellSize = new Int32Array(cellCount + 1);
  const cellMaxRadius = new Float64Array(cellCount);
  const cellHasAnywhere = new Uint8Array(cellCount);
  let maxFiniteRadius = 0;
  for (let i = 0; i < size; i++) {
    if (vectorStart[i + 1] === vectorStart[i]) continue;
    const r = radiusKm[i]!;
    if (!Number.isNaN(keyOfPerson[i]!)) {
      const c = cellOfKey.get(keyOfPerson[i]!)!;
      cellSize[c + 1]!++;
      if (r !== Infinity && r > cellMaxRadius[c]!) cellMaxRadius[c] = r;
      if (r === Infinity) cellHasAnywhere[c] = 1;
      if (r !== Infinity && r > maxFiniteRadius) maxFiniteRadius = r;
    }
    if (r === Infinity) cellSize[anywhereCell + 1]!++;
  }
  const cellPeopleStart = new Int32Array(cellCount + 1);
  for (let c = 0; c < cellCount; c++) cellPeopleStart[c + 1] = cellPeopleStart[c]! + cellSize[c + 1]!;
  const cellPeople = new Int32Array(cellPeopleStart[cellCount]!);
  const fill = cellPeopleStart.slice(0, cellCount);
  for (let i = 0; i < size; i++) {
    if (vectorStart[i + 1] === vectorStart[i]) continue;
    if (!Number.isNaN(keyOfPerson[i]!)) cellPeople[fill[cellOfKey.get(keyOfPerson[i]!)!]!++] = i;
    if (radiusKm[i] === Infinity) cellPeople[fill[anywhereCell]!++] = i;
  }

  // Posting lists, cell by cell: count terms, lay out ranges, fill, order long lists by weight.
  let totalPostings = 0;
  for (let c = 0; c < cellCount; c++) {
    for (let k = cellPeopleStart[c]!; k < cellPeopleStart[c + 1]!; k++) {
      const i = cellPeople[k]!;
      totalPostings += vectorStart[i + 1]! - vectorStart[i]!;
    }
  }
  const postingSlot = new Int32Array(totalPostings);
  const postingWeight = new Float32Array(totalPostings);
  const termCount = new Int32Array(population.termText.length);
  const termCursor = new Int32Array(population.termText.length);
  const listCell: number[] = [];
  const listTerm: number[] = [];
  const listStartArr: number[] = [];
  const listEndArr: number[] = [];
  let offset = 0;
  const cellTerms: number[] = [];
  const sortScratch: number[] = [];
  for (let c = 0; c < cellCount; c++) {
    cellTerms.length = 0;
    const from = cellPeopleStart[c]!;
    const to = cellPeopleStart[c + 1]!;
    for (let k = from; k < to; k++) {
      const i = cellPeople[k]!;
      for (let e = vectorStart[i]!; e < vectorStart[i + 1]!; e++) {
        const t = vectorTerm[e]!;
        if (termCount[t] === 0) cellTerms.push(t);
        termCount[t]!++;
      }
    }
    cellTerms.sort((x, y) => x - y);
    for (const t of cellTerms) {
      termCursor[t] = offset;
      listCell.push(c);
      listTerm.push(t);
      listStartArr.push(offset);
      offset += termCount[t]!;
      listEndArr.push(offset);
    }
    for (let k = from; k < to; k++) {
      const i = cellPeople[k]!;
      for (let e = vectorStart[i]!; e < vectorStart[i + 1]!; e++) {
        const t = vectorTerm[e]!;
        const at = termCursor[t]!++;
        postingSlot[at] = k;
        postingWeight[at] = vectorWeight[e]!;
      }
    }
    for (let n = listCell.length - cellTerms.length; n < listCell.length; n++) {
      const start = listStartArr[n]!;
      const end = listEndArr[n]!;
      // Only lists longer than what a query reads need ordering: strongest weight first, then
      // slot (person order within the cell), so truncation is deterministic.
      if (end - start > opts.postingsPerList) {
        sortScratch.length = 0;
        for (let e = start; e < end; e++) sortScratch.push(e);
        sortScratch.sort((x, y) => postingWeight[y]! - postingWeight[x]! || postingSlot[x]! - postingSlot[y]!);
        const slots = sortScratch.map((e) => postingSlot[e]!);
        const weights = sortScratch.map((e) => postingWeight[e]!);
        postingSlot.set(slots, start);
        postingWeight.set(weights, start);
      }
    }
    for (const t of cellTerms) termCount[t] = 0;
  }

  const cellListStart = new Int32Array(cellCount + 1);
  for (const c of listCell) cellListStart[c + 1]!++;
  for (let c = 0; c < cellCount; c++) cellListStart[c + 1] = cellListStart[c]! + cellListStart[c + 1]!;

  let documents = 0;
  for (let i = 0; i < size; i++) if (vectorStart[i + 1]! > vectorStart[i]!) documents++;
  return {
    cellLatDeg,
    cellLonDeg,
    grid,
    gridRow0,
    gridCol0,
    gridRows,
    gridCols,
    anywhereCell,
    cellMaxRadius,
    cellHasAnywhere,
    cellRow,
    cellCol,
    cellPeopleStart,
    cellPeople,
    cellListStart,
    listTerm: Int32Array.from(listTerm),
    listStart: Int32Array.from(listStartArr),
    listEnd: Int32Array.from(listEndArr),
    postingSlot,
    postingWeight,
    slotHot: buildSlotHot(population, cellPeople),
    dfCap: Math.max(opts.dfSkipMin, Math.floor(opts.dfSkipRatio * documents)),
    maxFiniteRadius,
  };
}

/**
 * Geographic cells person i must read: those within reach of i's radius, or for an "anywhere"
 * person those whose own people's radius could contain i. Conservative (may include a few cells
 * that turn out out of reach), never misses one. `outMinKm` receives a lower bound of the
 * distance from i to each cell, so the search can read the nearest cells first.
 */
function reachableCells(
  population: Population,
  index: CandidateIndex,
  i: number,
  out: number[],
  outMinKm: number[],
): void {
  out.length = 0;
  outMinKm.length = 0;
  if (!population.located[i]) return;
  const r = population.radiusKm[i]!;
  // A person with a radius reads every cell within it; an "anywhere" person reads only the cells
  // whose people's radius could contain them (the anywhere cell covers the other "anywhere" ones).
  const searchKm = r === Infinity ? index.maxFiniteRadius : r;
  if (!(searchKm > 0)) return;
  const lat = population.lat[i]!;
  const lon = population.lon[i]!;
  const dLat = searchKm / KM_PER_DEGREE;
  const worstLat = Math.min(89.9, Math.abs(lat) + dLat);
  const cosWorst = Math.cos((worstLat * Math.PI) / 180);
  const dLon = Math.min(180, searchKm / (KM_PER_DEGREE * cosWorst));
  const rowMin = Math.floor((lat - dLat) / index.cellLatDeg);
  const rowMax = Math.floor((lat + dLat) / index.cellLatDeg);
  const colMin = Math.floor((lon - dLon) / index.cellLonDeg);
  const colMax = Math.floor((lon + dLon) / index.cellLonDeg);
  if (index.grid.length > 0) {
    const r0 = Math.max(rowMin, index.gridRow0);
    const r1 = Math.min(rowMax, index.gridRow0 + index.gridRows - 1);
    const c0 = Math.max(colMin, index.gridCol0);
    const c1 = Math.min(colMax, index.gridCol0 + index.gridCols - 1);
    for (let row = r0; row <= r1; row++) {
      const base = (row - index.gridRow0) * index.gridCols - index.gridCol0;
      for (let col = c0; col <= c1; col++) {
        const c = index.grid[base + col]!;
        if (c >= 0) considerCell(index, c, lat, lon, cosWorst, searchKm, r, out, outMinKm);
      }
    }
  } else {
    for (let c = 0; c < index.cellRow.length; c++) {
      const row = index.cellRow[c]!;
      const col = index.cellCol[c]!;
      if (row >= rowMin && row <= rowMax && col >= colMin && col <= colMax) {
        considerCell(index, c, lat, lon, cosWorst, searchKm, r, out, outMinKm);
      }
    }
  }
}

/**
 * Adds cell c if it is within reach: a lower bound of its distance from the point (cosine of the
 * worst latitude: never larger than the truth) within the search radius, and someone in it who
 * can accept the person (a radius at least that long, or "anywhere").
 */
/** Lower bound of the distance from a point to cell c (cosine of the worst latitude: never too large). */
function cellDistanceKm(index: CandidateIndex, c: number, lat: number, lon: number, cosWorst: number): number {
  const latDeg = index.cellLatDeg;
  const lonDeg = index.cellLonDeg;
  const south = index.cellRow[c]! * latDeg;
  const west = index.cellCol[c]! * lonDeg;
  const dy = Math.max(0, south - lat, lat - (south + latDeg));
  const dx = Math.max(0, west - lon, lon - (west + lonDeg)) * cosWorst;
  return KM_PER_DEGREE * Math.sqrt(dy * dy + dx * dx) * 0.99;
}

function considerCell(
  index: CandidateIndex,
  c: number,
  lat: number,
  lon: number,
  cosWorst: number,
  searchKm: number,
  radius: number,
  out: number[],
  outMinKm: number[],
): void {
  const minKm = cellDistanceKm(index, c, lat, lon, cosWorst);
  if (minKm > searchKm) return;
  if (minKm <= index.cellMaxRadius[c]! || (radius !== Infinity && index.cellHasAnywhere[c] === 1)) {
    out.push(c);
    outMinKm.push(minKm);
  }
}

/** A scored pair list, in columns; ids (not indices) so lists from shards can be merged. */
export interface ScoredPairList {
  length: number;
  /** Smaller id of the pair. */
  a: Float64Array;
  /** Larger id of the pair. */
  b: Float64Array;
  score: Float64Array;
  /** NaN when distance does not apply (someone without a location, both "anywhere"). */
  distanceKm: Float64Array;
  text: Float64Array;
  proximity: Float64Array;
  category: Float64Array;
  role: Float64Array;
}

/** What candidate generation learnt about each person it owned, for the "not matched" report. */
export interface PersonCandidateStats {
  ids: Float64Array;
  /** People within reach who share at least one word (as found by the index). */
  inReach: Int32Array;
  /** Of those, pairs excluded by the caller (already introduced, declined…). */
  excluded: Int32Array;
  /** Of those, pairs that look like the same registration twice. */
  duplicates: Int32Array;
  /** 1 when anyone at all (sharing words or not) is within reach. */
  anyoneInReach: Uint8Array;
}

export interface ShardBounds {
  /** Owned: south ≤ lat < north and west ≤ lon < east (half-open, so shards tile without overlap). */
  south: number;
  west: number;
  north: number;
  east: number;
  /** Exactly one shard should own the people without a location. */
  ownsUnlocated?: boolean;
}

export interface ShardResult {
  pairs: ScoredPairList;
  stats: PersonCandidateStats;
  /** Pairs looked at: touched in the index, then exactly re-scored. For the round report. */
  work: { reads: number; touched: number; exactScored: number; owned: number };
  /** Non-fatal problems, e.g. an overlap smaller than some radius. */
  warnings: string[];
}

export interface ScoreShardOptions extends CandidateOptions {
  /** Pairs never to propose (already introduced, declined either way), as ids. */
  excludedPairs?: ExcludedPairsInput;
  /** The same, already indexed for this population (buildExclusions): then excludedPairs is not read. */
  exclusions?: Exclusions;
  /** Reuse an index already built for this population. */
  index?: CandidateIndex;
  /**
   * Sharing the work with other threads scoring the same population: returns the next block
   * number (blocks of SHARE_BLOCK owned people, in order) nobody has claimed yet, e.g. an
   * Atomics.add on a shared counter. This call scores only the blocks it claims and returns only
   * their people's stats; a pair two threads both keep is then in both lists, which
   * mergeScoredPairs reduces to one copy (its values are the same: scores are computed in id
   * order). Every person's partners do not depend on who else was scored before, so the merged
   * result is the one-thread result.
   */
  claimBlock?: () => number;
}

/** People per claimed block when threads share a scoreShard: small enough to balance dense cities. */
export const SHARE_BLOCK = 512;

export function ownsLocation(bounds: ShardBounds, lat: number, lon: number): boolean {
  return lat >= bounds.south && lat < bounds.north && lon >= bounds.west && lon < bounds.east;
}

/**
 * The loading rule for a shard worker: which rows it needs so that every pair involving a person
 * it owns is visible. A person it owns can only pair with people within MAX(radius) of them, so
 * loading everyone located within `overlapKm` (≥ the largest radius) of the bounds suffices; people
 * who said "anywhere" can pair across the country, so every shard loads them; people without a
 * location go to the shard that owns them (they can only pair with "anywhere" people).
 */
export function rowBelongsToShard(
  row: { lat: number | null; lon: number | null; radiusKm?: number | null },
  bounds: ShardBounds,
  overlapKm: number,
): boolean {
  if (row.radiusKm === null) return true;
  if (typeof row.lat !== 'number' || typeof row.lon !== 'number' || !Number.isFinite(row.lat) || !Number.isFinite(row.lon)) {
    return bounds.ownsUnlocated === true;
  }
  const dLat = overlapKm / KM_PER_DEGREE;
  const worstLat = Math.min(89.9, Math.max(Math.abs(bounds.south), Math.abs(bounds.north)) + dLat);
  const dLon = overlapKm / (KM_PER_DEGREE * Math.cos((worstLat * Math.PI) / 180));
  return (
    row.lat >= bounds.south - dLat &&
    row.lat < bounds.north + dLat &&
    row.lon >= bounds.west - dLon &&
    row.lon < bounds.east + dLon
  );
}

class PairListBuilder {
  length = 0;
  private capacity = 1024;
  a = new Float64Array(this.capacity);
  b = new Float64Array(this.capacity);
  score = new Float64Array(this.capacity);
  distanceKm = new Float64Array(this.capacity);
  text = new Float64Array(this.capacity);
  proximity = new Float64Array(this.capacity);
  category = new Float64Array(this.capacity);
  role = new Float64Array(this.capacity);

  push(a: number, b: number, score: number, d: number, text: number, prox: number, cat: number, role: number): void {
    if (this.length === this.capacity) this.grow();
    const n = this.length++;
    this.a[n] = a;
    this.b[n] = b;
    this.score[n] = score;
    this.distanceKm[n] = d;
    this.text[n] = text;
    this.proximity[n] = prox;
    this.category[n] = cat;
    this.role[n] = role;
  }

  private grow(): void {
    this.capacity *= 2;
    const grow = (old: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> => {
      const next = new Float64Array(this.capacity);
      next.set(old);
      return next;
    };
    this.a = grow(this.a);
    this.b = grow(this.b);
    this.score = grow(this.score);
    this.distanceKm = grow(this.distanceKm);
    this.text = grow(this.text);
    this.proximity = grow(this.proximity);
    this.category = grow(this.category);
    this.role = grow(this.role);
  }

  build(): ScoredPairList {
    const n = this.length;
    return {
      length: n,
      a: this.a.slice(0, n),
      b: this.b.slice(0, n),
      score: this.score.slice(0, n),
      distanceKm: this.distanceKm.slice(0, n),
      text: this.text.slice(0, n),
      proximity: this.proximity.slice(0, n),
      category: this.category.slice(0, n),
      role: this.role.slice(0, n),
    };
  }
}

/**
 * Candidate generation + exact scoring for the people a shard owns (`bounds` null = everyone).
 * Returns each owned person's best `keepPerPerson` partners as one deduplicated pair list.
 *
 * Sharding: load rows with `rowBelongsToShard(row, bounds, overlapKm)`, build the population with
 * the round's global `computeTermStats` (so IDF, hence every score, is the same in every shard),
 * call this, then `mergeScoredPairs` the shards' lists and `selectPairs` once. Every person is
 * owned by exactly one shard and sees all their possible partners (overlapKm ≥ largest radius),
 * so their candidate list is the one a single-process round computes; a pair seen by two shards
 * carries the same score in both and the merge keeps one copy.
 */
export function scoreShard(
  population: Population,
  bounds: ShardBounds | null,
  overlapKm: number,
  options: ScoreShardOptions = {},
): ShardResult {
  const opts = resolveOptions(options);
  const index = options.index ?? buildCandidateIndex(population, options);
  const exclusions = options.exclusions ?? buildExclusions(population, options.excludedPairs);
  const { size, located, lat, lon, radiusKm } = population;
  const warnings: string[] = [];

  const owned: number[] = [];
  for (let i = 0; i < size; i++) {
    if (bounds === null) owned.push(i);
    else if (located[i]) {
      if (ownsLocation(bounds, lat[i]!, lon[i]!)) owned.push(i);
    } else if (bounds.ownsUnlocated) owned.push(i);
  }
  if (bounds !== null) {
    let largest = 0;
    for (const i of owned) if (radiusKm[i] !== Infinity && radiusKm[i]! > largest) largest = radiusKm[i]!;
    if (largest > overlapKm) {
      warnings.push(
        `overlap of ${overlapKm} km is smaller than a radius of ${largest} km in this shard: pairs across the border may be missed`,
      );
    }
  }

  const scanner = new CandidateScanner(population, index, opts, exclusions);
  const builder = new PairListBuilder();
  // Each person's kept partners, to emit a pair once when both sides keep it (cheaper than a
  // set of pair keys: at most keepPerPerson entries to scan).
  const keep = opts.keepPerPerson;
  const keptBy = new Int32Array(size * keep).fill(-1);
  const processed = new Uint8Array(size);
  const stats: PersonCandidateStats = {
    ids: new Float64Array(owned.length),
    inReach: new Int32Array(owned.length),
    excluded: new Int32Array(owned.length),
    duplicates: new Int32Array(owned.length),
    anyoneInReach: new Uint8Array(owned.length),
  };

  // Positions in `owned` scored here: all of them, or the blocks this thread claims, one at a
  // time as it goes (claiming them all up front would not share anything).
  const mine: number[] = [];
  let nextBlock = 0;
  const claim = options.claimBlock ?? (() => nextBlock++);
  for (let from = claim() * SHARE_BLOCK; from < owned.length; from = claim() * SHARE_BLOCK) {
    const to = Math.min(owned.length, from + SHARE_BLOCK);
    for (let o = from; o < to; o++) {
      mine.push(o);
      scoreOwned(o);
    }
  }

  function scoreOwned(o: number): void {
    const i = owned[o]!;
    stats.ids[o] = population.ids[i]!;
    const keptCount = scanner.bestPartners(i);
    stats.inReach[o] = scanner.inReach;
    stats.excluded[o] = scanner.excludedHits;
    stats.duplicates[o] = scanner.duplicates;
    processed[i] = 1;
    for (let n = 0; n < keptCount; n++) {
      const j = scanner.keptPartner(n);
      keptBy[i * keep + n] = j;
      if (processed[j] === 1) {
        let already = false;
        for (let m = j * keep; m < j * keep + keep; m++) if (keptBy[m] === i) already = true;
        if (already) continue;
      }
      const idI = population.ids[i]!;
      const idJ = population.ids[j]!;
      builder.push(
        Math.min(idI, idJ),
        Math.max(idI, idJ),
        scanner.keptValue(n, EXACT_SCORE),
        scanner.keptValue(n, EXACT_DISTANCE),
        scanner.keptValue(n, EXACT_TEXT),
        scanner.keptValue(n, EXACT_PROXIMITY),
        scanner.keptValue(n, EXACT_CATEGORY),
        scanner.keptValue(n, EXACT_ROLE),
      );
    }
  }

  // For people with no one sharing a word, tell "nobody near you" apart from "nobody like you".
  const cells: number[] = [];
  for (const o of mine) {
    if (stats.inReach[o]! > 0) {
      stats.anyoneInReach[o] = 1;
      continue;
    }
    stats.anyoneInReach[o] = anyoneWithinReach(population, index, owned[o]!, cells) ? 1 : 0;
  }

  return {
    pairs: builder.build(),
    stats: mine.length === owned.length ? stats : pickStats(stats, mine),
    work: { reads: scanner.totalReads, touched: scanner.totalTouched, exactScored: scanner.exactScored, owned: mine.length },
    warnings,
  };
}

function pickStats(stats: PersonCandidateStats, positions: readonly number[]): PersonCandidateStats {
  return {
    ids: Float64Array.from(positions, (o) => stats.ids[o]!),
    inReach: Int32Array.from(positions, (o) => stats.inReach[o]!),
    excluded: Int32Array.from(positions, (o) => stats.excluded[o]!),
    duplicates: Int32Array.from(positions, (o) => stats.duplicates[o]!),
    anyoneInReach: Uint8Array.from(positions, (o) => stats.anyoneInReach[o]!),
  };
}

/** Per-slot fields the search reads for every touched person, interleaved in one cache line. */
const HOT_STRIDE = 8;
const HOT_LAT = 0;
const HOT_LON = 1;
const HOT_COS = 2;
const HOT_RADIUS = 3;
const HOT_CATEGORY = 4;
const HOT_CATEGORY_COUNT = 5;
const HOT_ROLE = 6;
const HOT_LOCATED = 7;

function buildSlotHot(population: Population, cellPeople: Int32Array): Float64Array {
  const hot = new Float64Array(cellPeople.length * HOT_STRIDE);
  for (let slot = 0; slot < cellPeople.length; slot++) {
    const j = cellPeople[slot]!;
    const base = slot * HOT_STRIDE;
    hot[base + HOT_LAT] = population.lat[j]!;
    hot[base + HOT_LON] = population.lon[j]!;
    hot[base + HOT_COS] = population.cosLat[j]!;
    hot[base + HOT_RADIUS] = population.radiusKm[j]!;
    hot[base + HOT_CATEGORY] = population.categoryMask[j]!;
    hot[base + HOT_CATEGORY_COUNT] = population.categoryCount[j]!;
    hot[base + HOT_ROLE] = population.role[j]!;
    hot[base + HOT_LOCATED] = population.located[j]!;
  }
  return hot;
}

/** Values per exact score (score.EXACT_* slots). */
const EXACT_SLOTS = 6;

/**
 * The per-person search, as a class with fixed-shape fields: V8 optimises these small methods
 * far better than one large function, and the scratch arrays are allocated once per shard.
 */
class CandidateScanner {
  private readonly acc: Float64Array;
  private readonly touched: Int32Array;
  private readonly hot: Float64Array;
  private readonly cells: number[] = [];
  private readonly cellMinKm: number[] = [];
  private readonly cellOrder: number[] = [];
  private readonly byDistance: (x: number, y: number) => number;
  private readonly thresholdScratch: Float64Array;
  private threshold = 0;
  /** False whenever the finalists change, so the threshold is recomputed only when needed. */
  private thresholdFresh = false;
  private readonly finalistPerson: Int32Array;
  private readonly finalistScore: Float64Array;
  private readonly exact: Float64Array;
  private readonly keptSlots: number[] = [];
  private finalists = 0;
  private reads = 0;
  private bestAffinity = 1;
  private dfLimit = 0;
  private queryMinWeight = 0;
  private readonly weightScratch: Float64Array;
  private weakest = 0;
  private weakestScore = -1;
  private touchedCount = 0;
  /** excludedMark[j] === excludedStamp: j is excluded for the person being searched. */
  private readonly excludedMark: Int32Array;
  private excludedStamp = 0;
  inReach = 0;
  excludedHits = 0;
  duplicates = 0;
  totalTouched = 0;
  totalReads = 0;
  exactScored = 0;

  constructor(
    private readonly population: Population,
    private readonly index: CandidateIndex,
    private readonly opts: ResolvedCandidateOptions,
    private readonly exclusions: Exclusions,
  ) {
    const slots = index.cellPeople.length;
    this.excludedMark = new Int32Array(population.size);
    this.acc = new Float64Array(slots);
    this.touched = new Int32Array(slots);
    this.finalistPerson = new Int32Array(opts.finalists);
    this.finalistScore = new Float64Array(opts.finalists);
    this.exact = new Float64Array(opts.finalists * EXACT_SLOTS);
    this.thresholdScratch = new Float64Array(opts.finalists);
    this.weightScratch = new Float64Array(opts.queryTerms);
    this.byDistance = (x: number, y: number): number =>
      this.cellMinKm[x]! - this.cellMinKm[y]! || this.cells[x]! - this.cells[y]!;
    // The person's own fields, read once per person (not per touched slot).
    const size = population.size;
    const hot = new Float64Array(size * HOT_STRIDE);
    for (let j = 0; j < size; j++) {
      const base = j * HOT_STRIDE;
      hot[base + HOT_LAT] = population.lat[j]!;
      hot[base + HOT_LON] = population.lon[j]!;
      hot[base + HOT_COS] = population.cosLat[j]!;
      hot[base + HOT_RADIUS] = population.radiusKm[j]!;
      hot[base + HOT_CATEGORY] = population.categoryMask[j]!;
      hot[base + HOT_CATEGORY_COUNT] = population.categoryCount[j]!;
      hot[base + HOT_ROLE] = population.role[j]!;
      hot[base + HOT_LOCATED] = population.located[j]!;
    }
    this.hot = hot;
  }

  /**
   * Person i's best partners, exactly scored, best first (at most keepPerPerson).
   *
   * Cells are read nearest first. A person sits in one geographic cell, so after reading a cell
   * the dot products of its people are complete and they can be shortlisted at once. Before
   * reading the next cell, the best score anyone there could reach (best affinity i can have ×
   * proximity at the cell's nearest point) is compared with the weakest finalist: when it cannot
   * win, the cell is skipped. Since proximity dominates the score, dense cities stop after the
   * nearest cells without losing a pair; the read budget is only a safety net.
   */
  bestPartners(i: number): number {
    this.inReach = 0;
    this.excludedHits = 0;
    this.duplicates = 0;
    this.finalists = 0;
    this.weakest = 0;
    this.weakestScore = -1;
    this.thresholdFresh = false;
    this.reads = 0;
    const population = this.population;
    this.keptSlots.length = 0;
    // i's excluded partners, marked for O(1) checks while their cells are read.
    const { start, partner } = this.exclusions;
    const stamp = ++this.excludedStamp;
    for (let e = start[i]!; e < start[i + 1]!; e++) this.excludedMark[partner[e]!] = stamp;
    if (population.vectorStart[i + 1] === population.vectorStart[i]) return 0;
    const ri = population.radiusKm[i]!;
    if (!population.located[i] && ri !== Infinity) return 0;
    const index = this.index;
    // Someone whose words are all common (a town where everyone writes alike) still needs
    // candidates: the cap on common words is lifted for them; list caps still bound the work.
    this.dfLimit = this.usableTerms(i) >= 2 ? index.dfCap : Number.MAX_SAFE_INTEGER;
    // Where people are few (a small population, the countryside) every term searches, which
    // gives the exact answer; in a crowded cell only the strongest terms do, to bound the work.
    this.queryMinWeight = this.crowded(i) ? this.minQueryWeight(i) : 0;
    const catCountI = population.categoryCount[i]!;
    this.bestAffinity =
      W_TEXT + W_CATEGORY * (catCountI === 0 ? CATEGORY_UNKNOWN_FIT : 1) + W_ROLE * bestRoleFitFor(population.role[i]!);

    // Other "anywhere" people first: their proximity does not depend on distance.
    if (ri === Infinity) this.visitCell(i, index.anywhereCell, 0);
    if (population.located[i]) {
      if (index.grid.length > 0) this.visitRings(i);
      else this.visitSorted(i);
    }
    this.totalReads += this.reads;
    return this.rescore(i);
  }

  /**
   * Geographic cells in rings around i's cell, nearest rings first, stopping when the read
   * budget is spent or when no cell of the next ring could hold someone good enough: no
   * sorting, and in a dense city only the first rings are ever looked at.
   */
  private visitRings(i: number): void {
    const population = this.population;
    const index = this.index;
    const ri = population.radiusKm[i]!;
    const searchKm = ri === Infinity ? index.maxFiniteRadius : ri;
    if (!(searchKm > 0)) return;
    const lat = population.lat[i]!;
    const lon = population.lon[i]!;
    const dLat = searchKm / KM_PER_DEGREE;
    const cosWorst = Math.cos((Math.min(89.9, Math.abs(lat) + dLat) * Math.PI) / 180);
    const latSideKm = index.cellLatDeg * KM_PER_DEGREE;
    const lonSideKm = index.cellLonDeg * KM_PER_DEGREE * cosWorst;
    const sideKm = Math.min(latSideKm, lonSideKm);
    const rings = Math.min(Math.ceil(searchKm / sideKm) + 1, Math.max(index.gridRows, index.gridCols));
    const row0 = Math.floor(lat / index.cellLatDeg) - index.gridRow0;
    const col0 = Math.floor(lon / index.cellLonDeg) - index.gridCol0;
    const keep = this.opts.keepPerPerson;
    const radiusForBound = ri === Infinity ? index.maxFiniteRadius : ri;
    for (let k = 0; k <= rings; k++) {
      if (k > 0 && this.reads >= this.opts.readBudget) return;
      // Every cell of ring k is at least (k - 1) cell sides away.
      const ringMinKm = Math.max(0, k - 1) * sideKm * 0.99;
      if (ringMinKm > searchKm) return;
      if (this.finalists >= keep) {
        const bestProximity = 1 / (1 + ringMinKm / (DECAY_SCALE * radiusForBound));
        if (this.bestAffinity * bestProximity < this.keepThreshold(keep) * 0.995) return;
      }
      // The ring's reachable cells, nearest first (a ring holds at most 8k cells).
      const cells = this.cells;
      const minKms = this.cellMinKm;
      cells.length = 0;
      minKms.length = 0;
      for (let row = row0 - k; row <= row0 + k; row++) {
        if (row < 0 || row >= index.gridRows) continue;
        const edge = row === row0 - k || row === row0 + k;
        // Inside rows of the ring: only the two end columns; edge rows: the whole span.
        for (let col = col0 - k; col <= col0 + k; col += edge || k === 0 ? 1 : 2 * k) {
          if (col < 0 || col >= index.gridCols) continue;
          const c = index.grid[row * index.gridCols + col]!;
          if (c < 0) continue;
          const minKm = cellDistanceKm(index, c, lat, lon, cosWorst);
          if (minKm > searchKm) continue;
          if (!(minKm <= index.cellMaxRadius[c]! || (ri !== Infinity && index.cellHasAnywhere[c] === 1))) continue;
          let at = cells.length;
          cells.push(c);
          minKms.push(minKm);
          while (at > 0 && minKms[at - 1]! > minKm) {
            cells[at] = cells[at - 1]!;
            minKms[at] = minKms[at - 1]!;
            at--;
          }
          cells[at] = c;
          minKms[at] = minKm;
        }
      }
      for (let n = 0; n < cells.length; n++) {
        if (k > 0 && this.reads >= this.opts.readBudget) return;
        this.visitCell(i, cells[n]!, minKms[n]!);
      }
    }
  }

  /** Without a dense grid (a population spread over half the globe): reachable cells, sorted. */
  private visitSorted(i: number): void {
    const cells = this.cells;
    const minKm = this.cellMinKm;
    reachableCells(this.population, this.index, i, cells, minKm);
    const order = this.cellOrder;
    order.length = 0;
    for (let k = 0; k < cells.length; k++) order.push(k);
    order.sort(this.byDistance);
    for (let k = 0; k < order.length; k++) {
      if (k > 0 && this.reads >= this.opts.readBudget) return;
      this.visitCell(i, cells[order[k]!]!, minKm[order[k]!]!);
    }
  }

  /**
   * Reads one cell unless nobody in it could enter i's kept list: the best score anyone there
   * could reach is a perfect affinity at the cell's nearest point. Cheap scores never exceed
   * exact ones (partial dot products), so comparing with the keep-th best cheap score is safe;
   * the 0.5 % margin covers the fast distance approximation inside cheap scores.
   */
  private visitCell(i: number, c: number, minKm: number): void {
    const index = this.index;
    const ri = this.population.radiusKm[i]!;
    let cellProximity = 1;
    if (c === index.anywhereCell) cellProximity = ANYWHERE;
    else {
      const radius = ri === Infinity ? index.cellMaxRadius[c]! : ri;
      if (radius > 0) cellProximity = 1 / (1 + minKm / (DECAY_SCALE * radius));
    }
    const keep = this.opts.keepPerPerson;
    if (this.finalists >= keep && this.bestAffinity * cellProximity < this.keepThreshold(keep) * 0.995) return;
    this.reads += this.accumulateCell(i, c);
    this.shortlist(i, cellProximity);
  }

  /**
   * Whether i lives in a crowded cell: more people than a quarter of the read budget, i.e. a
   * full search with every term would spend the budget in that cell alone.
   */
  private crowded(i: number): boolean {
    const index = this.index;
    if (index.cellPeople.length <= this.opts.readBudget) return false;
    const population = this.population;
    if (!population.located[i] || index.grid.length === 0) return true;
    const row = Math.floor(population.lat[i]! / index.cellLatDeg) - index.gridRow0;
    const col = Math.floor(population.lon[i]! / index.cellLonDeg) - index.gridCol0;
    if (row < 0 || col < 0 || row >= index.gridRows || col >= index.gridCols) return true;
    const c = index.grid[row * index.gridCols + col]!;
    if (c < 0) return true;
    return index.cellPeopleStart[c + 1]! - index.cellPeopleStart[c]! > this.opts.readBudget / 4;
  }

  /** Weight of i's queryTerms-th strongest term: weaker terms are not used to search. */
  private minQueryWeight(i: number): number {
    const { vectorStart, vectorWeight } = this.population;
    const from = vectorStart[i]!;
    const to = vectorStart[i + 1]!;
    const wanted = this.opts.queryTerms;
    if (to - from <= wanted) return 0;
    // No allocation: this runs for every person.
    return kthLargest(vectorWeight, from, to, wanted, this.weightScratch);
  }

  /** How many of i's terms are rare enough to search with. */
  private usableTerms(i: number): number {
    const { vectorStart, vectorTerm, termDf } = this.population;
    let usable = 0;
    for (let e = vectorStart[i]!; e < vectorStart[i + 1]!; e++) if (termDf[vectorTerm[e]!]! <= this.index.dfCap) usable++;
    return usable;
  }

  /** The keep-th best cheap score among the finalists (requires at least `keep` finalists). */
  private keepThreshold(keep: number): number {
    if (this.thresholdFresh) return this.threshold;
    this.threshold = kthLargest(this.finalistScore, 0, this.finalists, keep, this.thresholdScratch);
    this.thresholdFresh = true;
    return this.threshold;
  }

  /** Dot products of i with the people of one cell's posting lists; returns entries read. */
  private accumulateCell(i: number, c: number): number {
    const { vectorStart, vectorTerm, vectorWeight, termDf, radiusKm } = this.population;
    const { cellListStart, listTerm, listStart, listEnd, postingSlot, postingWeight, anywhereCell, slotHot } = this.index;
    const acc = this.acc;
    const touched = this.touched;
    const cap = this.opts.postingsPerList;
    // An "anywhere" person meets other "anywhere" people through the anywhere cell; skip them
    // in geographic cells so nobody is counted twice.
    const skipAnywhere = radiusKm[i] === Infinity && c !== anywhereCell;
    const vTo = vectorStart[i + 1]!;
    const dfLimit = this.dfLimit;
    const queryMinWeight = this.queryMinWeight;
    let touchedCount = 0;
    let reads = 0;
    let lo = cellListStart[c]!;
    const cellEnd = cellListStart[c + 1]!;
    // Query terms ascend, and so do the cell's lists: each search starts where the last ended.
    for (let e = vectorStart[i]!; e < vTo && lo < cellEnd; e++) {
      const wq = vectorWeight[e]!;
      if (wq < queryMinWeight) continue;
      const t = vectorTerm[e]!;
      let hi = cellEnd;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (listTerm[mid]! < t) lo = mid + 1;
        else hi = mid;
      }
      if (lo >= cellEnd || listTerm[lo] !== t || termDf[t]! > dfLimit) continue;
      const start = listStart[lo]!;
      const end = Math.min(listEnd[lo]!, start + cap);
      reads += end - start;
      for (let p = start; p < end; p++) {
        const slot = postingSlot[p]!;
        if (skipAnywhere && slotHot[slot * HOT_STRIDE + HOT_RADIUS] === Infinity) continue;
        const before = acc[slot]!;
        if (before === 0) touched[touchedCount++] = slot;
        acc[slot] = before + wq * postingWeight[p]!;
      }
    }
    this.touchedCount = touchedCount;
    this.totalTouched += touchedCount;
    return reads;
  }

  /** Filters the touched people by reach and keeps the best `finalists` by a cheap score. */
  private shortlist(i: number, cellProximity: number): void {
    const hot = this.hot;
    const slotHot = this.index.slotHot;
    const cellPeople = this.index.cellPeople;
    const acc = this.acc;
    const touched = this.touched;
    const finalistPerson = this.finalistPerson;
    const finalistScore = this.finalistScore;
    const maxFinalists = finalistPerson.length;
    const excludedMark = this.excludedMark;
    const stamp = this.excludedStamp;
    const bi = i * HOT_STRIDE;
    const ri = hot[bi + HOT_RADIUS]!;
    const iLocated = hot[bi + HOT_LOCATED] === 1;
    const latI = hot[bi + HOT_LAT]!;
    const lonI = hot[bi + HOT_LON]!;
    const cosI = hot[bi + HOT_COS]!;
    const catI = hot[bi + HOT_CATEGORY]!;
    const catCountI = hot[bi + HOT_CATEGORY_COUNT]!;
    const roleI = hot[bi + HOT_ROLE]!;
    let finalists = this.finalists;
    let weakest = this.weakest;
    let weakestScore = this.weakestScore;
    let inReach = this.inReach;
    let excludedHits = this.excludedHits;
    let duplicates = this.duplicates;
    let changed = false;
    // Upper bound of the score from the dot product alone (best category and role i could have
    // with anyone, at the cell's best proximity), turned into a dot-product threshold: most
    // touched people are dismissed by one comparison, without reading anything else about them.
    const boundBase = W_CATEGORY * (catCountI === 0 ? CATEGORY_UNKNOWN_FIT : 1) + W_ROLE * bestRoleFitFor(roleI);
    const boundScale = cellProximity * 1.005;
    const dotSkipFor = (weakestScore: number): number => {
      const fit = (weakestScore / boundScale - boundBase) / W_TEXT;
      return fit <= 0 ? -1 : fit > 1 ? Infinity : fit * TEXT_SATURATION;
    };
    let dotSkip = finalists === maxFinalists ? dotSkipFor(weakestScore) : -1;
    // The cheap score is combineScore() written out, with i's side precomputed.
    const invSqrtCatI = catCountI === 0 ? 0 : 1 / Math.sqrt(catCountI);
    const roleRow = roleI * 4;
    for (let k = 0; k < this.touchedCount; k++) {
      const slot = touched[k]!;
      const dot = acc[slot]!;
      acc[slot] = 0;
      if (dot < dotSkip) continue;
      const j = cellPeople[slot]!;
      if (j === i) continue;
      const bj = slot * HOT_STRIDE;
      const rj = slotHot[bj + HOT_RADIUS]!;
      const reach = rj < ri ? rj : ri;
      let d = Number.NaN;
      let prox = ANYWHERE;
      if (iLocated && slotHot[bj + HOT_LOCATED] === 1) {
        d = approxDistanceKm(latI, lonI, cosI, slotHot[bj + HOT_LAT]!, slotHot[bj + HOT_LON]!, slotHot[bj + HOT_COS]!);
        // The approximation is within ~0.5 %: clear misses are dropped here, borderline pairs
        // are settled by haversine in the exact score.
        if (d > reach * 1.01 + 0.05) continue;
        if (reach !== Infinity) prox = 1 / (1 + d / (DECAY_SCALE * reach));
      } else if (reach !== Infinity) continue;
      inReach++;
      const textFit = dot >= TEXT_SATURATION ? 1 : dot / TEXT_SATURATION;
      if (finalists === maxFinalists && (W_TEXT * textFit + boundBase) * prox < weakestScore) continue;
      // Partial dot products never exceed the cosine, so this is a sure duplicate: set it aside
      // here, or a crowd of copies (a form letter) would fill every finalist slot.
      if (dot >= DUPLICATE_TEXT_COSINE && looksLikeDuplicate(this.population, i, j, dot)) {
        duplicates++;
        continue;
      }
      const catCountJ = slotHot[bj + HOT_CATEGORY_COUNT]!;
      const catFit =
        invSqrtCatI === 0 || catCountJ === 0
          ? CATEGORY_UNKNOWN_FIT
          : popcount((catI & slotHot[bj + HOT_CATEGORY]!) >>> 0) * invSqrtCatI * INV_SQRT[catCountJ]!;
      const roleJ = slotHot[bj + HOT_ROLE]!;
      const roleFitValue =
        roleI === REJOINDRE_CODE && roleJ === REJOINDRE_CODE ? roleFit(roleI, roleJ, d) : ROLE_TABLE[roleRow + roleJ]!;
      const cheap = (W_TEXT * textFit + W_CATEGORY * catFit + W_ROLE * roleFitValue) * prox;
      if (finalists === maxFinalists && (cheap < weakestScore || (cheap === weakestScore && j > finalistPerson[weakest]!))) {
        continue;
      }
      if (excludedMark[j] === stamp) {
        excludedHits++;
        continue;
      }
      changed = true;
      if (finalists < maxFinalists) {
        finalistPerson[finalists] = j;
        finalistScore[finalists] = cheap;
        finalists++;
        if (finalists === maxFinalists) {
          weakest = weakestFinalist(finalistScore, finalistPerson, finalists);
          weakestScore = finalistScore[weakest]!;
          dotSkip = dotSkipFor(weakestScore);
        }
      } else {
        // Replace the weakest finalist (ties: keep the smaller index, for determinism).
        finalistPerson[weakest] = j;
        finalistScore[weakest] = cheap;
        weakest = weakestFinalist(finalistScore, finalistPerson, finalists);
        weakestScore = finalistScore[weakest]!;
        dotSkip = dotSkipFor(weakestScore);
      }
    }
    if (changed) this.thresholdFresh = false;
    this.finalists = finalists;
    this.weakest = weakest;
    this.weakestScore = weakestScore;
    this.inReach = inReach;
    this.excludedHits = excludedHits;
    this.duplicates = duplicates;
  }

  /**
   * Exact scores for the finalists, into `exact` (EXACT_SLOTS per finalist); returns how many
   * are kept, their finalist slots in `keptSlots`, best first (duplicates set aside).
   */
  private rescore(i: number): number {
    const exact = this.exact;
    const slots = this.keptSlots;
    slots.length = 0;
    let duplicates = this.duplicates;
    for (let f = 0; f < this.finalists; f++) {
      const j = this.finalistPerson[f]!;
      this.exactScored++;
      if (!scorePairInto(this.population, i, j, exact, f * EXACT_SLOTS)) continue;
      if (looksLikeDuplicate(this.population, i, j, exact[f * EXACT_SLOTS + EXACT_TEXT]!)) {
        duplicates++;
        continue;
      }
      slots.push(f);
    }
    this.duplicates = duplicates;
    const person = this.finalistPerson;
    slots.sort((x, y) => exact[y * EXACT_SLOTS + EXACT_SCORE]! - exact[x * EXACT_SLOTS + EXACT_SCORE]! || person[x]! - person[y]!);
    if (slots.length > this.opts.keepPerPerson) slots.length = this.opts.keepPerPerson;
    return slots.length;
  }

  /** Partner of the n-th kept pair (after bestPartners). */
  keptPartner(n: number): number {
    return this.finalistPerson[this.keptSlots[n]!]!;
  }

  /** Exact score slot value of the n-th kept pair. */
  keptValue(n: number, slot: number): number {
    return this.exact[this.keptSlots[n]! * EXACT_SLOTS + slot]!;
  }
}

function weakestFinalist(score: Float64Array, person: Int32Array, count: number): number {
  let weakest = 0;
  for (let f = 1; f < count; f++) {
    if (score[f]! < score[weakest]! || (score[f] === score[weakest] && person[f]! > person[weakest]!)) weakest = f;
  }
  return weakest;
}

/** Whether anyone (with a description) is within mutual reach of person i. */
function anyoneWithinReach(population: Population, index: CandidateIndex, i: number, cells: number[]): boolean {
  const ri = population.radiusKm[i]!;
  if (!population.located[i] && ri !== Infinity) return false;
  reachableCells(population, index, i, cells, []);
  if (ri === Infinity) cells.push(index.anywhereCell);
  for (const c of cells) {
    for (let k = index.cellPeopleStart[c]!; k < index.cellPeopleStart[c + 1]!; k++) {
      const j = index.cellPeople[k]!;
      if (j === i) continue;
      let d = Number.NaN;
      if (population.located[i] && population.located[j]) {
        d = approxDistanceKm(
          population.lat[i]!,
          population.lon[i]!,
          population.cosLat[i]!,
          population.lat[j]!,
          population.lon[j]!,
          population.cosLat[j]!,
        );
      }
      if (withinReach(ri, population.radiusKm[j]!, d)) return true;
    }
  }
  return false;
}

/** Concatenates shard results, keeping one copy of a pair seen by two shards. */
export function mergeScoredPairs(lists: readonly ScoredPairList[]): ScoredPairList {
  // One list has no pair twice (scoreShard emits each pair once).
  if (lists.length === 1) return lists[0]!;
  const builder = new PairListBuilder();
  // Partners seen per smaller id: a person keeps only a few, so the arrays stay short, and
  // numbers are far cheaper to key on than "a:b" strings for the ~800,000 pairs of a 100k round.
  const seen = new Map<number, number[]>();
  for (const list of lists) {
    for (let n = 0; n < list.length; n++) {
      const a = list.a[n]!;
      const b = list.b[n]!;
      const partners = seen.get(a);
      if (partners === undefined) seen.set(a, [b]);
      else if (partners.includes(b)) continue;
      else partners.push(b);
      builder.push(
        list.a[n]!,
        list.b[n]!,
        list.score[n]!,
        list.distanceKm[n]!,
        list.text[n]!,
        list.proximity[n]!,
        list.category[n]!,
        list.role[n]!,
      );
    }
  }
  return builder.build();
}

/**
 * The k-th largest of values[from..to) (at least k of them), by insertion into `scratch`
 * (length ≥ k): no allocation, for loops that run once per person.
 */
function kthLargest(values: ArrayLike<number>, from: number, to: number, k: number, scratch: Float64Array): number {
  let filled = 0;
  for (let e = from; e < to; e++) {
    const v = values[e]!;
    let slot: number;
    if (filled < k) slot = filled++;
    else if (v > scratch[k - 1]!) slot = k - 1;
    else continue;
    while (slot > 0 && scratch[slot - 1]! < v) {
      scratch[slot] = scratch[slot - 1]!;
      slot--;
    }
    scratch[slot] = v;
  }
  return scratch[k - 1]!;
}
