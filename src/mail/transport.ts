// Outgoing SMTP. Without SMTP_URL there is no transport: messages stay "held" in the outbox,
// readable at /outbox, which is what a fresh machine or a demo wants.
import nodemailer, { type Transporter } from 'nodemailer';
import type { Config } from '../config.js';

/**
 * Headers the DKIM signature covers. Spelled out rather than left to nodemailer's default so
 * that List-Unsubscribe and List-Unsubscribe-Post stay signed whatever the library version:
 * RFC 8058 one-click unsubscribe only counts when the signature covers both.
 */
export const DKIM_SIGNED_HEADERS = [
  'From', 'Sender', 'Reply-To', 'Subject', 'Date', 'Message-ID', 'To', 'Cc', 'MIME-Version',
  'Content-Type', 'Content-Transfer-Encoding', 'In-Reply-To', 'References',
  'List-Id', 'List-Unsubscribe', 'List-Unsubscribe-Post', 'Auto-Submitted',
].join(':');

export function createTransport(config: Pick<Config, 'smtpUrl' | 'dkim'>): Transporter | null {
  if (!config.smtpUrl) return null;
  const url = new URL(config.smtpUrl);
  // A pooled transport reuses connections: one TLS handshake for many messages.
  if (!url.searchParams.has('pool')) url.searchParams.set('pool', 'true');
  if (!config.dkim) return nodemailer.createTransport(url.toString());
  return nodemailer.createTransport({
    url: url.toString(),
    dkim: { ...config.dkim, headerFieldNames: DKIM_SIGNED_HEADERS },
  } as Parameters<typeof nodemailer.createTransport>[0]);
}
