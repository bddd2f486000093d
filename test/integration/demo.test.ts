// `maillage demo` end to end, as a newcomer runs it: the real command in a child process, its own
// database and queues, then every link it prints is followed: the outbox with the proposals, a
// one-click answer that completes a meeting, the meeting email, the console with the printed
// password. Then Ctrl+C, and a second run that adds nobody.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropDatabase } from '../../src/db/client.js';
import { demoDatabaseUrl, demoEmail } from '../../src/cli/demo.js';
import { waitFor } from '../helpers/context.js';
import { Browser, hiddenField } from '../helpers/http.js';
import { adminBrowser, basicAuth, readOutbox } from './territory-helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const id = randomBytes(4).toString('hex');
const base = new URL(process.env.TEST_DATABASE_URL ?? 'postgres://127.0.0.1:5432/postgres');
base.pathname = `/maillage_test_${id}`;
const PREFIX = `test-${id}`;
const REDIS = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const { PUBLIC_URL: _publicUrl, ...inherited } = process.env;
const env = {
  ...inherited,
  NODE_ENV: 'development',
  DATABASE_URL: base.toString(),
  REDIS_URL: REDIS,
  QUEUE_PREFIX: PREFIX,
  PORT: '0',
  SMTP_URL: '',
  ADMIN_PASSWORD: '',
  LOG_LEVEL: 'warn',
};

interface Run { child: ChildProcess; output: () => string; exited: Promise<number | null> }

function startDemo(args: string[] = [], extraEnv: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, ['bin/maillage.js', 'demo', ...args], { cwd: ROOT, env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr!.on('data', (c: Buffer) => { out += c.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

function line(output: string, label: string): string {
  const found = output.split('\n').find((l) => l.includes(label));
  if (!found) throw new Error(`no line "${label}" in:\n${output}`);
  return found;
}

function urlIn(text: string): string {
  return /(https?:\/\/\S+)/.exec(text)![1]!;
}

let serving: Run | null = null;

afterAll(async () => {
  if (serving && serving.child.exitCode === null) serving.child.kill('SIGKILL');
  await dropDatabase(demoDatabaseUrl(base.toString())).catch(() => {});
  const redis = new Redis(REDIS);
  const keys = await redis.keys(`${PREFIX}-demo:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

describe('maillage demo', () => {
  let output = '';
  let url = '';
  let password = '';

  beforeAll(async () => {
    serving = startDemo();
    await waitFor(() => serving!.output().includes('Ctrl+C pour arrêter') || serving!.child.exitCode !== null, 170_000, 'the demo to be ready');
    output = serving.output();
    expect(output).toContain('maillage — la démo est prête');
    url = /la démo est prête : (http:\/\/localhost:\d+)/.exec(output)![1]!;
    password = /mot de passe : (\S+)/.exec(output)![1]!;
  }, 180_000);

  it('loads about sixty fictional people in a few départements, and runs a round at once', async () => {
    expect(line(output, 'personnes fictives')).toContain('60 personnes fictives dans 5 départements.');
    const round = /Tour de mise en relation n° 1 : (\d+) rencontres proposées, (\d+) e-mails de proposition/.exec(output)!;
    expect(Number(round[1])).toBeGreaterThanOrEqual(15);
    expect(Number(round[2])).toBe(2 * Number(round[1]));
    expect(password).toMatch(/^demo-/);
    expect(line(output, 'Base de données de la démo')).toContain(`maillage_test_${id}_demo`);
  });

  it('shows the proposals in the outbox, to fictional addresses only', async () => {
    const mails = await readOutbox(url, basicAuth(password));
    const proposals = mails.filter((m) => m.template === 'proposal');
    expect(proposals.length).toBeGreaterThanOrEqual(30);
    expect(mails.every((m) => m.to.split(', ').every((a) => a.endsWith('@exemple.org')))).toBe(true);
    expect(proposals[0]!.subject).toMatch(/^Cette semaine, nous vous proposons de rencontrer /);
    // The console session opens the outbox too.
    const browser = await adminBrowser(url, password);
    const page = await browser.get('/outbox');
    expect(page.status).toBe(200);
    expect(page.body).toContain('Cette semaine, nous vous proposons de rencontrer');
  });

  it('prints a one-click answer that completes a meeting, and the meeting emails', async () => {
    const meetingsBefore = (await readOutbox(url, basicAuth(password))).filter((m) => m.template === 'meeting');
    expect(meetingsBefore).toHaveLength(2);
    const meetingPage = await (await adminBrowser(url, password)).get(new URL(urlIn(line(output, 'Un e-mail de mise en relation'))).pathname);
    expect(meetingPage.status).toBe(200);

    const proposalPath = new URL(urlIn(line(output, 'Une proposition qui attend'))).pathname;
    expect(proposalPath).toMatch(/^\/outbox\/\d+$/);
    const answer = urlIn(output.split('\n')[output.split('\n').findIndex((l) => l.includes('Sa réponse en un clic')) + 1]!);
    const visitor = new Browser(url);
    const shown = await visitor.get(answer);
    expect(shown.status).toBe(200);
    const done = await visitor.post('/reponse', { t: hiddenField(shown.body, 't') });
    expect(done.status).toBe(200);
    const meetings = await waitFor(async () => {
      const list = (await readOutbox(url, basicAuth(password))).filter((m) => m.template === 'meeting');
      return list.length === 3 ? list : undefined;
    }, 20_000, 'a third meeting email');
    expect(meetings[0]!.to).toMatch(/@exemple\.org, .+@exemple\.org$/);
  });

  it('opens the console with the printed password', async () => {
    const browser = await adminBrowser(url, password);
    const page = await browser.get('/admin');
    expect(page.body).toContain('<svg class="chart"');
    expect(page.body).toMatch(/<b>60<\/b>personnes inscrites/);
    const networks = await browser.get('/admin/reseaux');
    expect(networks.body).toContain('Réseau des éco-lieux Drôme-Ardèche');
    expect(networks.body).toContain('camille.referente@exemple.org');
    const todo = await browser.get('/admin/messages');
    expect(todo.body).toContain('bernard.petit@exemple.org');
  });

  it('stops on Ctrl+C, and a second run adds nobody and runs no second round', async () => {
    serving!.child.kill('SIGINT');
    expect(await serving!.exited).toBe(0);
    expect(serving!.output()).toContain('Démo arrêtée.');

    const again = startDemo(['--no-serve']);
    const code = await again.exited;
    expect(code, again.output()).toBe(0);
    expect(again.output()).toContain('60 personnes fictives dans 5 départements (déjà chargées : rien n’a été ajouté).');
    expect(again.output()).toContain('Tour de mise en relation n° 1 :');
    expect(demoEmail('Élodie Marchand')).toBe('elodie.marchand@exemple.org');
  }, 180_000);

  it('refuses to run where mail would really leave', async () => {
    const refused = startDemo(['--no-serve'], { SMTP_URL: 'smtp://127.0.0.1:2525' });
    expect(await refused.exited).toBe(1);
    expect(refused.output()).toContain('SMTP_URL est défini');
  }, 60_000);
});
