// Deliverability of what maillage sends, checked on the wire (a local smtp-server sink as
// SMTP_URL): DKIM signature that verifies and covers List-Unsubscribe and List-Unsubscribe-Post,
// our Message-ID domain, RFC 3834 headers, a plain-text part, the VERP envelope sender that
// names the message, the sending rate limit, and hard bounces at send time suppressing the address.
import { generateKeyPairSync } from 'node:crypto';
import { dkimVerify } from 'mailauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pauseAndConfirm } from '../../src/introductions/controls.js';
import { enqueueSend, sendEmail } from '../../src/mail/outbox.js';
import { startTestService, waitFor } from '../helpers/context.js';
import { createActivePerson } from '../helpers/people.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

type Service = Awaited<ReturnType<typeof startTestService>>;
let service: Service;
let sink: SmtpSink;
const RATE = 5;

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PRIVATE_PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const PUBLIC_B64 = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');

beforeAll(async () => {
  sink = await startSmtpSink();
  service = await startTestService({
    SMTP_URL: sink.url,
    DKIM_DOMAIN: 'maillage.test',
    DKIM_SELECTOR: 'mai2026',
    // As an .env file holds it: one line, "\n" escaped.
    DKIM_PRIVATE_KEY: PRIVATE_PEM.replace(/\n/g, '\\n'),
    SEND_RATE_PER_SECOND: String(RATE),
  });
});

afterAll(async () => {
  await service?.dispose();
  await sink?.close();
});

async function makePerson(name: string): Promise<{ id: number; email: string }> {
  return createActivePerson(service.ctx.sql, {
    name, place: 'Die', radiusKm: 30, description: 'Un tiers-lieu avec atelier partagé et café associatif dans la vallée.',
  });
}

async function received(address: string, n = 1) {
  return waitFor(() => {
    const mine = sink.messages.filter((m) => m.envelopeTo.includes(address));
    return mine.length >= n ? mine : undefined;
  }, 15_000, `mail to ${address}`);
}

describe('what every email carries', () => {
  it('is DKIM-signed, List-Unsubscribe(-Post) included in the signature, and verifies', async () => {
    const ida = await makePerson('Ida');
    const { outboundIds } = await service.ctx.sql.begin((tx) => pauseAndConfirm(tx, service.ctx, ida.id, new Date(Date.now() + 30 * 86_400_000), 'test'));
    for (const id of outboundIds) await enqueueSend(service.ctx, id);
    const [mail] = await received(ida.email);

    const result = await dkimVerify(mail!.raw, {
      resolver: async (name: string, type: string) => {
        if (name === 'mai2026._domainkey.maillage.test' && type === 'TXT') return [[`v=DKIM1; k=rsa; p=${PUBLIC_B64}`]];
        throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
      },
    } as never);
    const sig = result.results[0]!;
    expect(sig.status.result).toBe('pass');
    expect(sig.signingDomain).toBe('maillage.test');
    const signed = /\bh=([^;]+)/.exec(mail!.raw.toString().replace(/\r?\n[ \t]+/g, ' '))![1]!.toLowerCase().replace(/\s+/g, '');
    expect(signed.split(':')).toEqual(expect.arrayContaining(['from', 'subject', 'message-id', 'list-unsubscribe', 'list-unsubscribe-post']));

    // A message altered after signing no longer verifies.
    const tampered = Buffer.from(mail!.raw.toString().replace(/^Subject: .*$/m, 'Subject: autre chose'));
    const bad = await dkimVerify(tampered, { resolver: async () => [[`v=DKIM1; k=rsa; p=${PUBLIC_B64}`]] } as never);
    expect(bad.results[0]!.status.result).toBe('fail');
  });

  it('has our Message-ID, RFC 3834 headers, a text part, one-click unsubscribe and a VERP sender', async () => {
    const jo = await makePerson('Jo');
    const outboundId = await sendEmail(service.ctx, { key: `welcome-test:${jo.id}`, personId: jo.id, to: jo.email, template: 'welcome', vars: { name: 'Jo' } });
    const [wire] = await received(jo.email);
    const parsed = await sink.parse(wire!);
    expect(parsed.messageId).toMatch(/^<[0-9a-f-]+@maillage\.test>$/);
    expect(parsed.headers.get('auto-submitted')).toBe('auto-generated');
    expect(parsed.headers.get('x-auto-response-suppress')).toBe('OOF, AutoReply');
    expect(parsed.text).toContain('Bienvenue');
    expect(parsed.html).toContain('Bienvenue');
    const raw = wire!.raw.toString().replace(/\r?\n[ \t]+/g, ' ');
    expect(raw).toMatch(/^Content-Type: text\/plain/m);
    expect(raw).toMatch(/^List-Unsubscribe: <https?:\/\/[^>]+\/desinscription\?t=[^>]+>, <mailto:[^>]+\?subject=STOP>/m);
    expect(raw).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click/m);
    // The envelope sender ties a bounce to this very message.
    expect(wire!.envelopeFrom).toBe(`bonjour+b-${outboundId}@maillage.test`);
    expect(parsed.headers.get('x-maillage-id')).toBe(String(outboundId));
  });
});

