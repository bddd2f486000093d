// One geographic shard of a sharded round (a child of the weekly-round flow): scores the
// candidates of the people its strip owns and stores them (ids and scores) for the parent.
// Any worker process on any machine may take it; the CPU work runs in a worker thread.
import type { Job } from 'bullmq';
import type { AppContext } from '../src/context.js';
import { failRound } from '../src/db/rounds.js';
import { JOBS, QUEUES } from '../src/queue/names.js';
import type { JobDefinition } from '../src/queue/registry.js';
import { runShard, type ShardJobData } from '../src/round/run.js';

async function process(job: Job<ShardJobData>, ctx: AppContext): Promise<Record<string, unknown>> {
  try {
    const result = await runShard(ctx, job.data);
    if ('skipped' in result) return { status: 'skipped', reason: result.skipped };
    return { status: 'done', shard: result.shard, loaded: result.loaded, owned: result.owned, pairs: result.pairs, ms: Math.round(result.ms) };
  } catch (err) {
    if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) await failRound(ctx.sql, job.data.roundId, `shard ${job.data.shard} failed: ${(err as Error).message}`);
    throw err;
  }
}

export const roundShardJob: JobDefinition<ShardJobData> = {
  name: JOBS.roundShard,
  queue: QUEUES.round,
  process,
};
