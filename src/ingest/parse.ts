// Raw MIME → ParsedMessage: a plain, JSON-friendly view of one inbound email that the pure
// steps (classify, trim, extract, trust) work on. Inbound mail is hostile or broken often
// enough (spam, bounces from ancient MTAs, phones with odd charsets) that this function never
// throws: whatever it cannot read becomes a line in `problems` and a best-effort value.
import { isUtf8 } from 'node:buffer';
import { simpleParser, type AddressObject, type ParsedMail, type Attachment } from 'mailparser';

export interface ParsedAddress {
  /** Lowercased address, '' when the header had a name but no usable address. */
  address: string;
  /** Display name as written (decoded), '' when absent. */
  name: string;
}

export interface AttachmentSummary {
  filename: string | null;
  contentType: string;
  size: number;
  /** 'inline' | 'attachment' | null, as the sender's client declared it. */
  disposition: string | null;
}

export interface ParsedMessage {
  from: ParsedAddress | null;
  /**
   * Recipient addresses with the domain lowercased and the local part as written: plus-tags
   * ("inscription+r-AbC123@…") are case-sensitive tokens. Compare case-insensitively. Each list
   * is capped at MAX_ADDRESSES (see problems).
   */
  to: string[];
  cc: string[];
  replyTo: string[];
  /** Every Delivered-To / X-Original-To / Envelope-To header (same casing rule as `to`): where the MTA put it. */
  deliveredTo: string[];
  subject: string;
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
  /** ISO 8601, null when absent or unreadable. */
  date: string | null;
  /**
   * Lowercased header name → unfolded raw value. A header that appears several times
   * (Received, Authentication-Results, Delivered-To) has its values joined by "\n" in
   * top-to-bottom order; unfolded values never contain a newline, so the join is lossless.
   */
  headers: Record<string, string>;
  /** Plain text body; for HTML-only mail, the HTML turned into text (blockquotes as "> "). */
  text: string;
  textSource: 'text' | 'html' | 'none';
  attachments: AttachmentSummary[];
  contentType: string;
  isMultipartReport: boolean;
  /** report-type of a multipart/report: 'delivery-status' (DSN), 'disposition-notification' (read receipt)… */
  reportType: string | null;
  /** Header block of the message returned inside a bounce (message/rfc822 or text/rfc822-headers part), capped. */
  returnedHeaders: string | null;
  /** Size of the raw message in bytes. */
  size: number;
  problems: string[];
}

export const MAX_ADDRESSES = 500;
const MAX_TEXT_CHARS = 200_000;
const MAX_HEADER_VALUE_CHARS = 8_000;
const MAX_RETURNED_HEADERS_CHARS = 16_000;
// Mailparser's HTML → text is the slow part of parsing; a registration is never this long.
const MAX_HTML_TO_PARSE = 1_000_000;

/** Parses one raw message. Never throws; see `problems` for what went wrong. */
export async function parseMessage(raw: Buffer): Promise<ParsedMessage> {
  const problems: string[] = [];
  let mail: ParsedMail | null = null;
  try {
    mail = await simpleParser(raw, {
      skipTextToHtml: true,
      skipImageLinks: true,
      skipTextLinks: true,
      maxHtmlLengthToParse: MAX_HTML_TO_PARSE,
    });
  } catch (err) {
    problems.push(`mailparser failed: ${errorText(err)}`);
  }

  // An unknown charset (or 8-bit Latin-1 labelled UTF-8) comes out as U+FFFD. French text
  // from old clients is almost always windows-1252, so relabel and parse once more.
  if (mail && hasReplacementChars(mail)) {
    const relabelled = relabelCharsets(raw);
    if (relabelled) {
      try {
        const again = await simpleParser(relabelled.raw, {
          skipTextToHtml: true,
          skipImageLinks: true,
          skipTextLinks: true,
          maxHtmlLengthToParse: MAX_HTML_TO_PARSE,
        });
        mail = again;
        problems.push(...relabelled.notes);
      } catch (err) {
        problems.push(`re-parse after charset fix failed: ${errorText(err)}`);
      }
    } else {
      problems.push('text contains undecodable bytes (U+FFFD)');
    }
  }

  if (!mail) return withoutNul(fallbackParse(raw, problems));
  try {
    return withoutNul(fromParsedMail(mail, raw, problems));
  } catch (err) {
    problems.push(`could not read parsed mail: ${errorText(err)}`);
    return withoutNul(fallbackParse(raw, problems));
  }
}

