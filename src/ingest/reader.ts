// Where the intake worker reads its messages: on a second thread when it is busy. Reading a
// message (parse, trim, classify, extract, trust: src/ingest/read.ts) is two thirds
// of the worker's CPU and needs nothing but the raw bytes; the rest (BullMQ, the batch's
// transaction) is the event loop's. On a machine with two cores, the loop applies one batch
// while the thread reads the next, instead of one core doing both in turn.
//
// The thread answers with what readMessage returns on this thread (plain data), so a message
// is read the same either way (test/unit/ingest-reader.test.ts). It starts at the first batch
// big enough to be worth it (a quiet intake never starts it). If it dies, the messages it held
// are read here (a reading thread that fails never fails a message), and so is every batch
// until a later one starts a new thread, RESTART_DELAY_MS after the death at the earliest.
// After MAX_SHORT_LIVES threads in a row die shortly after starting, none is started again.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { AppContext } from '../context.js';
import { bootstrapSource } from '../round/thread.js';
import { readAllHere, type ReadMessage, type ReadOutcome } from './read.js';
import type { InboundChannel } from './store.js';

export interface Reader {
  /** Reads the messages in order; one outcome per message. */
  readAll(messages: { raw: Buffer; channel: InboundChannel }[]): Promise<ReadOutcome[]>;
  /** Messages read on a thread so far (tests, curiosity). */
  readonly readOnThread: number;
  /** Tests only: stops the current thread as a crash would. */
  crashForTest(): Promise<void>;
  close(): Promise<void>;
}

export interface ReaderOptions {
  /** How long after a thread died a new one may start: RESTART_DELAY_MS unless a test says less. */
  restartDelayMs?: number;
}

export type ReaderRequest = { id: number; raw: Uint8Array; channel: InboundChannel };
export type ReaderReply = { id: number; read: ReadMessage } | { id: number; error: string };

/**
 * Fewer messages than this at once are read on this thread: starting the thread costs about a
 * second of CPU (loader, modules, gazetteer), and handing a few messages over saves nothing.
 */
export const THREAD_MIN_MESSAGES = 8;

/**
 * A dead thread is replaced no sooner than this after it died. What killed it (a heap too small
 * for the batch, a machine short of memory) may kill the next one too, and each start costs
 * about a second of CPU: restarting at once could turn one incident into a crash loop that eats
 * the core the thread was meant to save. Once a minute, an incident costs a minute on one core.
 */
export const RESTART_DELAY_MS = 60_000;

/** A thread that dies within this time of starting died "shortly after starting". */
export const SHORT_LIFE_MS = 10 * 60_000;

/**
 * After this many threads in a row die shortly after starting, the reader stops starting them
 * until the process restarts: something about this machine or install kills them (memory, a
 * broken module), and reading on the main thread is slower but just as correct.
 */
export const MAX_SHORT_LIVES = 5;

/** MAILLAGE_READ_THREAD=0 never uses a thread, =1 always does (tests); otherwise from two cores up. */
function threadWanted(count: number): boolean {
  const setting = process.env.MAILLAGE_READ_THREAD;
  if (setting === '0') return false;
  if (setting === '1') return true;
  return count >= THREAD_MIN_MESSAGES && availableParallelism() >= 2;
}

type Held = Map<number, { message: { raw: Buffer; channel: InboundChannel }; resolve: (o: ReadOutcome) => void }>;

/** One reading thread and the messages it was sent and has not answered yet. */
interface Thread {
  worker: Worker;
  held: Held;
  startedAt: number;
}

export function createReader(config: AppContext['config'], log?: AppContext['log'], options: ReaderOptions = {}): Reader {
  const restartDelayMs = options.restartDelayMs ?? RESTART_DELAY_MS;
  let current: Thread | null = null;
  let closed = false;
  let gaveUp = false;
  let nextId = 0;
  let restarts = 0;
  /** Threads in a row that died shortly after starting. */
  let shortLives = 0;
  let lastDeath: { at: number; reason: string } | null = null;
  let readOnThread = 0;

  /** Reads here, in order, what a thread held when it stopped: each message once, here. */
  function readHeldHere(held: Held): void {
    const entries = [...held.values()];
    held.clear();
    void readAllHere(entries.map((e) => e.message), config).then((outcomes) => outcomes.forEach((o, i) => entries[i]!.resolve(o)));
  }

  function died(thread: Thread, reason: string): void {
    // Only the current thread's first event counts: a dying thread may send 'error' then 'exit'.
    if (current !== thread) return;
    current = null;
    const now = Date.now();
    const livedMs = now - thread.startedAt;
    shortLives = livedMs < SHORT_LIFE_MS ? shortLives + 1 : 0;
    lastDeath = { at: now, reason };
    log?.warn({ reason, held: thread.held.size, livedMs, shortLives }, 'inbound reading thread died: reading on the main thread for now');
    if (shortLives >= MAX_SHORT_LIVES) {
      gaveUp = true;
      log?.error({ reason, shortLives }, 'inbound reading threads keep dying shortly after starting: reading on the main thread until the process restarts');
    }
    readHeldHere(thread.held);
  }

  function start(): Thread {
    const worker = new Worker(bootstrapSource('../ingest/reader-entry.ts'), { eval: true, workerData: { config }, stdout: false });
    // The thread never keeps the process alive: a worker that is told to stop stops.
    worker.unref();
    const thread: Thread = { worker, held: new Map(), startedAt: Date.now() };
    worker.on('message', (reply: ReaderReply) => {
      const p = thread.held.get(reply.id);
      if (!p) return;
      thread.held.delete(reply.id);
      readOnThread++;
      p.resolve('read' in reply ? { read: reply.read } : { error: new Error(reply.error) });
    });
    worker.once('error', (err) => died(thread, err.message));
    worker.once('exit', (code) => died(thread, `exit code ${code}`));
    if (lastDeath) {
      restarts++;
      log?.warn({ reason: lastDeath.reason, restarts, shortLives }, 'inbound reading thread restarted');
    }
    current = thread;
    return thread;
  }

  /** The thread to send `count` messages to, started if need be, or null to read them here. */
  function threadFor(count: number): Thread | null {
    if (current) return current;
    if (closed || gaveUp || count === 0 || !threadWanted(count)) return null;
    if (lastDeath && Date.now() - lastDeath.at < restartDelayMs) return null;
    return start();
  }

  return {
    readAll(messages) {
      const thread = messages.length === 0 ? null : threadFor(messages.length);
      if (!thread) return readAllHere(messages, config);
      return Promise.all(
        messages.map(
          (message) =>
            new Promise<ReadOutcome>((resolve) => {
              const id = nextId++;
              thread.held.set(id, { message, resolve });
              // A copy the thread owns: a driver's buffer may be a view of a bigger shared one.
              const raw = new Uint8Array(message.raw);
              thread.worker.postMessage({ id, raw, channel: message.channel } satisfies ReaderRequest, [raw.buffer]);
            }),
        ),
      );
    },
    get readOnThread() {
      return readOnThread;
    },
    async crashForTest() {
      await current?.worker.terminate();
    },
    async close() {
      closed = true;
      const thread = current;
      // Not current any more: its exit is not a death, and nothing starts after it.
      current = null;
      if (!thread) return;
      await thread.worker.terminate();
      readHeldHere(thread.held);
    },
  };
}
