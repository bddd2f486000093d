// Group commit for jobs: the queue keeps one job per row (inbound message, outgoing email), and
// the jobs a worker runs at the same time hand their ids to one batcher, which handles them
// together: one transaction and one WAL flush for the lot instead of one per job
// (jobs/process-inbound.ts, jobs/send-email.ts). Each job still waits for its own id's outcome,
// and nothing is reported done before its batch has committed, so BullMQ's retries, stalled-job
// recovery and the sweeps work exactly as with one transaction per job.
//
// No timer: the first id waits only until the current turn of the event loop ends; while a
// batch runs, the ids that arrive meanwhile make up the next one. Quiet: batches of one, no
// added latency. Busy: batches grow up to maxBatch.

import type { AppContext } from '../context.js';

export type BatchOutcome<R> = { ok: true; outcome: R } | { ok: false; error: Error };

export interface Batcher<R, T = number> {
  /** Resolves with this item's outcome once its batch has committed; rejects with its error. */
  submit(id: T): Promise<R>;
}

/**
 * Items are ids (the same id twice never goes in one batch) or requests (objects: each one its
 * own item). `run` gives one outcome per item, in order.
 */
export function createBatcher<R, T = number>(
  run: (ids: T[]) => Promise<BatchOutcome<R>[]>,
  options: { maxBatch: number; maxInFlight?: number },
): Batcher<R, T> {
  const maxInFlight = options.maxInFlight ?? 1;
  const waiting: { id: T; resolve: (r: R) => void; reject: (e: Error) => void }[] = [];
  let inFlight = 0;
  let scheduled = false;

  function takeBatch(): typeof waiting {
    // One id at most once per batch: a second submit of the same id waits for a later batch
    // (which then finds the message already processed).
    const batch: typeof waiting = [];
    const ids = new Set<T>();
    for (let i = 0; i < waiting.length && batch.length < options.maxBatch; ) {
      if (ids.has(waiting[i]!.id)) {
        i++;
        continue;
      }
      ids.add(waiting[i]!.id);
      batch.push(...waiting.splice(i, 1));
    }
    return batch;
  }

  async function runBatch(batch: typeof waiting): Promise<void> {
    try {
      const results = await run(batch.map((b) => b.id));
      batch.forEach((b, i) => {
        const r = results[i]!;
        if (r.ok) b.resolve(r.outcome);
        else b.reject(r.error);
      });
    } catch (err) {
      for (const b of batch) b.reject(err as Error);
    }
  }

  function pump(): void {
    scheduled = false;
    while (inFlight < maxInFlight && waiting.length > 0) {
      const batch = takeBatch();
      inFlight++;
      void runBatch(batch).finally(() => {
        inFlight--;
        pump();
      });
    }
  }

  return {
    submit(id) {
      return new Promise<R>((resolve, reject) => {
        waiting.push({ id, resolve, reject });
        // Ids submitted in the same turn of the event loop go together.
        if (!scheduled && inFlight < maxInFlight) {
          scheduled = true;
          setImmediate(pump);
        }
      });
    },
  };
}

/**
 * The simple form: `run` gives one result per id, in order, and its failure fails every call of
 * that batch. Returns a function that handles one id.
 */
export function grouped<R>(run: (ids: number[]) => Promise<R[]>, maxBatch = 200): (id: number) => Promise<R> {
  const batcher = createBatcher<R>(async (ids) => (await run(ids)).map((outcome) => ({ ok: true as const, outcome })), { maxBatch });
  return (id) => batcher.submit(id);
}

/**
 * One value per database pool, made on first use. A job gets its own copy of the context but
 * shares its `sql`: a batcher kept per pool gathers the ids of every job the worker runs.
 */
export function onePerPool<T, C extends Pick<AppContext, 'sql'> = AppContext>(make: (ctx: C) => T): (ctx: C) => T {
  const made = new WeakMap<AppContext['sql'], T>();
  return (ctx) => {
    let value = made.get(ctx.sql);
    if (value === undefined) {
      value = make(ctx);
      made.set(ctx.sql, value);
    }
    return value;
  };
}

