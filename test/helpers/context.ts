// Test fixtures over the real services: a fresh PostgreSQL database and a random BullMQ
// prefix per test file, so files run in parallel without seeing each other's data.
import { randomBytes } from 'node:crypto';
import { loadConfig, type Config } from '../../src/config.js';
import { closeContext, createContext, type AppContext } from '../../src/context.js';
import { dropDatabase } from '../../src/db/client.js';
import { createLogger } from '../../src/log.js';
import { startService, type RunningService } from '../../src/service.js';

const BASE_DB = process.env.TEST_DATABASE_URL ?? 'postgres://127.0.0.1:5432/postgres';
const REDIS = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export function testConfig(overrides: Record<string, string> = {}): Config {
  const id = randomBytes(5).toString('hex');
  const db = new URL(BASE_DB);
  db.pathname = `/maillage_test_${id}`;
  return loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: db.toString(),
    REDIS_URL: REDIS,
    QUEUE_PREFIX: `test-${id}`,
    PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    SECRET: 'test-secret-0123456789abcdef',
    MAIL_FROM: 'maillage <bonjour@maillage.test>',
    ...overrides,
  });
}

async function cleanRedis(ctx: AppContext): Promise<void> {
  const keys = await ctx.redis.keys(`${ctx.config.queuePrefix}:*`);
  if (keys.length > 0) await ctx.redis.del(...keys);
}

export async function createTestContext(overrides: Record<string, string> = {}): Promise<AppContext & { dispose(): Promise<void> }> {
  const config = testConfig(overrides);
  const ctx = await createContext(config, createLogger(config.logLevel));
  return Object.assign(ctx, {
    async dispose() {
      await cleanRedis(ctx);
      await closeContext(ctx);
      await dropDatabase(config.databaseUrl);
    },
  });
}

export async function startTestService(
  overrides: Record<string, string> = {},
  parts?: { web?: boolean; workers?: boolean; schedules?: boolean },
): Promise<RunningService & { dispose(): Promise<void> }> {
  const config = testConfig(overrides);
  const service = await startService(config, createLogger(config.logLevel), parts);
  // Links in emails must point at the port the test server really listens on.
  if (service.url && !overrides.PUBLIC_URL) (service.ctx.config as { publicUrl: string }).publicUrl = service.url;
  return Object.assign(service, {
    async dispose() {
      await cleanRedis(service.ctx).catch(() => {});
      await service.stop();
      await dropDatabase(config.databaseUrl);
    },
  });
}

/** Polls until `check` returns a value other than undefined/false, or fails after `ms`. */
export async function waitFor<T>(check: () => Promise<T | undefined | false> | T | undefined | false, ms = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Nothing left to do: no job waiting, running or delayed, no email waiting to be sent. */
export async function settled(ctx: AppContext, ms = 30_000): Promise<void> {
  await waitFor(async () => {
    for (const q of Object.values(ctx.queues)) {
      const counts = await q.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
      if (Object.values(counts).some((n) => n > 0)) return false;
    }
    const [r] = await ctx.sql`select count(*)::int as n from outbound_messages where status in ('queued', 'sending')`;
    return r!.n === 0;
  }, ms, 'queues idle');
}

