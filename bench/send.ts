/**
 * Sending throughput for the issue note, against a real SMTP server (smtp-server) running in
 * its own process, as a provider's relay would:
 *   1. the bare pooled nodemailer transport (the ceiling);
 *   2. the whole pipeline: outbox rows → BullMQ send-email jobs → pooled SMTP → sink, with
 *      the check that every message arrived exactly once (X-Maillage-Id on the wire);
 *   3. the same pipeline with SEND_RATE_PER_SECOND set: the limiter must hold the rate.
 * Needs PostgreSQL and Redis (a throw-away database and queue prefix, dropped at the end).
 * The send workers run in --processes worker processes (default 1), as `maillage worker` started
 * several times would: they share the queue, and the limiter holds across all of them.
 * Run: npx tsx bench/send.ts [--count 3000] [--rate 100] [--rate-count 400] [--connections 8] [--processes 2]
 */
import { fork, type ChildProcess } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { loadConfig } from '../src/config.js';
import { closeContext, createContext } from '../src/context.js';
import { createLogger } from '../src/log.js';
import { enqueueSends, writeEmail } from '../src/mail/outbox.js';
import { QUEUES } from '../src/queue/names.js';
import { startWorkers } from '../src/worker.js';
import { createTestContext } from '../test/helpers/context.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

// ---- a send worker process ------------------------------------------------------------------
if (process.argv.includes('--worker')) {
  const config = loadConfig({ ...process.env });
  const ctx = await createContext(config, createLogger('silent'), { migrate: false });
  const workers = startWorkers(ctx, { queues: [QUEUES.mail] });
  const cpu0 = process.cpuUsage();
  process.send!({ ready: true });
  process.on('message', async (m: { stop?: boolean }) => {
    if (!m.stop) return;
    const cpu = process.cpuUsage(cpu0);
    await workers.close();
    await closeContext(ctx);
    process.send!({ cpuMs: (cpu.user + cpu.system) / 1000 }, () => process.exit(0));
  });
}

// ---- the sink, in a child process ------------------------------------------------------------
// Reports [X-Maillage-Id or "bare", receivedAt] pairs to the parent every 20 ms.
if (process.argv.includes('--sink')) {
  let pending: [string, number][] = [];
  const server = new SMTPServer({
    authOptional: true, disabledCommands: ['AUTH', 'STARTTLS'], logger: false, disableReverseLookup: true, maxClients: 500,
    onData(stream, _session, callback) {
      let head = '';
      stream.on('data', (c: Buffer) => { if (head.length < 4096) head += c.toString('latin1'); });
      stream.on('end', () => {
        pending.push([/^X-Maillage-Id: (\d+)/im.exec(head)?.[1] ?? 'bare', Date.now()]);
        callback();
      });
    },
  });
  server.listen(0, '127.0.0.1', () => process.send!({ port: (server.server.address() as { port: number }).port }));
  setInterval(() => {
    if (pending.length > 0) {
      const cpu = process.cpuUsage();
      process.send!({ received: pending, cpuMs: (cpu.user + cpu.system) / 1000 });
      pending = [];
    }
  }, 20);
  process.on('disconnect', () => process.exit(0));
} else if (!process.argv.includes('--worker')) {
  await main();
}

interface Sink { url: string; received: [string, number][]; child: ChildProcess; /** the sink process's CPU so far */ cpuMs: number }

async function startSink(): Promise<Sink> {
  const child = fork(fileURLToPath(import.meta.url), ['--sink'], { execArgv: ['--import', 'tsx'] });
  const sink = { received: [] as [string, number][], child, cpuMs: 0 };
  const port = await new Promise<number>((resolve) => {
    child.on('message', (m: { port?: number; received?: [string, number][]; cpuMs?: number }) => {
      if (m.port) resolve(m.port);
      if (m.received) sink.received.push(...m.received);
      if (m.cpuMs) sink.cpuMs = m.cpuMs;
    });
  });
  return Object.assign(sink, { url: `smtp://127.0.0.1:${port}` });
}

async function waitForCount(sink: Sink, n: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (sink.received.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
}

async function bareTransport(sink: Sink, n: number, connections: number): Promise<{ ms: number; cpuMsPerMessage: number; sinkMsPerMessage: number }> {
  const transport = nodemailer.createTransport(`${sink.url}?pool=true&maxConnections=${connections}`);
  const before = sink.received.length;
  const sinkCpu0 = sink.cpuMs;
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  await Promise.all(Array.from({ length: n }, (_, i) => transport.sendMail({
    from: 'maillage <bonjour@maillage.test>', to: `bare${i}@example.org`, subject: `Message ${i}`,
    text: 'Bonjour, voici une proposition de rencontre. '.repeat(40), html: '<p>Bonjour, voici une proposition de rencontre.</p>'.repeat(40),
  })));
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpu0);
  transport.close();
  await waitForCount(sink, before + n, 5_000);
  if (sink.received.length - before !== n) throw new Error(`bare transport: ${sink.received.length - before} received, ${n} sent`);
  await new Promise((r) => setTimeout(r, 50)); // the sink's last CPU report
  return { ms, cpuMsPerMessage: (cpu.user + cpu.system) / 1000 / n, sinkMsPerMessage: (sink.cpuMs - sinkCpu0) / n };
}

