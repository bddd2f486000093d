// `maillage parse <file.eml> [--json]`: what maillage understands of one email, without a
// database, a queue or the network. The operator uses it to see why a message was classified
// the way it was; other tools rely on the --json output (DESIGN.md, "Contracts").
import { readFile } from 'node:fs/promises';
import { loadConfig } from '../config.js';
import { parseMessage } from '../ingest/parse.js';
import { understandMessage, toParseJson, type ParseJson } from '../ingest/understand.js';
import type { ClassifyContext } from '../ingest/classify.js';
import type { PlaceFinder } from '../ingest/extract.js';

const USAGE = 'usage: maillage parse <file.eml> [--json]';

export async function run(args: string[]): Promise<number> {
  const json = args.includes('--json');
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${USAGE}\n  Reads one raw email and prints its kind, the reason, and the profile read from it.\n  --json  one JSON object: { kind, reason, profile, bounce?, command?, replyTag?, answer? }\n`);
    return 0;
  }
  const unknown = args.filter((a) => a.startsWith('-') && a !== '--json');
  const files = args.filter((a) => !a.startsWith('-'));
  if (unknown.length > 0 || files.length !== 1) {
    process.stderr.write(`maillage parse: ${unknown.length ? `unknown option ${unknown[0]}` : files.length ? 'one file at a time' : 'no file given'}. ${USAGE}\n`);
    return 2;
  }
  const file = files[0]!;

  let raw: Buffer;
  try {
    raw = await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    process.stderr.write(`maillage parse: cannot read ${file}: ${why}\n`);
    return 2;
  }

  const msg = await parseMessage(raw);
  const understanding = understandMessage(msg, classifyContext(), await gazetteerOrNull());
  const out = toParseJson(understanding);
  if (json) {
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  } else {
    process.stdout.write(summary(out, msg.from ? `${msg.from.name ? `${msg.from.name} ` : ''}<${msg.from.address}>` : '(no From)', msg.problems));
  }
  return 0;
}

/** Our addresses from the same settings the service uses; defaults when the environment has none. */
function classifyContext(): ClassifyContext {
  let config;
  try {
    config = loadConfig();
  } catch {
    // A bad unrelated setting (DATABASE_URL…) must not stop a command that needs none of them.
    config = loadConfig({});
  }
  return { ourAddresses: [config.mailFromAddress, config.replyTo], ourMessageIdDomain: config.mailDomain };
}

async function gazetteerOrNull(): Promise<PlaceFinder | null> {
  try {
    const geo = await import('../geo/index.js');
    return geo.loadGazetteer();
  } catch (err) {
    process.stderr.write(`maillage parse: places not read, gazetteer unavailable: ${(err as Error).message}\n`);
    return null;
  }
}

function summary(out: ParseJson, from: string, problems: string[]): string {
  const p = out.profile;
  const lines = [`kind:        ${out.kind} — ${out.reason}`, `from:        ${from}`];
  if (out.command) lines.push(`command:     ${out.command}`);
  if (out.bounce) {
    lines.push(`bounce:      ${out.bounce.recipient ?? '(recipient unknown)'} ${out.bounce.permanent ? 'permanent' : 'temporary'}${out.bounce.status ? ` (${out.bounce.status})` : ''}`);
  }
  if (out.replyTag) lines.push(`reply tag:   ${out.replyTag}${out.answer ? ` — ${out.answer}` : ''}`);
  if (out.kind === 'registration' || out.kind === 'other' || out.kind === 'command' || out.kind === 'intro_reply') {
    lines.push(`name:        ${p.name ?? '—'}`);
    const place = p.commune
      ? `${p.commune}${p.postcode ? ` ${p.postcode}` : ''} (${p.departement})${p.lat !== null ? `  ${p.lat.toFixed(3)}, ${p.lon!.toFixed(3)}` : ''}`
      : p.departement
        ? `département ${p.departement}`
        : '—';
    lines.push(`place:       ${place}`);
    lines.push(`role:        ${p.role ?? '—'}`);
    lines.push(`categories:  ${p.categories.length ? p.categories.join(', ') : '—'}`);
    const words = p.description.replace(/\s+/g, ' ');
    lines.push(`description: ${words ? (words.length > 240 ? `${words.slice(0, 240)}…` : words) : '—'}`);
  }
  if (problems.length) lines.push(`problems:    ${problems.join('; ')}`);
  return `${lines.join('\n')}\n`;
}
