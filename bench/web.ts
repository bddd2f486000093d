// Load on the one-click answer pages: the real web service (express, PostgreSQL, Redis) over a
// fresh database holding introductions that await both answers, and autocannon in a second
// process sending 1,000 requests/s for 30 s to
//   - GET /reponse?t=…  (the page that shows the choice: token check + three reads),
//   - POST /reponse     (the confirm: one transaction locking the introduction; the first "oui"
//                        of a side records it, the second side's writes the meeting email, every
//                        later one finds it already answered and changes nothing),
// against the baseline measured in the same run: GET /healthz on the same server at the same rate.
// The server's RSS and heap are read before (after a full GC), during (peak) and after (after GC).
//
//   node --expose-gc --import tsx bench/web.ts [seconds=30] [--rate 1000] [--pairs 2000]
//                                              [--connections 40] [--instances 40]
//
// Target (issue 7): p99 under 50 ms, no errors, memory flat.
import { cpus, loadavg } from 'node:os';
import { startTestService } from '../test/helpers/context.js';
import { answerState, FIRST_ANSWER_SHARE, loadPhase, requestsFor, seedAnswerableIntroductions, spread, type PhaseResult } from '../test/helpers/load.js';
import { fmt, table } from './format.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const SECONDS = Number(process.argv.slice(2).find((a, i, all) => /^\d+$/.test(a) && !all[i - 1]?.startsWith('--')) ?? 30);
const RATE = arg('rate', 1000);
const PAIRS = arg('pairs', 2000);
const CONNECTIONS = arg('connections', 40);
const INSTANCES = arg('instances', 40);



