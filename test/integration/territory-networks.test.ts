// Partner networks, over real HTTP, PostgreSQL, Redis and workers: a person is tagged with the
// network whether they come through its form link (/?reseau=<slug>) or reply to its bulletin
// (inscription+<slug>@…, or the network of the webhook channel); an unknown slug registers them
// without a network; the console shows what each network brought, and matching crosses networks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upsertNetwork } from '../../src/db/networks.js';
import { run as networkCli } from '../../src/cli/network.js';
import { startTestService, waitFor } from '../helpers/context.js';
import { Browser, hiddenField } from '../helpers/http.js';
import { adminBrowser, placePerson, runCli } from './territory-helpers.js';

type Service = Awaited<ReturnType<typeof startTestService>>;
let service: Service;
const PASSWORD = 'console-password-for-tests';
const SECRET = 'webhook-secret-for-territory-tests';

beforeAll(async () => {
  service = await startTestService({
    ADMIN_PASSWORD: PASSWORD,
    INBOUND_WEBHOOK_SECRET: SECRET,
    MAIL_FROM: 'maillage <bonjour@maillage.test>',
    REPLY_TO: 'inscription@maillage.test',
  });
  await upsertNetwork(service.ctx.sql, 'repair-cafes-44', 'Repair cafés de Loire-Atlantique');
  await upsertNetwork(service.ctx.sql, 'ecolieux-26', 'Éco-lieux de la Drôme');
});

afterAll(async () => {
  await service?.dispose();
});

async function networkOf(email: string): Promise<string | null> {
  const rows = await service.ctx.sql`select n.slug from people p left join networks n on n.id = p.network_id where p.email = ${email}`;
  if (rows.length === 0) throw new Error(`nobody registered as ${email}`);
  return (rows[0]!.slug as string | null) ?? null;
}

async function registerWithForm(link: string, email: string, name: string) {
  const browser = new Browser(service.url!);
  const home = await browser.get(link);
  expect(home.status).toBe(200);
  return browser.post('/inscription', {
    csrf: hiddenField(home.body, 'csrf'),
    reseau: hiddenField(home.body, 'reseau'),
    name,
    email,
    place: 'Nantes',
    role: 'rejoindre',
    description: 'Je voudrais rejoindre un repair café à Nantes pour réparer des vélos et du petit électroménager le samedi.',
    radius: '30',
    consent: 'oui',
  });
}

