// The weekly round. Started by the job scheduler (src/worker.ts) or by `maillage match` through
// the queue. Two phases share this name: the round itself (data {} or { trigger }), and, for a
// sharded round, the BullMQ flow's parent (data { phase: 'merge' }) which runs once every
// round-shard child is done. Payloads carry ids and settings only; the result, counts only.
import type { Job } from 'bullmq';
import type { AppContext } from '../src/context.js';
import { failRound } from '../src/db/rounds.js';
import { JOBS, QUEUES } from '../src/queue/names.js';
import type { JobDefinition } from '../src/queue/registry.js';
import { mergeShardedRound, runWeeklyRound, type MergeJobData, type RoundRunResult } from '../src/round/run.js';

export type WeeklyRoundData = { trigger?: 'schedule' | 'manual' } | MergeJobData;

function summary(result: RoundRunResult | { skipped: string }): Record<string, unknown> {
  if ('skipped' in result) return { status: 'skipped', reason: result.skipped };
  if (result.status === 'done') {
    return { status: 'done', roundId: result.roundId, people: result.report.people, introductions: result.report.introductions, unmatched: result.report.unmatched };
  }
  return { ...result };
}

async function process(job: Job<WeeklyRoundData>, ctx: AppContext): Promise<Record<string, unknown>> {
  const data = job.data ?? {};
  if ('phase' in data && data.phase === 'merge') {
    try {
      return summary(await mergeShardedRound(ctx, data));
    } catch (err) {
      // The last attempt closes the round at once, rather than leaving it to look "running".
      if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) await failRound(ctx.sql, data.roundId, `merge failed: ${(err as Error).message}`);
      throw err;
    }
  }
  const trigger = 'trigger' in data && data.trigger === 'manual' ? 'manual' : 'schedule';
  return summary(await runWeeklyRound(ctx, { trigger, jobId: job.id ?? null }));
}

export const weeklyRoundJob: JobDefinition<WeeklyRoundData> = {
  name: JOBS.weeklyRound,
  queue: QUEUES.round,
  process,
};