async function main(): Promise<void> {
  const service = await startTestService({}, { web: true, workers: false, schedules: false });
  try {
    const port = (service.server!.address() as { port: number }).port;
    const url = `http://127.0.0.1:${port}`;
    const links = await seedAnswerableIntroductions(service.ctx.sql, service.ctx.config, PAIRS);
    console.log(
      `web bench: ${fmt(RATE)} requests/s for ${SECONDS} s per page, ${CONNECTIONS} connections in ${INSTANCES} staggered autocannon runs in a second process; ` +
        `${fmt(PAIRS)} introductions awaiting answers (${fmt(links.acceptPaths.length)} signed links); ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`,
    );
    const job = (requests: ReturnType<typeof requestsFor.health>, seconds = SECONDS, rate = RATE) => ({
      url, rate, seconds, connections: CONNECTIONS, instances: INSTANCES, requests,
    });
    // Warm-up, not reported: JIT, connection pool, and memory at its working size (V8 and the
    // allocator keep freed pages a while, so RSS only compares once it reached that size). Both
    // pages at full rate, on introductions of its own.
    const warm = await seedAnswerableIntroductions(service.ctx.sql, service.ctx.config, 1500, 'warm');
    await loadPhase('warm-up', job(spread([...requestsFor.health(), ...requestsFor.get(warm), ...requestsFor.post(warm, RATE * 5)]), Math.min(5, SECONDS)));

    const phases: PhaseResult[] = [];
    phases.push(await loadPhase('GET /healthz (baseline)', job(requestsFor.health())));
    phases.push(await loadPhase('GET /reponse (the choice)', job(requestsFor.get(links))));
    phases.push(await loadPhase('POST /reponse (the confirm)', job(requestsFor.post(links, RATE * SECONDS))));
    // The write path alone: every POST a first answer (a transaction, a commit waiting for the
    // WAL flush, the meeting email for the second side), on introductions not used above.
    const firstSeconds = Math.min(5, SECONDS);
    const fresh = await seedAnswerableIntroductions(service.ctx.sql, service.ctx.config, Math.ceil((RATE * firstSeconds) / 2) + 100, 'fresh');
    const writes = await loadPhase('POST /reponse, first answers only', job(requestsFor.firstAnswers(fresh), firstSeconds));

    // Many POSTs hit each link: the first records, the others must change nothing (checked on
    // every introduction of the run; the figures shown are the POST phase's).
    const state = await answerState(service.ctx.sql, links.introductionIds);
    const everything = await answerState(service.ctx.sql);
    const postPhase = phases[2]!;

    console.log('\nThe one-click answer pages under load, against the health check of the same server\n');
    console.log(
      table(
        ['page', 'requests', 'achieved /s', 'p50', 'p90', 'p99', 'max', 'errors', 'non-2xx', 'server CPU / req', 'client CPU / req', 'RSS before → peak → after', 'heap before → peak → after'],
        [...phases, writes].map((p) => [
          p.name,
          fmt(p.load.requests),
          fmt(p.load.achievedRate),
          `${fmt(p.load.latencyMs.p50, 1)} ms`,
          `${fmt(p.load.latencyMs.p90, 1)} ms`,
          `${fmt(p.load.latencyMs.p99, 1)} ms`,
          `${fmt(p.load.latencyMs.max, 0)} ms`,
          fmt(p.load.errors),
          fmt(p.load.non2xx),
          `${fmt((p.serverCpuMs / Math.max(1, p.load.requests)) * 1000)} µs`,
          `${fmt((p.load.clientCpuMs / Math.max(1, p.load.requests)) * 1000)} µs`,
          `${fmt(p.before.rssMb)} → ${fmt(p.peak.rssMb)} → ${fmt(p.after.rssMb)} MB`,
          `${fmt(p.before.heapMb)} → ${fmt(p.peak.heapMb)} → ${fmt(p.after.heapMb)} MB`,
        ]),
      ),
    );
    const health = phases[0]!;
    const pages = phases.slice(1);
    const worst = pages.reduce((w, p) => (p.load.latencyMs.p99 > w.load.latencyMs.p99 ? p : w));
    const errors = pages.reduce((s, p) => s + p.load.errors + p.load.non2xx, 0);
    const rssGrowth = pages[pages.length - 1]!.after.rssMb - pages[0]!.before.rssMb;
    const heapGrowth = pages[pages.length - 1]!.after.heapMb - pages[0]!.before.heapMb;
    const fullRate = pages.every((p) => p.load.achievedRate >= RATE * 0.95);
    console.log(
      `\nrepeated POSTs: ${fmt(postPhase.load.requests)} POSTs over ${fmt(Math.min(links.acceptTokens.length, Math.ceil(RATE * SECONDS * FIRST_ANSWER_SHARE)))} links → ${fmt(state.answerEvents)} answers recorded ` +
        `(${fmt(state.distinctAnswers)} distinct person × introduction); introductions ${Object.entries(state.statuses).map(([s, n]) => `${s} ${fmt(n)}`).join(', ')}; ` +
        `${fmt(state.meetingEmails)} meeting emails (for ${fmt(state.distinctMeetings)} introductions)`,
    );
    for (const p of pages) {
      console.log(`${p.name}: p99 ${fmt(p.load.latencyMs.p99, 1)} ms = ${fmt(p.load.latencyMs.p99 / health.load.latencyMs.p99, 1)}× the health check's ${fmt(health.load.latencyMs.p99, 1)} ms; p50 ${fmt(p.load.latencyMs.p50 / health.load.latencyMs.p50, 1)}×`);
    }
    console.log(`${writes.name} (the write ceiling, for information): ${fmt(writes.load.achievedRate)} answers/s achieved, p50 ${fmt(writes.load.latencyMs.p50, 1)} ms, p99 ${fmt(writes.load.latencyMs.p99, 1)} ms`);
    console.log(`memory from before GET to after POST (after GC): RSS ${rssGrowth >= 0 ? '+' : ''}${fmt(rssGrowth, 1)} MB, heap ${heapGrowth >= 0 ? '+' : ''}${fmt(heapGrowth, 1)} MB`);
    const idempotent = everything.answerEvents === everything.distinctAnswers && everything.meetingEmails === everything.distinctMeetings && everything.meetingEmails === (everything.statuses.accepted ?? 0);
    const flat = rssGrowth < 50 && heapGrowth < 20;
    const met = worst.load.latencyMs.p99 < 50 && errors === 0 && fullRate && flat && idempotent;
    console.log(
      `target: p99 < 50 ms (worst page ${fmt(worst.load.latencyMs.p99, 1)} ms), no errors (${errors}), ${fmt(RATE)} req/s held (${fullRate ? 'yes' : 'no'}), ` +
        `memory flat (RSS ${fmt(rssGrowth, 1)} MB < 50, heap ${fmt(heapGrowth, 1)} MB < 20: ${flat ? 'yes' : 'no'}), ` +
        `repeated POSTs change nothing (${idempotent ? 'yes' : 'no'}): ${met ? 'met' : 'NOT met'}`,
    );
    console.log(`BENCH-SUMMARY ${JSON.stringify({
      bench: 'web',
      figure: `answer pages p99 at ${fmt(RATE)} req/s (worst of GET/POST)`,
      value: round(worst.load.latencyMs.p99), unit: 'ms',
      baseline: 'GET /healthz p99, same server and rate', baselineValue: round(health.load.latencyMs.p99),
      ratio: round(worst.load.latencyMs.p99 / health.load.latencyMs.p99), ratioLabel: '× /healthz p99',
      target: 'p99 < 50 ms, no errors, memory flat', met,
    })}`);
    process.exitCode = met ? 0 : 1;
  } finally {
    await service.dispose();
  }
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}

await main();
