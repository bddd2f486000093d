// Every queue and job name, in one place. A job name listed here must have exactly one
// processor in jobs/ (checked at boot by the registry).
export const QUEUES = {
  mail: 'mail',
  inbound: 'inbound',
  round: 'round',
  /** Writing proposal emails after a round: apart from `mail`, whose rate limit is for sending. */
  proposals: 'proposals',
  maintenance: 'maintenance',
  /** Référents' weekly digests: apart from maintenance, whose every-minute sweeps must not wait. */
  territory: 'territory',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export const JOBS = {
  sendEmail: 'send-email',
  sweepOutbox: 'sweep-outbox',
  weeklyRound: 'weekly-round',
  roundShard: 'round-shard',
  sendProposal: 'send-proposal',
  processInbound: 'process-inbound',
  pollImap: 'poll-imap',
  sweepInbound: 'sweep-inbound',
  expireIntroductions: 'expire-introductions',
  sendFollowups: 'send-followups',
  referentDigest: 'referent-digest',
  purgeUnconfirmed: 'purge-unconfirmed',
} as const;

export type JobName = (typeof JOBS)[keyof typeof JOBS];
