// Builds raw emails for the intake tests, written the way a phone or a webmail sends a short
// reply: text/plain, UTF-8, quoted-printable, the bulletin quoted below.
import { randomBytes } from 'node:crypto';

export const OUR_DOMAIN = 'reseau-racines.org';
export const TRUSTED_ID = 'mx1.reseau-racines.org';

export const INTAKE_ENV = {
  MAIL_FROM: `La Lettre des Racines <lettre@${OUR_DOMAIN}>`,
  REPLY_TO: `inscription@${OUR_DOMAIN}`,
  INBOUND_WEBHOOK_SECRET: 'webhook-secret-for-tests-0123',
  TRUSTED_AUTHSERV_IDS: TRUSTED_ID,
};

export interface EmailOptions {
  from?: string | null;
  to?: string;
  cc?: string;
  subject?: string;
  body?: string;
  /** null: no Message-ID header at all. */
  messageId?: string | null;
  /** null: no Date header. */
  date?: Date | null;
  inReplyTo?: string;
  /** Authentication-Results our receiving server wrote: 'pass' (DKIM pass for the From domain), 'dmarc-fail', or a raw value. */
  auth?: 'pass' | 'dmarc-fail' | string;
  headers?: Record<string, string>;
}

export function newMessageId(): string {
  return `<${randomBytes(8).toString('hex')}@mail.gmail.com>`;
}

function qp(text: string): string {
  const bytes = Buffer.from(text.replace(/\r?\n/g, '\r\n'), 'utf8');
  let out = '';
  let lineLength = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 13 && bytes[i + 1] === 10) {
      out += '\r\n';
      lineLength = 0;
      i++;
      continue;
    }
    const enc = (b >= 33 && b <= 126 && b !== 61) || b === 32 ? String.fromCharCode(b) : `=${b.toString(16).toUpperCase().padStart(2, '0')}`;
    if (lineLength + enc.length > 75) {
      out += '=\r\n';
      lineLength = 0;
    }
    out += enc;
    lineLength += enc.length;
  }
  return out;
}

function encodeWord(value: string): string {
  return /^[\x20-\x7e]*$/.test(value) ? value : `=?UTF-8?B?${Buffer.from(value).toString('base64')}?=`;
}

export function email(o: EmailOptions = {}): Buffer {
  const from = o.from === undefined ? 'Marie Dupont <marie.dupont@exemple.fr>' : o.from;
  const fromDomain = from ? /@([^>\s]+)/.exec(from)?.[1] ?? 'exemple.fr' : 'exemple.fr';
  const lines: string[] = [];
  if (o.auth) {
    const value =
      o.auth === 'pass'
        ? `${TRUSTED_ID}; dkim=pass header.d=${fromDomain} header.s=s1; spf=pass smtp.mailfrom=${fromDomain}; dmarc=pass header.from=${fromDomain}`
        : o.auth === 'dmarc-fail'
          ? `${TRUSTED_ID}; dkim=none; spf=fail smtp.mailfrom=${fromDomain}; dmarc=fail (p=reject) header.from=${fromDomain}`
          : o.auth;
    lines.push(`Authentication-Results: ${value}`);
  }
  if (from !== null) lines.push(`From: ${from.replace(/^([^<]+)</, (_m, n: string) => `${encodeWord(n.trim())} <`)}`);
  lines.push(`To: ${o.to ?? `La Lettre des Racines <inscription@${OUR_DOMAIN}>`}`);
  if (o.cc) lines.push(`Cc: ${o.cc}`);
  lines.push(`Subject: ${encodeWord(o.subject ?? 'Re: La Lettre des Racines n°48')}`);
  const messageId = o.messageId === undefined ? newMessageId() : o.messageId;
  if (messageId) lines.push(`Message-ID: ${messageId}`);
  if (o.date !== null) lines.push(`Date: ${(o.date ?? new Date()).toUTCString().replace('GMT', '+0000')}`);
  if (o.inReplyTo) lines.push(`In-Reply-To: ${o.inReplyTo}`, `References: ${o.inReplyTo}`);
  for (const [k, v] of Object.entries(o.headers ?? {})) lines.push(`${k}: ${v}`);
  lines.push('MIME-Version: 1.0', 'Content-Type: text/plain; charset="UTF-8"', 'Content-Transfer-Encoding: quoted-printable');
  const body = o.body ?? 'Bonjour,\n\nAvec 4 amis on monte un habitat partagé près de Die (26), on cherche encore 2-3 foyers.\n\nMarie';
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${qp(body)}\r\n`, 'latin1');
}

/** Quoted bulletin, as Gmail puts it under a reply. */
export const QUOTED_BULLETIN = `

Le jeu. 12 sept. 2024 à 10:15, La Lettre des Racines <lettre@${OUR_DOMAIN}> a écrit :
> Bonjour à toutes et à tous,
> Vous portez un projet collectif écologique ? Répondez simplement à ce message.
> Pour ne plus recevoir cette lettre : répondez STOP.`;