function rawEmail(o: { from: string; to: string; body: string }): Buffer {
  return Buffer.from([
    `From: ${o.from}`,
    `To: ${o.to}`,
    'Subject: Re: la lettre du réseau',
    `Message-ID: <${Math.random().toString(36).slice(2)}@exemple.org>`,
    `Date: ${new Date().toUTCString().replace('GMT', '+0000')}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    o.body,
    '',
  ].join('\r\n'), 'utf8');
}

async function postToWebhook(raw: Buffer, query = ''): Promise<number> {
  const res = await fetch(`${service.url}/inbound/mime${query}`, { method: 'POST', body: raw, headers: { authorization: `Bearer ${SECRET}`, 'content-type': 'message/rfc822' } });
  expect(res.status).toBe(202);
  return ((await res.json()) as { id: number }).id;
}

async function processed(id: number) {
  return waitFor(async () => {
    const [row] = await service.ctx.sql`select status, kind, person_id from inbound_messages where id = ${id}`;
    return row && row.status !== 'stored' ? row : undefined;
  }, 20_000, `inbound ${id} processed`);
}

describe('network tagging through the form link', () => {
  it('tags a person who registers through /?reseau=<slug> (the slug is case-insensitive)', async () => {
    const res = await registerWithForm('/?reseau=Repair-Cafes-44', 'lina.form@exemple.org', 'Lina');
    expect(res.status).toBe(200);
    expect(res.body).toContain('vérifiez votre boîte mail');
    expect(await networkOf('lina.form@exemple.org')).toBe('repair-cafes-44');
  });

  it('registers a person whose link names an unknown network, without a network and without an error page', async () => {
    const res = await registerWithForm('/?reseau=reseau-qui-n-existe-pas', 'yves.form@exemple.org', 'Yves');
    expect(res.status).toBe(200);
    expect(res.body).toContain('vérifiez votre boîte mail');
    expect(await networkOf('yves.form@exemple.org')).toBeNull();
    const garbage = await registerWithForm('/?reseau=%3Cscript%3E', 'zoe.form@exemple.org', 'Zoé');
    expect(garbage.status).toBe(200);
    expect(await networkOf('zoe.form@exemple.org')).toBeNull();
  });
});

describe('network tagging through email', () => {
  it('tags a person who replies to the network’s own address, inscription+<slug>@', async () => {
    const id = await postToWebhook(rawEmail({
      from: 'Gaël Martin <gael.mail@exemple.org>',
      to: 'Repair cafés 44 <inscription+repair-cafes-44@maillage.test>',
      body: 'Bonjour,\n\nJe lance un repair café à Rezé (44400) et je cherche des bénévoles pour réparer vélos et petit électroménager un samedi par mois.\n\nGaël',
    }));
    const row = await processed(id);
    expect(row.kind).toBe('registration');
    expect(await networkOf('gael.mail@exemple.org')).toBe('repair-cafes-44');
  });

  it('tags a person whose email came in through a channel set up for the network', async () => {
    const id = await postToWebhook(rawEmail({
      from: 'Ana Ruiz <ana.mail@exemple.org>',
      to: 'inscription@maillage.test',
      body: 'Bonjour,\n\nNous montons un habitat partagé près de Crest (26400), avec un grand jardin. Nous cherchons deux familles.\n\nAna',
    }), '?network=ecolieux-26');
    await processed(id);
    expect(await networkOf('ana.mail@exemple.org')).toBe('ecolieux-26');
  });

  it('registers a person who writes to an unknown network’s address, without a network', async () => {
    const id = await postToWebhook(rawEmail({
      from: 'Paul Hervé <paul.mail@exemple.org>',
      to: 'inscription+inconnu@maillage.test',
      body: 'Bonjour,\n\nJe souhaite rejoindre une ferme coopérative près de Nantes (44000), je suis maraîcher.\n\nPaul',
    }));
    const row = await processed(id);
    expect(row.status).toBe('processed');
    expect(await networkOf('paul.mail@exemple.org')).toBeNull();
  });
});

describe('what each network sees', () => {
  it('counts the people each network brought and how many met someone, across networks', async () => {
    const [repair] = await service.ctx.sql`select id from networks where slug = 'repair-cafes-44'`;
    const [eco] = await service.ctx.sql`select id from networks where slug = 'ecolieux-26'`;
    // Matching crosses networks: a meeting between a person of each counts for both.
    const a = await placePerson(service.ctx.sql, { name: 'Aline', place: 'Nantes', description: 'repair café vélos', networkId: repair!.id as number });
    const b = await placePerson(service.ctx.sql, { name: 'Bruno', place: 'Nantes', description: 'repair café électroménager', networkId: eco!.id as number });
    const [lo, hi] = a.id < b.id ? [a.id, b.id] : [b.id, a.id];
    await service.ctx.sql`
      insert into introductions (person_a, person_b, score, explanation, status, answer_a, answer_b, closed_at)
      values (${lo}, ${hi}, 0.5, 'réparation', 'accepted', 'accepted', 'accepted', now())`;

    const browser = await adminBrowser(service.url!, PASSWORD);
    const page = await browser.get('/admin/reseaux');
    expect(page.status).toBe(200);
    const row = (slug: string) => {
      const m = new RegExp(`<tr><td><strong>[^<]*</strong><br><span class="hint">${slug}</span></td>.*?</tr>`).exec(page.body);
      if (!m) throw new Error(`no row for ${slug}`);
      return [...m[0].matchAll(/<td class="n">(\d+)<\/td>/g)].map((x) => Number(x[1]));
    };
    // brought, active, proposed, met
    expect(row('repair-cafes-44')).toEqual([3, 1, 1, 1]); // Lina (form, pending), Gaël (email, pending), Aline
    expect(row('ecolieux-26')).toEqual([2, 1, 1, 1]); // Ana (email, pending), Bruno
    expect(page.body).toContain(`${service.url}/?reseau=repair-cafes-44`);
    expect(page.body).toContain('inscription+repair-cafes-44@maillage.test');
  });

  it('lists networks from the command line, and refuses a bad slug plainly', async () => {
    const added = await runCli(networkCli, ['add', 'amap-38', 'AMAP de l’Isère'], service.ctx.config);
    expect(added.code).toBe(0);
    expect(added.stdout).toContain('/?reseau=amap-38');
    expect(added.stdout).toContain('inscription+amap-38@maillage.test');
    const listed = await runCli(networkCli, ['list', '--json'], service.ctx.config);
    const list = JSON.parse(listed.stdout) as { slug: string; brought: number }[];
    expect(list.map((n) => n.slug).sort()).toEqual(['amap-38', 'ecolieux-26', 'repair-cafes-44']);
    const bad = await runCli(networkCli, ['add', 'Pas Bon!', 'Nom'], service.ctx.config);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('identifiant invalide');
  });
});
