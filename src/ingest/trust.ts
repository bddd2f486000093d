// Whether the From address of an inbound email can be believed, from the Authentication-Results
// our own receiving server wrote (RFC 8601). Only results stamped with an authserv-id we trust
// count: anyone can write an Authentication-Results header into the message they send.
// 'pass' lets an email registration go live at once; 'fail' (DMARC says the From is forged)
// means the service must never answer that message; 'none' means "ask for a confirmation click".

export type TrustVerdict = 'pass' | 'fail' | 'none';

export interface SenderTrust {
  verdict: TrustVerdict;
  /** Short English text naming the result that decided, e.g. "dkim=pass header.d=exemple.fr (mx.maillage.org)". */
  detail: string;
}

export interface AuthResult {
  method: string;
  result: string;
  /** Lowercased property names ("header.d", "smtp.mailfrom") → values as written. */
  props: Record<string, string>;
}

export interface AuthResultsHeader {
  authservId: string;
  results: AuthResult[];
}

/**
 * @param headers lowercased header map (ParsedMessage.headers: repeated headers joined by "\n"),
 *   or a map to arrays of values.
 * @param fromAddress the From address of the message.
 * @param trustedAuthservIds authserv-ids of our own receiving servers (case-insensitive).
 */
export function senderTrust(
  headers: Record<string, string | string[] | undefined>,
  fromAddress: string | null | undefined,
  trustedAuthservIds: string[],
): SenderTrust {
  const fromDomain = domainOf(fromAddress ?? '');
  if (!fromDomain) return { verdict: 'none', detail: 'no From domain' };
  const trusted = new Set(trustedAuthservIds.map((id) => id.trim().toLowerCase()).filter(Boolean));
  if (trusted.size === 0) return { verdict: 'none', detail: 'no trusted authserv-id configured' };

  const raw = headers['authentication-results'];
  const values = (Array.isArray(raw) ? raw : raw ? raw.split('\n') : []).filter((v) => v.trim() !== '');
  const parsed = values.map(parseAuthenticationResults).filter((h): h is AuthResultsHeader => h !== null);
  const ours = parsed.filter((h) => trusted.has(h.authservId.toLowerCase()));
  if (ours.length === 0) {
    return { verdict: 'none', detail: parsed.length ? 'no Authentication-Results from a trusted server' : 'no Authentication-Results' };
  }

  const results = ours.flatMap((h) => h.results.map((r) => ({ ...r, authservId: h.authservId })));

  // A forged From outranks everything else: DMARC is the check that ties a result to the From.
  const dmarcFail = results.find((r) => r.method === 'dmarc' && r.result === 'fail');
  if (dmarcFail) {
    return { verdict: 'fail', detail: `dmarc=fail${dmarcFail.props['header.from'] ? ` header.from=${dmarcFail.props['header.from']}` : ''} (${dmarcFail.authservId})` };
  }

  for (const r of results) {
    if (r.method === 'dkim' && r.result === 'pass') {
      const d = r.props['header.d'] ?? domainOf(r.props['header.i'] ?? '');
      if (d && aligned(d, fromDomain)) return { verdict: 'pass', detail: `dkim=pass header.d=${d} (${r.authservId})` };
    }
  }
  for (const r of results) {
    if (r.method === 'spf' && r.result === 'pass') {
      const mailfrom = r.props['smtp.mailfrom'] ?? '';
      const d = mailfrom.includes('@') ? domainOf(mailfrom) : mailfrom.toLowerCase() || null;
      if (d && aligned(d, fromDomain)) return { verdict: 'pass', detail: `spf=pass smtp.mailfrom=${mailfrom} (${r.authservId})` };
    }
  }
  for (const r of results) {
    if (r.method === 'dmarc' && r.result === 'pass') {
      const d = (r.props['header.from'] ?? '').toLowerCase();
      if (d && aligned(d, fromDomain)) return { verdict: 'pass', detail: `dmarc=pass header.from=${d} (${r.authservId})` };
    }
  }
  const summary = results.map((r) => `${r.method}=${r.result}`).join(' ');
  return { verdict: 'none', detail: summary ? `no aligned pass (${summary})` : 'no results' };
}

