// The intake's recurring jobs, declared with upsertJobScheduler (idempotent at every boot).
import type { AppContext } from '../context.js';
import { JOBS } from '../queue/names.js';

export async function declareIntakeSchedules(ctx: Pick<AppContext, 'queues' | 'config'>): Promise<void> {
  await ctx.queues.maintenance.upsertJobScheduler('sweep-inbound', { every: 5 * 60_000 }, { name: JOBS.sweepInbound, data: {} });
  if (ctx.config.imap) {
    await ctx.queues.inbound.upsertJobScheduler(
      'poll-imap',
      { every: ctx.config.imap.pollSeconds * 1000 },
      { name: JOBS.pollImap, data: {}, opts: { removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } } },
    );
  } else {
    // IMAP_URL removed from the configuration: stop polling.
    await ctx.queues.inbound.removeJobScheduler('poll-imap');
  }
}
