// Queueing a job for a row already committed to PostgreSQL (an email in the outbox, a stored
// inbound message) must not hold up the person who caused it: while Redis is down its client
// keeps a command for up to ~20 s before failing, and a page would then show an error for
// something that worked. The sweeps (jobs/sweep-outbox.ts, jobs/sweep-inbound.ts) queue every
// such row that has no job, so giving up after a short wait loses nothing. The web's rate
// limits (src/web/security.ts) wait on Redis the same way, and let the request through.

/** How long a caller waits for Redis to take a job before leaving it to the sweep. */
export const ENQUEUE_DEADLINE_MS = 2_000;

/**
 * Waits for `work` at most `ms`. True when it was done in time; false when it failed or is still
 * running (then it goes on, and its late failure is swallowed: the sweep covers it).
 */
export async function doneWithin(work: Promise<unknown>, ms = ENQUEUE_DEADLINE_MS): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([work.then(() => true, () => false), late]);
  } finally {
    clearTimeout(timer);
  }
}
