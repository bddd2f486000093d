// Environment → typed configuration. Every default runs on one machine where PostgreSQL and
// Redis listen on their usual local ports; a bad value stops the start with one line naming it.
import { readFileSync } from 'node:fs';
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
  /** Registration form posts accepted from one IP address per window (then 429), against floods. */
  FORM_LIMIT_PER_IP: z.coerce.number().int().min(1).max(100_000).default(20),
  FORM_LIMIT_WINDOW_MINUTES: z.coerce.number().int().min(1).max(1440).default(10),
  /** Weekly round, cron in ROUND_TZ. */
  ROUND_CRON: z.string().default('0 9 * * 2'),
  ROUND_TZ: z.string().default('Europe/Paris'),
  /** Référents' weekly digest, cron in ROUND_TZ (default Monday 08:00). */
  DIGEST_CRON: z.string().default('0 8 * * 1'),
  /** Proposals one person may receive in one round. */
  ROUND_MAX_PER_PERSON: z.coerce.number().int().min(1).max(10).default(1),
  /** Pairs scoring below this are never proposed; unset = the engine's calibrated default. */
  ROUND_MIN_SCORE: z.string().optional().transform((v) => (v?.trim() ? Number(v.trim()) : undefined)).pipe(z.number().min(0).max(1).optional()),
  /** Geographic shards a round is split into, scored in parallel by every worker process (1 = one process). */
  ROUND_SHARDS: z.coerce.number().int().min(1).max(64).default(1),
  /** Sending rate limit for SMTP providers' quotas (messages per second; 0 = none). */
  SEND_RATE_PER_SECOND: z.coerce.number().min(0).default(0),
  CONFIRM_LINK_DAYS: z.coerce.number().int().min(1).max(60).default(7),
  // Inbound mail (intake). Every channel is optional; all feed the same store-first pipeline.
  /** The mailbox people reply to, polled over IMAP: imaps://user:password@host:993 (imap:// uses STARTTLS when offered). */
  IMAP_URL: z.string().optional().transform((v) => (v?.trim() ? v.trim() : undefined)).pipe(z.string().regex(/^imaps?:\/\/[^\s]+$/, 'expected imap:// or imaps://…').optional()),
  IMAP_FOLDER: z.string().min(1).default('INBOX'),
  IMAP_POLL_SECONDS: z.coerce.number().int().min(5).max(3600).default(30),
  /** Network (slug) credited for registrations arriving through this channel. */
  IMAP_NETWORK: z.string().optional(),
  /** Shared secret of POST /inbound/mime; the route answers 404 while it is unset. */
  INBOUND_WEBHOOK_SECRET: z.string().optional().transform((v) => (v?.trim() ? v.trim() : undefined)).pipe(z.string().min(16, 'at least 16 characters').optional()),
  /** Inbound SMTP listener, "[host:]port" (e.g. 2525 or 0.0.0.0:25); unset = off. */
  SMTP_LISTEN: z.string().optional().transform((v) => (v?.trim() ? v.trim() : undefined)).pipe(z.string().regex(/^(?:[^\s:]+:|\[[0-9a-fA-F:]+\]:)?\d{1,5}$/, 'expected [host:]port').optional()),
  SMTP_NETWORK: z.string().optional(),
  /** authserv-id the SMTP listener writes its own Authentication-Results with. */
  SMTP_AUTHSERV_ID: z.string().optional(),
  /** Bigger inbound messages are stored truncated (headers and first part) and answered once. */
  MAX_MESSAGE_BYTES: z.coerce.number().int().min(65_536).max(200_000_000).default(10_000_000),
  /** Comma-separated authserv-ids of the receiving servers whose Authentication-Results we believe. */
  TRUSTED_AUTHSERV_IDS: z.string().default(''),
  /** Introductions: unanswered proposals close silently after this many days; one reminder before. */
  PROPOSAL_EXPIRY_DAYS: z.coerce.number().min(1).max(60).default(7),
  REMINDER_AFTER_DAYS: z.coerce.number().min(0).max(60).default(4),
  /** "Avez-vous pu échanger ?" this many days after a meeting email; 0 turns it off. */
  FOLLOWUP_AFTER_DAYS: z.coerce.number().min(0).max(365).default(14),
  /** DKIM signing of outgoing mail, when all three are set (the key inline, or in a file). */
  DKIM_DOMAIN: z.string().optional(),
  DKIM_SELECTOR: z.string().optional(),
  DKIM_PRIVATE_KEY: z.string().optional(),
  DKIM_PRIVATE_KEY_FILE: z.string().optional(),
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
  /** Registration form posts per IP address (req.ip, see trustProxy) and window. */
  formLimit: { perIp: number; windowSeconds: number };
  roundCron: string;
  roundTz: string;
  digestCron: string;
  roundMaxPerPerson: number;
  roundMinScore: number | undefined;
  roundShards: number;
  sendRatePerSecond: number;
  confirmLinkDays: number;
  imap: { url: string; folder: string; pollSeconds: number; network: string | undefined } | null;
  inboundWebhookSecret: string | undefined;
  smtpListen: { host: string; port: number; network: string | undefined; authservId: string } | null;
  maxMessageBytes: number;
  trustedAuthservIds: string[];
  proposalExpiryDays: number;
  reminderAfterDays: number;
  followupAfterDays: number;
  dkim: { domainName: string; keySelector: string; privateKey: string } | null;
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
    formLimit: { perIp: e.FORM_LIMIT_PER_IP, windowSeconds: e.FORM_LIMIT_WINDOW_MINUTES * 60 },
    roundCron: e.ROUND_CRON,
    roundTz: e.ROUND_TZ,
    digestCron: e.DIGEST_CRON,
    roundMaxPerPerson: e.ROUND_MAX_PER_PERSON,
    roundMinScore: e.ROUND_MIN_SCORE,
    roundShards: e.ROUND_SHARDS,
    sendRatePerSecond: e.SEND_RATE_PER_SECOND,
    confirmLinkDays: e.CONFIRM_LINK_DAYS,
    imap: e.IMAP_URL ? { url: e.IMAP_URL, folder: e.IMAP_FOLDER, pollSeconds: e.IMAP_POLL_SECONDS, network: e.IMAP_NETWORK?.trim().toLowerCase() || undefined } : null,
    inboundWebhookSecret: e.INBOUND_WEBHOOK_SECRET,
    smtpListen: e.SMTP_LISTEN ? smtpListenConfig(e.SMTP_LISTEN, e.SMTP_NETWORK, e.SMTP_AUTHSERV_ID, mailFromAddress) : null,
    maxMessageBytes: e.MAX_MESSAGE_BYTES,
    trustedAuthservIds: e.TRUSTED_AUTHSERV_IDS.split(',').map((v) => v.trim().toLowerCase()).filter(Boolean),
    proposalExpiryDays: e.PROPOSAL_EXPIRY_DAYS,
    reminderAfterDays: e.REMINDER_AFTER_DAYS,
    followupAfterDays: e.FOLLOWUP_AFTER_DAYS,
    dkim: dkimConfig(e),
  };
}

