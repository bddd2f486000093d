// Throughput of the whole intake with one worker process: store (PostgreSQL) → queue (BullMQ) →
// parse → classify → extract → apply (one transaction: person, profile, events, answer written
// to the outbox) on N realistic messages, against mailparser alone on the same messages in the
// same run. Targets: at least 300 messages/s, and within 3× of mailparser alone. Also timed the
// same way: a skeleton of the design (startSkeleton), the least any intake built this way costs.
//
//   node --import tsx bench/ingest.ts [N=2000]
//
// Messages: 70 % registrations written as people reply from their phone or webmail (synthetic
// French project descriptions over real communes, quoted bulletin under them, quoted-printable,
// one sender in five authenticated), 30 % the .eml fixtures (Gmail, Outlook, Orange, Free…,
// auto-replies, bounces, commands, HTML-only, Latin-1) with a fresh Message-ID and sender each.
// A fresh database and queue prefix are used and removed at the end.
//
// "Done" is every message out of 'stored': processed (or failed, counted) in a transaction that
// also wrote its answer to the outbox, so the outcome lines below (kinds, people, answers) are
// what the run produced. Besides times: the pure reading alone (readMessage, measured message by
// message against mailparser: the floor whatever the I/O), the CPU time of the worker, of the
// storing process and of the PostgreSQL processes serving the bench database, and the worker's
// socket writes per message (each a system call and a wake-up of the server: the I/O's cost).
import { spawn } from 'node:child_process';
import { Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg, cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { simpleParser } from 'mailparser';
import { loadConfig, type Config } from '../src/config.js';
import { closeContext, createContext } from '../src/context.js';
import { dropDatabase, type Sql } from '../src/db/client.js';
import { loadGazetteer } from '../src/geo/index.js';
import { readMessage } from '../src/ingest/read.js';
import { ingestRaw } from '../src/ingest/store.js';
import { createLogger } from '../src/log.js';
import { Worker } from 'bullmq';
import { createRedis } from '../src/queue/connection.js';
import { createBatcher } from '../src/queue/group-commit.js';
import { QUEUES } from '../src/queue/names.js';
import { startWorkers } from '../src/worker.js';
import { generateProfiles } from './synthetic.js';

const N = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 2000);
/** Messages the worker processes before the timed run (its JIT warm, as after weeks of service). */
const WARM_UP = 500;
/** Timed runs, each on its own messages; the figure is the median ratio (BENCH_INGEST_RUNS). */
const RUNS = Math.max(1, Number(process.env.BENCH_INGEST_RUNS ?? 3));
/** Seeds of each run's senders (11 is the warm-up's). */
const RUN_SEEDS = [7, 13, 17, 19, 23, 29, 31];
const DOMAIN = 'reseau-racines.org';
const FIXTURES = fileURLToPath(new URL('../test/fixtures/emails/', import.meta.url));

function qp(text: string): string {
  const bytes = Buffer.from(text.replace(/\r?\n/g, '\r\n'), 'utf8');
  let out = '';
  let len = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 13 && bytes[i + 1] === 10) {
      out += '\r\n';
      len = 0;
      i++;
      continue;
    }
    const enc = (b >= 33 && b <= 126 && b !== 61) || b === 32 ? String.fromCharCode(b) : `=${b.toString(16).toUpperCase().padStart(2, '0')}`;
    if (len + enc.length > 75) {
      out += '=\r\n';
      len = 0;
    }
    out += enc;
    len += enc.length;
  }
  return out;
}

