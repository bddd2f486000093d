// The list of every job processor. The registry (src/queue/registry.ts) checks it at boot
// against the names declared in src/queue/names.ts.
import type { JobDefinition } from '../src/queue/registry.js';
import { sendEmailJob } from './send-email.js';
import { sweepOutboxJob } from './sweep-outbox.js';

export const allJobs: JobDefinition[] = [sendEmailJob, sweepOutboxJob];
