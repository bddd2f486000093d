// Hourly: the day-4 reminder (at most once per introduction), the silent close of proposals
// unanswered after PROPOSAL_EXPIRY_DAYS, and the purge of undeliverable erasure notices.
// Payload: none. Safe to run twice at once (rows are claimed with skip locked).
import type { Job } from 'bullmq';
import type { AppContext } from '../src/context.js';
import { runIntroductionExpiry, type ExpiryReport } from '../src/introductions/expiry.js';
import { JOBS, QUEUES } from '../src/queue/names.js';
import type { JobDefinition } from '../src/queue/registry.js';

async function process(_job: Job, ctx: AppContext): Promise<ExpiryReport> {
  const report = await runIntroductionExpiry(ctx);
  if (report.expired + report.reminded > 0) ctx.log.info(report, 'introductions reminded and expired');
  return report;
}

export const expireIntroductionsJob: JobDefinition<Record<string, never>> = {
  name: JOBS.expireIntroductions,
  queue: QUEUES.maintenance,
  process,
};
