// Benchmark of the full weekly round against PostgreSQL: load the eligible profiles, find and
// score candidates, select, explain, and write the introductions in one transaction; at 10k,
// 50k and 100k synthetic people over real French communes (bench/synthetic.ts).
//
//   node --import tsx bench/round.ts                      # 10k, 50k, 100k
//   node --import tsx bench/round.ts 20000                # other sizes
//   node --import tsx bench/round.ts --two-workers        # also: the largest size, sharded, on two `maillage worker` processes
//
// The largest size also runs a second time "after a year of weekly rounds": with
// BENCH_ROUND_HISTORY (default 2,000,000) past introductions between random people in the table,
// every one of which the round must never propose again (0 skips it).
//
// References measured in the same run:
// - floor: merely reading every eligible profile from PostgreSQL (whole rows, the issue's wording),
//   and the strict floor: only the columns matching reads;
// - baseline: natural's TfIdf all-pairs on a 5,000-profile sample, extrapolated (quadratic).
// Each size gets a fresh database (filled at COPY-like speed, not timed), dropped at the end, and
// its round runs in a child process so that the peak memory (maxRSS) is the round's own (the
// floors run in another).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { connect, dropDatabase, ensureDatabase } from '../src/db/client.js';
import { migrate } from '../src/db/migrate.js';
import { beginRound } from '../src/db/rounds.js';
import { analyse } from '../src/match/text.js';
import { createRedis } from '../src/queue/connection.js';
import { JOBS, QUEUES } from '../src/queue/names.js';
import { eligibleFrom } from '../src/round/load.js';
import { fanOutRound } from '../src/round/fanout.js';
import { computeAndWriteRound, type StoredRoundReport } from '../src/round/run.js';
import { fillProfiles } from './round-fill.js';
import { generateProfiles } from './synthetic.js';
import { fmt, table } from './format.js';

const BASE_DB = process.env.BENCH_DATABASE_URL ?? 'postgres://127.0.0.1:5432/postgres';
const REDIS = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SELF = fileURLToPath(import.meta.url);
const BIN = fileURLToPath(new URL('../bin/maillage.js', import.meta.url));

function dbUrl(name: string): string {
  const url = new URL(BASE_DB);
  url.pathname = `/${name}`;
  return url.toString();
}

interface FloorFigures {
  /** Every eligible profile, whole rows: the floor as the issue words it. */
  floorProfilesMs: number;
  /** Only the columns matching reads, arrays flattened by PostgreSQL: the strictest floor. */
  floorColumnsMs: number;
  floorNativeMs: number;
}

interface RoundRun {
  size: number;
  roundMs: number;
  fanOutMs: number;
  proposalJobs: number;
  maxRssMb: number;
  report: StoredRoundReport;
}

type RoundFigures = RoundRun & FloorFigures;

