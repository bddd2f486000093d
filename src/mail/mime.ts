// Builds the outgoing message (RFC 5322 + MIME) directly, instead of through nodemailer's
// composer: one multipart/alternative with a quoted-printable text part and HTML part, every
// header we need and nothing else. Measured here it halves the CPU of sending a message
// (≈1.3 → ≈0.6 ms), which is most of what the send job costs. nodemailer still delivers it
// (pooled SMTP, DKIM signing of the finished message). Returns null for what this builder does
// not handle (a non-ASCII address, which needs SMTPUTF8): the caller then uses the composer.
import { randomUUID } from 'node:crypto';
import addressparser from 'nodemailer/lib/addressparser';
import { encodeWord, encodeWords, foldLines } from 'nodemailer/lib/mime-funcs';
import { encode as qpEncode, wrap as qpWrap } from 'nodemailer/lib/qp';

export interface OutgoingMessage {
  from: string;
  to: string[];
  replyTo?: string;
  subject: string;
  messageId: string;
  inReplyTo?: string;
  references?: string;
  /** Other headers, names as they should appear (List-Unsubscribe, Auto-Submitted…). */
  headers: Record<string, string>;
  text: string;
  html: string;
  date?: Date;
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const ATOM_SAFE = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~ .]*$/;

function crlf(text: string): string {
  return text.replace(/\r\n|\r|\n/g, '\r\n');
}

/** "Name <a@b>, c@d" → the header form, display names encoded; null if an address is not ASCII. */
function formatAddresses(value: string): string | null {
  const list = addressparser(value, { flatten: true });
  if (list.length === 0) return null;
  const out: string[] = [];
  for (const { name, address } of list) {
    if (!address || !PRINTABLE_ASCII.test(address) || /[\s<>]/.test(address)) return null;
    if (!name) {
      out.push(address);
    } else if (!PRINTABLE_ASCII.test(name)) {
      out.push(`${encodeWord(name, 'Q', 52)} <${address}>`);
    } else if (ATOM_SAFE.test(name) && !name.includes('.')) {
      out.push(`${name} <${address}>`);
    } else {
      out.push(`"${name.replace(/(["\\])/g, '\\$1')}" <${address}>`);
    }
  }
  return out.join(', ');
}

/** One header line, encoded when needed and folded at 76 characters where it has spaces. */
function header(name: string, value: string): string {
  const clean = value.replace(/[\r\n]+/g, ' ').trim();
  const encoded = PRINTABLE_ASCII.test(clean) ? clean : encodeWords(clean, 'Q', 52);
  return foldLines(`${name}: ${encoded}`, 76);
}

function qpBody(text: string): string {
  return qpWrap(qpEncode(Buffer.from(crlf(text), 'utf8')), 76);
}

/** RFC 5322 date in UTC ("Tue, 10 Mar 2026 08:00:00 +0000"). */
function rfc5322Date(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}

export function buildRawMessage(m: OutgoingMessage): Buffer | null {
  const from = formatAddresses(m.from);
  const to = formatAddresses(m.to.join(', '));
  const replyTo = m.replyTo ? formatAddresses(m.replyTo) : undefined;
  if (!from || !to || replyTo === null) return null;
  // "=_" never occurs in quoted-printable output ("=" is always "=3D"), so the boundary cannot
  // appear inside a part.
  const boundary = `=_maillage_${randomUUID().replace(/-/g, '')}`;
  const lines = [
    header('From', from),
    header('To', to),
    ...(replyTo ? [header('Reply-To', replyTo)] : []),
    header('Subject', m.subject),
    header('Date', rfc5322Date(m.date ?? new Date())),
    header('Message-ID', m.messageId),
    ...(m.inReplyTo ? [header('In-Reply-To', m.inReplyTo)] : []),
    ...(m.references ? [header('References', m.references)] : []),
    'MIME-Version: 1.0',
    ...Object.entries(m.headers).map(([name, value]) => header(name, value)),
    `Content-Type: multipart/alternative; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    qpBody(m.text),
    `--${boundary}`,
    'Content-Type: text/html; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    qpBody(m.html),
    `--${boundary}--`,
    '',
  ];
  return Buffer.from(lines.join('\r\n'), 'utf8');
}
