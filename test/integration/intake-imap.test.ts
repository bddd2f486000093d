// IMAP polling against a real IMAP server: Dovecot (Debian's dovecot-imapd), started for this
// file with a throwaway configuration on a free port (test/helpers/dovecot.ts), and stopped after it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollImapJob } from '../../jobs/poll-imap.js';
import { pollImapOnce, STORED_KEYWORD } from '../../src/ingest/sources/imap.js';
import { startTestService, waitFor } from '../helpers/context.js';
import { startDovecot, type Dovecot } from '../helpers/dovecot.js';
import { email, INTAKE_ENV } from './intake-messages.js';

type Service = Awaited<ReturnType<typeof startTestService>>;
let service: Service;
let dovecot: Dovecot;
let imapUrl: string;

async function person(address: string) {
  const rows = await service.ctx.sql`select p.*, f.commune from people p left join profiles f on f.person_id = p.id where p.email = ${address}`;
  return rows[0];
}

beforeAll(async () => {
  dovecot = await startDovecot();
  imapUrl = dovecot.url;
  service = await startTestService({ ...INTAKE_ENV, IMAP_URL: imapUrl, IMAP_POLL_SECONDS: '5', MAX_MESSAGE_BYTES: '1000000' });
  // The first tests poll by hand: hold the lock the scheduled poll takes, so it stands aside.
  await service.ctx.redis.set(pollLock(), 'test', 'PX', 120_000);
}, 60_000);

function pollLock(): string {
  return `${service.ctx.config.queuePrefix}:lock:poll-imap`;
}

afterAll(async () => {
  await service?.dispose();
  await dovecot?.stop();
});

describe('IMAP polling (Dovecot)', () => {
  it('stores each new message, marks it on the server only then, and never fetches it twice', async () => {
    await dovecot.deliver(email({ from: 'Anne <anne@exemple.fr>', body: 'Bonjour, je souhaite rejoindre un habitat partagé près de Nantes, je suis infirmière et j’ai deux enfants.' }));
    // Read in the operator's own mail client (\Seen): still not hidden from maillage.
    await dovecot.deliver(email({ from: 'Bernard <bernard@exemple.fr>', body: 'Bonjour, nous lançons un repair café à Angers, nous cherchons des bénévoles pour réparer les vélos.' }), ['\\Seen']);

    const first = await pollImapOnce(service.ctx, { url: imapUrl, folder: 'INBOX' });
    expect(first).toMatchObject({ found: 2, stored: 2, duplicates: 0, mark: 'keyword' });
    const flags = await dovecot.flags();
    expect(flags.every((m) => m.flags.includes(STORED_KEYWORD))).toBe(true);

    const second = await pollImapOnce(service.ctx, { url: imapUrl, folder: 'INBOX' });
    expect(second.found).toBe(0);

    await waitFor(async () => (await person('anne@exemple.fr')) && (await person('bernard@exemple.fr')), 15_000, 'both registered');
    expect((await person('anne@exemple.fr')).commune).toBe('Nantes');
    const stored = await service.ctx.sql`select channel from inbound_messages where from_address in ('anne@exemple.fr', 'bernard@exemple.fr')`;
    expect(stored.map((r) => r.channel)).toEqual(['imap', 'imap']);
  });

  it('a message that could not be stored stays unmarked on the server and is fetched at the next poll', async () => {
    await dovecot.deliver(email({ from: 'Chloe <chloe@exemple.fr>', body: 'Bonjour, je cherche un éco-lieu à rejoindre dans les Cévennes, je suis maraîchère.' }));
    const broken = {
      ...service.ctx,
      // The database refuses the insert (down, full…): the poll must fail before marking anything.
      // A query (a tagged template) fails; sql(rows, …columns) only builds part of one, as in postgres.js.
      sql: Object.assign((first: unknown) => (Array.isArray(first) && 'raw' in first ? Promise.reject(new Error('database unavailable')) : {}), {
        begin: () => Promise.reject(new Error('database unavailable')),
      }) as unknown as typeof service.ctx.sql,
    };
    await expect(pollImapOnce(broken, { url: imapUrl, folder: 'INBOX' })).rejects.toThrow('database unavailable');
    const unmarked = (await dovecot.flags()).filter((m) => !m.flags.includes(STORED_KEYWORD));
    expect(unmarked).toHaveLength(1);
    const retry = await pollImapOnce(service.ctx, { url: imapUrl, folder: 'INBOX' });
    expect(retry.stored).toBe(1);
  });

  it('downloads only the beginning of an oversized message and stores it truncated', async () => {
    const boundary = 'imap_big';
    const raw = Buffer.concat([
      Buffer.from([
        'From: Denis <denis@exemple.fr>', 'To: inscription@reseau-racines.org', 'Subject: Notre projet avec photos', 'Message-ID: <big-imap@exemple.fr>',
        `Date: ${new Date().toUTCString()}`, 'MIME-Version: 1.0', `Content-Type: multipart/mixed; boundary="${boundary}"`, '',
        `--${boundary}`, 'Content-Type: text/plain; charset=utf-8', '', 'Bonjour, voici notre projet de ferme à Rodez, avec des photos.', '',
        `--${boundary}`, 'Content-Type: image/jpeg', 'Content-Transfer-Encoding: base64', '', '',
      ].join('\r\n')),
      Buffer.alloc(3_000_000, 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODkwYWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4\r\n'),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    await dovecot.deliver(raw);
    const result = await pollImapOnce(service.ctx, { url: imapUrl, folder: 'INBOX' });
    expect(result.truncated).toBe(1);
    const row = await waitFor(async () => (await service.ctx.sql`select * from inbound_messages where message_id = '<big-imap@exemple.fr>' and status <> 'stored'`)[0], 15_000, 'big message processed');
    expect(row.truncated).toBe(true);
    expect(row.raw_size).toBeGreaterThan(3_000_000);
    expect(row.raw.length).toBeLessThan(1_000_000);
    expect(row.outcome).toContain('too large');
  });

  it('a scheduled poll stands aside while another poll holds the mailbox', async () => {
    expect(await pollImapJob.process({} as never, service.ctx)).toBe('busy');
  });

  it('the service polls on its own, every IMAP_POLL_SECONDS', async () => {
    await service.ctx.redis.del(pollLock());
    await dovecot.deliver(email({ from: 'Emma <emma@exemple.fr>', body: 'Bonjour, nous cherchons des associés pour une épicerie coopérative à Besançon, ouverture prévue au printemps.' }));
    const p = await waitFor(async () => person('emma@exemple.fr'), 30_000, 'scheduled poll');
    expect(p.status).toBe('pending');
  }, 40_000);
});