async function bestOf(times: number, f: () => Promise<unknown>): Promise<number> {
  let best = Infinity;
  for (let k = 0; k < times; k++) {
    const t = performance.now();
    await f();
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

/**
 * In a child process of its own, so that the rows it holds never count in the round's peak memory:
 * the floors, each the best of three.
 */
async function childFloors(url: string): Promise<FloorFigures> {
  const sql = connect(url);
  // The issue's floor as it words it: every eligible profile, whole rows, as the driver reads them.
  const floorProfilesMs = await bestOf(3, () => sql`select f.* ${eligibleFrom(sql)}`.values());
  // Stricter: only the matching columns of every eligible person, as PostgreSQL sends them.
  const floorColumnsMs = await bestOf(3, () => sql`
    select p.id, f.role, array_to_string(f.categories, ','), f.lat, f.lon, f.radius_km,
           array_to_string(f.terms, ' '), array_to_string(f.term_counts, ','), p.waiting_since
    ${eligibleFrom(sql)}`.values());
  // The same with the driver parsing the arrays (postgres.js's own text[] parser).
  const floorNativeMs = await bestOf(3, () => sql`
    select p.id, f.role, f.categories, f.lat, f.lon, f.radius_km, f.terms, f.term_counts, p.waiting_since
    ${eligibleFrom(sql)}`.values());
  await sql.end();
  return { floorProfilesMs, floorColumnsMs, floorNativeMs };
}

/** In a child process: one full round, then its fan-out. */
async function childRound(url: string, size: number): Promise<RoundRun> {
  const sql = connect(url);
  const settings = { maxPerPerson: 1 };
  const started = performance.now();
  const begun = await beginRound(sql, { trigger: 'manual', mode: 'single', jobId: null });
  if (!begun.started) throw new Error('a round is already running in the bench database');
  const { report } = await computeAndWriteRound(sql, url, begun.round, { kind: 'single', settings }, { mode: 'single', settings });
  const roundMs = performance.now() - started;
  await new Promise((r) => setTimeout(r, 1_500)); // statistics reach pg_stat within a second
  const [hot] = await sql`select n_tup_upd::int as updated, n_tup_hot_upd::int as hot from pg_stat_user_tables where relname = 'people'`;
  process.stderr.write(`[people rows updated: ${hot?.updated}, of which in place (HOT): ${hot?.hot}] `);

  const redis = createRedis(REDIS, 'queue');
  const prefix = `bench-round-${randomBytes(4).toString('hex')}`;
  const proposals = new Queue(QUEUES.proposals, { connection: redis, prefix });
  const fanStart = performance.now();
  const proposalJobs = await fanOutRound({ sql, queues: { proposals } as never }, begun.round.id);
  const fanOutMs = performance.now() - fanStart;
  await proposals.obliterate({ force: true });
  await proposals.close();
  redis.disconnect();
  await sql.end();
  return {
    size,
    roundMs,
    fanOutMs,
    proposalJobs,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    report,
  };
}

/** natural's TfIdf, every document against all others, on the same stems; timed per query. */
function childBaseline(documents: number, queries: number): { documents: number; queries: number; perQueryMs: number } {
  const require = createRequire(import.meta.url);
  const TfIdf = require('natural/lib/natural/tfidf/tfidf') as new () => {
    addDocument(document: string[]): void;
    tfidfs(terms: string[], callback?: (i: number, measure: number) => void): number[];
  };
  const tfidf = new TfIdf();
  const analysed = generateProfiles(documents, { seed: 42 }).map((p) => {
    const { terms, counts } = analyse(p.description, { ignoreWords: p.commune ? [p.commune] : [] });
    return terms.flatMap((term, k) => Array.from({ length: counts[k]! }, () => term));
  });
  for (const tokens of analysed) tfidf.addDocument(tokens);
  let timed = 0;
  let sink = 0;
  const start = performance.now();
  for (let q = 0; q < queries; q++) {
    const terms = analysed[(q * 7919) % documents]!;
    if (terms.length === 0) continue;
    for (const measure of tfidf.tfidfs(terms)) sink += measure;
    timed++;
  }
  if (sink < 0) console.log(sink);
  return { documents, queries: timed, perQueryMs: (performance.now() - start) / timed };
}

function runChild(args: string[]): unknown {
  const output = execFileSync(process.execPath, ['--import', 'tsx', SELF, ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(output.trim().split('\n').pop()!);
}

async function prepare(name: string, size: number): Promise<{ url: string; fillMs: number }> {
  const url = dbUrl(name);
  await dropDatabase(url);
  await ensureDatabase(url);
  const sql = connect(url);
  const t = performance.now();
  await migrate(sql);
  await fillProfiles(sql, generateProfiles(size, { seed: 42 }));
  // Kept to restore before the sharded run: the single round restarts everyone's waiting time,
  // which would change who comes first.
  await sql`create table bench_waiting as select id, waiting_since from people`;
  await sql`vacuum analyze`;
  const fillMs = performance.now() - t;
  await sql.end();
  return { url, fillMs };
}

function startWorker(url: string, prefix: string, shards: number): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'worker'], {
      env: { ...process.env, DATABASE_URL: url, REDIS_URL: REDIS, QUEUE_PREFIX: prefix, ROUND_SHARDS: String(shards), LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('maillage is running')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`worker exited (${code})`)));
  });
}

