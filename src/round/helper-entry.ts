// Entry of the round's helper thread (src/round/helper.ts): answers one request at a time with
// the same pure functions the round's own thread runs.
import { parentPort } from 'node:worker_threads';
import { explainPair, scoreShard, type Population } from '../match/index.js';
import type { HelperReply, HelperRequest } from './helper.js';

function handle(message: HelperRequest): { result: unknown; transfer: ArrayBuffer[] } {
  if (message.kind === 'explain') return { result: message.inputs.map((input) => explainPair(input)), transfer: [] };
  const indexOfId = new Map<number, number>();
  message.population.ids.forEach((id, i) => indexOfId.set(id, i));
  const population: Population = {
    ...message.population,
    indexOfId,
    termIndex: new Map(),
    termText: [],
    descriptions: new Map(),
    rejectedRows: [],
  };
  const claims = new Int32Array(message.counter);
  const result = scoreShard(population, null, 0, {
    ...message.options,
    index: message.index,
    exclusions: message.exclusions,
    claimBlock: () => Atomics.add(claims, 0, 1),
  });
  const { pairs, stats } = result;
  const transfer = [pairs.a, pairs.b, pairs.score, pairs.distanceKm, pairs.text, pairs.proximity, pairs.category, pairs.role, stats.ids, stats.inReach, stats.excluded, stats.duplicates, stats.anyoneInReach].map(
    (column) => column.buffer as ArrayBuffer,
  );
  return { result, transfer };
}

parentPort!.on('message', (message: HelperRequest) => {
  let reply: HelperReply;
  let transfer: ArrayBuffer[] = [];
  try {
    const handled = handle(message);
    reply = { ok: true, result: handled.result };
    transfer = handled.transfer;
  } catch (err) {
    reply = { ok: false, error: (err as Error).message || String(err) };
  }
  parentPort!.postMessage(reply, transfer);
});
