// Re-enqueues outbox messages that were written but never delivered (a crash between the
// commit and the enqueue, or Redis down at that moment). The jobId dedupes against a send
// job still waiting, so sweeping often is harmless.
import type { AppContext } from '../src/context.js';
import { listStaleQueuedOutbound } from '../src/db/outbound.js';
import { enqueueSend } from '../src/mail/outbox.js';
import { JOBS, QUEUES } from '../src/queue/names.js';
import type { JobDefinition } from '../src/queue/registry.js';

async function process(_job: unknown, ctx: AppContext): Promise<number> {
  const ids = await listStaleQueuedOutbound(ctx.sql, 60);
  for (const id of ids) await enqueueSend(ctx, id);
  return ids.length;
}

export const sweepOutboxJob: JobDefinition<Record<string, never>> = {
  name: JOBS.sweepOutbox,
  queue: QUEUES.maintenance,
  process,
};
