// Processes one stored inbound message. Payload: { inboundId } only (the raw message and
// everything in it stays in PostgreSQL). Idempotent: a message already processed is skipped,
// and its answer has an idempotency key, so a retry after a crash changes nothing more.
//
// One job per message in the queue (the store queues one per message, jobId inbound-<id>), and
// the jobs this worker runs at the same time are processed together: each hands its id to the
// process's batcher (src/queue/group-commit.ts), which applies up to MAX_BATCH messages in one
// transaction, and the job completes when its own message's batch has committed, with its own
// outcome (or fails alone: see processInboundBatch). A crash mid-batch commits nothing: every
// job of the batch is still active in BullMQ, is found stalled and runs again, and its message
// is claimed again from 'stored'.
import type { Job } from 'bullmq';
import type { AppContext } from '../src/context.js';
import { processInboundBatch, type ProcessOutcome } from '../src/ingest/apply.js';
import { createReader } from '../src/ingest/reader.js';
import { createBatcher, onePerPool } from '../src/queue/group-commit.js';
import { JOBS, QUEUES } from '../src/queue/names.js';
import type { JobDefinition } from '../src/queue/registry.js';

export interface ProcessInboundData {
  inboundId: number;
}

/** Messages applied in one transaction at most (and at most 16 MB of raw mail: see processInboundBatch). */
const MAX_BATCH = 32;
/** Batches in flight: one is read (pure CPU) while the other waits on PostgreSQL. */
const BATCHES_IN_FLIGHT = 2;

// One batcher per process (per database pool), and one reader: when batches are big (a busy
// intake), a second thread reads the next batch while this one applies the current one.
const batcherFor = onePerPool((ctx) => {
  const reader = createReader(ctx.config, ctx.log);
  return createBatcher((ids) => processInboundBatch(ctx, ids, { reader }), { maxBatch: MAX_BATCH, maxInFlight: BATCHES_IN_FLIGHT });
});

async function process(job: Job<ProcessInboundData>, ctx: AppContext): Promise<ProcessOutcome['state']> {
  const { inboundId } = job.data;
  try {
    const result = await batcherFor(ctx).submit(inboundId);
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
  // Enough jobs active for the batches in flight and the next one gathering meanwhile.
  concurrency: MAX_BATCH * (BATCHES_IN_FLIGHT + 1),
  process,
};