/** Starts the send workers: in this process, or in `processes` child processes. */
async function startSendWorkers(ctx: Awaited<ReturnType<typeof createTestContext>>, processes: number): Promise<{ stop(): Promise<number> }> {
  if (processes <= 0) {
    const workers = startWorkers(ctx, { queues: [QUEUES.mail] });
    const cpu0 = process.cpuUsage();
    return {
      async stop() {
        const cpu = process.cpuUsage(cpu0);
        await workers.close();
        return (cpu.user + cpu.system) / 1000;
      },
    };
  }
  const c = ctx.config;
  const env = {
    ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: c.databaseUrl, REDIS_URL: c.redisUrl, QUEUE_PREFIX: c.queuePrefix,
    SMTP_URL: c.smtpUrl ?? '', SEND_RATE_PER_SECOND: String(c.sendRatePerSecond), SECRET: c.secret, MAIL_FROM: c.mailFrom, PUBLIC_URL: c.publicUrl,
  };
  const children = Array.from({ length: processes }, () => fork(fileURLToPath(import.meta.url), ['--worker'], { env, execArgv: ['--import', 'tsx'] }));
  await Promise.all(children.map((child) => new Promise<void>((resolve) => child.once('message', () => resolve()))));
  return {
    async stop() {
      const cpu = await Promise.all(children.map((child) => new Promise<number>((resolve) => {
        child.once('message', (m: { cpuMs: number }) => resolve(m.cpuMs));
        child.send({ stop: true });
      })));
      return cpu.reduce((a, b) => a + b, 0);
    },
  };
}

/**
 * CPU time (ms) of the PostgreSQL backends serving this database, by pid, from /proc (Linux;
 * empty elsewhere, or when PostgreSQL runs on another machine).
 */
async function backendCpuMs(ctx: Awaited<ReturnType<typeof createTestContext>>): Promise<Map<number, number>> {
  const rows = await ctx.sql<{ pid: number }[]>`select pid from pg_stat_activity where datname = current_database()`;
  const out = new Map<number, number>();
  for (const { pid } of rows) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
    if (!stat) continue;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime + stime, in USER_HZ ticks (100 per second on Linux)
    out.set(pid, (Number(fields[11]) + Number(fields[12])) * 10);
  }
  return out;
}

async function pipeline(sink: Sink, n: number, rate: number, connections: number, processes: number) {
  const ctx = await createTestContext({ SMTP_URL: `${sink.url}?maxConnections=${connections}`, SEND_RATE_PER_SECOND: String(rate) });
  try {
    // Written first (not timed), as a round's fan-out leaves the outbox.
    const ids: number[] = [];
    for (let start = 0; start < n; start += 50) {
      const batch = await Promise.all(Array.from({ length: Math.min(50, n - start) }, (_, k) => writeEmail(ctx.sql, ctx, {
        key: `bench:${start + k}`, personId: null, to: `person${start + k}@example.org`, template: 'welcome', vars: { name: `Personne ${start + k}` },
      })));
      ids.push(...batch.map((b) => b.id));
    }
    const first = sink.received.length;
    const sinkCpu0 = sink.cpuMs;
    const pg0 = await backendCpuMs(ctx);
    const workers = await startSendWorkers(ctx, processes);
    const started = Date.now();
    // The production job options (src/mail/outbox.ts), in one round trip as a round's fan-out does.
    for (let start = 0; start < ids.length; start += 500) await enqueueSends(ctx, ids.slice(start, start + 500));
    await waitForCount(sink, first + n, Math.max(60_000, (n / Math.max(rate, 1)) * 3_000));
    // Let stragglers (duplicates, if any) arrive before counting.
    await new Promise((r) => setTimeout(r, 500));
    const pg1 = await backendCpuMs(ctx);
    let pgMs = 0;
    for (const [pid, ms] of pg1) pgMs += ms - (pg0.get(pid) ?? 0);
    const cpuMs = await workers.stop();
    const received = sink.received.slice(first);
    const lastAt = Math.max(...received.map(([, at]) => at));
    const seen = new Map<string, number>();
    for (const [id] of received) seen.set(id, (seen.get(id) ?? 0) + 1);
    const duplicates = [...seen.values()].filter((c) => c > 1).length;
    const missing = ids.filter((id) => !seen.has(String(id))).length;
    const statuses = await ctx.sql`select status, count(*)::int as n from outbound_messages group by status`;
    const perSecond: number[] = [];
    for (const [, at] of received) {
      const s = Math.floor((at - started) / 1000);
      perSecond[s] = (perSecond[s] ?? 0) + 1;
    }
    return { ms: lastAt - started, cpuMsPerMessage: cpuMs / n, pgMsPerMessage: pgMs / n, sinkMsPerMessage: (sink.cpuMs - sinkCpu0) / n, received: received.length, duplicates, missing, statuses, perSecond: Array.from(perSecond, (v) => v ?? 0) };
  } finally {
    await ctx.dispose();
  }
}

