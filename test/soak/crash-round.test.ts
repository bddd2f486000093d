// A weekly round interrupted by crashes: the `maillage worker` process running it is killed
// with SIGKILL while it plans (nothing committed yet), then again while the proposal emails are
// being written (round committed, send-proposal jobs half done). After each restart the work
// resumes or reruns on its own, and nobody is proposed twice: unique pairs, at most one
// introduction per person (ROUND_MAX_PER_PERSON = 1), one proposal email per person and
// introduction.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillProfiles } from '../../bench/round-fill.js';
import { generateProfiles } from '../../bench/synthetic.js';
import { JOBS } from '../../src/queue/names.js';
import { createTestContext, waitFor } from '../helpers/context.js';
import { sleep, startMaillage, type MaillageProcess } from './processes.js';

/** Enough people for the planning to take a few seconds on this machine. */
const PEOPLE = 6000;

type Ctx = Awaited<ReturnType<typeof createTestContext>>;
let ctx: Ctx;
const workers: MaillageProcess[] = [];

beforeAll(async () => {
  ctx = await createTestContext();
});

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await ctx?.dispose();
});

function workerEnv(): Record<string, string> {
  const c = ctx.config;
  return { DATABASE_URL: c.databaseUrl, REDIS_URL: c.redisUrl, QUEUE_PREFIX: c.queuePrefix, SECRET: c.secret, MAIL_FROM: c.mailFrom };
}

async function proposalsWritten(): Promise<number> {
  const [row] = await ctx.sql`select count(*)::int as n from outbound_messages where template = 'proposal'`;
  return row!.n as number;
}

describe('kill -9 of the worker during the weekly round', { timeout: 480_000 }, () => {
  it('reruns an interrupted round and finishes its proposals, without proposing anyone twice', async () => {
    await fillProfiles(ctx.sql, generateProfiles(PEOPLE, { seed: 2026 }));
    workers.push(await startMaillage('worker', workerEnv()));

    // As `maillage match` queues it.
    const enqueued = Date.now();
    await ctx.queues.round.add(JOBS.weeklyRound, { trigger: 'manual' }, { jobId: 'soak-round', removeOnComplete: { age: 3600 }, removeOnFail: { age: 3600 } });
    const first = await waitFor(async () => (await ctx.sql`select id from rounds where status = 'running'`)[0], 60_000, 'the round to start');

    // 1. Killed while loading and planning (seconds at this size): nothing is written yet.
    await sleep(300);
    await workers.at(-1)!.kill9();
    const [atKill] = await ctx.sql`
      select (select status from rounds where id = ${first.id}) as status, (select count(*)::int from introductions) as introductions`;
    expect(atKill).toEqual({ status: 'running', introductions: 0 });
    workers.push(await startMaillage('worker', workerEnv()));

    // The job comes back once its lock expires, closes the orphaned round and runs a new one.
    const done = await waitFor(async () => (await ctx.sql`select * from rounds where status = 'done'`)[0], 240_000, 'a round to complete');
    const roundSeconds = (new Date(done.finished_at).getTime() - new Date(done.started_at).getTime()) / 1000;
    const introductions = done.report.introductions as number;
    expect(introductions).toBeGreaterThan(500);

    // 2. Killed again while the proposal emails are being written.
    const written = await waitFor(async () => {
      const n = await proposalsWritten();
      return n >= 200 ? n : undefined;
    }, 120_000, 'proposal emails being written');
    await workers.at(-1)!.kill9();
    const writtenAtKill = await proposalsWritten();
    expect(writtenAtKill).toBeLessThan(2 * introductions);
    workers.push(await startMaillage('worker', workerEnv()));

    await waitFor(async () => (await proposalsWritten()) >= 2 * introductions, 300_000, 'every proposal email written');
    await waitFor(async () => {
      const [row] = await ctx.sql`select count(*)::int as n from outbound_messages where status in ('queued', 'sending')`;
      return row!.n === 0;
    }, 180_000, 'every proposal email handled by the send job');
    console.log(
      `round soak: ${PEOPLE} people; killed while planning round ${first.id}, rerun as round ${done.id} (${roundSeconds.toFixed(1)} s, ` +
        `${introductions} introductions); killed again at ${writtenAtKill}/${2 * introductions} proposal emails (first seen ${written}); ` +
        `${((Date.now() - enqueued) / 1000).toFixed(0)} s in all`,
    );

    // The interrupted round is closed as such and wrote nothing; one round did the work.
    const rounds = await ctx.sql`select id, status, error from rounds order by id`;
    expect(rounds).toEqual([
      { id: first.id, status: 'failed', error: expect.stringMatching(/^interrupted: /) },
      { id: done.id, status: 'done', error: null },
    ]);
    const [byRound] = await ctx.sql`
      select count(*) filter (where round_id = ${first.id})::int as interrupted, count(*) filter (where round_id = ${done.id})::int as done
      from introductions`;
    expect(byRound).toEqual({ interrupted: 0, done: introductions });
    expect((await ctx.sql`select count(*)::int as n from round_unmatched where round_id = ${first.id}`)[0]!.n).toBe(0);

    // Unique pairs, and nobody in two introductions (one proposal per person per round).
    const pairs = await ctx.sql`
      select least(person_a, person_b) as a, greatest(person_a, person_b) as b, count(*)::int as n
      from introductions group by 1, 2 having count(*) > 1`;
    expect(pairs).toEqual([]);
    const busy = await ctx.sql`
      select p, count(*)::int as n from (select person_a as p from introductions union all select person_b from introductions) x
      group by p having count(*) > 1`;
    expect(busy).toEqual([]);

    // One proposal email per person and introduction: 2 × introductions, none twice.
    const proposals = await ctx.sql`
      select lower(to_address) as to, count(*)::int as n from outbound_messages where template = 'proposal' group by 1`;
    expect(proposals).toHaveLength(2 * introductions);
    expect(proposals.filter((p) => p.n !== 1)).toEqual([]);
    const [other] = await ctx.sql`select count(*)::int as n from outbound_messages where template <> 'proposal'`;
    expect(other!.n).toBe(0);
    // And the event log agrees: each (person, introduction) written once.
    const [events] = await ctx.sql`
      select count(*)::int as n, count(distinct (person_id, data->>'introductionId'))::int as distinct
      from events where type = 'introduction.proposal_written'`;
    expect(events).toEqual({ n: 2 * introductions, distinct: 2 * introductions });
  });
});
