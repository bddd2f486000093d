// The inbound SMTP listener, with real SMTP clients (nodemailer) and real sender
// authentication (mailauth: SPF for the connecting IP, DKIM signatures, DMARC). DNS is the only
// stub: a small table of TXT records, so the test runs without a network.
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:net';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtpListener, type SmtpListener } from '../../src/ingest/sources/smtp.js';
import { startTestService, waitFor } from '../helpers/context.js';
import { INTAKE_ENV, OUR_DOMAIN } from './intake-messages.js';

type Service = Awaited<ReturnType<typeof startTestService>>;
let service: Service;
let listener: SmtpListener;
let servicePort: number;

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const DNS: Record<string, string[]> = {
  // A small association with its own domain: SPF for our test IP, a DKIM key, DMARC reject.
  'asso-signee.fr': ['v=spf1 ip4:127.0.0.1 ip6:::1 -all'],
  's1._domainkey.asso-signee.fr': [`v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`],
  '_dmarc.asso-signee.fr': ['v=DMARC1; p=reject'],
  // A domain someone impersonates from elsewhere: SPF does not list us, DMARC says reject.
  'banque.example': ['v=spf1 ip4:192.0.2.10 -all'],
  '_dmarc.banque.example': ['v=DMARC1; p=reject'],
};

async function resolver(name: string, type: string): Promise<string[][]> {
  const records = type === 'TXT' ? DNS[name.toLowerCase()] : undefined;
  if (!records) throw Object.assign(new Error(`queryTxt ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
  return records.map((r) => [r]);
}

function transport(port: number, dkim?: boolean) {
  return nodemailer.createTransport({
    host: '127.0.0.1',
    port,
    secure: false,
    ignoreTLS: true,
    ...(dkim ? { dkim: { domainName: 'asso-signee.fr', keySelector: 's1', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() } } : {}),
  });
}

async function person(address: string) {
  const rows = await service.ctx.sql`select p.*, f.commune from people p left join profiles f on f.person_id = p.id where p.email = ${address}`;
  return rows[0];
}

async function inboundFrom(address: string) {
  return waitFor(async () => {
    const rows = await service.ctx.sql`select * from inbound_messages where from_address = ${address} and status <> 'stored'`;
    return rows[0];
  }, 15_000, `message from ${address} processed`);
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  servicePort = await freePort();
  service = await startTestService({ ...INTAKE_ENV, SMTP_LISTEN: `127.0.0.1:${servicePort}`, SMTP_AUTHSERV_ID: 'mx.maillage.test' });
  listener = await startSmtpListener(service.ctx, { port: 0, host: '127.0.0.1', resolver });
});

afterAll(async () => {
  await listener?.close();
  await service?.dispose();
});

describe('the inbound SMTP listener', () => {
  it('a signed reply from a domain that passes SPF and DKIM registers at once', async () => {
    const info = await transport(listener.port, true).sendMail({
      from: 'Nina Perrin <nina@asso-signee.fr>',
      to: `inscription@${OUR_DOMAIN}`,
      subject: 'Re: La Lettre des Racines',
      text: 'Bonjour,\n\nNotre association monte un tiers-lieu à Tulle, en Corrèze, avec un atelier partagé et un café associatif. Nous cherchons des bénévoles et deux salarié·es.\n\nNina',
    });
    expect(info.response).toMatch(/^250 .*Stored as \d+/);
    const row = await inboundFrom('nina@asso-signee.fr');
    expect(row.channel).toBe('smtp');
    const head = row.raw.toString('latin1').split('\r\n\r\n')[0];
    expect(head).toMatch(/^Received-SPF: pass/);
    expect(head).toMatch(/Authentication-Results: mx\.maillage\.test;\s+dkim=pass/);
    expect(row.outcome).toContain('authenticated sender');
    const p = await person('nina@asso-signee.fr');
    expect(p.status).toBe('active');
    expect(p.commune).toBe('Tulle');
  });

  it('a forged From (SPF fail, DMARC reject) is stored, never answered, and registers nobody', async () => {
    await transport(listener.port).sendMail({
      envelope: { from: 'bounce@banque.example', to: [`inscription@${OUR_DOMAIN}`] },
      from: 'Service client <ceo@banque.example>',
      to: `inscription@${OUR_DOMAIN}`,
      subject: 'Projet',
      text: 'Bonjour, je porte un projet d’habitat partagé à Lyon et je cherche des foyers pour le rejoindre rapidement.',
    });
    const row = await inboundFrom('ceo@banque.example');
    expect(row.raw.toString('latin1')).toMatch(/dmarc=fail/);
    expect(row.outcome).toContain('failed authentication');
    expect(await person('ceo@banque.example')).toBeUndefined();
    const mails = await service.ctx.sql`select count(*)::int as n from outbound_messages where to_address = 'ceo@banque.example'`;
    expect(mails[0]!.n).toBe(0);
  });

  it('removes an Authentication-Results that impersonates our server: the sender is not trusted', async () => {
    await transport(listener.port).sendMail({
      from: 'Malin <malin@autre.example>',
      to: `inscription@${OUR_DOMAIN}`,
      subject: 'Re: La Lettre',
      headers: { 'Authentication-Results': 'mx.maillage.test; dkim=pass header.d=autre.example; spf=pass smtp.mailfrom=autre.example' },
      text: 'Bonjour, je souhaite rejoindre un éco-lieu près de Rennes, je suis menuisier et disponible dès cet automne.',
    });
    const row = await inboundFrom('malin@autre.example');
    const headers = row.raw.toString('latin1').split('\r\n\r\n')[0];
    expect(headers.match(/Authentication-Results: mx\.maillage\.test/g)).toHaveLength(1);
    expect(headers).not.toContain('dkim=pass header.d=autre.example');
    expect((await person('malin@autre.example')).status).toBe('pending');
  });

  it('is no open relay, and refuses mass mailings', async () => {
    await expect(transport(listener.port).sendMail({ from: 'x@asso-signee.fr', to: 'quelquun@gmail.com', text: 'relais ?' })).rejects.toMatchObject({ responseCode: 550 });
    const many = Array.from({ length: 60 }, (_, i) => `inscription+n${i}@${OUR_DOMAIN}`);
    const sent = await transport(listener.port).sendMail({ from: 'x@asso-signee.fr', to: many, text: 'Bonjour à tous' });
    expect(sent.accepted.length).toBe(50);
    expect(sent.rejected.length).toBe(10);
  });

  it('runs with the service when SMTP_LISTEN is set, and stops with it', async () => {
    const info = await transport(servicePort).sendMail({
      from: 'Odile <odile@exemple.fr>',
      to: `inscription@${OUR_DOMAIN}`,
      subject: 'Re: La Lettre',
      text: 'Bonjour, une question : comment fonctionne la mise en relation ?',
    });
    expect(info.response).toMatch(/^250 /);
    const row = await inboundFrom('odile@exemple.fr');
    expect(row.kind).toBe('other');
  });
});
