// The weekly round as a job: lock → load → plan (in a worker thread) → write in one transaction
// → fan out one send-proposal job per person. The same functions serve the scheduler, the CLI
// (`maillage match`) and, split in shards, several worker processes.
import { FlowProducer } from 'bullmq';
import type { AppContext } from '../context.js';
import type { Sql, TransactionSql } from '../db/client.js';
import { recordEvent } from '../db/events.js';
import { insertRoundIntroductions } from '../db/introductions.js';
import { acquireRoundRunLock, beginRound, clearShardData, failRound, finishRound, getRound, touchRound, type RoundRow } from '../db/rounds.js';
import type { PlannedPair, RoundPlan, RoundReport, ShardBounds } from '../match/index.js';
import { DEFAULT_MIN_SCORE } from '../match/weights.js';
import { createRedis } from '../queue/connection.js';
import { JOBS, QUEUES } from '../queue/names.js';
import type { ComputedPlan, RoundSettings, ShardSummary } from './compute.js';
import { fanOutRound, resumeFanOut } from './fanout.js';
import { planShardBounds } from './shards.js';
import { runRoundTask, type RoundTask } from './thread.js';

export type RoundContext = Pick<AppContext, 'config' | 'log' | 'sql' | 'queues'>;

export function roundSettings(config: AppContext['config']): RoundSettings {
  return { maxPerPerson: config.roundMaxPerPerson, minScore: config.roundMinScore };
}

/** What is stored in rounds.report, shown by the CLI: counts, reasons, scores. Ids only. */
export interface StoredRoundReport extends RoundReport {
  roundId: number | null;
  mode: 'single' | 'sharded';
  trigger: RoundRow['trigger'];
  settings: { maxPerPerson: number; minScore: number };
  /** Introductions written (planned pairs minus those skipped at write). */
  introductions: number;
  /** Planned pairs not written: one of the two left (unsubscribed, paused…) since loading. */
  skippedAtWrite: number;
  peopleProposed: number;
  scores: { min: number; median: number; max: number } | null;
  medianDistanceKm: number | null;
  shards?: ShardSummary[];
  timingsMs: RoundReport['timingsMs'] & { load: number; write: number; writeIntroductions?: number };
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function buildReport(
  computed: ComputedPlan,
  meta: {
    roundId: number | null;
    mode: 'single' | 'sharded';
    trigger: RoundRow['trigger'];
    settings: RoundSettings;
    written: number | null;
    writeMs: number;
    /** Of which: the introductions and the waiting times (the rest: who got nothing, the report). */
    writeIntroductionsMs?: number;
    shards?: ShardSummary[];
  },
): StoredRoundReport {
  const { plan } = computed;
  const scores = plan.pairs.map((p) => p.score);
  const distances = plan.pairs.map((p) => p.distanceKm).filter((d): d is number => d !== null);
  const written = meta.written ?? plan.pairs.length;
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    ...plan.report,
    roundId: meta.roundId,
    mode: meta.mode,
    trigger: meta.trigger,
    settings: { maxPerPerson: meta.settings.maxPerPerson, minScore: meta.settings.minScore ?? DEFAULT_MIN_SCORE },
    introductions: written,
    skippedAtWrite: plan.pairs.length - written,
    peopleProposed: 2 * written,
    // A loop, not Math.min(...scores): spreading 100,000+ arguments overflows the stack.
    scores: scores.length > 0 ? { min: round(scores.reduce((x, y) => Math.min(x, y))), median: round(median(scores)!), max: round(scores.reduce((x, y) => Math.max(x, y))) } : null,
    medianDistanceKm: distances.length > 0 ? Math.round(median(distances)! * 10) / 10 : null,
    ...(meta.shards ? { shards: meta.shards } : {}),
    timingsMs: {
      ...plan.report.timingsMs,
      load: Math.round(computed.timingsMs.load),
      write: Math.round(meta.writeMs),
      ...(meta.writeIntroductionsMs !== undefined ? { writeIntroductions: Math.round(meta.writeIntroductionsMs) } : {}),
    },
  };
}

/** Thrown when the round was taken over (declared dead) while this process was still working. */
export class RoundTakenOverError extends Error {}

type Inserted = Awaited<ReturnType<typeof insertRoundIntroductions>>;