async function main(): Promise<void> {
  const COUNT = arg('count', 3000);
  const RATE = arg('rate', 100);
  const RATE_COUNT = arg('rate-count', 400);
  const CONNECTIONS = arg('connections', 8);
  const PROCESSES = arg('processes', 0);
  const sink = await startSink();
  try {
    console.log(`load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} CPUs`);
    console.log(`node ${process.version}, ${COUNT} messages, smtp-server sink in a child process on ${sink.url}, ${CONNECTIONS} pooled connections, send workers ${PROCESSES > 0 ? `in ${PROCESSES} processes` : 'in this process'}`);
    await bareTransport(sink, 300, CONNECTIONS); // warm-up
    const bare = await bareTransport(sink, COUNT, CONNECTIONS);
    console.log(`1. bare pooled nodemailer transport: ${COUNT} in ${bare.ms.toFixed(0)} ms = ${Math.round((COUNT * 1000) / bare.ms)} msg/s (CPU per message: sender ${bare.cpuMsPerMessage.toFixed(2)} ms, sink ${bare.sinkMsPerMessage.toFixed(2)} ms)`);

    const full = await pipeline(sink, COUNT, 0, CONNECTIONS, PROCESSES);
    const fullRate = Math.round((COUNT * 1000) / full.ms);
    console.log(`2. outbox → BullMQ send-email → SMTP: ${full.received} received in ${full.ms} ms = ${fullRate} msg/s (CPU per message: send workers ${full.cpuMsPerMessage.toFixed(2)} ms, PostgreSQL ${full.pgMsPerMessage.toFixed(2)} ms, sink ${full.sinkMsPerMessage.toFixed(2)} ms; Redis not counted, its server is shared); duplicates ${full.duplicates}, missing ${full.missing}; outbox ${JSON.stringify(full.statuses)}`);

    const limited = await pipeline(sink, RATE_COUNT, RATE, CONNECTIONS, PROCESSES);
    // n messages at R per second fill n/R windows of one second; the last one starts after
    // (n/R - 1) s. Faster than that floor would break the limit. Per-second counts are shown too
    // (BullMQ's windows start with their first job, so they may straddle our second boundaries).
    const floorMs = (RATE_COUNT / RATE - 1) * 1000;
    const limitedRate = ((RATE_COUNT - RATE) * 1000) / limited.ms;
    console.log(`3. same with SEND_RATE_PER_SECOND=${RATE}: ${limited.received} in ${limited.ms} ms (at least ${floorMs.toFixed(0)} ms at ${RATE}/s; ${Math.round(limitedRate)} msg/s after the first window); received per second ${JSON.stringify(limited.perSecond)}; duplicates ${limited.duplicates}, missing ${limited.missing}`);
    const ok = full.duplicates === 0 && full.missing === 0 && limited.duplicates === 0 && limited.missing === 0 && fullRate >= 500 && limited.ms >= floorMs;
    console.log(ok ? 'OK: ≥ 500 msg/s, every message exactly once, limiter honoured' : 'NOT OK: see the figures above');
    // One machine-readable line for bench/run.ts's summary table.
    const bareRate = Math.round((COUNT * 1000) / bare.ms);
    console.log(`BENCH-SUMMARY ${JSON.stringify({
      bench: 'send', figure: `outbox → BullMQ → pooled SMTP, ${COUNT} messages`, value: fullRate, unit: 'msg/s',
      baseline: 'bare pooled nodemailer transport', baselineValue: bareRate,
      ratio: Number((fullRate / bareRate).toFixed(2)), ratioLabel: '× bare nodemailer',
      target: '≥ 500 msg/s, exactly once, limiter held', met: ok,
    })}`);
    process.exitCode = ok ? 0 : 1;
  } finally {
    sink.child.disconnect();
    sink.child.kill();
  }
}
