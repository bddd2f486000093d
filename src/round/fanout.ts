// After a round commits: one send-proposal job per (introduction, person). The jobId comes from
// the ids, so enqueueing a round twice (a retry, a repair after a crash) adds nothing; the outbox
// key and the send job's claim make the whole path idempotent beyond the queue's memory too.
import type { AppContext } from '../context.js';
import { listRoundRecipients } from '../db/introductions.js';
import { markFannedOut, roundsAwaitingFanOut } from '../db/rounds.js';
import { JOBS } from '../queue/names.js';

export interface SendProposalData {
  introductionId: number;
  personId: number;
}

export function proposalJobId(introductionId: number, personId: number): string {
  return `proposal-${introductionId}-${personId}`;
}

const CHUNK = 1_000;
// Chunks in flight at once: Redis pipelines them, hiding the round trips (90,000 jobs at 100k people).
const PARALLEL = 4;

export async function fanOutRound(ctx: Pick<AppContext, 'sql' | 'queues'>, roundId: number): Promise<number> {
  const recipients = await listRoundRecipients(ctx.sql, roundId);
  const chunks: (typeof recipients)[] = [];
  for (let start = 0; start < recipients.length; start += CHUNK) chunks.push(recipients.slice(start, start + CHUNK));
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < chunks.length) await addChunk(ctx, chunks[next++]!);
  };
  await Promise.all(Array.from({ length: PARALLEL }, lane));
  await markFannedOut(ctx.sql, roundId);
  return recipients.length;
}

async function addChunk(ctx: Pick<AppContext, 'queues'>, chunk: { introductionId: number; personId: number }[]): Promise<void> {
  await ctx.queues.proposals.addBulk(
    chunk.map((r) => ({
      name: JOBS.sendProposal,
      data: { introductionId: r.introductionId, personId: r.personId } satisfies SendProposalData,
      opts: {
        jobId: proposalJobId(r.introductionId, r.personId),
        attempts: 6,
        backoff: { type: 'exponential', delay: 10_000 },
        removeOnComplete: { age: 14 * 24 * 3600, count: 200_000 },
        removeOnFail: { age: 30 * 24 * 3600 },
      },
    })),
  );
}

/** Rounds committed whose send jobs were never all queued (a crash in between): queue them now. */
export async function resumeFanOut(ctx: Pick<AppContext, 'sql' | 'queues' | 'log'>): Promise<number[]> {
  const ids = await roundsAwaitingFanOut(ctx.sql);
  for (const id of ids) {
    const jobs = await fanOutRound(ctx, id);
    ctx.log.warn({ roundId: id, jobs }, 'round had not been fanned out: proposals queued now');
  }
  return ids;
}