/** In id order: the unique pair index and the people rows are then written front to back. */
function inIdOrder(pairs: readonly PlannedPair[]): PlannedPair[] {
  return [...pairs].sort((x, y) => Math.min(x.a, x.b) - Math.min(y.a, y.b) || Math.max(x.a, x.b) - Math.max(y.a, y.b));
}

/**
 * Computes a round on its thread and writes it in ONE transaction: the introductions (unique
 * unordered pair, so a re-run never proposes a pair twice) with the waiting time of the people
 * proposed, who got nothing and why, and the round's report (and drops a sharded round's working
 * tables). Either all of it is there, or none. The introductions are inserted chunk by chunk as
 * the round thread hands them over, so PostgreSQL writes while the next ones are explained.
 */
export async function computeAndWriteRound(
  sql: Sql,
  databaseUrl: string,
  round: Pick<RoundRow, 'id' | 'trigger'>,
  task: Extract<RoundTask, { kind: 'single' | 'merge' }>,
  meta: { mode: 'single' | 'sharded'; settings: RoundSettings; shards?: ShardSummary[] },
): Promise<{ introductions: number; report: StoredRoundReport }> {
  return sql.begin(async (tx) => {
    const inserts: Promise<Inserted>[] = [];
    const computed = await runRoundTask(databaseUrl, task, (pairs) => {
      const insert = insertRoundIntroductions(tx, round.id, inIdOrder(pairs));
      // Seen by Promise.all below; until then a failure must not count as unhandled (the
      // transaction is rolled back either way).
      insert.catch(() => {});
      inserts.push(insert);
    });
    return finishRoundWrite(tx, round, computed, meta, async () => (await Promise.all(inserts)).flat());
  });
}

/** The rest of a round's transaction, once its introductions are (being) inserted. */
async function finishRoundWrite(
  tx: TransactionSql,
  round: Pick<RoundRow, 'id' | 'trigger'>,
  computed: ComputedPlan,
  meta: { mode: 'single' | 'sharded'; settings: RoundSettings; shards?: ShardSummary[] },
  introductions: () => Promise<Inserted>,
): Promise<{ introductions: number; report: StoredRoundReport }> {
  const started = performance.now();
  const { plan } = computed;
  let writeIntroductionsMs = 0;
  const unmatched = plan.unmatched.filter((u) => Number.isSafeInteger(u.id));
  const unmatchedBatches: Promise<unknown>[] = [];
  for (let k = 0; k < unmatched.length; k += 10_000) {
    const batch = unmatched.slice(k, k + 10_000);
    unmatchedBatches.push(tx`
      insert into round_unmatched (round_id, person_id, reason)
      select ${round.id}, u.id, u.reason
      from unnest(${tx.array(batch.map((u) => u.id))}::bigint[], ${tx.array(batch.map((u) => u.reason))}::text[]) as u(id, reason)
      where exists (select 1 from people p where p.id = u.id)
      on conflict do nothing`);
  }
  // Sent together, run one after the other on the transaction's connection (pipelined).
  const [inserted] = await Promise.all([
    introductions().then((rows) => {
      writeIntroductionsMs = performance.now() - started;
      return rows;
    }),
    ...unmatchedBatches,
  ]);
  const report = buildReport(computed, {
    roundId: round.id,
    mode: meta.mode,
    trigger: round.trigger,
    settings: meta.settings,
    written: inserted.length,
    writeMs: performance.now() - started,
    writeIntroductionsMs,
    shards: meta.shards,
  });
  if (!(await finishRound(tx, round.id, report as unknown as Record<string, unknown>))) {
    throw new RoundTakenOverError(`round ${round.id} is no longer running (declared interrupted): nothing written`);
  }
  // A sharded round's working tables (scored pairs, term statistics) are not needed any more.
  if (meta.mode === 'sharded') await clearShardData(tx, round.id);
  await recordEvent(tx, 'round.done', null, { roundId: round.id, people: report.people, introductions: inserted.length, mode: meta.mode });
  return { introductions: inserted.length, report };
}

