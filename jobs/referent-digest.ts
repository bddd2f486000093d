// The référents' weekly digest. The scheduler's occurrence (data {}) fans out one job per active
// référent; each of those writes that référent's digest for the week. Payloads: ids and the run
// time only. A retry, or a second run in the same week, writes nothing twice (referent_digests).
import type { Job } from 'bullmq';
import type { AppContext } from '../src/context.js';
import { listActiveReferentIds } from '../src/db/referents.js';
import { JOBS, QUEUES } from '../src/queue/names.js';
import type { JobDefinition } from '../src/queue/registry.js';
import { isoWeek, sendReferentDigest } from '../src/territory/digest-run.js';

export type ReferentDigestData = { referentId?: number; at?: string };

async function process(job: Job<ReferentDigestData>, ctx: AppContext): Promise<Record<string, unknown>> {
  const at = job.data?.at ? new Date(job.data.at) : new Date(job.timestamp || Date.now());
  if (Number.isNaN(at.getTime())) throw new Error('referent-digest: bad "at" in payload');
  const referentId = job.data?.referentId;
  if (referentId === undefined) {
    const ids = await listActiveReferentIds(ctx.sql);
    const week = isoWeek(at, ctx.config.roundTz);
    await ctx.queues.territory.addBulk(ids.map((id) => ({
      name: JOBS.referentDigest,
      data: { referentId: id, at: at.toISOString() },
      opts: {
        jobId: `digest-${id}-${week}`,
        attempts: 5,
        backoff: { type: 'exponential', delay: 30_000 },
        removeOnComplete: { age: 30 * 24 * 3600, count: 10_000 },
        removeOnFail: { age: 30 * 24 * 3600 },
      },
    })));
    ctx.log.info({ referents: ids.length, week }, 'référent digests queued');
    return { queued: ids.length, week };
  }
  const outcome = await sendReferentDigest(ctx, referentId, at);
  ctx.log.info({ referentId, state: outcome.state }, 'référent digest');
  return outcome;
}

export const referentDigestJob: JobDefinition<ReferentDigestData> = {
  name: JOBS.referentDigest,
  queue: QUEUES.territory,
  concurrency: 4,
  process,
};
