// Where the intake worker reads its messages: on a second thread when it is busy. Reading a
// message (parse, trim, classify, extract, trust: src/ingest/read.ts) is two thirds
// of the worker's CPU and needs nothing but the raw bytes; the rest (BullMQ, the batch's
// transaction) is the event loop's. On a machine with two cores, the loop applies one batch
// while the thread reads the next, instead of one core doing both in turn.
//
// The thread answers with what readMessage returns on this thread (plain data), so a message
// is read the same either way (test/integration/intake-reader.test.ts). It starts at the first
// batch big enough to be worth it (a quiet intake never starts it) and if it dies, the messages
// it held and every later one are read here: a reading thread that fails never fails a message.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { AppContext } from '../context.js';
import { bootstrapSource } from '../round/thread.js';
import { readAllHere, type ReadMessage, type ReadOutcome } from './read.js';
import type { InboundChannel } from './store.js';

export interface Reader {
  /** Reads the messages in order; one outcome per message. */
  readAll(messages: { raw: Buffer; channel: InboundChannel }[]): Promise<ReadOutcome[]>;
  close(): Promise<void>;
}

export type ReaderRequest = { id: number; raw: Uint8Array; channel: InboundChannel };
export type ReaderReply = { id: number; read: ReadMessage } | { id: number; error: string };

/**
 * Fewer messages than this at once are read on this thread: starting the thread costs about a
 * second of CPU (loader, modules, gazetteer), and handing a few messages over saves nothing.
 */
export const THREAD_MIN_MESSAGES = 8;

/** MAILLAGE_READ_THREAD=0 never uses a thread, =1 always does (tests); otherwise from two cores up. */
function threadWanted(count: number): boolean {
  const setting = process.env.MAILLAGE_READ_THREAD;
  if (setting === '0') return false;
  if (setting === '1') return true;
  return count >= THREAD_MIN_MESSAGES && availableParallelism() >= 2;
}

export function createReader(config: AppContext['config'], log?: AppContext['log']): Reader {
  let worker: Worker | null = null;
  let broken = false;
  let nextId = 0;
  const pending = new Map<number, { message: { raw: Buffer; channel: InboundChannel }; resolve: (o: ReadOutcome) => void }>();

  function giveUp(reason: string | null): void {
    if (broken) return;
    broken = true;
    worker = null;
    if (reason) log?.warn({ reason, pending: pending.size }, 'inbound reading thread stopped: reading on the main thread');
    // Whatever the thread held is read here, in order.
    const held = [...pending.values()];
    pending.clear();
    void readAllHere(held.map((p) => p.message), config).then((outcomes) => outcomes.forEach((o, i) => held[i]!.resolve(o)));
  }

  function thread(): Worker {
    if (worker) return worker;
    const w = new Worker(bootstrapSource('../ingest/reader-entry.ts'), { eval: true, workerData: { config }, stdout: false });
    // The thread never keeps the process alive: a worker that is told to stop stops.
    w.unref();
    w.on('message', (reply: ReaderReply) => {
      const p = pending.get(reply.id);
      if (!p) return;
      pending.delete(reply.id);
      p.resolve('read' in reply ? { read: reply.read } : { error: new Error(reply.error) });
    });
    w.once('error', (err) => giveUp(err.message));
    w.once('exit', (code) => giveUp(`exit code ${code}`));
    worker = w;
    return w;
  }

  return {
    readAll(messages) {
      if (broken || messages.length === 0 || (!worker && !threadWanted(messages.length))) return readAllHere(messages, config);
      const w = thread();
      return Promise.all(
        messages.map(
          (message) =>
            new Promise<ReadOutcome>((resolve) => {
              const id = nextId++;
              pending.set(id, { message, resolve });
              // A copy the thread owns: a driver's buffer may be a view of a bigger shared one.
              const raw = new Uint8Array(message.raw);
              w.postMessage({ id, raw, channel: message.channel } satisfies ReaderRequest, [raw.buffer]);
            }),
        ),
      );
    },
    async close() {
      const w = worker;
      if (w) {
        w.removeAllListeners('exit');
        w.removeAllListeners('error');
        await w.terminate();
      }
      giveUp(null);
    },
  };
}