/** Touches the round's heartbeat while work goes on, so nobody declares it interrupted. */
function keepAlive(ctx: RoundContext, roundId: number): { stop(): void } {
  const timer = setInterval(() => {
    touchRound(ctx.sql, roundId).catch((err) => ctx.log.warn({ roundId, err: (err as Error).message }, 'round heartbeat failed'));
  }, 15_000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

export type RoundRunResult =
  | { status: 'done'; roundId: number; report: StoredRoundReport; proposalJobs: number }
  | { status: 'sharded'; roundId: number; shards: number }
  | { status: 'skipped'; reason: 'already-running' | 'already-done'; roundId: number | null };

/** Computes and writes the round (one transaction), then fans out its proposals. */
async function completeRound(
  ctx: RoundContext,
  round: RoundRow,
  task: Extract<RoundTask, { kind: 'single' | 'merge' }>,
  meta: { mode: 'single' | 'sharded'; settings: RoundSettings; shards?: ShardSummary[] },
): Promise<RoundRunResult> {
  const { report } = await computeAndWriteRound(ctx.sql, ctx.config.databaseUrl, round, task, meta);
  const proposalJobs = await fanOutRound(ctx, round.id);
  ctx.log.info(
    { roundId: round.id, mode: meta.mode, people: report.people, introductions: report.introductions, unmatched: report.unmatched, ms: report.timingsMs },
    'round done',
  );
  return { status: 'done', roundId: round.id, report, proposalJobs };
}

/**
 * Runs a round now: what the scheduler's job and `maillage match` do. With ROUND_SHARDS > 1 this
 * only prepares the round and hands it to the shard jobs (status 'sharded'); the flow's parent
 * job finishes it.
 */
export async function runWeeklyRound(ctx: RoundContext, options: { trigger: RoundRow['trigger']; jobId: string | null }): Promise<RoundRunResult> {
  await resumeFanOut(ctx);
  const runLock = await acquireRoundRunLock(ctx.sql);
  if (!runLock) {
    // Another live process is running a round right now.
    const [running] = await ctx.sql`select id from rounds where status = 'running' limit 1`;
    ctx.log.info({ roundId: running?.id ?? null }, 'round not started: another one is running');
    return { status: 'skipped', reason: 'already-running', roundId: (running?.id as number | undefined) ?? null };
  }
  try {
    const mode = ctx.config.roundShards > 1 ? 'sharded' : 'single';
    const settings = roundSettings(ctx.config);
    const begun = await beginRound(ctx.sql, { trigger: options.trigger, mode, jobId: options.jobId, holdsRunLock: true });
    if (!begun.started) {
      const reason = begun.running.status === 'done' ? 'already-done' : 'already-running';
      ctx.log.info({ roundId: begun.running.id, reason }, 'round not started');
      return { status: 'skipped', reason, roundId: begun.running.id };
    }
    const round = begun.round;
    if (begun.replaced !== null) ctx.log.warn({ roundId: round.id, replaced: begun.replaced }, 'an interrupted round was closed; starting again');
    const heartbeat = keepAlive(ctx, round.id);
    try {
      if (mode === 'sharded') {
        const shards = await startShardedRound(ctx, round, settings);
        return { status: 'sharded', roundId: round.id, shards };
      }
      return await completeRound(ctx, round, { kind: 'single', settings }, { mode, settings });
    } catch (err) {
      await failRound(ctx.sql, round.id, (err as Error).message).catch(() => {});
      throw err;
    } finally {
      heartbeat.stop();
    }
  } finally {
    await runLock.release();
  }
}

/** Plans the round without writing anything (`maillage match --dry-run`). Always one process. */
export async function previewRound(ctx: RoundContext): Promise<{ plan: RoundPlan; report: StoredRoundReport }> {
  const settings = roundSettings(ctx.config);
  const computed = await runRoundTask(ctx.config.databaseUrl, { kind: 'single', settings });
  return {
    plan: computed.plan,
    report: buildReport(computed, { roundId: null, mode: 'single', trigger: 'manual', settings, written: null, writeMs: 0 }),
  };
}

// ----- sharded rounds -----

export interface ShardJobData {
  roundId: number;
  shard: number;
  bounds: ShardBounds;
  overlapKm: number;
  /** Round start (ISO): the population is the people eligible then. */
  asOf: string;
  settings: RoundSettings;
}

export interface MergeJobData {
  phase: 'merge';
  roundId: number;
  asOf: string;
  settings: RoundSettings;
}

export function shardJobId(roundId: number, shard: number): string {
  return `round-${roundId}-shard-${shard}`;
}

async function startShardedRound(ctx: RoundContext, round: RoundRow, settings: RoundSettings): Promise<number> {
  const asOf = round.started_at;
  const stats = await runRoundTask(ctx.config.databaseUrl, { kind: 'prepare', task: { roundId: round.id, asOf: asOf.toISOString() } });
  const plan = await planShardBounds(ctx.sql, ctx.config.roundShards, asOf, stats.maxRadiusKm);
  await ctx.sql`
    insert into round_shards (round_id, shard, bounds, overlap_km)
    select ${round.id}, s.k - 1, s.b, ${plan.overlapKm}
    from unnest(${ctx.sql.array(plan.bounds.map((b) => JSON.stringify(b)))}::jsonb[]) with ordinality as s(b, k)`;
  const connection = createRedis(ctx.config.redisUrl, 'queue');
  const flow = new FlowProducer({ connection, prefix: ctx.config.queuePrefix });
  const retry = { attempts: 3, backoff: { type: 'exponential', delay: 5_000 } };
  try {
    await flow.add({
      name: JOBS.weeklyRound,
      queueName: QUEUES.round,
      data: { phase: 'merge', roundId: round.id, asOf: asOf.toISOString(), settings } satisfies MergeJobData,
      opts: { jobId: `round-${round.id}-merge`, ...retry, removeOnComplete: { age: 30 * 24 * 3600 }, removeOnFail: { age: 30 * 24 * 3600 } },
      children: plan.bounds.map((bounds, shard) => ({
        name: JOBS.roundShard,
        queueName: QUEUES.round,
        data: { roundId: round.id, shard, bounds, overlapKm: plan.overlapKm, asOf: asOf.toISOString(), settings } satisfies ShardJobData,
        opts: { jobId: shardJobId(round.id, shard), ...retry, failParentOnFailure: true, removeOnComplete: { age: 7 * 24 * 3600 } },
      })),
    });
  } finally {
    await flow.close();
    connection.disconnect();
  }
  ctx.log.info({ roundId: round.id, shards: plan.bounds.length, overlapKm: plan.overlapKm }, 'sharded round handed to shard jobs');
  return plan.bounds.length;
}

/** One shard job: score the candidates of the people this strip owns. */
export async function runShard(ctx: RoundContext, data: ShardJobData): Promise<ShardSummary | { skipped: string }> {
  const round = await getRound(ctx.sql, data.roundId);
  if (!round || round.status !== 'running') return { skipped: 'round-not-running' };
  await touchRound(ctx.sql, data.roundId);
  const heartbeat = keepAlive(ctx, data.roundId);
  try {
    return await runRoundTask(ctx.config.databaseUrl, {
      kind: 'shard',
      task: { roundId: data.roundId, shard: data.shard, bounds: data.bounds, overlapKm: data.overlapKm, asOf: data.asOf },
      settings: data.settings,
    });
  } finally {
    heartbeat.stop();
  }
}

/** The flow's parent, once every shard is done: merge, select, write, fan out. */
export async function mergeShardedRound(ctx: RoundContext, data: MergeJobData): Promise<RoundRunResult | { skipped: string }> {
  const round = await getRound(ctx.sql, data.roundId);
  if (!round || round.status !== 'running') return { skipped: 'round-not-running' };
  const heartbeat = keepAlive(ctx, round.id);
  try {
    await touchRound(ctx.sql, round.id);
    const shards = await ctx.sql`select shard, work, pair_count, warnings from round_shards where round_id = ${round.id} order by shard`;
    const summaries: ShardSummary[] = shards.map((s) => {
      const work = (s.work ?? {}) as { loaded?: number; owned?: number; ms?: number; pid?: number; host?: string };
      return {
        shard: s.shard as number,
        loaded: work.loaded ?? 0,
        owned: work.owned ?? 0,
        pairs: (s.pair_count as number | null) ?? 0,
        ms: work.ms ?? 0,
        warnings: (s.warnings as string[]) ?? [],
        pid: work.pid,
        host: work.host,
      };
    });
    const task = { kind: 'merge', task: { roundId: round.id, asOf: data.asOf }, settings: data.settings } as const;
    return await completeRound(ctx, round, task, { mode: 'sharded', settings: data.settings, shards: summaries });
  } finally {
    heartbeat.stop();
  }
}

