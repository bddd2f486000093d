// Re-queues inbound messages stored but never processed (a crash between the store and the
// enqueue, Redis down at that moment, a job that ran out of retries while the database was
// away), and forgets reply limits of past days. Safe to run often: jobIds dedupe.
import type { AppContext } from '../src/context.js';
import { enqueueInbound, inboundJobId } from '../src/ingest/store.js';
import { JOBS, QUEUES } from '../src/queue/names.js';
import type { JobDefinition } from '../src/queue/registry.js';

async function process(_job: unknown, ctx: AppContext): Promise<number> {
  const rows = await ctx.sql<{ id: number }[]>`
    select id from inbound_messages
    where status = 'stored' and received_at < now() - interval '2 minutes'
    order by id limit 1000`;
  let requeued = 0;
  for (const { id } of rows) {
    const job = await ctx.queues.inbound.getJob(inboundJobId(id));
    if (!job) {
      await enqueueInbound(ctx, id);
      requeued++;
    } else if (await job.isFailed()) {
      await job.retry();
      requeued++;
    }
  }
  await ctx.sql`delete from inbound_reply_limits where created_at < now() - interval '3 days'`;
  return requeued;
}

export const sweepInboundJob: JobDefinition<Record<string, never>> = {
  name: JOBS.sweepInbound,
  queue: QUEUES.maintenance,
  process,
};