/** The same round, sharded, on two `maillage worker` processes; returns wall time to "done". */
async function twoWorkers(url: string, shards: number): Promise<{ ms: number; report: StoredRoundReport; samePairs: number; singlePairs: number; shardedPairs: number }> {
  const sql = connect(url);
  // The single-process round's pairs, to compare with.
  const single = new Set((await sql`select person_a, person_b, explanation from introductions`).map((r) => `${r.person_a}-${r.person_b}-${r.explanation}`));
  await sql`truncate introductions, round_unmatched, round_shards, round_term_stats, rounds`;
  await sql`update people p set waiting_since = b.waiting_since from bench_waiting b where b.id = p.id`;
  const prefix = `bench-round-${randomBytes(4).toString('hex')}`;
  const workers = await Promise.all([startWorker(url, prefix, shards), startWorker(url, prefix, shards)]);
  const redis = createRedis(REDIS, 'queue');
  const queue = new Queue(QUEUES.round, { connection: redis, prefix });
  const started = performance.now();
  await queue.add(JOBS.weeklyRound, { trigger: 'manual' }, { jobId: 'bench-sharded' });
  let row: Record<string, unknown> | undefined;
  for (;;) {
    [row] = await sql`select status, report, error from rounds where status <> 'running'`;
    if (row) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const ms = performance.now() - started;
  if (row.status !== 'done') throw new Error(`sharded round failed: ${row.error as string}`);
  const shardedRows = await sql`select person_a, person_b, explanation from introductions`;
  const samePairs = shardedRows.filter((r) => single.has(`${r.person_a}-${r.person_b}-${r.explanation}`)).length;
  await Promise.all(workers.map((w) => new Promise((resolve) => {
    w.once('exit', resolve);
    w.kill('SIGTERM');
  })));
  for (const name of Object.values(QUEUES)) {
    const q = new Queue(name, { connection: redis, prefix });
    await q.obliterate({ force: true }).catch(() => {});
    await q.close();
  }
  await queue.close();
  redis.disconnect();
  await sql.end();
  return { ms, report: row.report as StoredRoundReport, samePairs, singlePairs: single.size, shardedPairs: shardedRows.length };
}



/** Past introductions between random people (a fixed seed), as a year of weekly rounds leaves. */
async function addHistory(url: string, size: number, pairs: number): Promise<{ pastIntroductions: number; fillMs: number }> {
  const sql = connect(url);
  const t = performance.now();
  const [{ first }] = await sql`select min(id)::float8 as first from people` as unknown as [{ first: number }];
  // One connection for both: the seed holds for the session.
  await sql.begin(async (tx) => {
    await tx`select setseed(0.42)`;
    await tx`
      insert into introductions (person_a, person_b, score, explanation, status, created_at)
      select least(x, y), greatest(x, y), 0.5, '', 'declined', now() - interval '30 days'
      from (select ${first}::bigint + (random() * ${size - 1})::bigint as x, ${first}::bigint + (random() * ${size - 1})::bigint as y
            from generate_series(1, ${pairs})) g
      where x <> y
      on conflict do nothing`;
  });
  await sql`vacuum analyze introductions`;
  const [{ n }] = await sql`select count(*)::int as n from introductions` as unknown as [{ n: number }];
  await sql.end();
  return { pastIntroductions: n, fillMs: performance.now() - t };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--child-floors') {
    console.log(JSON.stringify(await childFloors(args[1]!)));
    return;
  }
  if (args[0] === '--child-round') {
    console.log(JSON.stringify(await childRound(args[1]!, Number(args[2]))));
    return;
  }
  if (args[0] === '--child-baseline') {
    console.log(JSON.stringify(childBaseline(Number(args[1]), Number(args[2]))));
    return;
  }
  const withTwoWorkers = args.includes('--two-workers');
  const sizes = args.filter((a) => /^\d+$/.test(a)).map(Number);
  if (sizes.length === 0) sizes.push(10_000, 50_000, 100_000);

  const historyPairs = Number(process.env.BENCH_ROUND_HISTORY ?? 2_000_000);
  let history: (RoundFigures & { pastIntroductions: number; fillMs: number }) | null = null;
  const results: RoundFigures[] = [];
  let sharded: ({ size: number } & Awaited<ReturnType<typeof twoWorkers>>) | null = null;
  for (const size of sizes) {
    // The pid keeps two benches run at once (other sessions) off each other's databases.
    const name = `maillage_bench_round_${size}_${process.pid}`;
    process.stderr.write(`${fmt(size)} profiles: filling PostgreSQL… `);
    const { url, fillMs } = await prepare(name, size);
    process.stderr.write(`${fmt(fillMs / 1000, 1)} s (setup, not timed). Round… `);
    try {
      const floors = runChild(['--child-floors', url]) as FloorFigures;
      const figures: RoundFigures = { ...(runChild(['--child-round', url, String(size)]) as RoundRun), ...floors };
      results.push(figures);
      process.stderr.write(`${fmt(figures.roundMs / 1000, 2)} s\n`);
      if (withTwoWorkers && size === Math.max(...sizes)) {
        process.stderr.write(`${fmt(size)} profiles: the same round on two worker processes, 4 shards… `);
        const two = await twoWorkers(url, 4);
        sharded = { size, ...two };
        process.stderr.write(`${fmt(two.ms / 1000, 2)} s\n`);
      }
      if (historyPairs > 0 && size === Math.max(...sizes)) {
        process.stderr.write(`${fmt(size)} profiles after a year of rounds: adding ${fmt(historyPairs)} past introductions… `);
        const { pastIntroductions, fillMs: historyFillMs } = await addHistory(url, size, historyPairs);
        process.stderr.write(`${fmt(historyFillMs / 1000, 1)} s (setup, not timed). Round… `);
        const run = runChild(['--child-round', url, String(size)]) as RoundRun;
        history = { ...run, ...floors, pastIntroductions, fillMs: historyFillMs };
        process.stderr.write(`${fmt(run.roundMs / 1000, 2)} s\n`);
      }
    } finally {
      await dropDatabase(url);
    }
  }
  const baselineQueries = Number(process.env.BASELINE_QUERIES ?? 200);
  process.stderr.write(`baseline: natural TfIdf, ${baselineQueries} queries against 5,000 documents…\n`);
  const baseline = runChild(['--child-baseline', '5000', String(baselineQueries)]) as { documents: number; queries: number; perQueryMs: number };

  const first = results[0]!;
  console.log('\nFull round against PostgreSQL (load → candidates → score → select → explain → write, one transaction)\n');
  console.log(
    table(
      ['profiles', 'round', 'floor (whole profiles)', 'round/floor', 'strict floor (matching columns)', 'round/strict floor', 'vs first size', 'peak RSS', 'pairs', 'unmatched', 'natural all-pairs (extrap.)', 'speed-up', 'fan-out'],
      results.map((r) => {
        const allPairsMs = baseline.perQueryMs * (r.size / baseline.documents) * r.size;
        return [
          fmt(r.size),
          `${fmt(r.roundMs / 1000, 2)} s`,
          `${fmt(r.floorProfilesMs / 1000, 2)} s`,
          `${fmt(r.roundMs / r.floorProfilesMs, 1)}×`,
          `${fmt(r.floorColumnsMs / 1000, 2)} s`,
          `${fmt(r.roundMs / r.floorColumnsMs, 1)}×`,
          `${fmt(r.roundMs / first.roundMs, 1)}× (size ${fmt(r.size / first.size, 0)}×)`,
          `${fmt(r.maxRssMb)} MB`,
          fmt(r.report.introductions),
          fmt(r.report.unmatched),
          `${fmt(allPairsMs / 60_000, 1)} min`,
          `${fmt(allPairsMs / r.roundMs, 0)}×`,
          `${fmt(r.fanOutMs / 1000, 2)} s (${fmt(r.proposalJobs)} jobs)`,
        ];
      }),
    ),
  );
  console.log('\nWhere the time goes (ms)\n');
  console.log(
    table(
      ['profiles', 'load (thread, 3 queries)', 'population', 'candidates', 'select', 'explain', 'write left after explaining (of which introductions)', 'matching columns, driver-parsed arrays'],
      results.map((r) => {
        const t = r.report.timingsMs;
        return [fmt(r.size), fmt(t.load), fmt(t.population), fmt(t.candidates), fmt(t.select), fmt(t.explain), `${fmt(t.write)} (${fmt(t.writeIntroductions ?? 0)})`, fmt(r.floorNativeMs)];
      }),
    ),
  );
  console.log(
    '\nfloor: every eligible profile read whole (`select f.*`, the issue\'s "merely reading every active profile"); ' +
      'strict floor: only the columns matching reads, arrays flattened by PostgreSQL; both the best of three, in a process of their own.',
  );
  console.log(
    `\nbaseline: natural TfIdf, ${fmt(baseline.queries)} queries timed against ${fmt(baseline.documents)} documents: ${fmt(baseline.perQueryMs, 2)} ms per query;` +
      ` all-pairs at N = ${fmt(baseline.perQueryMs, 2)} ms × (N / 5,000) × N.`,
  );
  if (results.length > 1) {
    const last = results[results.length - 1]!;
    console.log(`time(${fmt(last.size)}) / time(${fmt(first.size)}) = ${fmt(last.roundMs / first.roundMs, 1)} (size ratio ${fmt(last.size / first.size)})`);
  }
  if (history) {
    const t = history.report.timingsMs;
    console.log(
      `\nAfter a year of weekly rounds: ${fmt(history.size)} profiles and ${fmt(history.pastIntroductions)} past introductions (random pairs), none of which may be proposed again: ` +
        `round ${fmt(history.roundMs / 1000, 2)} s (${fmt(history.roundMs / history.floorProfilesMs, 1)}× floor), peak RSS ${fmt(history.maxRssMb)} MB, ${fmt(history.report.introductions)} introductions; ` +
        `load ${fmt(t.load)} ms, candidates ${fmt(t.candidates)} ms, select ${fmt(t.select)} ms, explain ${fmt(t.explain)} ms, write left ${fmt(t.write)} ms.`,
    );
  }
  if (sharded) {
    const shardLines = (sharded.report.shards ?? []).map((s) => `shard ${s.shard}: pid ${s.pid}, ${fmt(s.owned)} owned, ${fmt(s.loaded)} loaded, ${fmt(s.ms)} ms`);
    const single = results.find((r) => r.size === sharded!.size)!;
    console.log(
      `\nSharded on two worker processes (4 shards): ${fmt(sharded.ms / 1000, 2)} s from enqueue to committed round (single process: ${fmt(single.roundMs / 1000, 2)} s); ` +
        `${fmt(sharded.shardedPairs)} introductions (single: ${fmt(sharded.singlePairs)}), ${fmt(sharded.samePairs)} identical (same pair, same explanation).\n  ${shardLines.join('\n  ')}`,
    );
  }
  // Machine-readable lines for bench/run.ts's summary table: each size against its floor, and the scaling.
  for (const r of results) {
    const ratio = r.roundMs / r.floorProfilesMs;
    const large = r.size >= 100_000;
    console.log(`BENCH-SUMMARY ${JSON.stringify({
      bench: 'round', figure: `full round, ${fmt(r.size)} profiles (peak RSS ${fmt(r.maxRssMb)} MB)`, value: Number((r.roundMs / 1000).toFixed(2)), unit: 's',
      baseline: 'floor: reading every eligible profile', baselineValue: Number((r.floorProfilesMs / 1000).toFixed(2)),
      ratio: Number(ratio.toFixed(1)), ratioLabel: `× floor (${fmt(r.roundMs / r.floorColumnsMs, 1)}× the strict floor)`,
      // The issue's targets are set at 100k (its floor: "about 0.5-1 s at 100k"); smaller sizes,
      // where starting the round's threads weighs, are shown for the scaling.
      target: large ? '≤ 10× floor, < 10 s, < 1 GB' : 'reference', met: large ? ratio <= 10 && r.roundMs < 10_000 && r.maxRssMb < 1024 : null,
    })}`);
  }
  if (history) {
    const ratio = history.roundMs / history.floorProfilesMs;
    console.log(`BENCH-SUMMARY ${JSON.stringify({
      bench: 'round', figure: `full round, ${fmt(history.size)} profiles + ${fmt(history.pastIntroductions)} past introductions (peak RSS ${fmt(history.maxRssMb)} MB)`,
      value: Number((history.roundMs / 1000).toFixed(2)), unit: 's',
      baseline: 'floor: reading every eligible profile', baselineValue: Number((history.floorProfilesMs / 1000).toFixed(2)),
      ratio: Number(ratio.toFixed(1)), ratioLabel: '× floor',
      target: '< 10 s, < 1 GB', met: history.roundMs < 10_000 && history.maxRssMb < 1024,
    })}`);
  }
  const small = results.find((r) => r.size === 10_000);
  const largest = results.find((r) => r.size === 100_000);
  if (small && largest) {
    const growth = largest.roundMs / small.roundMs;
    console.log(`BENCH-SUMMARY ${JSON.stringify({
      bench: 'round', figure: 'time(100k) / time(10k)', value: Number(growth.toFixed(1)), unit: '×',
      baseline: 'size ratio', baselineValue: 10, ratio: Number((growth / 10).toFixed(2)), ratioLabel: '× linear',
      target: '< 12', met: growth < 12,
    })}`);
  }
}

await main();
