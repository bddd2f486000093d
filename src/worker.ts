// Runs the job processors: one BullMQ Worker per queue, dispatching on the job name, and
// declares the recurring jobs with upsertJobScheduler (idempotent: safe at every boot).
import { Worker, type Job } from 'bullmq';
import { allJobs } from '../jobs/index.js';
import type { AppContext } from './context.js';
import { createRedis } from './queue/connection.js';
import { JOBS, QUEUES, type QueueName } from './queue/names.js';
import { buildRegistry, type JobDefinition } from './queue/registry.js';
import { declareIntakeSchedules } from './ingest/schedules.js';

export interface Workers {
  close(): Promise<void>;
}

export function startWorkers(ctx: AppContext, options: { queues?: QueueName[]; jobs?: JobDefinition[] } = {}): Workers {
  const registry = buildRegistry(options.jobs ?? allJobs);
  const wanted = options.queues ?? Object.values(QUEUES);
  const connection = createRedis(ctx.config.redisUrl, 'worker');
  connection.on('error', (err) => ctx.log.warn({ err: err.message }, 'worker redis connection error'));
  const workers: Worker[] = [];
  for (const queue of wanted) {
    const defs = [...registry.values()].filter((d) => d.queue === queue);
    if (defs.length === 0) continue;
    const concurrency = Math.max(1, ...defs.map((d) => d.concurrency ?? 1));
    const limiter =
      queue === QUEUES.mail && ctx.config.sendRatePerSecond > 0
        ? { max: Math.max(1, Math.round(ctx.config.sendRatePerSecond)), duration: 1_000 }
        : undefined;
    const worker = new Worker(
      queue,
      async (job: Job) => {
        const def = registry.get(job.name);
        if (!def || def.queue !== queue) throw new Error(`No processor for job "${job.name}" on queue "${queue}"`);
        const log = ctx.log.child({ queue, job: job.name, jobId: job.id });
        const started = Date.now();
        try {
          const result = await def.process(job, { ...ctx, log });
          log.debug({ ms: Date.now() - started }, 'job done');
          return result;
        } catch (err) {
          log.warn({ ms: Date.now() - started, err: (err as Error).message, attempt: job.attemptsMade + 1 }, 'job failed');
          throw err;
        }
      },
      // Every job is idempotent (its effects are keyed in PostgreSQL), so a job whose worker died
      // may be taken up again: BullMQ's default of one stall would fail a weekly round for good
      // after two crashes, and leave an inbound message to the sweep for minutes.
      { connection, prefix: ctx.config.queuePrefix, concurrency, limiter, autorun: true, maxStalledCount: 3 },
    );
    worker.on('error', (err) => ctx.log.warn({ queue, err: err.message }, 'worker error'));
    workers.push(worker);
  }
  return {
    async close() {
      await Promise.allSettled(workers.map((w) => w.close()));
      connection.disconnect();
    },
  };
}

/** Recurring jobs. upsertJobScheduler replaces the previous definition instead of adding one. */
export async function declareSchedules(ctx: AppContext): Promise<void> {
  await ctx.queues.maintenance.upsertJobScheduler('sweep-outbox', { every: 60_000 }, { name: JOBS.sweepOutbox, data: {} });
  await ctx.queues.maintenance.upsertJobScheduler('purge-unconfirmed', { every: 3_600_000 }, { name: JOBS.purgeUnconfirmed, data: {} });
  await declareIntakeSchedules(ctx);
  await ctx.queues.maintenance.upsertJobScheduler('expire-introductions', { every: 3_600_000 }, { name: JOBS.expireIntroductions, data: {} });
  await ctx.queues.maintenance.upsertJobScheduler('send-followups', { every: 3_600_000 }, { name: JOBS.sendFollowups, data: {} });
  // Référents' digests (default Monday 08:00, Paris time): one occurrence fans out one job per référent.
  await ctx.queues.territory.upsertJobScheduler(
    'referent-digest',
    { pattern: ctx.config.digestCron, tz: ctx.config.roundTz },
    { name: JOBS.referentDigest, data: {}, opts: { attempts: 3, backoff: { type: 'exponential', delay: 60_000 }, removeOnComplete: { age: 90 * 24 * 3600 }, removeOnFail: { age: 90 * 24 * 3600 } } },
  );
  // The weekly round (default Tuesday 09:00, Paris time). A retry of one occurrence keeps its job
  // id, and a round already done under that id is not run twice (src/db/rounds.ts).
  await ctx.queues.round.upsertJobScheduler(
    'weekly-round',
    { pattern: ctx.config.roundCron, tz: ctx.config.roundTz },
    { name: JOBS.weeklyRound, data: { trigger: 'schedule' }, opts: { attempts: 3, backoff: { type: 'exponential', delay: 60_000 }, removeOnComplete: { age: 90 * 24 * 3600 }, removeOnFail: { age: 90 * 24 * 3600 } } },
  );
}
