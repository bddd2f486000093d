// Load on the one-click answer pages: 1,000 requests/s for 30 s on GET /reponse (the page that
// shows the choice), then 30 s on POST /reponse (the confirm), from autocannon in a second process
// against the real web service over PostgreSQL and Redis. No error, no page slowed to a crawl, memory flat
// (RSS and heap after a full GC back near where they started), and the POSTs, repeated many
// times over every link, recorded each answer exactly once. LOAD_SECONDS shortens it (e.g. 5).
// The same measurement, with the health check as a baseline, is `npx tsx bench/web.ts`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService } from '../helpers/context.js';
import { answerState, FIRST_ANSWER_SHARE, loadPhase, requestsFor, seedAnswerableIntroductions, spread, type AnswerLinks, type LoadRequest, type PhaseResult } from '../helpers/load.js';

const SECONDS = Number(process.env.LOAD_SECONDS ?? 30);
const RATE = 1000;
const PAIRS = 2000;

type Service = Awaited<ReturnType<typeof startTestService>>;
let service: Service;
let links: AnswerLinks;
let url: string;

beforeAll(async () => {
  service = await startTestService({}, { web: true, workers: false, schedules: false });
  url = `http://127.0.0.1:${(service.server!.address() as { port: number }).port}`;
  links = await seedAnswerableIntroductions(service.ctx.sql, service.ctx.config, PAIRS);
  // A running service is warm: JIT, connection pool, and memory at its working size (V8 and the
  // allocator keep freed pages a while, so RSS only says something once it reached that size).
  // Warmed on both pages at full rate, with introductions of its own.
  const warm = await seedAnswerableIntroductions(service.ctx.sql, service.ctx.config, 1500, 'warm');
  await loadPhase('warm-up', job(spread([...requestsFor.get(warm), ...requestsFor.post(warm, RATE * 5)]), 5));
});

afterAll(async () => {
  await service?.dispose();
});

function job(requests: LoadRequest[], seconds = SECONDS, rate = RATE) {
  return { url, rate, seconds, connections: 40, instances: 40, requests };
}

function describePhase(p: PhaseResult): string {
  const l = p.load;
  return `${p.name}: ${l.requests} requests, ${Math.round(l.achievedRate)}/s, p50 ${l.latencyMs.p50.toFixed(1)} ms, p99 ${l.latencyMs.p99.toFixed(1)} ms, max ${l.latencyMs.max.toFixed(0)} ms, ` +
    `errors ${l.errors}, non-2xx ${l.non2xx}; RSS ${p.before.rssMb.toFixed(0)} → ${p.peak.rssMb.toFixed(0)} → ${p.after.rssMb.toFixed(0)} MB, ` +
    `heap ${p.before.heapMb.toFixed(0)} → ${p.peak.heapMb.toFixed(0)} → ${p.after.heapMb.toFixed(0)} MB`;
}

/**
 * The 50 ms p99 target is a benchmark figure (`bench/web.ts` prints it beside the health check's
 * p99 and says whether it is met; on a quiet machine here: GET 16 ms, POST 42 ms). A test on a
 * shared machine cannot hold a timing that tight without failing for reasons that are not ours,
 * so here the latency bound is 5× the target: it still catches what breaks a page under load
 * (a lock wait, a blocked event loop, a connection pool too small), and the figure is printed.
 */
const P99_GUARD_MS = 250;

function expectHealthy(p: PhaseResult): void {
  expect(p.load.errors).toBe(0);
  expect(p.load.timeouts).toBe(0);
  expect(p.load.statuses).toEqual({ 200: p.load.requests });
  expect(p.load.achievedRate).toBeGreaterThanOrEqual(RATE * 0.85);
  expect(p.load.latencyMs.p99).toBeLessThan(P99_GUARD_MS);
}

describe(`answer pages at ${RATE} requests/s for ${SECONDS} s each`, { timeout: 120_000 + SECONDS * 4_000 }, () => {
  let first: PhaseResult;

  it('serves GET /reponse without an error and changes nothing', async () => {
    first = await loadPhase('GET /reponse', job(requestsFor.get(links)));
    console.log(describePhase(first));
    expectHealthy(first);
    const state = await answerState(service.ctx.sql, links.introductionIds);
    expect(state.answerEvents).toBe(0);
    expect(state.statuses).toEqual({ proposed: PAIRS });
  });

  it('serves POST /reponse without an error, recording each answer once however often it is posted', async () => {
    const posted = await loadPhase('POST /reponse', job(requestsFor.post(links, RATE * SECONDS)));
    console.log(describePhase(posted));
    expectHealthy(posted);
    const state = await answerState(service.ctx.sql, links.introductionIds);
    console.log(`after ${posted.load.requests} POSTs over ${links.acceptTokens.length} links: ${JSON.stringify(state)}`);
    // 30,000 POSTs over 4,000 links at full length, each first answer spread over the run then
    // posted again about 6 times: recorded once each (nearly all links were reached; the last
    // few of the sequence may fall after the end of the run).
    const used = Math.ceil(RATE * SECONDS * FIRST_ANSWER_SHARE);
    expect(state.answerEvents).toBe(state.distinctAnswers);
    expect(state.answerEvents).toBeLessThanOrEqual(used);
    expect(state.answerEvents).toBeGreaterThan(used * 0.9);
    // Both sides said yes: one meeting email per introduction, never two.
    expect(state.meetingEmails).toBe(state.statuses.accepted ?? 0);
    expect(state.distinctMeetings).toBe(state.meetingEmails);

    // Memory flat over both phases: what stays alive after a full GC grew by less than 50 MB.
    const rssGrowth = posted.after.rssMb - first.before.rssMb;
    const heapGrowth = posted.after.heapMb - first.before.heapMb;
    console.log(`memory growth over ${2 * SECONDS} s of load (after GC): RSS ${rssGrowth.toFixed(1)} MB, heap ${heapGrowth.toFixed(1)} MB`);
    expect(rssGrowth).toBeLessThan(50);
    expect(heapGrowth).toBeLessThan(20);
  });
});
