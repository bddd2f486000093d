// Hourly: "Avez-vous pu échanger ?" to both people of every meeting FOLLOWUP_AFTER_DAYS old
// (14 by default; 0 turns it off). Payload: none. Each email is written once (outbox key
// followup:<introduction>:<person>), so a retry or a second worker sends nothing twice.
import type { Job } from 'bullmq';
import type { AppContext } from '../src/context.js';
import { sendDueFollowups } from '../src/introductions/followup.js';
import { JOBS, QUEUES } from '../src/queue/names.js';
import type { JobDefinition } from '../src/queue/registry.js';

async function process(_job: Job, ctx: AppContext): Promise<number> {
  const written = await sendDueFollowups(ctx);
  if (written > 0) ctx.log.info({ written }, 'follow-up emails written');
  return written;
}

export const sendFollowupsJob: JobDefinition<Record<string, never>> = {
  name: JOBS.sendFollowups,
  queue: QUEUES.maintenance,
  process,
};