function buildMessages(n: number, seed = 7): Buffer[] {
  const registrations = Math.round(n * 0.7);
  const people = generateProfiles(registrations, { seed });
  const out: Buffer[] = [];
  people.forEach((p, i) => {
    const domain = ['gmail.com', 'orange.fr', 'free.fr', 'laposte.net', 'outlook.fr', 'yahoo.fr'][i % 6]!;
    const address = `${p.email.split('@')[0]}.${seed}.${i}@${domain}`;
    const auth = i % 5 === 0 ? `Authentication-Results: mx1.${DOMAIN}; dkim=pass header.d=${domain}; spf=pass smtp.mailfrom=${domain}\r\n` : '';
    const body = `Bonjour,\n\n${p.description}\n\n${p.name.split(' ')[0]}\n\nLe jeu. 12 sept. 2024 à 10:15, La Lettre des Racines <lettre@${DOMAIN}> a écrit :\n> Bonjour à toutes et à tous,\n> Vous portez un projet collectif écologique ? Répondez simplement à ce message.\n> Pour ne plus recevoir cette lettre : répondez STOP.\n`;
    out.push(Buffer.from(
      `${auth}From: ${p.name} <${address}>\r\nTo: La Lettre des Racines <inscription@${DOMAIN}>\r\nSubject: Re: La Lettre des Racines\r\n` +
        `Message-ID: <${randomBytes(10).toString('hex')}@mail.${domain}>\r\nDate: ${new Date().toUTCString()}\r\nMIME-Version: 1.0\r\n` +
        `Content-Type: text/plain; charset="UTF-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${qp(body)}\r\n`,
      'latin1',
    ));
  });
  const fixtures = readdirSync(FIXTURES).filter((f) => f.endsWith('.eml')).sort().map((f) => readFileSync(join(FIXTURES, f)).toString('latin1'));
  for (let i = 0; out.length < n; i++) {
    let raw = fixtures[i % fixtures.length]!;
    const id = `<bench-${i}-${randomBytes(6).toString('hex')}@bench.example>`;
    raw = /^Message-ID:.*$/im.test(raw) ? raw.replace(/^Message-ID:.*$/im, `Message-ID: ${id}`) : `Message-ID: ${id}\r\n${raw}`;
    raw = raw.replace(/^(From:.*?)([\w.+-]+)@/im, `$1$2.b${seed}.${i}@`);
    out.push(Buffer.from(raw, 'latin1'));
  }
  // Interleave, as a mailbox receives them.
  for (let i = out.length - 1; i > 0; i--) {
    const j = (i * 7919) % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

async function main(): Promise<void> {
  const id = randomBytes(4).toString('hex');
  const db = new URL(process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://127.0.0.1:5432/postgres');
  db.pathname = `/maillage_bench_ingest_${id}`;
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: db.toString(),
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    QUEUE_PREFIX: `bench-ingest-${id}`,
    LOG_LEVEL: 'silent',
    SECRET: 'bench-secret-0123456789abcdef',
    MAIL_FROM: `La Lettre des Racines <lettre@${DOMAIN}>`,
    REPLY_TO: `inscription@${DOMAIN}`,
    TRUSTED_AUTHSERV_IDS: `mx1.${DOMAIN}`,
  });
  const messages = buildMessages(N);
  const bytes = messages.reduce((s, m) => s + m.length, 0);
  process.stdout.write(`ingest bench: ${N} messages (${(bytes / 1e6).toFixed(1)} MB), ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);

  const ctx = await createContext(config, createLogger('silent'));
  try {
    loadGazetteer(); // the service loads it once at its first message; not part of the throughput

    // mailparser alone, same messages, one at a time: with its default options (what "mailparser
    // alone" does out of the box), and with the options src/ingest/parse.ts passes (faster).
    for (const m of messages.slice(0, 100)) await simpleParser(m);
    for (const m of messages.slice(0, 100)) await readMessage(m, 'test', config);
    const mailparserAlone = async (set: Buffer[]) => {
      const c0 = process.cpuUsage();
      const t = performance.now();
      for (const m of set) await simpleParser(m);
      const c = process.cpuUsage(c0);
      return { ms: performance.now() - t, cpuMs: (c.user + c.system) / 1000 };
    };
    const m1 = performance.now();
    for (const m of messages) await simpleParser(m, { skipTextToHtml: true, skipImageLinks: true, skipTextLinks: true });
    const mailparserLeanMs = performance.now() - m1;
    // The pure reading the worker does (parse, trim, classify, extract, trust), alone, one at a
    // time: the floor of the pipeline's time, whatever its I/O costs. Interleaved message by
    // message with mailparser so that a busy machine slows both alike.
    let pureMs = 0;
    let pairedMailparserMs = 0;
    for (const m of messages) {
      const a = performance.now();
      await simpleParser(m);
      const b = performance.now();
      await readMessage(m, 'test', config);
      pureMs += performance.now() - b;
      pairedMailparserMs += b - a;
    }

    // The pipeline. As in production (`maillage web` or the IMAP poll storing, `maillage worker`
    // processing), messages are stored here and processed by one worker process.
    const worker = await startWorkerProcess(config);
    // A worker runs for weeks: its code is warm. Like mailparser above, it first processes
    // other messages (other senders), untimed, so the figures are the steady state's.
    const warmUp = buildMessages(WARM_UP, 11);
    for (const m of warmUp) await ingestRaw(ctx, m, { channel: 'test' });
    await allProcessed(ctx.sql);
    const [before] = await ctx.sql<{ inbound: number; person: number; outbound: number }[]>`
      select (select coalesce(max(id), 0) from inbound_messages)::int as inbound, (select coalesce(max(id), 0) from people)::int as person,
             (select coalesce(max(id), 0) from outbound_messages)::int as outbound`;
    await worker.reset();
    const cpuAtStart = await backendCpuMs(ctx.sql);
    const redisCpuAtStart = await redisCpuMs(ctx.redis);
    // This machine's speed drifts by a third over minutes: the run is made RUNS times, each on
    // its own messages (other senders) with mailparser timed on them just before, and the
    // median ratio is the figure.
    type Run = { mailparserMs: number; mailparserCpuMs: number; storedMs: number; pipelineMs: number };
    let storeCpuMs = 0;
    const timedRun = async (set: Buffer[], label: string): Promise<Run> => {
      const alone = await mailparserAlone(set);
      const s0 = process.cpuUsage();
      const t0 = performance.now();
      // Messages arrive side by side (a webhook provider, several SMTP connections): 8 at a time.
      let next = 0;
      await Promise.all(Array.from({ length: 8 }, async () => {
        while (next < set.length) await ingestRaw(ctx, set[next++]!, { channel: 'test' });
      }));
      const storedMs = performance.now() - t0;
      await allProcessed(ctx.sql);
      const pipelineMs = performance.now() - t0;
      const sc = process.cpuUsage(s0);
      storeCpuMs += (sc.user + sc.system) / 1000;
      process.stdout.write(`${label}: mailparser alone ${alone.ms.toFixed(0)} ms, intake ${pipelineMs.toFixed(0)} ms: ${(pipelineMs / alone.ms).toFixed(2)}×\n`);
      return { mailparserMs: alone.ms, mailparserCpuMs: alone.cpuMs, storedMs, pipelineMs };
    };
    const byRatio = (x: Run, y: Run) => x.pipelineMs / x.mailparserMs - y.pipelineMs / y.mailparserMs;
    const runs: Run[] = [];
    for (let r = 0; r < RUNS; r++) runs.push(await timedRun(r === 0 ? messages : buildMessages(N, RUN_SEEDS[r]!), `run ${r + 1}/${RUNS}, full intake`));
    const serverCpuMs = await backendCpuSince(ctx.sql, cpuAtStart);
    const redisCpu = (await redisCpuMs(ctx.redis)) - redisCpuAtStart;
    const cpu = await worker.stop();
    const cpuMs = (cpu.user + cpu.system) / 1000;
    const total = N * RUNS;
    const median = [...runs].sort(byRatio)[Math.floor(RUNS / 2)]!;
    const intakeStoreCpuMs = storeCpuMs;
    // What the timed runs produced (before the skeleton's runs add their messages).
    const kinds = await ctx.sql`select kind, count(*)::int as n from inbound_messages where id > ${before!.inbound} group by kind order by n desc`;
    // processed_at is the transaction's start: one value per batch.
    const [batches] = await ctx.sql`select count(distinct processed_at)::int as n from inbound_messages where id > ${before!.inbound}`;
    const failed = await ctx.sql`select count(*)::int as n from inbound_messages where status = 'failed' and id > ${before!.inbound}`;
    const people = await ctx.sql`select status, count(*)::int as n from people where id > ${before!.person} group by status order by status`;
    const answers = await ctx.sql`select count(*)::int as n from outbound_messages where id > ${before!.outbound}`;

    // The same runs through the skeleton (startSkeleton): what the issue's design costs at the
    // least on this machine, whatever the reading and applying do.
    const skeleton = await startWorkerProcess(config, { skeleton: true });
    for (const m of buildMessages(WARM_UP, 11)) await ingestRaw(ctx, m, { channel: 'test' });
    await allProcessed(ctx.sql);
    const skeletonRuns: Run[] = [];
    for (let r = 0; r < RUNS; r++) skeletonRuns.push(await timedRun(buildMessages(N, RUN_SEEDS[RUNS + r] ?? 37 + r), `run ${r + 1}/${RUNS}, skeleton`));
    await skeleton.stop();
    const skeletonMedian = [...skeletonRuns].sort(byRatio)[Math.floor(RUNS / 2)]!;
    const { mailparserMs, storedMs, pipelineMs } = median;
    const mailparserCpuMs = runs.reduce((sum, r) => sum + r.mailparserCpuMs, 0);

    const rate = (ms: number) => Math.round((N / ms) * 1000);
    process.stdout.write(
      [
        `median run (by ratio), ${N} messages:`,
        `mailparser alone (defaults):   ${mailparserMs.toFixed(0)} ms  (${rate(mailparserMs)} msg/s)`,
        `mailparser, parse.ts options:  ${mailparserLeanMs.toFixed(0)} ms  (${rate(mailparserLeanMs)} msg/s; first run's messages)`,
        `pure reading alone (readMessage): ${pureMs.toFixed(0)} ms  (${rate(pureMs)} msg/s; ${(pureMs / pairedMailparserMs).toFixed(2)}× mailparser, measured message by message with it)`,
        `store only (insert + enqueue): ${storedMs.toFixed(0)} ms  (${rate(storedMs)} msg/s)`,
        `full intake, one worker:       ${pipelineMs.toFixed(0)} ms  (${rate(pipelineMs)} msg/s)   target ≥ 300 msg/s`,
        `ratio to mailparser alone:     ${(pipelineMs / mailparserMs).toFixed(2)}× (defaults), ${(pipelineMs / mailparserLeanMs).toFixed(2)}× (parse.ts options)   target ≤ 3×`,
        `skeleton (store → one job per message → mailparser → mark processed, nothing else; median of ${RUNS}): ` +
          `${(skeletonMedian.pipelineMs / skeletonMedian.mailparserMs).toFixed(2)}× mailparser alone (${rate(skeletonMedian.pipelineMs)} msg/s); ` +
          `the full intake is ${(pipelineMs / mailparserMs / (skeletonMedian.pipelineMs / skeletonMedian.mailparserMs)).toFixed(2)}× the skeleton`,
        `over the ${RUNS} runs (${total} messages), CPU time per message: mailparser alone ${(mailparserCpuMs / total).toFixed(2)} ms; worker process ${(cpuMs / total).toFixed(2)} ms ` +
          `(user ${(cpu.user / 1000 / total).toFixed(2)}, system ${(cpu.system / 1000 / total).toFixed(2)}; ${(cpuMs / mailparserCpuMs).toFixed(2)}× mailparser); ` +
          `storing process ${(intakeStoreCpuMs / total).toFixed(2)} ms (polling included)`,
        `worker socket writes per message: PostgreSQL ${(cpu.writes.postgres / total).toFixed(2)}, Redis ${(cpu.writes.redis / total).toFixed(2)}` +
          (serverCpuMs === null ? '' : `; PostgreSQL CPU per message (its processes for this database): ${(serverCpuMs / total).toFixed(2)} ms`) +
          `; Redis server CPU per message: ${(redisCpu / total).toFixed(2)} ms (the whole server)`,
        `transactions: ${batches!.n} (${(total / batches!.n).toFixed(1)} messages each on average)`,
        `kinds: ${kinds.map((k) => `${k.kind} ${k.n}`).join(', ')}; failed ${failed[0]!.n}`,
        `people: ${people.map((p) => `${p.status} ${p.n}`).join(', ')}; answers written to the outbox: ${answers[0]!.n}`,
        `load average after: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`,
      ].join('\n') + '\n',
    );
    // One machine-readable line for bench/run.ts's summary table.
    process.stdout.write(`BENCH-SUMMARY ${JSON.stringify({
      bench: 'ingest', figure: `full intake, one worker, ${N} messages (median of ${RUNS} runs)`, value: rate(pipelineMs), unit: 'msg/s',
      baseline: 'mailparser alone (defaults), same messages', baselineValue: rate(mailparserMs),
      ratio: Number((pipelineMs / mailparserMs).toFixed(2)), ratioLabel: '× mailparser time',
      target: '≥ 300 msg/s, ≤ 3× mailparser time', met: rate(pipelineMs) >= 300 && pipelineMs / mailparserMs <= 3,
    })}\n`);
    const skeletonRatio = skeletonMedian.pipelineMs / skeletonMedian.mailparserMs;
    process.stdout.write(`BENCH-SUMMARY ${JSON.stringify({
      bench: 'ingest', figure: 'skeleton: store → one job per message → mailparser → mark processed (the design\'s least)', value: rate(skeletonMedian.pipelineMs), unit: 'msg/s',
      baseline: 'mailparser alone (defaults), same messages', baselineValue: rate(skeletonMedian.mailparserMs),
      ratio: Number(skeletonRatio.toFixed(2)), ratioLabel: '× mailparser time', target: 'reference', met: null,
    })}\n`);
  } finally {
    const keys = await ctx.redis.keys(`${config.queuePrefix}:*`);
    if (keys.length) await ctx.redis.del(...keys);
    await closeContext(ctx);
    await dropDatabase(config.databaseUrl);
  }
}

