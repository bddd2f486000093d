// Does text similarity + distance put related initiatives together? Measured on real French
// initiatives nobody on the team wrote (../shared/data/eco-corpus-dev.jsonl: Alternatiba /
// GoGoCarto, Transiscope around Niort, French fablabs), against simple baselines.
//
//   node --import tsx bench/eval.ts          (npm run eval)
//   MAILLAGE_SHARED=/path/to/shared node --import tsx bench/eval.ts
//
// Set-up. Lines with a French description of 40+ characters, at least one category and
// coordinates (257 lines). Every initiative becomes a profile: role "porteur", no category (the
// corpus categories are the sources' own labels, not our slugs, so they are kept apart as the
// ground truth), radius 50 km, terms from analyse(description). For each initiative we take the
// top 3 candidates of each method and measure:
//   - category agreement: share of (initiative, candidate) pairs with at least one source
//     category in common (labels compared case- and accent-insensitively);
//   - median distance of those pairs.
// Methods (the first is the one judged):
//   combined               the engine as a round runs it (scoreShard): text × proximity, within
//                          50 km, only pairs that share at least one word and reach the round's
//                          minimum score (DEFAULT_MIN_SCORE: a round never proposes a pair below
//                          it). No fallback: an initiative with fewer than 3 such partners gets
//                          fewer proposals, as in the product (proposing nothing beats proposing
//                          something poor);
//   combined + anywhere    the same, the missing slots filled by the engine with everyone set to
//                          "anywhere" (text alone) — what widening the radius of isolated people
//                          would give;
//   text-only              top 3 by TF-IDF cosine, anywhere in France;
//   distance-only          the 3 nearest initiatives, whatever they say;
//   random in radius       3 random initiatives within 50 km (then anywhere), averaged over 50 draws;
// and, for information, two baselines restricted like the engine to pairs sharing a word:
//   text in radius         top 3 by cosine within 50 km;
//   nearest sharing a word the 3 nearest within 50 km that share at least one word.
// Judged: combined beats text-only, distance-only and random on category agreement, with a median
// distance within 1.5 × distance-only's.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scoreShard } from '../src/match/candidates.js';
import { haversineKm } from '../src/match/distance.js';
import { buildPopulation, type MatchInput, type Population } from '../src/match/population.js';
import { textCosine } from '../src/match/score.js';
import { DEFAULT_MIN_SCORE } from '../src/match/weights.js';
import { analyse, foldAccents } from '../src/match/text.js';
import { mulberry32 } from './synthetic.js';

interface CorpusLine {
  id: string;
  source: string;
  title: string;
  description: string | null;
  categories: string[] | null;
  lat: number | null;
  lon: number | null;
  meta?: { lang_guess?: string };
}

const RADIUS_KM = 50;
const TOP = 3;

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const sharedDir = process.env.MAILLAGE_SHARED ? resolve(process.env.MAILLAGE_SHARED) : resolve(repoRoot, '..', 'shared');
const corpusPath = resolve(sharedDir, 'data', 'eco-corpus-dev.jsonl');

if (!existsSync(corpusPath)) {
  console.log(`eval: ${corpusPath} not found — the evaluation corpus lives outside the project.`);
  console.log('Set MAILLAGE_SHARED to the folder that holds data/eco-corpus-dev.jsonl to run it. Nothing to do.');
  process.exit(0);
}

const lines: CorpusLine[] = readFileSync(corpusPath, 'utf8')
  .split('\n')
  .filter((line) => line.trim().length > 0)
  .map((line) => JSON.parse(line) as CorpusLine);
const kept = lines.filter(
  (line) =>
    typeof line.description === 'string' &&
    line.description.trim().length >= 40 &&
    Array.isArray(line.categories) &&
    line.categories.length > 0 &&
    typeof line.lat === 'number' &&
    typeof line.lon === 'number' &&
    line.meta?.lang_guess !== 'en',
);

