// Benchmark of the pure part of a weekly round (src/match/planRound), on synthetic French
// registrations (bench/synthetic.ts), at 10k, 50k and 100k people, against the all-pairs
// baseline with natural's TfIdf.
//
//   node --import tsx bench/round-pure.ts                 # 10k, 50k, 100k + baseline
//   node --import tsx bench/round-pure.ts 20000 40000     # other sizes
//   BASELINE_QUERIES=5000 node --import tsx bench/round-pure.ts   # full 5k all-pairs baseline (~1 min)
//
// Each size runs in its own child process, so its peak memory (maxRSS, read before the recall
// check) is its own. The child
// generates the population and analyses it as intake would (timed apart: at intake this happens
// once per registration, never during a round), then times planRound alone.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { planRound, keepPerPersonFor } from '../src/match/round.js';
import { buildPopulation } from '../src/match/population.js';
import { scoreShard } from '../src/match/candidates.js';
import { looksLikeDuplicate, scorePair } from '../src/match/score.js';
import { analyse } from '../src/match/text.js';
import type { MatchInput } from '../src/match/population.js';
import { generateProfiles } from './synthetic.js';
import { fmt as format, table } from './format.js';

interface SizeResult {
  size: number;
  intakeMs: number;
  roundMs: number;
  cpuMs: number;
  populationMs: number;
  candidatesMs: number;
  selectMs: number;
  explainMs: number;
  pairs: number;
  unmatched: number;
  candidatePairs: number;
  maxRssMb: number;
  medianScore: number;
  /** Sampled people whose best partner (brute force over everyone) the search found. */
  recallAt1: number;
  /** Mean (best score found / best score possible) over the sample. */
  bestScoreRatio: number;
  recallSample: number;
}

interface BaselineResult {
  documents: number;
  queries: number;
  perQueryMs: number;
}

function childSize(size: number): SizeResult {
  const profiles = generateProfiles(size, { seed: 42 });
  const descriptions = new Map<number, string>();
  const intakeStart = performance.now();
  const rows: MatchInput[] = profiles.map((p) => {
    descriptions.set(p.id, p.description);
    // As intake does: the commune found in the message is matched by distance, not as a word.
    const { terms, counts } = analyse(p.description, { ignoreWords: p.commune ? [p.commune] : [] });
    return {
      id: p.id,
      role: p.role,
      categories: p.categories,
      lat: p.lat,
      lon: p.lon,
      radiusKm: p.radiusKm,
      terms,
      counts,
      waitingSince: p.waitingSince,
    };
  });
  const intakeMs = performance.now() - intakeStart;
  profiles.length = 0;
  globalThis.gc?.();

  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const plan = planRound(rows, { now: Date.UTC(2025, 0, 7, 8), describe: (id) => descriptions.get(id) });
  const roundMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  const scores = plan.pairs.map((p) => p.score).sort((x, y) => x - y);
  const maxRssMb = process.resourceUsage().maxRSS / 1024;

  // Quality of the bounded search: for a sample of people, their best partner by brute force
  // over the whole population, compared with the best the candidate search found.
  const sample = Number(process.env.RECALL_SAMPLE ?? 200);
  const population = buildPopulation(rows);
  const found = scoreShard(population, null, 0, { keepPerPerson: keepPerPersonFor(1) }).pairs;
  const bestFound = new Map<number, number>();
  for (let k = 0; k < found.length; k++) {
    for (const id of [found.a[k]!, found.b[k]!]) bestFound.set(id, Math.max(bestFound.get(id) ?? 0, found.score[k]!));
  }
  let withPartner = 0;
  let hits = 0;
  let ratioSum = 0;
  for (let s = 0; s < sample; s++) {
    const i = (s * 7919) % population.size;
    let best = 0;
    for (let j = 0; j < population.size; j++) {
      if (j === i) continue;
      const exact = scorePair(population, i, j);
      if (exact && exact.score > best && !looksLikeDuplicate(population, i, j, exact.components.text)) best = exact.score;
    }
    if (best === 0) continue;
    withPartner++;
    const mine = bestFound.get(population.ids[i]!) ?? 0;
    if (mine >= best - 1e-12) hits++;
    ratioSum += mine / best;
  }
  return {
    size,
    intakeMs,
    roundMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    populationMs: plan.report.timingsMs.population,
    candidatesMs: plan.report.timingsMs.candidates,
    selectMs: plan.report.timingsMs.select,
    explainMs: plan.report.timingsMs.explain,
    pairs: plan.pairs.length,
    unmatched: plan.unmatched.length,
    candidatePairs: plan.report.candidatePairs,
    maxRssMb,
    medianScore: scores[scores.length >> 1] ?? 0,
    recallAt1: withPartner ? hits / withPartner : 1,
    bestScoreRatio: withPartner ? ratioSum / withPartner : 1,
    recallSample: withPartner,
  };
}

