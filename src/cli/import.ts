// `maillage import <file.jsonl | file.csv> [--network <slug>] [--consented] [--dry-run]`:
// loads a partner network's list, with one report line per line of the file that needs one.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '../config.js';
import { closeContext, createContext } from '../context.js';
import { geocode } from '../geo/index.js';
import { importRecords, parseImportFile, type LineReport } from '../ingest/import.js';
import { createLogger } from '../log.js';

const USAGE = 'usage: maillage import <file.jsonl | file.csv> [--network <slug>] [--create-network "<Name>"] [--consented] [--dry-run]';

const HELP = `${USAGE}
  One person a line (JSON Lines) or a row (CSV with a header; separator , ; or tab):
    email, name, description, postcode or commune, role (porteur | rejoindre | ressource),
    categories (slugs, comma-separated), network (slug).
  Each new person gets an email inviting them to confirm: nobody is introduced without saying yes.
  --consented       the people of this list already agreed to be introduced: they are active at
                    once (recorded in the event log with the file's name) and get a welcome email
  --network <slug>  the partner network credited for lines without their own "network"
  --create-network "<Name>"  create the --network first if it does not exist yet
  --dry-run         check every line and report, write nothing
  An email already registered is left as it is: importing a file twice changes nothing.
`;

export async function run(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(HELP);
    return 0;
  }
  let network: string | null = null;
  let createNetwork: string | null = null;
  let consented = false;
  let dryRun = false;
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--network') network = (args[++i] ?? '').toLowerCase();
    else if (a.startsWith('--network=')) network = a.slice(10).toLowerCase();
    else if (a === '--create-network') createNetwork = args[++i] ?? '';
    else if (a === '--consented') consented = true;
    else if (a === '--dry-run') dryRun = true;
    else if (a.startsWith('-')) return usage(`unknown option ${a}`);
    else files.push(a);
  }
  if (files.length !== 1) return usage(files.length ? 'one file at a time' : 'no file given');
  if (network !== null && !/^[a-z0-9][a-z0-9-]{0,62}$/.test(network)) return usage(`--network needs a slug: lowercase letters, digits and hyphens (got "${network}")`);
  if (createNetwork !== null && (!network || !createNetwork.trim())) return usage('--create-network "<Name>" needs --network <slug> and a name');
  const file = files[0]!;

  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    process.stderr.write(`maillage import: cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (err as Error).message}\n`);
    return 2;
  }
  const records = parseImportFile(file, bytes);
  if (records.length === 0) {
    process.stderr.write(`maillage import: ${file} holds no line to import\n`);
    return 2;
  }

  const config = loadConfig();
  const ctx = await createContext(config, createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel));
  try {
    if (network) {
      const found = await ctx.sql`select id from networks where slug = ${network}`;
      if (found.length === 0) {
        if (createNetwork === null || dryRun) {
          const known = await ctx.sql<{ slug: string }[]>`select slug from networks order by slug`;
          process.stderr.write(
            `maillage import: network "${network}" does not exist${known.length ? ` (known: ${known.map((n) => n.slug).join(', ')})` : ''}. ` +
              `Add --create-network "<Name>" to create it.\n`,
          );
          return 2;
        }
        await ctx.sql`insert into networks (slug, name) values (${network}, ${createNetwork.trim()}) on conflict (slug) do nothing`;
        process.stdout.write(`Created network "${network}" (${createNetwork.trim()}).\n`);
      }
    }
    const reports = await importRecords(ctx, records, { network, consented, fileName: path.basename(file), dryRun }, geocode, (r) => {
      const line = describe(r);
      if (line) process.stdout.write(`${line}\n`);
    });
    const count = (s: LineReport['status']) => reports.filter((r) => r.status === s).length;
    const rejected = count('rejected');
    const done = dryRun
      ? `${count('would-import')} would be imported`
      : `${count('imported')} imported (${consented ? 'active, welcome email sent' : 'each invited to confirm by email'})`;
    process.stdout.write(`\n${path.basename(file)}: ${reports.length} line${reports.length === 1 ? '' : 's'} — ${done}, ${count('exists')} already registered, ${rejected} rejected.\n`);
    if (dryRun) process.stdout.write('Dry run: nothing was written.\n');
    return rejected > 0 ? 1 : 0;
  } finally {
    await closeContext(ctx);
  }
}

/** One line per line of the file that needs attention; silent for a clean import. */
function describe(r: LineReport): string | null {
  if (r.status === 'rejected') return `line ${r.line}: rejected — ${r.errors.join('; ')}${r.warnings.length ? ` (also: ${r.warnings.join('; ')})` : ''}`;
  if (r.status === 'exists') return `line ${r.line}: already registered, left unchanged${r.warnings.length ? ` (${r.warnings.join('; ')})` : ''}`;
  if (r.warnings.length) return `line ${r.line}: ${r.status === 'would-import' ? 'would be imported' : 'imported'}, with warnings — ${r.warnings.join('; ')}`;
  return null;
}

function usage(message: string): number {
  process.stderr.write(`maillage import: ${message}. ${USAGE}\n`);
  return 2;
}
