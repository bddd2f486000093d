// Writes one proposal email into the outbox and hands it to send-email. Payload: ids only.
// jobId `proposal-<introductionId>-<personId>` and the outbox key make a retry harmless.
import type { Job } from 'bullmq';
import type { AppContext } from '../src/context.js';
import { JOBS, QUEUES } from '../src/queue/names.js';
import type { JobDefinition } from '../src/queue/registry.js';
import type { SendProposalData } from '../src/round/fanout.js';
import { sendProposal } from '../src/round/proposal.js';

async function process(job: Job<SendProposalData>, ctx: AppContext): Promise<string> {
  const { introductionId, personId } = job.data;
  const outcome = await sendProposal(ctx, introductionId, personId);
  return outcome.status === 'written' ? (outcome.created ? 'written' : 'already-written') : `skipped: ${outcome.reason}`;
}

export const sendProposalJob: JobDefinition<SendProposalData> = {
  name: JOBS.sendProposal,
  queue: QUEUES.proposals,
  concurrency: 8,
  process,
};
