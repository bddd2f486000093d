// Real processes for the soak tests: `maillage worker` / `maillage start` as separate OS
// processes (killed with SIGKILL, as a crash or the OOM killer does), and PRIVATE redis-server and
// PostgreSQL instances on random ports that a test may stop and start again. The shared servers
// on the standard ports are never touched.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import postgres from 'postgres';

const BIN = fileURLToPath(new URL('../../bin/maillage.js', import.meta.url));

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// --- maillage processes ---------------------------------------------------------------------

export interface MaillageProcess {
  child: ChildProcess;
  pid: number;
  /** The last lines it wrote (stdout and stderr), for failure messages. */
  tail(): string;
  /** How it ended: null while it runs. */
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exited(): boolean;
  /** kill -9: no handler runs, no connection is closed cleanly. */
  kill9(): Promise<void>;
  /** SIGTERM and wait (the graceful stop an operator does). */
  stop(): Promise<void>;
}

/** Spawns `node bin/maillage.js <command>` and resolves once it logs "maillage is running". */
export async function startMaillage(command: 'worker' | 'start' | 'web', env: Record<string, string>): Promise<MaillageProcess> {
  const child = spawn(process.execPath, [BIN, command], {
    env: { PATH: process.env.PATH!, NODE_ENV: 'test', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let ended: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      ended = { code, signal };
      resolve(ended);
    });
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`maillage ${command} did not start within 60 s:\n${out.slice(-3000)}`)), 60_000);
    const check = () => {
      if (out.includes('maillage is running')) {
        clearTimeout(timer);
        child.stdout!.off('data', check);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    void exit.then((e) => {
      clearTimeout(timer);
      reject(new Error(`maillage ${command} exited while starting (${e.code ?? e.signal}):\n${out.slice(-3000)}`));
    });
  });
  return {
    child,
    pid: child.pid!,
    tail: () => out.slice(-4000),
    exit,
    exited: () => ended !== null,
    async kill9() {
      if (ended) return;
      child.kill('SIGKILL');
      await exit;
    },
    async stop() {
      if (ended) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exit;
      clearTimeout(timer);
    },
  };
}

// --- a private Redis ------------------------------------------------------------------------

/** A server of our own, on a random port, that a test may stop and start again. */
export interface PrivateServer {
  port: number;
  /** redis://… or postgres://… (its `postgres` database, trust authentication). */
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops and removes its files. */
  destroy(): Promise<void>;
}

export type PrivateRedis = PrivateServer;

/**
 * redis-server on a random port, configured as docker-compose.yml runs it in production: an
 * append-only file (queued jobs survive a restart) and no eviction.
 */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'maillage-soak-redis-'));
  let child: ChildProcess | null = null;
  const url = `redis://127.0.0.1:${port}`;
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--maxmemory-policy', 'noeviction'], {
      stdio: 'ignore',
    });
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => {});
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        await probe.connect();
        if ((await probe.ping()) === 'PONG') break;
      } catch {
        if (Date.now() > deadline) throw new Error(`private redis-server did not start on port ${port}`);
        await sleep(100);
      }
    }
    probe.disconnect();
  };
  const stop = async () => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    // SIGTERM: Redis flushes its append-only file and exits, as `systemctl restart` does.
    const exited = new Promise((resolve) => c.once('exit', resolve));
    c.kill('SIGTERM');
    await exited;
  };
  await start();
  return {
    port,
    url,
    start,
    stop,
    async destroy() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// --- a private PostgreSQL cluster -------------------------------------------------------------

/** The newest PostgreSQL server binaries installed (Debian: /usr/lib/postgresql/<major>/bin). */
function pgBin(): string {
  const majors = readdirSync('/usr/lib/postgresql').filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(b) - Number(a));
  if (!majors[0]) throw new Error('no PostgreSQL server binaries in /usr/lib/postgresql');
  return `/usr/lib/postgresql/${majors[0]}/bin`;
}

export type PrivatePostgres = PrivateServer;

function asPostgres(args: string[]): void {
  const r = spawnSync('runuser', ['-u', 'postgres', '--', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr || r.stdout}`);
}

/** A throw-away cluster (initdb) owned by the postgres user, listening on 127.0.0.1:<random>. */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const PG_BIN = pgBin();
  const port = await freePort();
  const root = mkdtempSync(path.join(tmpdir(), 'maillage-soak-pg-'));
  const data = path.join(root, 'data');
  mkdirSync(data);
  const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  chownSync(root, uid, gid);
  chownSync(data, uid, gid);
  asPostgres([`${PG_BIN}/initdb`, '-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale', 'C.UTF-8']);
  const options = `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c max_connections=200`;
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const start = async () => {
    asPostgres([`${PG_BIN}/pg_ctl`, '-D', data, '-o', options, '-l', path.join(root, 'log'), '-w', '-t', '60', 'start']);
  };
  const stop = async () => {
    // Fast shutdown: clients are disconnected, as `systemctl restart postgresql` does.
    asPostgres([`${PG_BIN}/pg_ctl`, '-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']);
  };
  await start();
  // The service creates its own database (ensureDatabase) on this cluster.
  const probe = postgres(url, { max: 1, onnotice: () => {} });
  await probe`select 1`;
  await probe.end({ timeout: 1 });
  return {
    port,
    url,
    start,
    stop,
    async destroy() {
      try {
        await stop();
      } catch {
        // already stopped
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}
