// How well trimReply finds "their own words" in real reply bodies nobody on this team wrote:
// the test inputs of four open-source reply/forward parsers, kept in ../shared/data/email-fixtures
// (never copied here). Run: node --import tsx bench/trim-eval.ts [--verbose]
//
// What "trimmed well" means, per file:
//  - upstream expectation: many crisp/willdurand fixtures open with the same Latin paragraph
//    ("Fusce bibendum … nec nibh."), which their own tests expect as the visible first fragment;
//    for those, our body must be exactly that paragraph.
//  - forwarded messages (email-forward-parser): the forwarded header and body ("Aenean quis
//    diam…", john.doe@acme.com) must be gone, and the sender's own note above it, when the
//    fixture has one, must stay.
//  - everything else, by heuristics: no ">" line, no attribution line ("… wrote:", "… a écrit :"),
//    no "From:/Sent:" header pair, no "Original Message" separator, no mobile footer, and, when
//    the message opens with unquoted text, a body that starts with that text (not over-trimmed).
// The same checks run on email-reply-parser's getVisibleText() alone, as a baseline.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import EmailReplyParser from 'email-reply-parser';
import { trimReply } from '../src/ingest/trim.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const verbose = process.argv.includes('--verbose');

function fixturesDir(): string | null {
  const shared = process.env.MAILLAGE_SHARED ? resolve(process.env.MAILLAGE_SHARED) : resolve(repo, '../shared');
  for (const candidate of [join(shared, 'data', 'email-fixtures'), join(shared, 'email-fixtures'), shared]) {
    if (existsSync(candidate) && readdirSync(candidate).some((d) => /reply|forward/i.test(d))) return candidate;
  }
  return null;
}

const dir = fixturesDir();
if (!dir) {
  console.log('trim-eval: no email fixtures found (looked in ../shared/data/email-fixtures; set MAILLAGE_SHARED to the shared folder). Nothing to measure.');
  process.exit(0);
}

function walk(d: string): string[] {
  return readdirSync(d).flatMap((name) => {
    const p = join(d, name);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.txt') ? [p] : [];
  });
}

