// Processes one stored inbound message. Payload: { inboundId } only (the raw message and
// everything in it stays in PostgreSQL). Idempotent: a message already processed is skipped,
// and its answer has an idempotency key, so a retry after a crash changes nothing more.
import type { Job } from 'bullmq';
import type { AppContext } from '../src/context.js';
import { processInbound, type ProcessOutcome } from '../src/ingest/apply.js';
import { JOBS, QUEUES } from '../src/queue/names.js';
import type { JobDefinition } from '../src/queue/registry.js';

export interface ProcessInboundData {
  inboundId: number;
}

async function process(job: Job<ProcessInboundData>, ctx: AppContext): Promise<ProcessOutcome['state']> {
  const { inboundId } = job.data;
  try {
    const result = await processInbound(ctx, inboundId);
    // Ids and kinds only: an outcome may name a domain, a reason an address.
    ctx.log.info({ inboundId, state: result.state, kind: result.kind, person: result.personId, answers: result.mails.length }, 'inbound message processed');
    return result.state;
  } catch (err) {
    // The raw message is never touched. Out of retries with the database up means an error
    // that repeats (a bug, a constraint): the message is marked failed for the operator. With
    // the database down these writes fail too, the message stays 'stored' and the sweep
    // (jobs/sweep-inbound.ts) queues it again later.
    const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    const error = (err as Error).message.slice(0, 1000);
    await ctx.sql`update inbound_messages set error = ${error} where id = ${inboundId}`.catch(() => {});
    if (last) {
      await ctx.sql`update inbound_messages set status = 'failed', for_operator = true where id = ${inboundId} and status = 'stored'`.catch(() => {});
    }
    throw err;
  }
}

export const processInboundJob: JobDefinition<ProcessInboundData> = {
  name: JOBS.processInbound,
  queue: QUEUES.inbound,
  // Most of a message's time is spent waiting on PostgreSQL: several in flight keep the CPU busy.
  concurrency: 8,
  process,
};
