// Worker-thread entry of src/round/thread.ts: runs one task and posts its result back, and,
// when asked, a plan's pairs as they are explained (then left out of the plan: they crossed).
import { parentPort, workerData } from 'node:worker_threads';
import type { ComputedPlan } from './compute.js';
import { runRoundTaskHere, type RoundTask, type ThreadMessage } from './thread.js';

const { databaseUrl, task, streamPairs } = workerData as { databaseUrl: string; task: RoundTask; streamPairs: boolean };
const post = (message: ThreadMessage) => parentPort!.postMessage(message);
try {
  const result = await runRoundTaskHere(databaseUrl, task, streamPairs ? (pairs) => post({ kind: 'pairs', pairs }) : undefined);
  if (streamPairs && 'plan' in result) (result as ComputedPlan).plan.pairs = [];
  post({ kind: 'result', ok: true, result });
} catch (err) {
  post({ kind: 'result', ok: false, error: (err as Error).message || String(err) });
}