const COMMON_START = 'Fusce bibendum, quam hendrerit';
const COMMON_END = 'nec nec nibh.';
const ATTRIBUTION_RE = /^.{0,240}\b(?:wrote|a écrit|escribió|schrieb|scritto|escreveu|napisał|pisze|skrev|kirjoitti|schreef)\s*:?\s*$/im;
const HEADER_PAIR_RE = /^\s*\*?(?:From|De|Von|Van|Da|Od)\s*:\*?.*\n\s*\*?(?:Sent|Envoyé|Date|To|À|Gesendet|Subject|Objet|Verzonden|Inviato|Enviado)\s*:/im;
const SEPARATOR_RE = /^[-_\s]*(?:original message|message d'origine|mail original|forwarded message|message transféré|ursprüngliche nachricht)/im;
const FOOTER_RE = /^(?:sent from my|envoyé de mon|envoyé depuis|get outlook for|obtenir outlook pour)/im;

type Verdict = { ok: boolean; why: string };

function check(file: string, text: string, body: string): Verdict {
  const name = basename(file);
  const norm = (s: string) => s.replace(/[\u200B-\u200D\u2060\uFEFF]/g, '').replace(/\s+/g, ' ').trim();
  if (text.trimStart().startsWith(COMMON_START)) {
    const end = text.indexOf(COMMON_END);
    const expected = text.slice(0, end + COMMON_END.length);
    return norm(body) === norm(expected) ? { ok: true, why: 'upstream first fragment' } : { ok: false, why: 'differs from upstream first fragment' };
  }
  if (file.includes('email-forward-parser')) {
    if (body.includes('Aenean quis diam')) return { ok: false, why: 'forwarded body kept' };
    if (body.includes('john.doe@acme.com')) return { ok: false, why: 'forwarded header kept' };
    for (const own of ['Praesent suscipit egestas hendrerit', "That's true!"]) {
      if (text.trimStart().startsWith(own) && !body.includes(own)) return { ok: false, why: 'own note above the forward lost' };
    }
    return { ok: true, why: 'forward removed' };
  }
  if (/^\s*>/m.test(body)) return { ok: false, why: '">" line kept' };
  if (ATTRIBUTION_RE.test(body)) return { ok: false, why: 'attribution line kept' };
  if (HEADER_PAIR_RE.test(body)) return { ok: false, why: 'header block kept' };
  if (SEPARATOR_RE.test(body)) return { ok: false, why: 'separator kept' };
  if (FOOTER_RE.test(body)) return { ok: false, why: 'mobile footer kept' };
  const firstLine = text.split('\n').find((l) => l.trim() !== '') ?? '';
  const opensWithOwnText = firstLine !== '' && !/^\s*>/.test(firstLine) && !ATTRIBUTION_RE.test(firstLine) && !/^(?:-{3,}|_{5,}|(?:From|De|Von)\s*:)/i.test(firstLine.trim()) && !/^(?:On|Le|Am|El)\s/.test(firstLine.trim());
  if (opensWithOwnText && body.trim() === '') return { ok: false, why: 'own text dropped' };
  // Over-trimming: when the message opens with the sender's text, our body must open with it too.
  if (opensWithOwnText && !norm(body).startsWith(norm(firstLine).slice(0, 40))) return { ok: false, why: 'beginning of own text lost' };
  if (name.includes('_subject')) return { ok: true, why: 'subject only' };
  return { ok: true, why: 'heuristics' };
}

const FRENCH_NAME_RE = /(?:^|_)(?:fr|french)(?:_|\.)|zimbra_free_fr/;
const FRENCH_TEXT_RE = /a écrit|Message du|Sujet\s?:|Envoyé\s?:|Objet\s?:|Message d'origine|Mail original|transféré|réexpédié|Envoyé de mon|Bonjour|Cordialement|Bien à vous|Début du message/;

const files = walk(dir).filter((f) => !basename(f).includes('_subject')).sort();
const erp = new EmailReplyParser();
const bySuite = new Map<string, { n: number; ours: number; erp: number }>();
const french: { file: string; ours: Verdict; erp: Verdict }[] = [];
const failures: string[] = [];
let ours = 0;
let baseline = 0;
let ms = 0;

for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const started = performance.now();
  const r = trimReply(text);
  ms += performance.now() - started;
  const v = check(file, text, r.body);
  // email-reply-parser is quadratic: it ran for minutes on the 750 kB long-quote fixture.
  let b: Verdict;
  if (text.length > 50_000) b = { ok: false, why: 'too long for email-reply-parser (skipped)' };
  else {
    let erpBody = text;
    try {
      erpBody = erp.read(text).getVisibleText();
    } catch {
      // counted as not trimmed
    }
    b = check(file, text, erpBody);
  }
  const suite = relative(dir, file).split(/[\\/]/)[0]!;
  const s = bySuite.get(suite) ?? { n: 0, ours: 0, erp: 0 };
  s.n++;
  if (v.ok) s.ours++;
  if (b.ok) s.erp++;
  bySuite.set(suite, s);
  if (v.ok) ours++;
  else failures.push(`${relative(dir, file)}: ${v.why}`);
  if (b.ok) baseline++;
  if (FRENCH_NAME_RE.test(basename(file)) || FRENCH_TEXT_RE.test(text)) french.push({ file: relative(dir, file), ours: v, erp: b });
}

const pct = (a: number, n: number) => `${((100 * a) / Math.max(1, n)).toFixed(1)}%`;
console.log(`trim-eval: ${files.length} reply bodies from ${dir}`);
console.log(`  trimReply           ${ours}/${files.length} trimmed well (${pct(ours, files.length)}), ${(ms / files.length).toFixed(3)} ms per body`);
console.log(`  email-reply-parser  ${baseline}/${files.length} (${pct(baseline, files.length)}) with the same checks, for comparison`);
console.log('\n  by suite                          trimReply   email-reply-parser');
for (const [suite, s] of [...bySuite].sort()) {
  console.log(`  ${suite.padEnd(32)}  ${`${s.ours}/${s.n}`.padStart(9)}   ${`${s.erp}/${s.n}`.padStart(9)}`);
}
const frOk = french.filter((f) => f.ours.ok).length;
const frErp = french.filter((f) => f.erp.ok).length;
console.log(`\n  French: ${frOk}/${french.length} trimmed well (email-reply-parser alone: ${frErp}/${french.length})`);
for (const f of french) {
  console.log(`    ${f.ours.ok ? 'ok  ' : 'FAIL'} ${f.file.padEnd(78)} ${f.ours.why}${f.erp.ok !== f.ours.ok ? `  [erp: ${f.erp.ok ? 'ok' : f.erp.why}]` : ''}`);
}
if (failures.length) {
  console.log(`\n  ${failures.length} not trimmed well${verbose ? ':' : ' (--verbose lists them)'}`);
  if (verbose) for (const f of failures) console.log(`    ${f}`);
}
