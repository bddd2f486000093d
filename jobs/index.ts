// The list of every job processor. The registry (src/queue/registry.ts) checks it at boot
// against the names declared in src/queue/names.ts.
import type { JobDefinition } from '../src/queue/registry.js';
import { sendEmailJob } from './send-email.js';
import { sweepOutboxJob } from './sweep-outbox.js';
import { weeklyRoundJob } from './weekly-round.js';
import { roundShardJob } from './round-shard.js';
import { sendProposalJob } from './send-proposal.js';
import { processInboundJob } from './process-inbound.js';
import { pollImapJob } from './poll-imap.js';
import { sweepInboundJob } from './sweep-inbound.js';
import { expireIntroductionsJob } from './expire-introductions.js';
import { sendFollowupsJob } from './send-followups.js';
import { referentDigestJob } from './referent-digest.js';
import { purgeUnconfirmedJob } from './purge-unconfirmed.js';

export const allJobs: JobDefinition[] = [sendEmailJob, sweepOutboxJob, processInboundJob, pollImapJob, sweepInboundJob, expireIntroductionsJob, sendFollowupsJob, weeklyRoundJob, roundShardJob, sendProposalJob, referentDigestJob, purgeUnconfirmedJob];