/**
 * Replaces lone UTF-16 surrogates (left by cutting a string in the middle of an emoji) with
 * U+FFFD. JSON.stringify writes them as "\\udXXX", which PostgreSQL's json parser refuses: a
 * reason cut at 500 characters must not make a whole batch of messages fail for ever.
 */
export function wellFormed(value: string): string {
  return value.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/**
 * PostgreSQL text and jsonb cannot hold U+0000, which a binary part mislabelled as text, a
 * UTF-16 body or plain junk puts in a decoded string: every later write (profile, reason, name)
 * would then fail on every retry. NUL carries no meaning in mail text, so it goes here, once.
 */
function withoutNul(msg: ParsedMessage): ParsedMessage {
  // Nearly every message has none: look first (headerMap has already looked at the headers),
  // and copy nothing when there is none.
  let nul = headersWithNul.has(msg.headers);
  for (const k in msg) nul ||= k !== 'headers' && hasNul(msg[k as keyof ParsedMessage]);
  if (nul) return stripNul(msg);
  // The copy stripNul makes has always turned the null-prototype header map into a plain object
  // (without the own "__proto__" a header of that name gives, which a copy cannot hold): what
  // reads or stores messages has seen it that way, so the map is given the same shape in place.
  delete msg.headers['__proto__'];
  Object.setPrototypeOf(msg.headers, Object.prototype);
  return msg;
}

function hasNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) return value.some(hasNul);
  if (value && typeof value === 'object') {
    // for…in: the objects here are plain records, so it visits their own keys.
    for (const k in value) if (hasNul(k) || hasNul((value as Record<string, unknown>)[k])) return true;
  }
  return false;
}

function stripNul<T>(value: T): T {
  if (typeof value === 'string') return (value.includes('\u0000') ? value.replace(/\u0000/g, '') : value) as T;
  if (Array.isArray(value)) return value.map(stripNul) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[stripNul(k)] = stripNul(v);
    return out as T;
  }
  return value;
}

