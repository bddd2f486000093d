// Redis, then PostgreSQL, restarted under a running `maillage start` process: it recovers on
// its own (no restart of maillage), and /readyz tells the truth while either is down. The two
// servers are PRIVATE instances on random ports (the shared ones are never touched), Redis with
// an append-only file as in docker-compose.yml. After each restart a registration through the
// web form gets its confirmation email and a reply to the bulletin gets processed and answered,
// both delivered to a local SMTP server.
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/context.js';
import { Browser, hiddenField } from '../helpers/http.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { INTAKE_ENV } from '../integration/intake-messages.js';
import { registrationReply, registrationIndexAddress } from './messages.js';
import {
  freePort, sleep, startMaillage, startPrivatePostgres, startPrivateRedis,
  type MaillageProcess, type PrivatePostgres, type PrivateRedis,
} from './processes.js';

let pg: PrivatePostgres;
let redis: PrivateRedis;
let sink: SmtpSink;
let service: MaillageProcess;
let base: string;
let sql: postgres.Sql;

beforeAll(async () => {
  [pg, redis, sink] = await Promise.all([startPrivatePostgres(), startPrivateRedis(), startSmtpSink()]);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const databaseUrl = pg.url.replace(/\/postgres$/, '/maillage_soak');
  service = await startMaillage('start', {
    DATABASE_URL: databaseUrl,
    REDIS_URL: redis.url,
    PORT: String(port),
    PUBLIC_URL: base,
    SMTP_URL: sink.url,
    SECRET: 'soak-secret-0123456789abcdef',
    QUEUE_PREFIX: 'soak',
    ...INTAKE_ENV,
  });
  sql = postgres(databaseUrl, { max: 2, onnotice: () => {} });
});

afterAll(async () => {
  await service?.stop();
  await sql?.end({ timeout: 1 });
  await Promise.allSettled([pg?.destroy(), redis?.destroy(), sink?.close()]);
});

async function readiness(): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: await res.json() };
}

const formAddress = (n: number) => `formulaire.${n}@exemple.org`;

/** Fills in and sends the registration form, as a browser does. */
async function submitForm(n: number): Promise<{ status: number; body: string; ms: number }> {
  const browser = new Browser(base);
  const home = await browser.get('/');
  expect(home.status).toBe(200);
  const started = Date.now();
  const res = await browser.post('/inscription', {
    csrf: hiddenField(home.body, 'csrf'),
    reseau: '',
    name: `Camille ${n}`,
    email: formAddress(n),
    place: 'Die',
    role: 'porteur',
    categories: ['habitat-partage'],
    description: 'Avec quatre amis, nous montons un habitat partagé en paille près de Die. Nous cherchons encore deux ou trois foyers motivés.',
    radius: '50',
    consent: 'oui',
  });
  return { status: res.status, body: res.body, ms: Date.now() - started };
}

async function confirmationReceived(n: number, ms: number): Promise<void> {
  const mail = await waitFor(async () => (await sink.to(formAddress(n)))[0], ms, `confirmation email to ${formAddress(n)}`);
  expect(mail.subject).toBe('Confirmez votre inscription à maillage');
}

/** A web-form registration and an emailed reply, each through to the email it triggers. */
async function journey(n: number): Promise<void> {
  const res = await submitForm(n);
  expect(res.status).toBe(200);
  expect(res.body).toContain('vérifiez votre boîte mail');

  const reply = await fetch(`${base}/inbound/mime`, {
    method: 'POST',
    headers: { authorization: `Bearer ${INTAKE_ENV.INBOUND_WEBHOOK_SECRET}` },
    body: registrationReply(n),
  });
  expect(reply.status).toBe(202);

  await confirmationReceived(n, 60_000);
  const ack = await waitFor(async () => (await sink.to(registrationIndexAddress(n)))[0], 60_000, `acknowledgement to ${registrationIndexAddress(n)}`);
  expect(ack.inReplyTo).toBe(`<soak-${n}@exemple.fr>`);
  const [row] = await sql`select status, kind from inbound_messages where message_id = ${`<soak-${n}@exemple.fr>`}`;
  expect(row).toEqual({ status: 'processed', kind: 'registration' });
}

describe('Redis and PostgreSQL restarted under a running service', { timeout: 300_000 }, () => {
  it('recovers on its own after each restart, and /readyz says which one is down meanwhile', async () => {
    await journey(1);
    expect(await readiness()).toEqual({ status: 200, body: { database: 'ok', redis: 'ok' } });

    // Redis down: not ready, and it says why; the process itself stays up (liveness).
    await redis.stop();
    const redisDown = Date.now();
    expect(await readiness()).toEqual({ status: 503, body: { database: 'ok', redis: 'unreachable' } });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    // Someone registering meanwhile: stored in PostgreSQL and told so within seconds (it took 23 s,
    // then an error page, before the fix); the confirmation email waits in the outbox until its
    // send job can be queued.
    const duringOutage = await submitForm(10);
    expect(duringOutage.status).toBe(200);
    expect(duringOutage.body).toContain('vérifiez votre boîte mail');
    console.log(`restart soak: form answered in ${duringOutage.ms} ms while Redis was down`);
    expect(duringOutage.ms).toBeLessThan(8_000);
    await sleep(Math.max(0, 3_000 - (Date.now() - redisDown)));
    await redis.start();
    await waitFor(async () => (await readiness()).status === 200, 30_000, 'ready again after Redis came back');
    await journey(2);

    // PostgreSQL down: the same, the other way round.
    await pg.stop();
    const pgDown = Date.now();
    expect(await readiness()).toEqual({ status: 503, body: { database: 'unreachable', redis: 'ok' } });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    // Nothing can be stored: the person is asked, in French and without a stack trace, to retry.
    const refused = await submitForm(20);
    expect([500, 503]).toContain(refused.status);
    expect(refused.body).toContain('réessayez dans quelques minutes');
    expect(refused.body).not.toMatch(/ECONNREFUSED|at .*\.ts:\d+/);
    await sleep(Math.max(0, 3_000 - (Date.now() - pgDown)));
    await pg.start();
    await waitFor(async () => (await readiness()).status === 200, 30_000, 'ready again after PostgreSQL came back');
    await journey(3);

    // The registration made while Redis was down gets its email too: its send job is queued by
    // the Redis client once it reconnects, or else by sweep-outbox (every minute).
    await confirmationReceived(10, 180_000);

    // Through all of it, one process: never restarted, never crashed.
    expect(service.exited()).toBe(false);
    const [counts] = await sql`select count(*)::int as n, count(*) filter (where status = 'processed')::int as processed from inbound_messages`;
    expect(counts).toEqual({ n: 3, processed: 3 });
    const people = await sql`select lower(email::text) as email from people`;
    expect(people.map((p) => p.email as string).filter((e) => e.startsWith('formulaire.')).sort()).toEqual([1, 10, 2, 3].map(formAddress).sort());
    // Each email once: four confirmations and three acknowledgements.
    expect(sink.messages).toHaveLength(7);
  });
});
