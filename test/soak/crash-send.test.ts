// Crashes lose nothing, outbound side: 1,000 welcome emails written to the outbox by an import
// (the real write path) while no worker runs, then a `maillage worker` process delivering them
// to a local SMTP server is killed with SIGKILL twice and started again. Every recipient gets
// the email; a message can arrive twice only when the process died between the SMTP server's
// "250 OK" and the outbox row marked sent, so duplicates are at most the sends in flight at each
// kill: counted, printed and bounded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendEmailJob } from '../../jobs/send-email.js';
import { geocode } from '../../src/geo/index.js';
import { importRecords, type ImportRecord } from '../../src/ingest/import.js';
import { createTestContext, waitFor } from '../helpers/context.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { startMaillage, type MaillageProcess } from './processes.js';

const N = 1000;
/** Messages received by the SMTP server at which the worker is killed. */
const KILL_AT = [250, 600];
const COMMUNES = ['Die', 'Crest', 'Lannion', 'Figeac', 'Privas', 'Tulle', 'Poitiers', 'Rennes', 'Roubaix', 'Millau'];

type Ctx = Awaited<ReturnType<typeof createTestContext>>;
let ctx: Ctx;
let sink: SmtpSink;
const workers: MaillageProcess[] = [];

const address = (i: number) => `abonne.${i}@exemple-${i % 5}.org`;

beforeAll(async () => {
  sink = await startSmtpSink();
  ctx = await createTestContext({ SMTP_URL: sink.url });
});

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await ctx?.dispose();
  await sink?.close();
});

function workerEnv(): Record<string, string> {
  const c = ctx.config;
  return { DATABASE_URL: c.databaseUrl, REDIS_URL: c.redisUrl, QUEUE_PREFIX: c.queuePrefix, SECRET: c.secret, MAIL_FROM: c.mailFrom, SMTP_URL: sink.url };
}

describe('kill -9 of the worker while 1,000 emails are sent', { timeout: 420_000 }, () => {
  it('delivers every email; duplicates are at most the sends in flight at each kill', async () => {
    // 1. A partner network's list, consented: one welcome email each, queued for sending.
    const records: ImportRecord[] = Array.from({ length: N }, (_, i) => ({
      line: i + 1,
      fields: {
        email: address(i),
        name: `Abonné·e ${i}`,
        commune: COMMUNES[i % COMMUNES.length],
        description: `Je participe depuis longtemps aux chantiers participatifs et au jardin partagé de mon quartier (${i}).`,
      },
    }));
    const reports = await importRecords(ctx, records, { network: null, consented: true, fileName: 'soak.jsonl' }, geocode);
    expect(reports.filter((r) => r.status !== 'imported')).toEqual([]);
    const [outbox] = await ctx.sql`select count(*)::int as n, count(*) filter (where status = 'queued')::int as queued from outbound_messages where template = 'import-welcome'`;
    expect(outbox).toEqual({ n: N, queued: N });
    expect((await ctx.queues.mail.getJobCounts('wait')).wait).toBe(N);

    // 2. Deliver; kill the process each time the SMTP server has received a mark's worth.
    const started = Date.now();
    workers.push(await startMaillage('worker', workerEnv()));
    const kills: { received: number; sending: number }[] = [];
    for (const mark of KILL_AT) {
      await waitFor(() => sink.messages.length >= mark, 180_000, `${mark} messages received`);
      await workers.at(-1)!.kill9();
      const [row] = await ctx.sql`select count(*)::int as n from outbound_messages where status = 'sending'`;
      kills.push({ received: sink.messages.length, sending: row!.n as number });
      workers.push(await startMaillage('worker', workerEnv()));
    }
    for (const k of kills) expect(k.received).toBeLessThan(N);

    // 3. Everything is marked sent in the end (stalled sends are retried once their lock expires).
    await waitFor(async () => {
      const [row] = await ctx.sql`select count(*)::int as n from outbound_messages where status = 'sent'`;
      return row!.n === N;
    }, 300_000, 'every outbox message sent');
    const seconds = (Date.now() - started) / 1000;

    const perRecipient = new Map<string, string[]>();
    for (const m of sink.messages) {
      for (const to of m.envelopeTo) {
        const id = /^Message-ID:\s*(\S+)/im.exec(m.raw.toString('latin1'))?.[1] ?? '';
        perRecipient.set(to, [...(perRecipient.get(to) ?? []), id]);
      }
    }
    const duplicates = [...perRecipient.values()].reduce((n, ids) => n + ids.length - 1, 0);
    const bound = kills.length * sendEmailJob.concurrency!;
    console.log(
      `send soak: ${N} emails, ${kills.length} kills at ${kills.map((k) => `${k.received} received (${k.sending} rows "sending")`).join(', ')}; ` +
        `${sink.messages.length} messages received, ${duplicates} duplicate${duplicates === 1 ? '' : 's'} (bound ${bound}); ${seconds.toFixed(1)} s`,
    );
    // Every recipient got the email.
    expect(new Set(perRecipient.keys())).toEqual(new Set(Array.from({ length: N }, (_, i) => address(i))));
    // Duplicates: only sends cut off between the server's acceptance and the outbox update.
    expect(duplicates).toBeLessThanOrEqual(bound);
    // A duplicate is the same message again (same Message-ID): clients that dedupe show it once.
    for (const ids of perRecipient.values()) expect(new Set(ids).size).toBe(1);
  });
});
