// Outgoing SMTP. Without SMTP_URL there is no transport: messages stay "held" in the outbox,
// readable at /outbox, which is what a fresh machine or a demo wants.
import nodemailer, { type Transporter } from 'nodemailer';
import type { Config } from '../config.js';

export function createTransport(config: Config): Transporter | null {
  if (!config.smtpUrl) return null;
  const url = new URL(config.smtpUrl);
  // A pooled transport reuses connections: one TLS handshake for many messages.
  if (!url.searchParams.has('pool')) url.searchParams.set('pool', 'true');
  return nodemailer.createTransport(url.toString());
}