const labelsOf = kept.map((line) => new Set(line.categories!.map((c) => foldAccents(c.trim()))));
const rows: MatchInput[] = kept.map((line, k) => ({
  id: k + 1,
  role: 'porteur',
  categories: [],
  lat: line.lat,
  lon: line.lon,
  radiusKm: RADIUS_KM,
  ...analyse(line.description),
  waitingSince: 0,
}));
const n = rows.length;
const distance = (a: number, b: number): number => haversineKm(kept[a]!.lat!, kept[a]!.lon!, kept[b]!.lat!, kept[b]!.lon!);
const sharesCategory = (a: number, b: number): boolean => {
  for (const label of labelsOf[a]!) if (labelsOf[b]!.has(label)) return true;
  return false;
};

/** Per initiative (row index), its candidates (row indices), best first. */
type Picks = number[][];

function enginePicks(population: Population, source: readonly MatchInput[]): Picks {
  const result = scoreShard(population, null, 0, { keepPerPerson: TOP });
  const byPerson: { other: number; score: number }[][] = Array.from({ length: source.length }, () => []);
  for (let k = 0; k < result.pairs.length; k++) {
    // A round never proposes a pair below the minimum score (selectPairs drops it): neither do we.
    if (!(result.pairs.score[k]! >= DEFAULT_MIN_SCORE)) continue;
    const a = result.pairs.a[k]! - 1;
    const b = result.pairs.b[k]! - 1;
    byPerson[a]!.push({ other: b, score: result.pairs.score[k]! });
    byPerson[b]!.push({ other: a, score: result.pairs.score[k]! });
  }
  return byPerson.map((list) => list.sort((x, y) => y.score - x.score || x.other - y.other).slice(0, TOP).map((x) => x.other));
}

function fillUp(picks: Picks, fallback: Picks): Picks {
  return picks.map((own, a) => {
    const merged = [...own];
    for (const other of fallback[a]!) if (merged.length < TOP && !merged.includes(other)) merged.push(other);
    return merged;
  });
}

const population = buildPopulation(rows);
const anywherePopulation = buildPopulation(rows.map((row) => ({ ...row, radiusKm: null })));
const index = (row: number) => population.indexOfId.get(row + 1)!;

const combinedLocal = enginePicks(population, rows);
const combinedAnywhere = enginePicks(anywherePopulation, rows);
const combinedWithFallback = fillUp(combinedLocal, combinedAnywhere);

function rankBy(score: (a: number, b: number) => number, filter: (a: number, b: number) => boolean): Picks {
  return rows.map((_, a) => {
    const candidates: { b: number; s: number }[] = [];
    for (let b = 0; b < n; b++) {
      if (b === a || !filter(a, b)) continue;
      candidates.push({ b, s: score(a, b) });
    }
    return candidates.sort((x, y) => y.s - x.s || x.b - y.b).slice(0, TOP).map((x) => x.b);
  });
}
const cosine = (a: number, b: number) => textCosine(population, index(a), index(b));
const sharesWord = (a: number, b: number) => cosine(a, b) > 0;
const near = (a: number, b: number) => distance(a, b) <= RADIUS_KM;
const textOnly = rankBy(cosine, sharesWord);
const textInRadius = rankBy(cosine, (a, b) => near(a, b) && sharesWord(a, b));
const distanceOnly = rankBy((a, b) => -distance(a, b), () => true);
const nearestSharingWord = rankBy((a, b) => -distance(a, b), (a, b) => near(a, b) && sharesWord(a, b));

function randomInRadius(seed: number): Picks {
  const random = mulberry32(seed);
  return rows.map((_, a) => {
    const near: number[] = [];
    const far: number[] = [];
    for (let b = 0; b < n; b++) if (b !== a) (distance(a, b) <= RADIUS_KM ? near : far).push(b);
    const draw = (pool: number[], count: number) => {
      const chosen: number[] = [];
      const copy = [...pool];
      while (chosen.length < count && copy.length > 0) chosen.push(copy.splice(Math.floor(random() * copy.length), 1)[0]!);
      return chosen;
    };
    const picks = draw(near, TOP);
    return picks.concat(draw(far, TOP - picks.length));
  });
}

interface Metrics {
  agreement: number;
  medianKm: number;
  pairs: number;
  fullLists: number;
}

