// `maillage ingest` as the operator runs it: a real process, a real database and Redis.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, dropDatabase, ensureDatabase, type Sql } from '../../src/db/client.js';
import { testConfig } from '../helpers/context.js';
import { email, INTAKE_ENV } from './intake-messages.js';

const BIN = fileURLToPath(new URL('../../bin/maillage.js', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../fixtures/emails/', import.meta.url));
const FILES = readdirSync(FIXTURES);
const EMLS = FILES.filter((f) => f.endsWith('.eml'));

const config = testConfig(INTAKE_ENV);
const env: Record<string, string> = {
  PATH: process.env.PATH!,
  DATABASE_URL: config.databaseUrl,
  REDIS_URL: config.redisUrl,
  QUEUE_PREFIX: config.queuePrefix,
  LOG_LEVEL: 'warn',
  SECRET: 'test-secret-0123456789abcdef',
  ...INTAKE_ENV,
};
let dir: string;
let sql: Sql | null = null;

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'maillage-ingest-'));
  await ensureDatabase(config.databaseUrl);
  sql = connect(config.databaseUrl, { max: 1 });
});

afterAll(async () => {
  await sql?.end({ timeout: 1 });
  const redis = new Redis(config.redisUrl);
  const keys = await redis.keys(`${config.queuePrefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  await dropDatabase(config.databaseUrl);
  rmSync(dir, { recursive: true, force: true });
});

describe('maillage ingest', { timeout: 120_000 }, () => {
  it('ingests a directory of .eml files, processes them with --wait and prints each outcome', async () => {
    const r = await run(['ingest', FIXTURES, '--wait']);
    expect(r.stderr).toBe('');
    const skipped = FILES.length - EMLS.length;
    expect(r.stdout).toContain(`${EMLS.length} messages read from ${EMLS.length} files: ${EMLS.length} stored, 0 already stored; ${skipped} file${skipped > 1 ? 's' : ''} skipped (not .eml or .mbox).\n`);
    expect(r.stdout).toMatch(/^01-gmail-habitat-die\.eml\s+registration\s+registered and active \(authenticated sender\)$/m);
    expect(r.stdout).toMatch(/^15-autoreply-auto-submitted\.eml\s+auto_reply\s+ignored: automatic message$/m);
    expect(r.stdout).toMatch(/^20-dsn-permanent-postfix\.eml\s+bounce\s+/m);
    expect(r.stdout).toMatch(/^42-loop-own-bulletin\.eml\s+loop\s+ignored: our own message came back$/m);
    expect(r.stdout).toMatch(/^\d+ registration, /m);
    expect(r.code).toBe(0);
    const rows = await sql!`select status, channel, count(*)::int as n from inbound_messages group by 1, 2`;
    expect(rows).toEqual([{ status: 'processed', channel: 'cli', n: EMLS.length }]);
  });

  it('ingesting the same files again stores nothing new', async () => {
    const r = await run(['ingest', FIXTURES]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${EMLS.length} messages read from ${EMLS.length} files: 0 stored, ${EMLS.length} already stored`);
  });

  it('reads an mbox, undoing its ">From " quoting', async () => {
    const messages = [
      email({ from: 'Gilles <gilles@exemple.fr>', body: 'Bonjour, nous montons un fablab à Quimper.\nFrom now on, nous cherchons des bénévoles pour les ateliers du mercredi.' }),
      email({ from: 'Hélène <helene.m@exemple.fr>', body: 'Bonjour, je souhaite rejoindre un projet de ferme en agroforesterie près de Périgueux.' }),
      email({ from: 'Ivan <ivan@exemple.fr>', body: 'Bonjour, est-ce que ce service est gratuit ? Merci.' }),
    ];
    const mbox = messages
      .map((m) => `From MAILER-DAEMON Thu Sep 12 10:15:00 2024\n${m.toString('latin1').replace(/\r\n/g, '\n').replace(/^(>*From )/gm, '>$1')}\n`)
      .join('\n');
    const file = path.join(dir, 'export.mbox');
    writeFileSync(file, mbox, 'latin1');
    const r = await run(['ingest', file, '--wait']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('3 messages read from 1 file: 3 stored');
    expect(r.stdout).toMatch(/^export\.mbox#1\s+registration/m);
    expect(r.stdout).toMatch(/^export\.mbox#3\s+other/m);
    const stored = await sql!`select raw from inbound_messages where from_address = 'gilles@exemple.fr'`;
    const raw = stored[0]!.raw.toString('latin1');
    expect(raw).not.toMatch(/^From MAILER-DAEMON/);
    expect(raw).toContain('\nFrom now on');
    expect(raw).not.toContain('>From now on');
  });

  it('explains a wrong path or option in one line', async () => {
    const missing = await run(['ingest', path.join(dir, 'absent.eml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toBe(`maillage ingest: cannot read ${path.join(dir, 'absent.eml')}: no such file or directory`);
    const bad = await run(['ingest', FIXTURES, '--vite']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown option --vite');
  });
});
