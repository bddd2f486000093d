// Runs a round's CPU-heavy task in a worker thread. A 100k-person round computes for seconds;
// on the main thread that would freeze the event loop, so BullMQ could not renew the job's lock
// (the job would be taken for stalled and run twice) and, in `maillage start`, every web page
// would hang meanwhile. The thread opens its own small PostgreSQL pool and reads what it needs.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { connect } from '../db/client.js';
import type { PlannedPair } from '../match/index.js';
import {
  computeMerge,
  computeRoundStats,
  computeShard,
  computeSinglePlan,
  type ComputedPlan,
  type MergeTask,
  type RoundSettings,
  type ShardSummary,
  type ShardTask,
} from './compute.js';

export type RoundTask =
  | { kind: 'single'; settings: RoundSettings }
  | { kind: 'prepare'; task: { roundId: number; asOf: string } }
  | { kind: 'shard'; task: ShardTask; settings: RoundSettings }
  | { kind: 'merge'; task: MergeTask; settings: RoundSettings };

type ResultOf<T extends RoundTask> = T extends { kind: 'shard' }
  ? ShardSummary
  : T extends { kind: 'prepare' }
    ? { documents: number; maxRadiusKm: number }
    : ComputedPlan;

/** Receives a plan's pairs as they are explained, before the plan itself (single and merge tasks). */
export type OnPairs = (pairs: PlannedPair[]) => void;

/** Runs the task here, on this thread (the thread entry, and MAILLAGE_ROUND_INLINE=1, use it). */
export async function runRoundTaskHere<T extends RoundTask>(databaseUrl: string, task: T, onPairs?: OnPairs): Promise<ResultOf<T>> {
  const sql = connect(databaseUrl, { max: 5 });
  try {
    if (task.kind === 'single') return (await computeSinglePlan(sql, task.settings, onPairs)) as ResultOf<T>;
    if (task.kind === 'shard') return (await computeShard(sql, task.task, task.settings)) as ResultOf<T>;
    if (task.kind === 'prepare') return (await computeRoundStats(sql, task.task)) as ResultOf<T>;
    return (await computeMerge(sql, task.task, task.settings, onPairs)) as ResultOf<T>;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/**
 * The thread's bootstrap: the sources are TypeScript run by tsx, so the thread registers tsx's
 * loader (as bin/maillage.js does) before importing the entry. `--import` in execArgv is not
 * enough on Node 20: the entry module is resolved before the hooks are active.
 */
export function bootstrapSource(entryFile = './thread-entry.ts'): string {
  const tsxApi = typeof import.meta.resolve === 'function'
    ? import.meta.resolve('tsx/esm/api')
    : pathToFileURL(createRequire(import.meta.url).resolve('tsx/package.json').replace(/package\.json$/, 'dist/esm/api/index.mjs')).href;
  const entry = new URL(entryFile, import.meta.url).href;
  return `import(${JSON.stringify(tsxApi)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })`;
}

/** What the round thread posts: pairs as they are explained (when asked), then one result. */
export type ThreadMessage = { kind: 'pairs'; pairs: PlannedPair[] } | { kind: 'result'; ok: true; result: unknown } | { kind: 'result'; ok: false; error: string };

/**
 * Runs the task on a thread of its own. With `onPairs`, a plan's pairs come as they are explained
 * (so they can be written meanwhile); they cross once, and the plan returned holds them all.
 */
export function runRoundTask<T extends RoundTask>(databaseUrl: string, task: T, onPairs?: OnPairs): Promise<ResultOf<T>> {
  if (process.env.MAILLAGE_ROUND_INLINE === '1') return runRoundTaskHere(databaseUrl, task, onPairs);
  return new Promise((resolve, reject) => {
    let settled = false;
    const streamed: PlannedPair[] = [];
    const worker = new Worker(bootstrapSource(), {
      eval: true,
      workerData: { databaseUrl, task, streamPairs: onPairs !== undefined },
      // The thread's output is logs we do not want mixed into a CLI's stdout.
      stdout: false,
    });
    worker.on('message', (message: ThreadMessage) => {
      if (settled) return;
      if (message.kind === 'pairs') {
        for (const pair of message.pairs) streamed.push(pair);
        try {
          onPairs?.(message.pairs);
        } catch (err) {
          settled = true;
          void worker.terminate();
          reject(err as Error);
        }
        return;
      }
      settled = true;
      if (!message.ok) return reject(new Error(message.error));
      const result = message.result as ResultOf<T>;
      // The thread left the streamed pairs out of its plan: they crossed already.
      if (onPairs && 'plan' in (result as object)) (result as ComputedPlan).plan.pairs = streamed;
      resolve(result);
    });
    worker.once('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`the round thread stopped (exit code ${code}) before giving a result`));
    });
  });
}
