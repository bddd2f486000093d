// `maillage ingest <file.eml | directory | file.mbox>… [--wait] [--network <slug>]`: feeds
// saved messages through the same pipeline as the mailbox (store first, then one job each).
// Without --wait it stores and queues, and the running service processes them; with --wait it
// also runs an intake worker itself and prints what became of each message.
import cliProgress from 'cli-progress';
import { loadConfig } from '../config.js';
import { closeContext, createContext, type AppContext } from '../context.js';
import { createLogger } from '../log.js';
import { ingestRaw } from '../ingest/store.js';
import { FileSourceError, listSources, readMessages } from '../ingest/sources/files.js';
import { QUEUES } from '../queue/names.js';
import { startWorkers } from '../worker.js';

const USAGE = 'usage: maillage ingest <file.eml | directory | file.mbox>… [--wait] [--network <slug>] [--timeout <seconds>]';

interface Options {
  paths: string[];
  wait: boolean;
  network: string | null;
  timeoutSeconds: number;
}

function parseArgs(args: string[]): Options | string {
  const o: Options = { paths: [], wait: false, network: null, timeoutSeconds: 600 };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--wait') o.wait = true;
    else if (a === '--network') o.network = args[++i] ?? '';
    else if (a.startsWith('--network=')) o.network = a.slice(10);
    else if (a === '--timeout') o.timeoutSeconds = Number(args[++i]);
    else if (a.startsWith('-')) return `unknown option ${a}`;
    else o.paths.push(a);
  }
  if (o.paths.length === 0) return 'no file or directory given';
  if (o.network !== null && !/^[a-z0-9][a-z0-9-]{0,62}$/.test(o.network)) return `--network needs a network slug (got "${o.network}")`;
  if (!Number.isFinite(o.timeoutSeconds) || o.timeoutSeconds <= 0) return '--timeout needs a number of seconds';
  return o;
}

interface Entry {
  label: string;
  id: number;
  created: boolean;
  truncated: boolean;
}

export async function run(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${USAGE}
  Stores each message (dedupe on Message-ID) and queues it for processing.
  --wait            process here and print the outcome of each message
  --network <slug>  credit registrations to this partner network
`);
    return 0;
  }
  const options = parseArgs(args);
  if (typeof options === 'string') {
    process.stderr.write(`maillage ingest: ${options}. ${USAGE}\n`);
    return 2;
  }
  let listed;
  try {
    listed = await listSources(options.paths);
  } catch (err) {
    if (err instanceof FileSourceError) {
      process.stderr.write(`maillage ingest: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const { sources, skipped } = listed;
  if (sources.length === 0) {
    process.stderr.write(`maillage ingest: no .eml or .mbox file found${skipped.length ? ` (${skipped.length} other files skipped)` : ''}\n`);
    return 2;
  }

  const config = loadConfig();
  // The worker logs each job at info level; here the summary says it better.
  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const ctx = await createContext(config, log);
  const workers = options.wait ? startWorkers(ctx, { queues: [QUEUES.inbound] }) : null;
  try {
    const entries = await store(ctx, sources, options);
    const created = entries.filter((e) => e.created).length;
    const truncated = entries.filter((e) => e.truncated && e.created).length;
    process.stdout.write(
      `${entries.length} message${plural(entries.length)} read from ${sources.length} file${plural(sources.length)}: ` +
        `${created} stored, ${entries.length - created} already stored` +
        `${truncated ? `, ${truncated} over ${Math.round(config.maxMessageBytes / 1_000_000)} MB kept truncated` : ''}` +
        `${skipped.length ? `; ${skipped.length} file${plural(skipped.length)} skipped (not .eml or .mbox)` : ''}.\n`,
    );
    if (!options.wait) {
      process.stdout.write(created ? 'Queued: the running service (maillage start or worker) processes them; add --wait to process them here.\n' : '');
      return 0;
    }
    return await waitAndReport(ctx, entries, options.timeoutSeconds);
  } finally {
    await workers?.close();
    await closeContext(ctx);
  }
}

async function store(ctx: AppContext, sources: Awaited<ReturnType<typeof listSources>>['sources'], options: Options): Promise<Entry[]> {
  const totalBytes = sources.reduce((sum, s) => sum + s.size, 0);
  // A progress bar only where someone watches it, and only when there is something to wait for.
  const bar = process.stderr.isTTY && (totalBytes > 5_000_000 || sources.length > 50)
    ? new cliProgress.SingleBar(
        { format: 'Storing  {bar} {percentage}% | {messages} messages | {eta_formatted} left', stream: process.stderr, hideCursor: true, etaBuffer: 50 },
        cliProgress.Presets.shades_classic,
      )
    : null;
  bar?.start(totalBytes, 0, { messages: 0 });
  const entries: Entry[] = [];
  try {
    for await (const m of readMessages(sources)) {
      const r = await ingestRaw(ctx, m.raw, { channel: 'cli', networkSlug: options.network });
      entries.push({ label: m.label, id: r.id, created: r.created, truncated: r.truncated });
      bar?.update(m.bytesRead, { messages: entries.length });
    }
  } finally {
    bar?.stop();
  }
  return entries;
}

async function waitAndReport(ctx: AppContext, entries: Entry[], timeoutSeconds: number): Promise<number> {
  const ids = [...new Set(entries.map((e) => e.id))];
  const deadline = Date.now() + timeoutSeconds * 1000;
  const bar = process.stderr.isTTY && ids.length > 50
    ? new cliProgress.SingleBar({ format: 'Processing {bar} {value}/{total}', stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic)
    : null;
  bar?.start(ids.length, 0);
  let rows: { id: number; status: string; kind: string | null; outcome: string | null; error: string | null }[] = [];
  for (;;) {
    rows = await ctx.sql<typeof rows>`select id, status, kind, outcome, error from inbound_messages where id = any(${ids})`;
    const pending = rows.filter((r) => r.status === 'stored').length;
    bar?.update(ids.length - pending);
    if (pending === 0 || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  bar?.stop();
  const byId = new Map(rows.map((r) => [r.id, r]));
  const width = Math.min(48, Math.max(...entries.map((e) => e.label.length)));
  const kinds = new Map<string, number>();
  let failed = 0;
  let waiting = 0;
  for (const e of entries) {
    const r = byId.get(e.id);
    const kind = r?.status === 'processed' ? (r.kind ?? '?') : r?.status === 'failed' ? 'FAILED' : 'waiting';
    if (r?.status === 'failed') failed++;
    if (r?.status === 'stored') waiting++;
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    const what = r?.status === 'failed' ? (r.error ?? 'failed') : r?.status === 'stored' ? 'not processed yet' : (r?.outcome ?? '');
    process.stdout.write(`${e.label.padEnd(width)}  ${kind.padEnd(12)}  ${what}${e.created ? '' : ' (already stored)'}\n`);
  }
  process.stdout.write(`\n${[...kinds].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${n} ${k}`).join(', ')}\n`);
  if (waiting) process.stderr.write(`maillage ingest: ${waiting} message${plural(waiting)} not processed after ${timeoutSeconds} s; they stay queued.\n`);
  return failed || waiting ? 1 : 0;
}

function plural(n: number): string {
  return n === 1 ? '' : 's';
}
