// Worker-thread entry of src/round/thread.ts: runs one task and posts its result back.
import { parentPort, workerData } from 'node:worker_threads';
import { runRoundTaskHere, type RoundTask } from './thread.js';

const { databaseUrl, task } = workerData as { databaseUrl: string; task: RoundTask };
try {
  const result = await runRoundTaskHere(databaseUrl, task);
  parentPort!.postMessage({ ok: true, result });
} catch (err) {
  parentPort!.postMessage({ ok: false, error: (err as Error).message || String(err) });
}
