// Everything a request handler or a job needs, built once per process.
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Transporter } from 'nodemailer';
import type { Config } from './config.js';
import { connect, describeConnectionError, ensureDatabase, type Sql } from './db/client.js';
import { migrate } from './db/migrate.js';
import type { Logger } from './log.js';
import { TemplateSet } from './mail/templates.js';
import { createTransport } from './mail/transport.js';
import { checkRedis, createRedis } from './queue/connection.js';
import { QUEUES, type QueueName } from './queue/names.js';

export type Queues = Record<QueueName, Queue>;

export interface AppContext {
  config: Config;
  log: Logger;
  sql: Sql;
  redis: Redis;
  queues: Queues;
  templates: TemplateSet;
  /** null when no SMTP_URL is configured: mail is then held in the outbox for reading. */
  transport: Transporter | null;
}

export async function createContext(config: Config, log: Logger, options: { migrate?: boolean } = {}): Promise<AppContext> {
  await ensureDatabase(config.databaseUrl);
  const sql = connect(config.databaseUrl);
  try {
    await sql`select 1`;
  } catch (err) {
    await sql.end({ timeout: 1 });
    throw describeConnectionError(err, config.databaseUrl);
  }
  try {
    await checkRedis(config.redisUrl);
    if (options.migrate !== false) {
      const applied = await migrate(sql);
      if (applied.length > 0) log.info({ applied }, 'database migrations applied');
    }
  } catch (err) {
    await sql.end({ timeout: 1 });
    throw err;
  }
  const redis = createRedis(config.redisUrl, 'queue');
  redis.on('error', (err) => log.warn({ err: err.message }, 'redis connection error'));
  const queues = Object.fromEntries(
    Object.values(QUEUES).map((name) => [name, new Queue(name, { connection: redis, prefix: config.queuePrefix })]),
  ) as Queues;
  for (const q of Object.values(queues)) q.on('error', (err) => log.warn({ queue: q.name, err: err.message }, 'queue error'));
  const templates = await TemplateSet.load();
  return { config, log, sql, redis, queues, templates, transport: createTransport(config) };
}

export async function closeContext(ctx: AppContext): Promise<void> {
  await Promise.allSettled(Object.values(ctx.queues).map((q) => q.close()));
  ctx.transport?.close();
  await ctx.sql.end({ timeout: 5 });
  ctx.redis.disconnect();
}
