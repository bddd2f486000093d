// Crashes lose nothing, inbound side: 1,000 registration replies stored through the webhook
// (the real store path) while no worker runs, then a `maillage worker` process killed with
// SIGKILL three times while it processes them, and started again each time. At the end every
// message is processed exactly once: one profile per sender, one acknowledgement per sender.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, waitFor } from '../helpers/context.js';
import { INTAKE_ENV } from '../integration/intake-messages.js';
import { registrationIndexAddress, registrationReply } from './messages.js';
import { startMaillage, type MaillageProcess } from './processes.js';

const N = 1000;
/** Processed counts at which the worker is killed: some but not all done each time. */
const KILL_AT = [120, 380, 640];

type Service = Awaited<ReturnType<typeof startTestService>>;
let service: Service;
const workers: MaillageProcess[] = [];

function workerEnv(): Record<string, string> {
  const c = service.ctx.config;
  return { DATABASE_URL: c.databaseUrl, REDIS_URL: c.redisUrl, QUEUE_PREFIX: c.queuePrefix, SECRET: c.secret, ...INTAKE_ENV };
}

async function processedCount(): Promise<number> {
  const [row] = await service.ctx.sql`select count(*)::int as n from inbound_messages where status <> 'stored'`;
  return row!.n as number;
}

beforeAll(async () => {
  // The web part only (the webhook); the jobs wait in Redis for a worker process.
  service = await startTestService(INTAKE_ENV, { web: true, workers: false, schedules: false });
});

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await service?.dispose();
});

describe('kill -9 of the worker while 1,000 inbound messages are processed', { timeout: 420_000 }, () => {
  it('processes every message exactly once: no lost message, no duplicate profile, no duplicate acknowledgement', async () => {
    // 1. Store through the webhook, 16 requests at a time, as a provider pushing a backlog.
    let next = 0;
    const post = async () => {
      while (next < N) {
        const i = next++;
        const res = await fetch(`${service.url}/inbound/mime`, {
          method: 'POST',
          headers: { authorization: `Bearer ${INTAKE_ENV.INBOUND_WEBHOOK_SECRET}`, 'content-type': 'message/rfc822' },
          body: registrationReply(i),
        });
        expect(res.status).toBe(202);
      }
    };
    await Promise.all(Array.from({ length: 16 }, post));
    const [stored] = await service.ctx.sql`select count(*)::int as n, count(*) filter (where status = 'stored')::int as waiting from inbound_messages`;
    expect(stored).toEqual({ n: N, waiting: N });
    expect((await service.ctx.queues.inbound.getJobCounts('wait')).wait).toBe(N);

    // 2. A worker process; killed with SIGKILL each time the processed count passes a mark.
    const started = Date.now();
    workers.push(await startMaillage('worker', workerEnv()));
    const kills: { processed: number; active: number; signal: string | null }[] = [];
    for (const mark of KILL_AT) {
      await waitFor(async () => (await processedCount()) >= mark, 180_000, `${mark} messages processed`);
      const victim = workers.at(-1)!;
      await victim.kill9();
      const { signal } = await victim.exit;
      const processed = await processedCount();
      // Jobs the dead process held: still "active" in Redis, their lock left to expire.
      const { active } = await service.ctx.queues.inbound.getJobCounts('active');
      kills.push({ processed, active, signal });
      workers.push(await startMaillage('worker', workerEnv()));
    }
    // "active" also counts the jobs of an earlier kill whose lock has not expired yet.
    console.log(`inbound soak: killed at ${kills.map((k) => `${k.processed} processed (${k.active} jobs active)`).join(', ')}`);
    for (const k of kills) {
      expect(k.signal).toBe('SIGKILL');
      expect(k.active).toBeGreaterThan(0);
      expect(k.processed).toBeGreaterThan(0);
      expect(k.processed).toBeLessThan(N);
    }

    // 3. The last worker finishes: the stalled jobs of the dead ones come back when their lock expires.
    await waitFor(async () => (await processedCount()) === N, 300_000, 'every message processed');
    const processingSeconds = (Date.now() - started) / 1000;
    // And every acknowledgement went through the send job (held in the outbox: no SMTP_URL here).
    await waitFor(async () => {
      const [row] = await service.ctx.sql`select count(*)::int as n from outbound_messages where status in ('queued', 'sending')`;
      return row!.n === 0;
    }, 120_000, 'every acknowledgement handled by the send job');
    console.log(`inbound soak: ${N} messages processed in ${processingSeconds.toFixed(1)} s with ${kills.length} kills`);

    // Every message processed, once: one "processed" event each (the event log is append-only).
    const messages = await service.ctx.sql`select status, kind, count(*)::int as n from inbound_messages group by 1, 2`;
    expect(messages).toEqual([{ status: 'processed', kind: 'registration', n: N }]);
    const events = await service.ctx.sql`
      select (data->>'inbound')::bigint as inbound, count(*)::int as n from events where type = 'inbound.processed' group by 1`;
    expect(events).toHaveLength(N);
    expect(events.filter((e) => e.n !== 1)).toEqual([]);

    // One person and one profile per sender, each active (authenticated reply).
    const people = await service.ctx.sql`select lower(email::text) as email, status from people`;
    expect(people).toHaveLength(N);
    expect(new Set(people.map((p) => p.email))).toEqual(new Set(Array.from({ length: N }, (_, i) => registrationIndexAddress(i))));
    expect(people.filter((p) => p.status !== 'active')).toEqual([]);
    const [profiles] = await service.ctx.sql`select count(*)::int as n, count(distinct person_id)::int as persons from profiles`;
    expect(profiles).toEqual({ n: N, persons: N });
    // Registered once each: one "submitted" and one "confirmed" event per person.
    const registered = await service.ctx.sql`
      select type, count(*)::int as n, count(distinct person_id)::int as persons from events
      where type in ('registration.submitted', 'registration.confirmed') group by 1 order by 1`;
    expect(registered).toEqual([
      { type: 'registration.confirmed', n: N, persons: N },
      { type: 'registration.submitted', n: N, persons: N },
    ]);

    // One acknowledgement per sender, none twice (counted per recipient and template).
    const acks = await service.ctx.sql`
      select lower(to_address) as to, template, count(*)::int as n, array_agg(status) as statuses
      from outbound_messages group by 1, 2`;
    expect(acks).toHaveLength(N);
    expect(acks.filter((a) => a.n !== 1)).toEqual([]);
    expect(new Set(acks.map((a) => a.template))).toEqual(new Set(['ack-registration']));
    expect(acks.filter((a) => a.statuses[0] !== 'held')).toEqual([]);

    // The killed processes did not take the last one down with them.
    expect(workers.at(-1)!.exited()).toBe(false);
  });
});