/** CPU time (ms) of each PostgreSQL process serving this database, from /proc (a local server only; null otherwise). */
async function backendCpuMs(sql: Sql): Promise<Map<number, number> | null> {
  const rows = await sql<{ pid: number }[]>`select pid from pg_stat_activity where datname = current_database()`;
  const ticks = 100; // USER_HZ on Linux
  const now = new Map<number, number>();
  try {
    for (const { pid } of rows) {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
      now.set(pid, ((Number(fields[11]) + Number(fields[12])) * 1000) / ticks);
    }
  } catch {
    return null;
  }
  return now;
}

/** CPU time the processes serving this database used since `before` (those started since: all of theirs). */
async function backendCpuSince(sql: Sql, before: Map<number, number> | null): Promise<number | null> {
  const now = await backendCpuMs(sql);
  if (!now || !before) return null;
  let total = 0;
  for (const [pid, ms] of now) total += ms - (before.get(pid) ?? 0);
  return total;
}

/** Waits until no stored message is left unprocessed. */
async function allProcessed(sql: Sql): Promise<void> {
  for (;;) {
    // exists, not count(*): the poll stops at the first stored message instead of visiting them all.
    const [left] = await sql`select exists (select 1 from inbound_messages where status = 'stored') as any`;
    if (!left!.any) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** CPU time (ms) the Redis server has used (INFO cpu): the whole server, so meaningful on a quiet one. */
async function redisCpuMs(redis: { info(section: string): Promise<string> }): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return (field('used_cpu_sys') + field('used_cpu_user')) * 1000;
}

/** What the worker process reports when it stops. */
interface WorkerReport extends NodeJS.CpuUsage {
  /** Socket writes (each one a system call and a wake-up on the other side) to PostgreSQL and Redis. */
  writes: { postgres: number; redis: number };
}

/** One `maillage worker` for the inbound queue, in its own process; stop() returns its CPU time. */
async function startWorkerProcess(config: Config, options: { skeleton?: boolean } = {}): Promise<{ reset(): Promise<void>; stop(): Promise<WorkerReport> }> {
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  const mode = options.skeleton ? ['--worker', '--skeleton'] : ['--worker'];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', fileURLToPath(import.meta.url), ...mode], {
    env: { ...process.env, BENCH_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  let waiting: ((line: string) => void) | null = null;
  let buffer = '';
  child.stdout.on('data', (d: Buffer) => {
    buffer += d.toString();
    for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      if (waiting) {
        const w = waiting;
        waiting = null;
        w(line);
      } else lines.push(line);
    }
  });
  const nextLine = () => new Promise<string>((resolve) => (lines.length ? resolve(lines.shift()!) : (waiting = resolve)));
  if ((await nextLine()) !== 'ready') throw new Error('worker process did not start');
  return {
    async reset() {
      child.kill('SIGUSR2');
      if ((await nextLine()) !== 'reset') throw new Error('worker process did not reset its counters');
    },
    async stop() {
      child.kill('SIGTERM');
      return JSON.parse(await nextLine()) as WorkerReport;
    },
  };
}

async function workerProcess(): Promise<void> {
  const config = JSON.parse(process.env.BENCH_CONFIG!) as Config;
  const ctx = await createContext(config, createLogger('silent'), { migrate: false });
  loadGazetteer();
  // Round trips are what the intake's I/O costs: count the writes to each server.
  const writes = { postgres: 0, redis: 0 };
  const pgPort = Number(new URL(config.databaseUrl).port || 5432);
  const write = Socket.prototype.write;
  Socket.prototype.write = function (this: Socket, ...args: unknown[]) {
    if (this.remotePort === pgPort) writes.postgres++;
    else writes.redis++;
    return (write as (...a: unknown[]) => boolean).apply(this, args);
  } as typeof write;
  const workers = process.argv.includes('--skeleton') ? startSkeleton(ctx) : startWorkers(ctx, { queues: [QUEUES.inbound] });
  let cpu0 = process.cpuUsage();
  let writes0 = { ...writes };
  // The timed run starts after the warm-up: counting starts again from here.
  process.on('SIGUSR2', () => {
    cpu0 = process.cpuUsage();
    writes0 = { ...writes };
    process.stdout.write('reset\n');
  });
  process.stdout.write('ready\n');
  process.once('SIGTERM', () => {
    const cpu = process.cpuUsage(cpu0);
    const report: WorkerReport = { ...cpu, writes: { postgres: writes.postgres - writes0.postgres, redis: writes.redis - writes0.redis } };
    void workers.close().then(async () => {
      process.stdout.write(`${JSON.stringify(report)}\n`);
      await closeContext(ctx);
      process.exit(0);
    });
  });
}

/**
 * The least any intake built as the issue asks can do, with the same I/O pattern as ours: one
 * BullMQ job per stored message, the jobs gathered into batches of 32 (two in flight), each
 * batch read from PostgreSQL, every message parsed by mailparser, the batch marked processed.
 * No trimming, classifying, extracting, nothing written but the status, no answer.
 */
function startSkeleton(ctx: Awaited<ReturnType<typeof createContext>>): { close(): Promise<void> } {
  const batcher = createBatcher<true>(async (ids) => {
    const rows = await ctx.sql`select id, raw from inbound_messages where id = any(${ctx.sql.array(ids)}::bigint[]) and status = 'stored'`;
    for (const row of rows) await simpleParser(row.raw as Buffer);
    await ctx.sql`update inbound_messages set status = 'processed', processed_at = now() where id = any(${ctx.sql.array(ids)}::bigint[])`;
    return ids.map(() => ({ ok: true as const, outcome: true as const }));
  }, { maxBatch: 32, maxInFlight: 2 });
  const worker = new Worker(QUEUES.inbound, async (job) => batcher.submit((job.data as { inboundId: number }).inboundId), {
    connection: createRedis(ctx.config.redisUrl, 'worker'),
    prefix: ctx.config.queuePrefix,
    concurrency: 96,
  });
  return { close: () => worker.close() };
}

if (process.argv.includes('--worker')) {
  await workerProcess();
} else {
  await main();
  process.exit(0);
}
