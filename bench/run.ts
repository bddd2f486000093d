// `npm run bench`: runs every benchmark in turn, each in its own process (so one's memory and
// JIT state do not bias the next), prints their tables, and writes them all, with a description
// of the machine, to bench/RESULTS.md. Each benchmark prints its figures beside a baseline
// measured in the same run, and ends with `BENCH-SUMMARY {json}` lines (its headline figures,
// their baselines and the issues' targets): the runner ends with one table of them all.
//
//   npm run bench                 # all
//   npm run bench -- render send  # some, by name
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const BENCHES: { name: string; file: string; args?: string[]; what: string }[] = [
  { name: 'ingest', file: 'ingest.ts', args: ['2000'], what: 'store → parse → classify → apply, one worker, vs mailparser alone' },
  { name: 'ingest-pure', file: 'ingest-pure.ts', args: ['2000'], what: 'pure intake vs mailparser alone' },
  { name: 'round-pure', file: 'round-pure.ts', what: 'planRound at 10k/50k/100k vs natural TfIdf all-pairs' },
  { name: 'round', file: 'round.ts', what: 'full round over PostgreSQL at 10k/50k/100k vs reading the profiles' },
  { name: 'render', file: 'render.ts', what: 'proposal emails per second vs mjml2html per email' },
  { name: 'send', file: 'send.ts', what: 'pooled SMTP to a local sink, exactly once, rate limiter' },
  { name: 'geo', file: 'geo.ts', what: 'gazetteer build/load and geocode throughput' },
  { name: 'territory', file: 'territory.ts', what: 'console and digest queries at 100k people' },
  { name: 'web', file: 'web.ts', what: 'one-click answer pages (GET and POST) at 1,000 requests/s for 30 s, autocannon in a second process, vs GET /healthz' },
];

/**
 * The last lines a benchmark prints: `BENCH-SUMMARY {json}`, one per headline figure, with the
 * baseline measured in the same run and the target from the issues.
 */
interface Summary {
  bench: string;
  figure: string;
  value: number;
  unit: string;
  baseline: string;
  baselineValue: number;
  ratio: number;
  ratioLabel?: string;
  target: string;
  met: boolean | null;
}

function summariesIn(stdout: string): Summary[] {
  const out: Summary[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('BENCH-SUMMARY ')) continue;
    try {
      out.push(JSON.parse(line.slice('BENCH-SUMMARY '.length)) as Summary);
    } catch {
      // A garbled line shows as a missing summary below, not as a crash of the runner.
    }
  }
  return out;
}

function num(v: number): string {
  return v.toLocaleString('en-US', { maximumFractionDigits: Math.abs(v) >= 100 ? 0 : 2 });
}

function summaryTable(rows: { name: string; status: number | null; summaries: Summary[] }[]): string {
  const header = ['bench', 'figure', 'value', 'baseline, same run', 'ratio', 'target', 'met'];
  const lines = rows.flatMap(({ name, status, summaries }) =>
    summaries.length === 0
      ? [[name, status === 0 ? '(no summary line: see its section)' : `**failed (exit ${status})**`, '', '', '', '', '']]
      : summaries.map((s) => [
          name,
          s.figure,
          `${num(s.value)} ${s.unit}`,
          `${s.baseline}: ${num(s.baselineValue)} ${s.unit}`,
          `${num(s.ratio)}${s.ratioLabel ? ` ${s.ratioLabel}` : '×'}`,
          s.target || '—',
          s.met === true ? 'yes' : s.met === false ? '**no**' : '—',
        ]),
  );
  return [header, header.map(() => '---'), ...lines].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

const here = fileURLToPath(new URL('.', import.meta.url));
const wanted = process.argv.slice(2);
const selected = wanted.length ? BENCHES.filter((b) => wanted.includes(b.name)) : BENCHES;

const cpus = os.cpus();
const machine = `${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`;
const sections: string[] = [];
const gathered: { name: string; status: number | null; summaries: Summary[] }[] = [];
let failures = 0;

for (const bench of selected) {
  process.stdout.write(`\n=== ${bench.name}: ${bench.what}\n`);
  const started = Date.now();
  const run = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', `${here}${bench.file}`, ...(bench.args ?? [])], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 2 ** 20,
  });
  process.stdout.write(run.stdout ?? '');
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (run.status !== 0) failures++;
  gathered.push({ name: bench.name, status: run.status, summaries: summariesIn(run.stdout ?? '') });
  const output = (run.stdout ?? '').split('\n').filter((l) => !l.startsWith('BENCH-SUMMARY ')).join('\n').trim();
  sections.push(`## ${bench.name}\n\n${bench.what} — \`node --import tsx bench/${bench.file} ${(bench.args ?? []).join(' ')}\`, ${seconds} s${run.status === 0 ? '' : `, **exit ${run.status}**`}\n\n\`\`\`\n${output}\n\`\`\`\n`);
}

const table = summaryTable(gathered);
const loadAfter = os.loadavg().map((l) => l.toFixed(1)).join(' ');
process.stdout.write(`\n=== Summary: each headline figure beside its baseline from the same run\n\n${table}\n\n${machine}; load average at the end ${loadAfter}\n`);

writeFileSync(
  `${here}RESULTS.md`,
  `# Benchmark results\n\nMeasured ${new Date().toISOString()} on ${machine} (load average at the end ${loadAfter}).\n` +
    `Each figure stands beside its baseline from the same run; on a shared machine, the ratios say more than the absolute figures.\n\n` +
    `## Summary\n\n${table}\n\n${sections.join('\n')}`,
);
process.stdout.write(`\nWritten to bench/RESULTS.md${failures ? ` (${failures} benchmark(s) failed)` : ''}\n`);
process.exitCode = failures ? 1 : 0;
