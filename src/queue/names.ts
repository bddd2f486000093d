// Every queue and job name, in one place. A job name listed here must have exactly one
// processor in jobs/ (checked at boot by the registry).
export const QUEUES = {
  mail: 'mail',
  inbound: 'inbound',
  round: 'round',
  maintenance: 'maintenance',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export const JOBS = {
  sendEmail: 'send-email',
  sweepOutbox: 'sweep-outbox',
} as const;

export type JobName = (typeof JOBS)[keyof typeof JOBS];