/** Parses one Authentication-Results value; null when it has no authserv-id. */
export function parseAuthenticationResults(value: string): AuthResultsHeader | null {
  const text = stripComments(value).trim();
  const parts = splitOutsideQuotes(text, ';').map((p) => p.trim());
  const head = parts.shift() ?? '';
  const authservId = head.split(/\s+/)[0] ?? '';
  if (!authservId || authservId.includes('=')) return null;
  const results: AuthResult[] = [];
  for (const part of parts) {
    if (!part || /^none$/i.test(part)) continue;
    const tokens = part.match(/(?:[^\s"]+|"[^"]*")+/g) ?? [];
    const first = tokens.shift() ?? '';
    const eq = first.indexOf('=');
    if (eq <= 0) continue;
    const method = first.slice(0, eq).toLowerCase().replace(/\/.*$/, '');
    const result = first.slice(eq + 1).toLowerCase();
    const props: Record<string, string> = {};
    for (const token of tokens) {
      const i = token.indexOf('=');
      if (i <= 0) continue;
      const key = token.slice(0, i).toLowerCase();
      if (key === 'reason') continue;
      props[key] = token.slice(i + 1).replace(/^"|"$/g, '');
    }
    results.push({ method, result, props });
  }
  return { authservId, results };
}

/** Relaxed DMARC alignment: same organisational domain. */
export function aligned(a: string, b: string): boolean {
  const x = a.toLowerCase().replace(/\.$/, '');
  const y = b.toLowerCase().replace(/\.$/, '');
  return x === y || organisationalDomain(x) === organisationalDomain(y);
}

// Public suffixes with two labels that French senders actually use; a full PSL would be a
// dependency for a handful of cases, and a miss only makes alignment stricter (→ 'none').
const TWO_LABEL_SUFFIXES = new Set([
  'gouv.fr', 'asso.fr', 'com.fr', 'nom.fr', 'presse.fr', 'tm.fr', 'notaires.fr', 'avocat.fr', 'gov.uk',
  'co.uk', 'org.uk', 'ac.uk', 'me.uk', 'com.au', 'net.au', 'org.au', 'co.nz', 'co.jp', 'com.br', 'co.za',
  'com.mx', 'com.ar', 'com.tr', 'qc.ca', 'ac.be', 'co.at', 'or.at', 'com.es', 'org.es', 'co.in', 'co.il',
]);

export function organisationalDomain(domain: string): string {
  const labels = domain.toLowerCase().split('.').filter(Boolean);
  if (labels.length <= 2) return labels.join('.');
  const lastTwo = labels.slice(-2).join('.');
  return TWO_LABEL_SUFFIXES.has(lastTwo) ? labels.slice(-3).join('.') : lastTwo;
}

function domainOf(address: string): string | null {
  const at = address.lastIndexOf('@');
  const d = (at >= 0 ? address.slice(at + 1) : '').trim().toLowerCase().replace(/[>\s].*$/, '');
  return d && d.includes('.') ? d : null;
}

/** Removes RFC 5322 comments "(…)", nested, outside quoted strings. */
function stripComments(value: string): string {
  // With no "(" and no escape, the loop below gives back the value as it is: skip it.
  if (!value.includes('(') && !value.includes('\\')) return value;
  let out = '';
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '\\' && i + 1 < value.length) {
      if (depth === 0) out += c + value[i + 1];
      i++;
      continue;
    }
    if (c === '"' && depth === 0) quoted = !quoted;
    if (!quoted && c === '(') {
      depth++;
      continue;
    }
    if (!quoted && c === ')' && depth > 0) {
      depth--;
      continue;
    }
    if (depth === 0) out += c;
  }
  return out;
}

function splitOutsideQuotes(text: string, sep: string): string[] {
  // With no quotes every separator counts: a plain split gives the same parts.
  if (!text.includes('"')) return text.split(sep);
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (const c of text) {
    if (c === '"') quoted = !quoted;
    if (c === sep && !quoted) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts;
}
