// Throughput of the pure intake (parse → trim → classify → extract) against mailparser alone,
// over the .eml fixtures repeated to N messages, in one process, one message at a time.
// Budget: the full intake stays within 3× of mailparser alone.
// Run: node --import tsx bench/ingest-pure.ts [N=2000]
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { simpleParser } from 'mailparser';
import { parseMessage } from '../src/ingest/parse.js';
import { trimReply } from '../src/ingest/trim.js';
import { classifyMessage } from '../src/ingest/classify.js';
import { extractProfile } from '../src/ingest/extract.js';
import { loadGazetteer } from '../src/geo/index.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(repo, 'test/fixtures/emails');
const N = Number(process.argv[2] ?? 2000);
const fixtures = readdirSync(dir)
  .filter((f) => f.endsWith('.eml'))
  .sort()
  .map((f) => readFileSync(join(dir, f)));
const messages = Array.from({ length: N }, (_, i) => fixtures[i % fixtures.length]!);
const ctx = { ourAddresses: ['lettre@reseau-racines.org', 'inscription@reseau-racines.org'], ourMessageIdDomain: 'reseau-racines.org' };

const g0 = performance.now();
const gazetteer = loadGazetteer();
const gazetteerMs = performance.now() - g0;

interface Round {
  mailparserDefault: number;
  mailparserOptions: number;
  total: number;
  parse: number;
  trim: number;
  classify: number;
  extract: number;
}

/**
 * One pass over the N messages. Each message goes through mailparser (default options),
 * mailparser (parse.ts's options) and the full intake back to back, so that a busy machine
 * slows all three alike instead of whichever block happened to run during the noise.
 */
async function round(): Promise<Round> {
  const r: Round = { mailparserDefault: 0, mailparserOptions: 0, total: 0, parse: 0, trim: 0, classify: 0, extract: 0 };
  for (const raw of messages) {
    const t0 = performance.now();
    await simpleParser(raw);
    const t1 = performance.now();
    await simpleParser(raw, { skipTextToHtml: true, skipImageLinks: true, skipTextLinks: true });
    const a = performance.now();
    const msg = await parseMessage(raw);
    const b = performance.now();
    const trimmed = trimReply(msg.text);
    const c = performance.now();
    const kind = classifyMessage(msg, ctx, trimmed);
    const d = performance.now();
    // As understandMessage does: machine kinds (bounce, auto-reply, loop) get no profile.
    if (kind.kind !== 'bounce' && kind.kind !== 'auto_reply' && kind.kind !== 'loop') extractProfile(msg, trimmed, gazetteer);
    const e = performance.now();
    r.mailparserDefault += t1 - t0;
    r.mailparserOptions += a - t1;
    r.parse += b - a;
    r.trim += c - b;
    r.classify += d - c;
    r.extract += e - d;
    r.total += e - a;
  }
  return r;
}

// Warm up JIT and caches on one pass of the fixtures, then measure.
for (const raw of fixtures) {
  await simpleParser(raw);
  const msg = await parseMessage(raw);
  extractProfile(msg, trimReply(msg.text), gazetteer);
}
const rounds = 3;
const results: Round[] = [];
for (let i = 0; i < rounds; i++) results.push(await round());
const median = results.sort((a, b) => a.total / a.mailparserDefault - b.total / b.mailparserDefault)[Math.floor(rounds / 2)]!;
const perSec = (ms: number) => Math.round((N / ms) * 1000);

console.log(`ingest-pure: ${N} messages (${fixtures.length} fixtures repeated), median round of ${rounds}, Node ${process.version}`);
console.log(`  gazetteer load (once, not counted)        ${gazetteerMs.toFixed(0)} ms (${gazetteer.origin})`);
console.log(`  mailparser simpleParser, default options  ${median.mailparserDefault.toFixed(0)} ms  ${perSec(median.mailparserDefault)} msg/s`);
console.log(`  mailparser with the options parse.ts uses ${median.mailparserOptions.toFixed(0)} ms  ${perSec(median.mailparserOptions)} msg/s`);
console.log(`  full intake parse+trim+classify+extract   ${median.total.toFixed(0)} ms  ${perSec(median.total)} msg/s`);
console.log(`    parseMessage ${median.parse.toFixed(0)} ms · trimReply ${median.trim.toFixed(0)} ms · classifyMessage ${median.classify.toFixed(0)} ms · extractProfile ${median.extract.toFixed(0)} ms`);
const ratio = median.total / median.mailparserDefault;
console.log(`  full intake / mailparser alone (default)  ${ratio.toFixed(2)}×  (budget 3×: ${ratio <= 3 ? 'within' : 'OVER'})`);
console.log(`  full intake / mailparser (same options)   ${(median.total / median.mailparserOptions).toFixed(2)}×`);
// One machine-readable line for bench/run.ts's summary table.
console.log(`BENCH-SUMMARY ${JSON.stringify({
  bench: 'ingest-pure', figure: 'parse + trim + classify + extract, no I/O', value: perSec(median.total), unit: 'msg/s',
  baseline: 'mailparser alone (defaults)', baselineValue: perSec(median.mailparserDefault),
  ratio: Number(ratio.toFixed(2)), ratioLabel: '× mailparser time', target: '≤ 3× mailparser time', met: ratio <= 3,
})}`);
