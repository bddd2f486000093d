// Entry of the intake's reading thread (src/ingest/reader.ts): reads each message it is sent
// with the same readMessage as the main thread and posts the result back, in order.
import { parentPort, workerData } from 'node:worker_threads';
import type { AppContext } from '../context.js';
import { readMessage } from './read.js';
import type { ReaderReply, ReaderRequest } from './reader.js';

const { config } = workerData as { config: AppContext['config'] };

// One at a time, in arrival order: replies come back in the order the batch needs them.
let queue: Promise<void> = Promise.resolve();
parentPort!.on('message', (request: ReaderRequest) => {
  queue = queue.then(async () => {
    let reply: ReaderReply;
    try {
      reply = { id: request.id, read: await readMessage(Buffer.from(request.raw.buffer, request.raw.byteOffset, request.raw.byteLength), request.channel, config) };
    } catch (err) {
      reply = { id: request.id, error: (err as Error).message || String(err) };
    }
    parentPort!.postMessage(reply);
  });
});