/** DKIM needs a domain, a selector and a key; a half-configured DKIM is an error, not a silent no. */
function dkimConfig(e: z.infer<typeof schema>): Config['dkim'] {
  const key = e.DKIM_PRIVATE_KEY?.trim()
    ? e.DKIM_PRIVATE_KEY.replace(/\\n/g, '\n')
    : e.DKIM_PRIVATE_KEY_FILE?.trim()
      ? readKeyFile(e.DKIM_PRIVATE_KEY_FILE.trim())
      : undefined;
  const domain = e.DKIM_DOMAIN?.trim();
  const selector = e.DKIM_SELECTOR?.trim();
  if (!domain && !selector && !key) return null;
  if (!domain || !selector || !key) {
    const missing = !domain ? 'DKIM_DOMAIN' : !selector ? 'DKIM_SELECTOR' : 'DKIM_PRIVATE_KEY';
    throw new ConfigError(`Invalid ${missing}: DKIM needs DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY (or DKIM_PRIVATE_KEY_FILE)`);
  }
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key)) {
    throw new ConfigError('Invalid DKIM_PRIVATE_KEY: expected a PEM private key (-----BEGIN PRIVATE KEY-----)');
  }
  return { domainName: domain.toLowerCase(), keySelector: selector, privateKey: key };
}

function readKeyFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`Invalid DKIM_PRIVATE_KEY_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

function smtpListenConfig(listen: string, network: string | undefined, authservId: string | undefined, mailFromAddress: string): NonNullable<Config['smtpListen']> {
  const colon = listen.lastIndexOf(':');
  const host = colon >= 0 ? listen.slice(0, colon).replace(/^\[|\]$/g, '') : '0.0.0.0';
  const port = Number(colon >= 0 ? listen.slice(colon + 1) : listen);
  if (port > 65535) throw new ConfigError(`Invalid SMTP_LISTEN: port ${port} is above 65535`);
  return {
    host,
    port,
    network: network?.trim().toLowerCase() || undefined,
    // Our own id, stamped on what the listener authenticated; it is trusted for that channel only.
    authservId: authservId?.trim().toLowerCase() || `maillage-smtp.${mailFromAddress.split('@')[1]}`,
  };
}

function extractAddress(value: string): string | null {
  const m = /<([^<>\s]+@[^<>\s]+)>/.exec(value) ?? /([^\s<>"]+@[^\s<>"]+)/.exec(value);
  return m ? m[1]!.toLowerCase() : null;
}
