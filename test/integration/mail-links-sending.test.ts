// Two things the render and send speed-ups must not change, over real HTTP, PostgreSQL, Redis and
// a local SMTP sink:
//  - links: those already in people's mailboxes (the JSON tokens written before the compact
//    format) still open their page; a link of one kind cannot be made into another;
//  - sending: a burst of messages through the send jobs (claims and "sent" marks grouped into
//    one statement per group) reaches the sink exactly once each, and a send job run again for
//    a message already sent delivers nothing.
import { createHmac } from 'node:crypto';
import { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controlUrls } from '../../src/mail/links.js';
import { enqueueSends, writeEmail } from '../../src/mail/outbox.js';
import { JOBS } from '../../src/queue/names.js';
import { startTestService, waitFor } from '../helpers/context.js';
import { createActivePerson } from '../helpers/people.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

type Service = Awaited<ReturnType<typeof startTestService>>;
let service: Service;
let sink: SmtpSink;

beforeAll(async () => {
  sink = await startSmtpSink();
  service = await startTestService({ SMTP_URL: `${sink.url}?maxConnections=4` });
});

afterAll(async () => {
  await service?.dispose();
  await sink?.close();
});

/** A token as the code before the compact format wrote it into emails. */
function jsonToken(payload: Record<string, unknown>): string {
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${body}.${createHmac('sha256', service.ctx.config.secret).update(body).digest('base64url').slice(0, 22)}`;
}

async function get(path: string) {
  const res = await fetch(`${service.url}${path}`, { redirect: 'manual' });
  return { status: res.status, body: await res.text() };
}

describe('links already sent, and links altered', () => {
  it('an unsubscribe or pause link from an email sent before the compact format still opens its page', async () => {
    const person = await createActivePerson(service.ctx.sql, { name: 'Léa', description: 'Une ferme en agroécologie qui cherche des bras pour la saison.' });
    const e = Math.floor(Date.now() / 1000) + 30 * 86_400;
    const unsubscribe = await get(`/desinscription?t=${encodeURIComponent(jsonToken({ k: 'unsubscribe', p: person.id, e }))}`);
    expect(unsubscribe.status).toBe(200);
    expect(unsubscribe.body).toContain('Se désinscrire de maillage');
    const pause = await get(`/pause?t=${encodeURIComponent(jsonToken({ k: 'pause', p: person.id, a: '1m', e }))}`);
    expect(pause.status).toBe(200);
    expect(pause.body).toContain('Faire une pause d');
    // Expired, as they will all be two years after the switch: the usual French page.
    const expired = await get(`/desinscription?t=${encodeURIComponent(jsonToken({ k: 'unsubscribe', p: person.id, e: e - 60 * 86_400 }))}`);
    expect(expired.status).toBe(410);
    expect(expired.body).toContain('Ce lien a expiré');
    expect(expired.body).toContain('répondez simplement à l’e-mail qui contenait ce lien');
  });

  it('a pause link rewritten into an erase link gets the "abîmé" page and erases nothing', async () => {
    const person = await createActivePerson(service.ctx.sql, { name: 'Malik', description: 'Un atelier vélo associatif qui aimerait essaimer dans la vallée.' });
    const pause = new URL(controlUrls(service.ctx.config, person.id).pause1m).searchParams.get('t')!;
    const fields = pause.split('.');
    fields[1] = 'erase';
    fields[4] = '';
    const forged = fields.join('.');
    expect((await get(`/effacer?t=${forged}`)).body).toContain('abîmé');
    const res = await fetch(`${service.url}/effacer`, { method: 'POST', body: new URLSearchParams({ t: forged }), redirect: 'manual' });
    expect(res.status).toBe(400);
    const [row] = await service.ctx.sql`select status, email from people where id = ${person.id}`;
    expect(row).toMatchObject({ status: 'active', email: person.email });
  });
});

describe('sending a burst', () => {
  it('delivers every message exactly once, marks each sent, and a repeated send job delivers nothing', async () => {
    const N = 150;
    const before = sink.messages.length;
    const ids: number[] = [];
    for (let k = 0; k < N; k++) {
      const { id } = await writeEmail(service.ctx.sql, service.ctx, {
        key: `burst:${k}`, personId: null, to: `personne${k}@example.org`, template: 'welcome', vars: { name: `Personne ${k}` },
      });
      ids.push(id);
    }
    await enqueueSends(service.ctx, ids);
    await sink.waitForCount(before + N, 60_000);
    await new Promise((r) => setTimeout(r, 300)); // a duplicate, if any, would arrive now

    const received = sink.messages.slice(before).map((m) => /^X-Maillage-Id: (\d+)/im.exec(m.raw.toString('latin1'))?.[1]);
    expect(received).toHaveLength(N);
    expect(new Set(received).size).toBe(N);
    expect([...received].map(Number).sort((a, b) => a - b)).toEqual([...ids].sort((a, b) => a - b));
    const rows = await service.ctx.sql`
      select status, attempts, sent_at is not null as has_sent_at, count(*)::int as n
      from outbound_messages where id = any(${ids}::bigint[]) group by 1, 2, 3`;
    expect(rows).toEqual([{ status: 'sent', attempts: 1, has_sent_at: true, n: N }]);

    // The same messages handed to new send jobs (a sweep, an operator's retry): nothing goes out.
    const again = await service.ctx.queues.mail.addBulk(ids.slice(0, 20).map((outboundId) => ({
      name: JOBS.sendEmail, data: { outboundId }, opts: { jobId: `again-${outboundId}` },
    })));
    const results = await waitFor(async () => {
      const values = await Promise.all(again.map(async (j) => (await Job.fromId(service.ctx.queues.mail, j.id!))?.returnvalue));
      return values.every((v) => v !== undefined && v !== null) ? values : undefined;
    }, 15_000, 'repeated send jobs');
    expect(new Set(results)).toEqual(new Set(['already-done']));
    expect(sink.messages.length).toBe(before + N);
  });
});