/** natural's TfIdf: every document queried against all others (all-pairs), on the same terms. */
function childBaseline(documents: number, queries: number): BaselineResult {
  const require = createRequire(import.meta.url);
  // By path, as everywhere in the project: natural's index module loads dotenv and databases.
  const TfIdf = require('natural/lib/natural/tfidf/tfidf') as new () => {
    addDocument(document: string[]): void;
    tfidfs(terms: string[], callback?: (i: number, measure: number) => void): number[];
  };
  const profiles = generateProfiles(documents, { seed: 42 });
  const tfidf = new TfIdf();
  const analysed = profiles.map((p) => {
    const { terms, counts } = analyse(p.description, { ignoreWords: p.commune ? [p.commune] : [] });
    // The same stems our engine uses, repeated by count, so only the scoring method differs.
    return terms.flatMap((term, k) => Array.from({ length: counts[k]! }, () => term));
  });
  for (const tokens of analysed) tfidf.addDocument(tokens);
  const start = performance.now();
  let sink = 0;
  for (let q = 0; q < queries; q++) {
    const terms = analysed[(q * 7919) % documents]!;
    if (terms.length === 0) continue;
    for (const measure of tfidf.tfidfs(terms)) sink += measure;
  }
  const perQueryMs = (performance.now() - start) / queries;
  if (sink < 0) console.log(sink);
  return { documents, queries, perQueryMs };
}

function runChild(args: string[]): unknown {
  const output = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), ...args], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(output.trim().split('\n').pop()!);
}



async function main(): Promise<void> {
  const [mode, arg1, arg2] = process.argv.slice(2);
  if (mode === '--child-size') {
    console.log(JSON.stringify(childSize(Number(arg1))));
    return;
  }
  if (mode === '--child-baseline') {
    console.log(JSON.stringify(childBaseline(Number(arg1), Number(arg2))));
    return;
  }

  const sizes = process.argv.slice(2).map(Number).filter((n) => Number.isFinite(n) && n > 0);
  if (sizes.length === 0) sizes.push(10_000, 50_000, 100_000);
  console.log(`maillage — pure round benchmark (Node ${process.version}, ${new Date().toISOString()})`);
  console.log('synthetic population: bench/synthetic.ts, seed 42; each size in its own process\n');

  const results: SizeResult[] = [];
  for (const size of sizes) {
    process.stderr.write(`  running ${size}…\n`);
    results.push(runChild(['--child-size', String(size)]) as SizeResult);
  }
  console.log(
    table(
      ['people', 'planRound ms', 'cpu ms', 'population', 'candidates', 'select', 'explain', 'pairs', 'unmatched', 'median score', 'peak RSS MB', 'recall@1', 'best ratio', 'intake ms (apart)'],
      results.map((r) => [
        format(r.size),
        format(r.roundMs),
        format(r.cpuMs),
        format(r.populationMs),
        format(r.candidatesMs),
        format(r.selectMs),
        format(r.explainMs),
        format(r.pairs),
        format(r.unmatched),
        format(r.medianScore, 3),
        format(r.maxRssMb),
        `${format(r.recallAt1 * 100, 1)} %`,
        format(r.bestScoreRatio, 4),
        format(r.intakeMs),
      ]),
    ),
  );
  const small = results.find((r) => r.size === 10_000);
  const large = results.find((r) => r.size === 100_000);
  console.log(
    `\nrecall@1: share of sampled people (RECALL_SAMPLE, default 200 per size) whose best partner by brute force over everyone the bounded search found; best ratio: mean of best score found / best possible.`,
  );
  if (small && large) {
    console.log(`time(100k) / time(10k) = ${format(large.roundMs / small.roundMs, 2)} wall, ${format(large.cpuMs / small.cpuMs, 2)} cpu  (target < 12)`);
  }

  const documents = 5000;
  const queries = Number(process.env.BASELINE_QUERIES ?? 300);
  process.stderr.write(`  running baseline (natural TfIdf, ${queries} queries against ${documents} documents)…\n`);
  const baseline = runChild(['--child-baseline', String(documents), String(queries)]) as BaselineResult;
  const allPairs5k = baseline.perQueryMs * documents;
  // All-pairs is quadratic: each query costs in proportion to the documents, and there are as
  // many queries as documents.
  const allPairs100k = baseline.perQueryMs * (100_000 / documents) * 100_000;
  console.log(`\nbaseline: natural TfIdf all-pairs (same stems), ${format(baseline.queries)} queries timed against ${format(documents)} documents`);
  console.log(
    table(
      ['', 'per query ms', 'all-pairs 5k', 'all-pairs 100k (extrapolated)', 'planRound 100k', 'ratio'],
      [
        [
          'natural TfIdf',
          format(baseline.perQueryMs, 2),
          `${format(allPairs5k / 1000, 1)} s`,
          `${format(allPairs100k / 3_600_000, 1)} h`,
          large ? `${format(large.roundMs / 1000, 2)} s` : 'n/a',
          large ? `${format(allPairs100k / large.roundMs)}×` : 'n/a',
        ],
      ],
    ),
  );
  // One machine-readable line for bench/run.ts's summary table.
  if (large) {
    console.log(`BENCH-SUMMARY ${JSON.stringify({
      bench: 'round-pure', figure: 'planRound, 100,000 profiles, in memory', value: Number((large.roundMs / 1000).toFixed(2)), unit: 's',
      baseline: 'natural TfIdf all-pairs (extrapolated from 5k)', baselineValue: Math.round(allPairs100k / 1000),
      ratio: Math.round(allPairs100k / large.roundMs), ratioLabel: '× faster', target: small ? 'time(100k)/time(10k) < 12' : '', met: small ? large.roundMs / small.roundMs < 12 : null,
    })}`);
  }
}

await main();