function fromParsedMail(mail: ParsedMail, raw: Buffer, problems: string[]): ParsedMessage {
  const headers = headerMap(mail.headerLines ?? [], problems);

  const fromList = addressList(mail.from, 'from', problems);
  let from: ParsedAddress | null = fromList[0] ?? null;
  if (!from && headers['from']) {
    // Mailparser drops a From it cannot parse ("Marie Dupont" with no address): keep the name.
    from = { address: findAddress(headers['from']) ?? '', name: headers['from'].replace(/<[^>]*>/g, '').replace(/["']/g, '').trim() };
  }
  if (!from) problems.push('no From header');
  else if (!from.address) problems.push('From has no address');

  const recipients = (value: AddressObject | AddressObject[] | undefined, label: string) =>
    capped(addressList(value, label.toLowerCase(), problems, true).map((a) => a.address).filter(Boolean), label, problems);
  const to = recipients(mail.to, 'To');
  const cc = recipients(mail.cc, 'Cc');
  const replyTo = recipients(mail.replyTo, 'Reply-To');
  const deliveredTo = ['delivered-to', 'x-original-to', 'envelope-to', 'x-delivered-to']
    .flatMap((h) => (headers[h] ? headers[h].split('\n') : []))
    .map((v) => findAddress(v, true))
    .filter((v): v is string => v !== null);

  let date: string | null = null;
  if (mail.date instanceof Date && !Number.isNaN(mail.date.getTime()) && headers['date']) {
    date = mail.date.toISOString();
  } else {
    // Mailparser fills a missing Date with "now": that is not the sender's date.
    problems.push(headers['date'] ? 'unreadable Date header' : 'no Date header');
  }

  const ct = mail.headers.get('content-type');
  const contentType = typeof ct === 'object' && ct && 'value' in ct ? String(ct.value).toLowerCase() : 'text/plain';
  const reportType =
    typeof ct === 'object' && ct && 'params' in ct ? String((ct.params as Record<string, string>)['report-type'] ?? '').toLowerCase() || null : null;
  const isMultipartReport = contentType === 'multipart/report';

  let text = typeof mail.text === 'string' ? mail.text : '';
  let textSource: ParsedMessage['textSource'] = text.trim() ? 'text' : 'none';
  if (!text.trim() && typeof mail.html === 'string' && mail.html.trim()) {
    text = htmlToPlain(mail.html);
    textSource = 'html';
  } else if (textSource === 'text' && typeof mail.html === 'string' && !hasPlainTextPart(raw)) {
    // Mailparser already turned the HTML into text; say so, trimming and tests care.
    textSource = 'html';
  }
  if (!text.trim() && contentType.startsWith('multipart/')) {
    // A broken or mistyped boundary leaves mailparser with no parts at all: read them by hand.
    const salvaged = salvageText(raw);
    if (salvaged) {
      text = salvaged.text;
      textSource = salvaged.source;
      problems.push('multipart boundary did not match the parts; text read from the raw body');
    }
  }
  text = text.replace(/\r\n?/g, '\n');
  if (text.length > MAX_TEXT_CHARS) {
    problems.push(`text cut to ${MAX_TEXT_CHARS} characters (was ${text.length})`);
    text = text.slice(0, MAX_TEXT_CHARS);
  }

  const attachments: AttachmentSummary[] = [];
  let returnedHeaders: string | null = null;
  for (const att of mail.attachments ?? []) {
    attachments.push(summarise(att));
    const type = (att.contentType ?? '').toLowerCase();
    if (!returnedHeaders && (type === 'message/rfc822' || type === 'text/rfc822-headers' || type === 'message/rfc822-headers')) {
      returnedHeaders = headerBlock(att.content);
    }
    // Keep nothing big alive: the summary is all later steps need.
    (att as { content: unknown }).content = undefined;
  }
  if (!returnedHeaders && isMultipartReport) returnedHeaders = returnedHeadersFromText(text);

  const references = Array.isArray(mail.references) ? mail.references : mail.references ? [mail.references] : [];

  return {
    from,
    to,
    cc,
    replyTo,
    deliveredTo,
    subject: (mail.subject ?? '').replace(/\s+/g, ' ').trim(),
    messageId: mail.messageId ?? null,
    inReplyTo: mail.inReplyTo ?? null,
    references: references.slice(0, 100),
    date,
    headers,
    text,
    textSource,
    attachments,
    contentType,
    isMultipartReport,
    reportType,
    returnedHeaders,
    size: raw.length,
    problems,
  };
}

function summarise(att: Attachment): AttachmentSummary {
  return {
    filename: att.filename ?? null,
    contentType: (att.contentType ?? 'application/octet-stream').toLowerCase(),
    size: typeof att.size === 'number' ? att.size : att.content?.length ?? 0,
    disposition: att.contentDisposition ?? null,
  };
}

/** Header maps with a NUL in a name or a value: headerMap notes it as it builds them, for withoutNul. */
const headersWithNul = new WeakSet<Record<string, string>>();

function headerMap(lines: ReadonlyArray<{ key: string; line: string }>, problems: string[]): Record<string, string> {
  const map: Record<string, string> = Object.create(null) as Record<string, string>;
  let cut = false;
  let nul = false;
  for (const { key, line } of lines) {
    const name = key.toLowerCase();
    const colon = line.indexOf(':');
    let value = (colon >= 0 ? line.slice(colon + 1) : line).replace(/\r?\n[ \t]+/g, ' ').replace(/[\r\n]+/g, ' ').trim();
    if (value.length > MAX_HEADER_VALUE_CHARS) {
      value = value.slice(0, MAX_HEADER_VALUE_CHARS);
      cut = true;
    }
    nul ||= name.includes('\u0000') || value.includes('\u0000');
    map[name] = map[name] === undefined ? value : `${map[name]}\n${value}`;
  }
  if (cut) problems.push(`some header values cut to ${MAX_HEADER_VALUE_CHARS} characters`);
  if (nul) headersWithNul.add(map);
  return map;
}

function addressList(value: AddressObject | AddressObject[] | undefined, label: string, problems: string[], keepLocalCase = false): ParsedAddress[] {
  if (!value) return [];
  const out: ParsedAddress[] = [];
  const walk = (entries: AddressObject['value']) => {
    for (const entry of entries ?? []) {
      if (entry.group) walk(entry.group);
      else out.push({ address: normaliseAddress(entry.address ?? '', keepLocalCase), name: (entry.name ?? '').trim() });
    }
  };
  try {
    for (const obj of Array.isArray(value) ? value : [value]) walk(obj.value);
  } catch (err) {
    problems.push(`unreadable ${label} header: ${errorText(err)}`);
  }
  return out;
}

function normaliseAddress(address: string, keepLocalCase = false): string {
  const a = address.trim();
  if (!/^[^\s@]+@[^\s@]+$/.test(a)) return '';
  const at = a.lastIndexOf('@');
  return keepLocalCase ? `${a.slice(0, at)}@${a.slice(at + 1).toLowerCase()}` : a.toLowerCase();
}

function capped(list: string[], label: string, problems: string[]): string[] {
  if (list.length <= MAX_ADDRESSES) return list;
  problems.push(`${label} has ${list.length} addresses; kept the first ${MAX_ADDRESSES}`);
  return list.slice(0, MAX_ADDRESSES);
}

const ADDRESS_RE = /<?([A-Za-z0-9._%+=~!#$&'*/?^`{|}-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})>?/;

function findAddress(value: string, keepLocalCase = false): string | null {
  const m = ADDRESS_RE.exec(value);
  return m ? normaliseAddress(m[1]!, keepLocalCase) || null : null;
}

function hasReplacementChars(mail: ParsedMail): boolean {
  const fromName = mail.from?.value?.[0]?.name ?? '';
  return [mail.text, mail.html, mail.subject, fromName].some((v) => typeof v === 'string' && v.includes('\uFFFD'));
}

/**
 * Rewrites charset labels that cannot be decoded (unknown to the platform, or "utf-8" over
 * bytes that are not UTF-8) to windows-1252, and a header block written in raw 8-bit Latin-1
 * (old clients put "Ren\xe9" straight into From:) as UTF-8. The header block and the body are
 * judged apart: a Latin-1 name in From: says nothing about a body that is valid UTF-8, which
 * relabelling would turn into "crÃ©ons". Returns null when there is nothing to fix.
 */
function relabelCharsets(raw: Buffer): { raw: Buffer; notes: string[] } | null {
  const end = headerBlockEnd(raw);
  const head = raw.subarray(0, end);
  const body = raw.subarray(end);
  const bodyIsUtf8 = isValidUtf8(body);
  const notes: string[] = [];
  const relabel = (text: string) =>
    text.replace(/charset\s*=\s*("?)([^\s";]+)\1/gi, (whole, _q: string, label: string) => {
      const known = charsetKnown(label);
      const lying = /^utf-?8$/i.test(label) && !bodyIsUtf8;
      if (known && !lying) return whole;
      notes.push(known ? `declared charset ${label} is wrong, decoded as windows-1252` : `unknown charset ${label}, decoded as windows-1252`);
      return 'charset="windows-1252"';
    });
  // Encoded words in headers ("=?unknown-8bit?Q?Ren=E9?=") carry their own charset label.
  const encodedWords = (text: string) =>
    text.replace(/=\?([^?\s]+)\?([QqBb])\?/g, (whole, label: string, mode: string) => {
      if (charsetKnown(label.replace(/\*.*$/, ''))) return whole;
      notes.push(`unknown charset ${label} in a header, decoded as windows-1252`);
      return `=?windows-1252?${mode}?`;
    });
  // latin1 maps bytes 1:1 to code units, so what is not rewritten comes back byte for byte.
  const headUtf8 = isValidUtf8(head);
  const headText = encodedWords(relabel(headUtf8 ? head.toString('latin1') : windows1252.decode(head)));
  if (!headUtf8) notes.push('raw 8-bit header bytes, read as windows-1252');
  const bodyText = encodedWords(relabel(body.toString('latin1')));
  if (notes.length === 0) return null;
  return { raw: Buffer.concat([Buffer.from(headText, headUtf8 ? 'latin1' : 'utf8'), Buffer.from(bodyText, 'latin1')]), notes: [...new Set(notes)] };
}

const windows1252 = new TextDecoder('windows-1252');

/** Offset just past the blank line that ends the header block (the whole message when there is none). */
function headerBlockEnd(raw: Buffer): number {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return crlf + 4;
  return lf >= 0 ? lf + 2 : raw.length;
}

function charsetKnown(label: string): boolean {
  try {
    new TextDecoder(label);
    return true;
  } catch {
    return false;
  }
}

/** What a fatal TextDecoder('utf-8') accepts, checked without decoding (no string made). */
function isValidUtf8(buf: Buffer): boolean {
  return isUtf8(buf);
}

function headerBlock(content: Buffer | undefined): string | null {
  if (!content || content.length === 0) return null;
  const head = content.subarray(0, MAX_RETURNED_HEADERS_CHARS).toString('utf8').replace(/\r\n?/g, '\n');
  const end = head.indexOf('\n\n');
  return (end >= 0 ? head.slice(0, end) : head).trim() || null;
}

/** Some MTAs inline the returned headers as text; take the block that starts at a From:/Message-ID: line. */
function returnedHeadersFromText(text: string): string | null {
  const m = /^(?:Return-Path|Received|From|Message-I[dD]|X-Maillage-Id):[^\n]*(?:\n[^\n]+)*/m.exec(text.split(/\n(?=Final-Recipient:)/i).pop() ?? '');
  return m ? m[0].slice(0, MAX_RETURNED_HEADERS_CHARS) : null;
}

/**
 * Minimal HTML → text for when mailparser gave us HTML only and no text (it normally converts
 * itself). Keeps paragraphs and marks blockquotes with "> " so trimming still sees the quote.
 */
export function htmlToPlain(html: string): string {
  let s = html.slice(0, MAX_HTML_TO_PARSE);
  s = s.replace(/<(script|style|head)[^>]*>[\s\S]*?<\/\1>/gi, '');
  s = s.replace(/<blockquote[^>]*>([\s\S]*?)<\/blockquote>/gi, (_m, inner: string) =>
    '\n' + htmlToPlain(inner).split('\n').map((l) => `> ${l}`).join('\n') + '\n\n',
  );
  s = s.replace(/<br\s*\/?>/gi, '\n').replace(/<\/(p|div|li|tr|h[1-6])>/gi, '\n').replace(/<[^>]+>/g, '');
  s = s
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&apos;/g, "'")
    .replace(/&#(\d+);/g, (_m, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&amp;/g, '&');
  return s.replace(/[ \t]+\n/g, '\n').replace(/\n{3,}/g, '\n\n').trim();
}

function hasPlainTextPart(raw: Buffer): boolean {
  return /content-type:\s*text\/plain/i.test(raw.subarray(0, 512_000).toString('latin1'));
}

/** Finds the first text part of a multipart body whose boundary does not match its header. */
function salvageText(raw: Buffer): { text: string; source: 'text' | 'html' } | null {
  const src = raw.subarray(0, 2_000_000).toString('latin1').replace(/\r\n?/g, '\n');
  const start = src.indexOf('\n\n');
  if (start < 0) return null;
  const chunks = src.slice(start + 2).split(/^--[^\s][^\n]*$/m);
  let html: string | null = null;
  for (const chunk of chunks) {
    const sep = chunk.indexOf('\n\n');
    if (sep < 0) continue;
    const head = chunk.slice(0, sep);
    const type = /content-type:\s*([^;\s]+)/i.exec(head)?.[1]?.toLowerCase();
    if (!type || !type.startsWith('text/')) continue;
    const charset = /charset\s*=\s*"?([^";\s]+)/i.exec(head)?.[1] ?? 'utf-8';
    const cte = /content-transfer-encoding:\s*([\w-]+)/i.exec(head)?.[1]?.toLowerCase() ?? '7bit';
    const decoded = decodeBytes(transferDecode(chunk.slice(sep + 2), cte), charset);
    if (type === 'text/plain' && decoded.trim()) return { text: decoded.trim(), source: 'text' };
    if (type === 'text/html' && html === null) html = decoded;
  }
  return html && html.trim() ? { text: htmlToPlain(html), source: 'html' } : null;
}

function transferDecode(content: string, cte: string): Buffer {
  if (cte === 'base64') return Buffer.from(content.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  if (cte === 'quoted-printable') {
    const unwrapped = content.replace(/=\n/g, '');
    const bytes: number[] = [];
    for (let i = 0; i < unwrapped.length; i++) {
      const c = unwrapped[i]!;
      if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(unwrapped.slice(i + 1, i + 3))) {
        bytes.push(parseInt(unwrapped.slice(i + 1, i + 3), 16));
        i += 2;
      } else bytes.push(unwrapped.charCodeAt(i) & 0xff);
    }
    return Buffer.from(bytes);
  }
  return Buffer.from(content, 'latin1');
}

function decodeBytes(bytes: Buffer, charset: string): string {
  if (/^utf-?8$/i.test(charset) && !isValidUtf8(bytes)) return new TextDecoder('windows-1252').decode(bytes);
  try {
    return new TextDecoder(charset).decode(bytes);
  } catch {
    return new TextDecoder(isValidUtf8(bytes) ? 'utf-8' : 'windows-1252').decode(bytes);
  }
}

/** When mailparser itself fails (a header over its size limit…): split headers by hand so classification can still run. */
function fallbackParse(raw: Buffer, problems: string[]): ParsedMessage {
  let split = raw.indexOf('\r\n\r\n');
  let sepLength = 4;
  const lf = raw.indexOf('\n\n');
  if (split < 0 || (lf >= 0 && lf < split)) {
    split = lf;
    sepLength = 2;
  }
  const head = (split >= 0 ? raw.subarray(0, split) : raw).toString('utf8').replace(/\r\n?/g, '\n');
  const body = split >= 0 ? raw.subarray(split + sepLength, split + sepLength + MAX_TEXT_CHARS * 2).toString('utf8').replace(/\r\n?/g, '\n') : '';
  const lines = head.split('\n').reduce<{ key: string; line: string }[]>((acc, line) => {
    if (/^[ \t]/.test(line) && acc.length) acc[acc.length - 1]!.line += `\n${line}`;
    else {
      const colon = line.indexOf(':');
      if (colon > 0) acc.push({ key: line.slice(0, colon).trim().toLowerCase(), line });
    }
    return acc;
  }, []);
  // Addresses come from the full values: the header map below cuts long ones.
  const full = (name: string) => lines.filter((l) => l.key === name).map((l) => l.line.slice(l.line.indexOf(':') + 1)).join(',');
  const list = (name: string, label: string) => {
    const found: string[] = [];
    for (const m of full(name).matchAll(/[A-Za-z0-9._%+=~!#$&'*/?^`{|}-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g)) {
      const a = normaliseAddress(m[0], true);
      if (a) found.push(a);
    }
    return capped(found, label, problems);
  };
  const headers = headerMap(lines, problems);
  const fromRaw = headers['from'] ?? '';
  const fromAddress = findAddress(fromRaw);
  const ct = (headers['content-type'] ?? 'text/plain').toLowerCase();
  const plain = ct.startsWith('text/plain');
  return {
    from: fromRaw ? { address: fromAddress ?? '', name: fromRaw.replace(/<[^>]*>/g, '').replace(/"/g, '').trim() } : null,
    to: list('to', 'To'),
    cc: list('cc', 'Cc'),
    replyTo: list('reply-to', 'Reply-To'),
    deliveredTo: list('delivered-to', 'Delivered-To'),
    subject: headers['subject'] ?? '',
    messageId: headers['message-id'] ?? null,
    inReplyTo: headers['in-reply-to'] ?? null,
    references: (headers['references'] ?? '').split(/\s+/).filter(Boolean).slice(0, 100),
    date: null,
    headers,
    text: plain ? body.slice(0, MAX_TEXT_CHARS) : ct.startsWith('text/html') ? htmlToPlain(body) : '',
    textSource: plain && body.trim() ? 'text' : ct.startsWith('text/html') ? 'html' : 'none',
    attachments: [],
    contentType: ct.split(';')[0]!.trim(),
    isMultipartReport: ct.startsWith('multipart/report'),
    reportType: /report-type\s*=\s*"?([\w-]+)/.exec(ct)?.[1] ?? null,
    returnedHeaders: null,
    size: raw.length,
    problems,
  };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
