// The operator's view of the process: clear one-line errors, migrations safe to repeat and
// to race, and a clean exit on SIGTERM.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { connect, dropDatabase, ensureDatabase } from '../../src/db/client.js';
import { migrate } from '../../src/db/migrate.js';
import { testConfig } from '../helpers/context.js';

const BIN = fileURLToPath(new URL('../../bin/maillage.js', import.meta.url));

function run(args: string[], env: Record<string, string>, until?: RegExp): Promise<{ code: number | null; stdout: string; stderr: string; child: ReturnType<typeof spawn> }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH!, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      if (until && until.test(stdout)) resolve({ code: null, stdout, stderr, child });
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr, child }));
  });
}

const created: string[] = [];
afterAll(async () => {
  for (const url of created) await dropDatabase(url);
});

describe('the maillage process', { timeout: 90_000 }, () => {
  it('names a bad variable in one line and exits 1', async () => {
    const r = await run(['start'], { PORT: 'soixante' });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^maillage: Invalid PORT/);
  });

  it('says which service is unreachable and where, without a stack trace', async () => {
    const pg = await run(['start'], { DATABASE_URL: 'postgres://127.0.0.1:1/maillage' });
    expect(pg.code).toBe(1);
    expect(pg.stderr.trim()).toBe('maillage: PostgreSQL is not reachable at 127.0.0.1:1 (DATABASE_URL). Start it (see README, "Running maillage"), or set DATABASE_URL.');
    const config = testConfig();
    created.push(config.databaseUrl);
    const redis = await run(['start'], { DATABASE_URL: config.databaseUrl, REDIS_URL: 'redis://127.0.0.1:1' });
    expect(redis.code).toBe(1);
    expect(redis.stderr.trim()).toMatch(/^maillage: Redis is not reachable at 127\.0\.0\.1:1 \(REDIS_URL\)/);
  });

  it('migrates twice, and from two processes at once, harmlessly', async () => {
    const config = testConfig();
    created.push(config.databaseUrl);
    const [a, b] = await Promise.all([run(['migrate'], { DATABASE_URL: config.databaseUrl }), run(['migrate'], { DATABASE_URL: config.databaseUrl })]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect([a.stdout, b.stdout].filter((s) => s.startsWith('Applied'))).toHaveLength(1);
    const again = await run(['migrate'], { DATABASE_URL: config.databaseUrl });
    expect(again.stdout).toBe('Database is up to date.\n');
    await ensureDatabase(config.databaseUrl);
    const sql = connect(config.databaseUrl, { max: 1 });
    expect(await migrate(sql)).toEqual([]);
    await sql.end();
  });

  it('starts, serves, and exits cleanly within 10 s of SIGTERM', async () => {
    const config = testConfig();
    created.push(config.databaseUrl);
    const started = await run(['start'], { DATABASE_URL: config.databaseUrl, QUEUE_PREFIX: config.queuePrefix, PORT: '0', LOG_LEVEL: 'warn' }, /maillage est prêt/);
    expect(started.code).toBeNull();
    const exited = new Promise<number | null>((resolve) => started.child.on('exit', (code) => resolve(code)));
    const t0 = Date.now();
    started.child.kill('SIGTERM');
    const code = await exited;
    expect(code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });
});
