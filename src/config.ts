// Environment → typed configuration. Every default runs on one machine where PostgreSQL and
// Redis listen on their usual local ports; a bad value stops the start with one line naming it.
import { z } from 'zod';

const DEV_SECRET = 'dev-only-secret-change-me-in-production';

const optionalUrl = z
  .string()
  .optional()
  .transform((v) => (v?.trim() ? v.trim() : undefined))
  .pipe(z.string().url().optional());

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  DATABASE_URL: z.string().url().default('postgres://localhost:5432/maillage'),
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  PUBLIC_URL: z.string().url().optional(),
  SMTP_URL: optionalUrl,
  MAIL_FROM: z.string().min(3).default('maillage <bonjour@maillage.localhost>'),
  /** Where people reply; plus-addressing (inscription+tag@…) routes replies to introductions. */
  REPLY_TO: z.string().optional(),
  SECRET: z.string().optional(),
  ADMIN_PASSWORD: z.string().optional(),
  /** Prefix for every BullMQ key: lets several installs (or test files) share one Redis. */
  QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9:_-]+$/).default('maillage'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Behind a reverse proxy, trust X-Forwarded-For for rate limits (express "trust proxy"). */
  TRUST_PROXY: z.string().default('loopback'),
  /** Weekly round, cron in ROUND_TZ. */
  ROUND_CRON: z.string().default('0 9 * * 2'),
  ROUND_TZ: z.string().default('Europe/Paris'),
  /** Sending rate limit for SMTP providers' quotas (messages per second; 0 = none). */
  SEND_RATE_PER_SECOND: z.coerce.number().min(0).default(0),
  CONFIRM_LINK_DAYS: z.coerce.number().int().min(1).max(60).default(7),
});

export type Config = {
  env: 'development' | 'production' | 'test';
  databaseUrl: string;
  redisUrl: string;
  port: number;
  publicUrl: string;
  smtpUrl: string | undefined;
  mailFrom: string;
  mailFromAddress: string;
  replyTo: string;
  mailDomain: string;
  secret: string;
  adminPassword: string | undefined;
  queuePrefix: string;
  logLevel: string;
  trustProxy: string;
  roundCron: string;
  roundTz: string;
  sendRatePerSecond: number;
  confirmLinkDays: number;
};

export class ConfigError extends Error {}

/** Parses the environment; throws ConfigError with one line naming the faulty variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? 'environment');
    throw new ConfigError(`Invalid ${name}: ${issue.message} (got ${JSON.stringify(env[name] ?? '')})`);
  }
  const e = parsed.data;
  if (e.NODE_ENV === 'production' && (!e.SECRET || e.SECRET.length < 32)) {
    throw new ConfigError('Invalid SECRET: required in production, at least 32 characters (e.g. `openssl rand -hex 32`)');
  }
  if (e.SECRET !== undefined && e.SECRET.length < 16) {
    throw new ConfigError('Invalid SECRET: at least 16 characters');
  }
  const publicUrl = (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '');
  const mailFromAddress = extractAddress(e.MAIL_FROM);
  if (!mailFromAddress) throw new ConfigError(`Invalid MAIL_FROM: no email address in ${JSON.stringify(e.MAIL_FROM)}`);
  const replyTo = e.REPLY_TO ? extractAddress(e.REPLY_TO) : mailFromAddress;
  if (!replyTo) throw new ConfigError(`Invalid REPLY_TO: no email address in ${JSON.stringify(e.REPLY_TO)}`);
  return {
    env: e.NODE_ENV,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    port: e.PORT,
    publicUrl,
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM,
    mailFromAddress,
    replyTo,
    mailDomain: mailFromAddress.split('@')[1]!,
    secret: e.SECRET ?? DEV_SECRET,
    adminPassword: e.ADMIN_PASSWORD || undefined,
    queuePrefix: e.QUEUE_PREFIX,
    logLevel: e.LOG_LEVEL,
    trustProxy: e.TRUST_PROXY,
    roundCron: e.ROUND_CRON,
    roundTz: e.ROUND_TZ,
    sendRatePerSecond: e.SEND_RATE_PER_SECOND,
    confirmLinkDays: e.CONFIRM_LINK_DAYS,
  };
}

function extractAddress(value: string): string | null {
  const m = /<([^<>\s]+@[^<>\s]+)>/.exec(value) ?? /([^\s<>"]+@[^\s<>"]+)/.exec(value);
  return m ? m[1]!.toLowerCase() : null;
}