function measure(picks: Picks): Metrics {
  let agree = 0;
  let pairs = 0;
  let full = 0;
  const distances: number[] = [];
  picks.forEach((list, a) => {
    if (list.length === TOP) full++;
    for (const b of list) {
      pairs++;
      if (sharesCategory(a, b)) agree++;
      distances.push(distance(a, b));
    }
  });
  distances.sort((x, y) => x - y);
  const mid = distances.length >> 1;
  const medianKm = distances.length === 0 ? Number.NaN : distances.length % 2 ? distances[mid]! : (distances[mid - 1]! + distances[mid]!) / 2;
  return { agreement: pairs ? agree / pairs : 0, medianKm, pairs, fullLists: full };
}

const randomRuns = Array.from({ length: 50 }, (_, k) => measure(randomInRadius(1000 + k)));
const randomMetrics: Metrics = {
  agreement: randomRuns.reduce((s, m) => s + m.agreement, 0) / randomRuns.length,
  medianKm: randomRuns.map((m) => m.medianKm).sort((x, y) => x - y)[randomRuns.length >> 1]!,
  pairs: randomRuns[0]!.pairs,
  fullLists: randomRuns[0]!.fullLists,
};

const results: [string, Metrics][] = [
  ['combined (engine)', measure(combinedLocal)],
  ['combined + anywhere fallback', measure(combinedWithFallback)],
  ['text-only (anywhere)', measure(textOnly)],
  ['distance-only', measure(distanceOnly)],
  ['random in radius (×50)', randomMetrics],
  ['info: text in radius', measure(textInRadius)],
  ['info: nearest sharing a word', measure(nearestSharingWord)],
];

const fallbackUsed = combinedLocal.filter((list) => list.length < TOP).length;
console.log(`maillage — matching evaluation on ${corpusPath}`);
console.log(
  `${lines.length} lines, ${n} kept (French description ≥ 40 chars, a category, coordinates); radius ${RADIUS_KM} km; top ${TOP} per initiative`,
);
console.log(
  `combined: ${fallbackUsed} initiatives have fewer than ${TOP} partners within ${RADIUS_KM} km sharing a word with a score ≥ ${DEFAULT_MIN_SCORE} (the round's minimum)\n`,
);
const header = ['method', 'category agreement', 'median distance km', 'pairs', `lists of ${TOP}`];
const table = results.map(([name, m]) => [name, `${(m.agreement * 100).toFixed(1)} %`, m.medianKm.toFixed(1), String(m.pairs), String(m.fullLists)]);
const widths = header.map((h, k) => Math.max(h.length, ...table.map((r) => r[k]!.length)));
const line = (cells: string[]) => cells.map((c, k) => (k === 0 ? c.padEnd(widths[k]!) : c.padStart(widths[k]!))).join('  ');
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const row of table) console.log(line(row));

const combinedMetrics = results[0]![1];
const judged = [results[2]!, results[3]!, results[4]!];
console.log('');
for (const [name, m] of judged) {
  const ok = combinedMetrics.agreement > m.agreement;
  console.log(`${ok ? 'PASS' : 'FAIL'}  combined agreement ${(combinedMetrics.agreement * 100).toFixed(1)} % > ${name} ${(m.agreement * 100).toFixed(1)} %`);
}
const distanceMetrics = results[3]![1];
const ratio = combinedMetrics.medianKm / distanceMetrics.medianKm;
console.log(
  `${ratio <= 1.5 ? 'PASS' : 'FAIL'}  combined median distance ${combinedMetrics.medianKm.toFixed(1)} km = ${ratio.toFixed(2)} × distance-only ${distanceMetrics.medianKm.toFixed(1)} km (target ≤ 1.5)`,
);
const sharing = results[6]![1];
console.log(
  `info  combined median distance = ${(combinedMetrics.medianKm / sharing.medianKm).toFixed(2)} × the nearest partners sharing a word (${sharing.medianKm.toFixed(1)} km, no minimum score): far pairs that share a word score below the minimum and are not proposed`,
);
