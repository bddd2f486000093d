// One Redis connection factory for BullMQ. Workers need maxRetriesPerRequest: null (blocking
// commands); queues used from web requests fail fast instead of hanging when Redis is down.
import { Redis } from 'ioredis';
import { ServiceUnreachableError } from '../db/client.js';

export function createRedis(redisUrl: string, purpose: 'worker' | 'queue' = 'queue'): Redis {
  return new Redis(redisUrl, {
    maxRetriesPerRequest: purpose === 'worker' ? null : 3,
    enableOfflineQueue: true,
    lazyConnect: false,
    // Keep retrying in the background: the service recovers on its own when Redis comes back.
    retryStrategy: (times) => Math.min(times * 200, 5_000),
  });
}

/** Pings Redis once with a short deadline; throws one operator-readable line when unreachable. */
export async function checkRedis(redisUrl: string): Promise<void> {
  const probe = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 3_000 });
  probe.on('error', () => {});
  try {
    await probe.connect();
    await probe.ping();
  } catch {
    const url = new URL(redisUrl);
    throw new ServiceUnreachableError(
      `Redis is not reachable at ${url.hostname}:${url.port || 6379} (REDIS_URL). Start it (see README, "Running maillage"), or set REDIS_URL.`,
    );
  } finally {
    probe.disconnect();
  }
}
