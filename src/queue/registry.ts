// Job registry: maps each job name to its one processor. Refuses at boot a known job name
// with zero processors, or any name with two, so a typo never leaves jobs silently waiting.
import type { Job } from 'bullmq';
import type { AppContext } from '../context.js';
import { JOBS, type JobName, type QueueName } from './names.js';

export interface JobDefinition<Data = any, Result = unknown> {
  name: JobName;
  queue: QueueName;
  /** Worker concurrency for this job's queue (the highest among a queue's jobs wins). */
  concurrency?: number;
  process: (job: Job<Data>, ctx: AppContext) => Promise<Result>;
}

export class JobRegistryError extends Error {}

export function buildRegistry(definitions: JobDefinition[], expected: readonly string[] = Object.values(JOBS)) {
  const byName = new Map<string, JobDefinition>();
  for (const def of definitions) {
    if (byName.has(def.name)) throw new JobRegistryError(`Job "${def.name}" has two processors`);
    byName.set(def.name, def);
  }
  for (const name of expected) {
    if (!byName.has(name)) throw new JobRegistryError(`Job "${name}" has no processor in jobs/`);
  }
  for (const name of byName.keys()) {
    if (!expected.includes(name)) throw new JobRegistryError(`Job "${name}" is not declared in src/queue/names.ts`);
  }
  return byName;
}