describe('sending rate limit (BullMQ limiter)', () => {
  it(`never sends faster than SEND_RATE_PER_SECOND=${RATE}`, async () => {
    const people = await Promise.all(Array.from({ length: 15 }, (_, i) => makePerson(`Rate${i}`)));
    // Wait for any earlier message to leave so that this batch starts on a fresh window.
    await new Promise((r) => setTimeout(r, 1_100));
    const started = Date.now();
    for (const p of people) await sendEmail(service.ctx, { key: `rate:${p.id}`, personId: p.id, to: p.email, template: 'welcome', vars: { name: 'Rate' } });
    const times = await waitFor(() => {
      const mine = sink.messages.filter((m) => people.some((p) => m.envelopeTo.includes(p.email)));
      return mine.length === people.length ? mine.map((m) => m.receivedAt) : undefined;
    }, 20_000, 'rate-limited batch');
    const spread = Math.max(...times) - started;
    // 15 messages at 5 a second: three windows, so at least two full seconds.
    expect(spread).toBeGreaterThanOrEqual(2_000 - 50);
    expect(spread).toBeLessThan(8_000);
  });
});

describe('hard bounces at send time', () => {
  it('a recipient refused with 550 is suppressed: nothing more is sent to it', async () => {
    const kim = await makePerson('Kim');
    sink.rejectRecipients.add(kim.email);
    const first = await sendEmail(service.ctx, { key: `bounce-1:${kim.id}`, personId: kim.id, to: kim.email, template: 'welcome', vars: { name: 'Kim' } });
    await waitFor(async () => {
      const rows = await service.ctx.sql`select status from outbound_messages where id = ${first}`;
      return rows[0]!.status === 'failed';
    }, 15_000, 'refused message marked failed');
    const person = await service.ctx.sql`select bounced_at from people where id = ${kim.id}`;
    expect(person[0]!.bounced_at).toBeInstanceOf(Date);

    sink.rejectRecipients.delete(kim.email);
    const second = await sendEmail(service.ctx, { key: `bounce-2:${kim.id}`, personId: kim.id, to: kim.email, template: 'welcome', vars: { name: 'Kim' } });
    await waitFor(async () => {
      const rows = await service.ctx.sql`select status from outbound_messages where id = ${second}`;
      return rows[0]!.status === 'suppressed';
    }, 15_000, 'later message suppressed');
    expect(sink.messages.filter((m) => m.envelopeTo.includes(kim.email))).toHaveLength(0);
  });

  it('a message to two people still reaches the one whose address works', async () => {
    const lou = await makePerson('Lou');
    const max = await makePerson('Max');
    sink.rejectRecipients.add(max.email);
    const id = await sendEmail(service.ctx, { key: `two:${lou.id}:${max.id}`, personId: null, to: `${lou.email}, ${max.email}`, template: 'welcome', vars: { name: 'Lou et Max' } });
    const [wire] = await received(lou.email);
    expect(wire!.envelopeTo).toEqual([lou.email]);
    const parsed = await sink.parse(wire!);
    const to = (Array.isArray(parsed.to) ? parsed.to : [parsed.to!]).flatMap((t) => t.value.map((v) => v.address));
    expect(to).toEqual([lou.email, max.email]);
    await waitFor(async () => (await service.ctx.sql`select status from outbound_messages where id = ${id}`)[0]!.status === 'sent', 10_000, 'sent');
    const bounced = await service.ctx.sql`select bounced_at from people where id = ${max.id}`;
    expect(bounced[0]!.bounced_at).toBeInstanceOf(Date);
    sink.rejectRecipients.delete(max.email);
  });
});
