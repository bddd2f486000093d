// Polls the IMAP mailbox (IMAP_URL) once: stores every new message and queues its processing.
// Scheduled every IMAP_POLL_SECONDS by src/ingest/schedules.ts. A Redis lock keeps two polls
// (two workers, or a slow server) from fetching the same mailbox at once.
import { randomUUID } from 'node:crypto';
import type { AppContext } from '../src/context.js';
import { pollImapOnce, type ImapPollResult } from '../src/ingest/sources/imap.js';
import { JOBS, QUEUES } from '../src/queue/names.js';
import type { JobDefinition } from '../src/queue/registry.js';

const LOCK_MS = 10 * 60_000;

async function process(_job: unknown, ctx: AppContext): Promise<ImapPollResult | 'not-configured' | 'busy'> {
  const imap = ctx.config.imap;
  if (!imap) return 'not-configured';
  const key = `${ctx.config.queuePrefix}:lock:poll-imap`;
  const token = randomUUID();
  if ((await ctx.redis.set(key, token, 'PX', LOCK_MS, 'NX')) !== 'OK') return 'busy';
  try {
    const result = await pollImapOnce(ctx, imap);
    if (result.found > 0) ctx.log.info({ ...result }, 'imap mailbox polled');
    return result;
  } catch (err) {
    // Never log IMAP_URL: it holds the mailbox password.
    ctx.log.warn({ err: (err as Error).message, folder: imap.folder }, 'imap poll failed, will try again at the next poll');
    throw err;
  } finally {
    // Release only our own lock (a poll that overran LOCK_MS must not free the next one's).
    await ctx.redis.eval("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end", 1, key, token).catch(() => {});
  }
}

export const pollImapJob: JobDefinition<Record<string, never>> = {
  name: JOBS.pollImap,
  queue: QUEUES.inbound,
  process,
};
