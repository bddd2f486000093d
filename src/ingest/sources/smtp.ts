// An inbound SMTP listener (SMTP_LISTEN), for an install that receives its replies directly
// (MX pointing here) or behind a relay. It accepts mail for our own domains only, authenticates
// each message itself (SPF for the connecting IP, DKIM, DMARC, with mailauth) and writes the
// result as an Authentication-Results header under its own authserv-id, after removing any copy
// of that header the sender may have forged. Then it stores the message (store first) and only
// then says "250 queued": a message we could not store gets a 451 and the sender retries.
import { createHash } from 'node:crypto';
import os from 'node:os';
import type { Readable } from 'node:stream';
import { authenticate, type DNSResolver } from 'mailauth';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import type { AppContext } from '../../context.js';
import { ingestRaw } from '../store.js';

export interface SmtpListener {
  port: number;
  close(): Promise<void>;
}

export interface SmtpListenerOptions {
  host?: string;
  port?: number;
  /** DNS for SPF/DKIM/DMARC (tests pass a stub; the default asks the system resolver). */
  resolver?: DNSResolver;
}

/** More recipients than this in one message is a mass mailing, not a reply to us. */
const MAX_RECIPIENTS = 50;
const AUTH_TIMEOUT_MS = 15_000;

type Ctx = Pick<AppContext, 'sql' | 'queues' | 'config' | 'log'>;

export async function startSmtpListener(ctx: Ctx, options: SmtpListenerOptions = {}): Promise<SmtpListener> {
  const settings = ctx.config.smtpListen;
  const authservId = settings?.authservId ?? `maillage-smtp.${ctx.config.mailDomain}`;
  const ourDomains = new Set([ctx.config.replyTo.split('@')[1]!, ctx.config.mailDomain]);
  const maxBytes = ctx.config.maxMessageBytes;
  // Advertised SIZE: larger than what we keep, so a reply with a big photo still arrives (and
  // is answered with a note) instead of bouncing at the sender's server.
  const hardLimit = Math.max(maxBytes * 10, 200_000_000);

  const server = new SMTPServer({
    name: os.hostname(),
    banner: 'maillage',
    authOptional: true,
    disabledCommands: ['AUTH'],
    size: hardLimit,
    logger: false,
    disableReverseLookup: true,
    // A stop (SIGTERM) must not wait 30 s for a slow sender to finish.
    closeTimeout: 3_000,
    onRcptTo(address, session, callback) {
      const domain = address.address.split('@').pop()?.toLowerCase() ?? '';
      if (!ourDomains.has(domain)) {
        callback(Object.assign(new Error('5.7.1 Relaying denied: this server only receives mail for its own domain'), { responseCode: 550 }));
        return;
      }
      if (session.envelope.rcptTo.length >= MAX_RECIPIENTS) {
        callback(Object.assign(new Error('4.5.3 Too many recipients'), { responseCode: 452 }));
        return;
      }
      callback();
    },
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback) {
      receive(stream, maxBytes)
        .then(async ({ head, total, sha256 }) => {
          if (stream.sizeExceeded) {
            callback(Object.assign(new Error(`5.3.4 Message too big (limit ${hardLimit} bytes)`), { responseCode: 552 }));
            return;
          }
          const stamped = await stampAuthentication(head, session, authservId, options.resolver, ctx);
          const stored = await ingestRaw(ctx, stamped, { channel: 'smtp', networkSlug: settings?.network ?? null, originalSize: total + (stamped.length - head.length), sha256 });
          callback(null, `2.0.0 Stored as ${stored.id}`);
        })
        .catch((err: Error) => {
          ctx.log.warn({ err: err.message }, 'smtp: could not store a message, asked the sender to retry');
          callback(Object.assign(new Error('4.3.0 Temporary failure, please retry later'), { responseCode: 451 }));
        });
    },
  });
  server.on('error', (err) => ctx.log.warn({ err: err.message }, 'smtp listener error'));

  const host = options.host ?? settings?.host ?? '127.0.0.1';
  const port = options.port ?? settings?.port ?? 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.server.address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Reads the whole DATA stream, keeping its first maxBytes (the rest is only counted). */
async function receive(stream: Readable, maxBytes: number): Promise<{ head: Buffer; total: number; sha256: string }> {
  const chunks: Buffer[] = [];
  const hash = createHash('sha256');
  let kept = 0;
  let total = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    total += chunk.length;
    hash.update(chunk);
    if (kept < maxBytes) {
      const part = chunk.subarray(0, maxBytes - kept);
      chunks.push(part);
      kept += part.length;
    }
  }
  return { head: Buffer.concat(chunks), total, sha256: hash.digest('hex') };
}

/**
 * Prepends our Authentication-Results (and Received-SPF) and removes any Authentication-Results
 * that claims our authserv-id (RFC 8601 §5): only we may speak in our name.
 */
async function stampAuthentication(raw: Buffer, session: SMTPServerSession, authservId: string, resolver: DNSResolver | undefined, ctx: Ctx): Promise<Buffer> {
  const cleaned = removeOwnAuthResults(raw, authservId);
  try {
    const result = await Promise.race([
      authenticate(cleaned, {
        ip: session.remoteAddress,
        helo: session.hostNameAppearsAs,
        sender: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
        mta: authservId,
        disableArc: true,
        disableBimi: true,
        ...(resolver ? { resolver } : {}),
      }),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('authentication timed out')), AUTH_TIMEOUT_MS).unref()),
    ]);
    return Buffer.concat([Buffer.from(result.headers ?? ''), cleaned]);
  } catch (err) {
    // Without a verdict the message is simply not trusted: its sender confirms by link.
    ctx.log.warn({ err: (err as Error).message }, 'smtp: sender authentication failed to run');
    return cleaned;
  }
}

export function removeOwnAuthResults(raw: Buffer, authservId: string): Buffer {
  const text = raw.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  if (end < 0) return raw;
  const head = text.slice(0, end);
  const lines = head.split(/(?=\r?\n(?![ \t]))/);
  const id = authservId.toLowerCase();
  const kept = lines.filter((line) => {
    const m = /^\r?\n?authentication-results\s*:\s*([^;\s]+)/i.exec(line);
    return !m || m[1]!.toLowerCase() !== id;
  });
  if (kept.length === lines.length) return raw;
  let newHead = kept.join('');
  newHead = newHead.replace(/^\r?\n/, '');
  return Buffer.concat([Buffer.from(newHead, 'latin1'), raw.subarray(end)]);
}
