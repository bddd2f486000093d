// Registering by replying to the bulletin, over the real pipeline: HTTP webhook → stored raw in
// PostgreSQL → BullMQ job → parse / classify / extract → one transaction → answer in the outbox.
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { deflateRawSync, crc32 } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processInbound } from '../../src/ingest/apply.js';
import { storeInbound } from '../../src/ingest/store.js';
import { sweepInboundJob } from '../../jobs/sweep-inbound.js';
import { Browser, hiddenField, linksIn } from '../helpers/http.js';
import { startTestService, waitFor } from '../helpers/context.js';
import { email, INTAKE_ENV, newMessageId, OUR_DOMAIN, QUOTED_BULLETIN } from './intake-messages.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/emails/', import.meta.url));
const fixture = (name: string) => readFileSync(`${FIXTURES}${name}`);

type Service = Awaited<ReturnType<typeof startTestService>>;
let service: Service;

interface OutboxItem { id: number; to: string; subject: string; text: string; html: string; headers: Record<string, string>; status: string; template: string }

/** POST over a fresh connection: a big upload on a keep-alive socket the server is closing would be reset. */
function post(raw: Buffer, query = ''): Promise<{ status: number; body: { id: number; duplicate: boolean; truncated: boolean } }> {
  return new Promise((resolve, reject) => {
    const req = request(`${service.url}/inbound/mime${query}`, {
      method: 'POST',
      agent: false,
      headers: { authorization: `Bearer ${INTAKE_ENV.INBOUND_WEBHOOK_SECRET}`, 'content-type': 'message/rfc822', 'content-length': raw.length },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
    });
    req.on('error', reject);
    req.end(raw);
  });
}

async function processed(id: number) {
  return waitFor(async () => {
    const rows = await service.ctx.sql`select * from inbound_messages where id = ${id} and status <> 'stored'`;
    return rows[0];
  }, 15_000, `inbound message ${id} processed`);
}

/** Posts and waits until the worker is done with it. */
async function deliver(raw: Buffer, query = '') {
  const res = await post(raw, query);
  expect(res.status).toBe(202);
  return processed(res.body.id);
}

async function outbox(): Promise<OutboxItem[]> {
  return (await (await fetch(`${service.url}/outbox.json`)).json()) as OutboxItem[];
}

async function mailsTo(address: string): Promise<OutboxItem[]> {
  return (await outbox()).filter((m) => m.to === address);
}

async function person(address: string) {
  const rows = await service.ctx.sql`
    select p.*, f.description, f.commune, f.postcode, f.departement, f.categories, f.role, f.terms, f.radius_km
    from people p left join profiles f on f.person_id = p.id where p.email = ${address}`;
  return rows[0];
}

beforeAll(async () => {
  service = await startTestService(INTAKE_ENV);
});

afterAll(async () => {
  await service?.dispose();
});

describe('the inbound webhook', () => {
  it('refuses a missing or wrong secret, and stores nothing', async () => {
    const raw = email({ from: 'intrus@exemple.fr' });
    const none = await fetch(`${service.url}/inbound/mime`, { method: 'POST', body: raw });
    expect(none.status).toBe(401);
    const wrong = await fetch(`${service.url}/inbound/mime?key=not-the-secret`, { method: 'POST', body: raw });
    expect(wrong.status).toBe(401);
    const n = await service.ctx.sql`select count(*)::int as n from inbound_messages where from_address = 'intrus@exemple.fr'`;
    expect(n[0]!.n).toBe(0);
  });

  it('takes the secret as a query key or a Basic password too (providers that only take a URL)', async () => {
    const viaKey = await fetch(`${service.url}/inbound/mime?key=${INTAKE_ENV.INBOUND_WEBHOOK_SECRET}`, { method: 'POST', body: email({ body: 'Bonjour, une question : que faites-vous de mon adresse ?' }) });
    expect(viaKey.status).toBe(202);
    const basic = Buffer.from(`inbound:${INTAKE_ENV.INBOUND_WEBHOOK_SECRET}`).toString('base64');
    // curl --data-binary sends a form content type: the body must still be read as raw bytes.
    const viaBasic = await fetch(`${service.url}/inbound/mime`, {
      method: 'POST', body: email({ body: 'Bonjour, une autre question : qui êtes-vous ?' }),
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(viaBasic.status).toBe(202);
    const stored = (await viaBasic.json()) as { id: number };
    const row = await processed(stored.id);
    expect(row.raw.toString('latin1')).toContain('From: Marie Dupont');
  });
});

describe('registering by replying to the bulletin', () => {
  it("Marie's reply: stored, understood, answered in the same thread with a confirmation link", async () => {
    const messageId = newMessageId();
    const raw = email({ from: 'Marie <marie@exemple.fr>', messageId, subject: 'Re: La Lettre des Racines n°48', body: `Bonjour, avec 4 amis on monte un habitat partagé près de Die (26), on cherche encore 2-3 foyers. Marie${QUOTED_BULLETIN}` });
    const row = await deliver(raw);

    // Store first: the raw bytes are kept exactly.
    expect(Buffer.compare(row.raw, raw)).toBe(0);
    expect(row.kind).toBe('registration');
    expect(row.status).toBe('processed');

    const p = await person('marie@exemple.fr');
    expect(p.status).toBe('pending');
    expect(p.source).toBe('email');
    expect(p.name).toBe('Marie');
    expect(p.commune).toBe('Die');
    expect(p.departement).toBe('26');
    expect(p.role).toBe('porteur');
    expect(p.categories).toContain('habitat-partage');
    expect(p.description).toContain('on cherche encore 2-3 foyers');
    expect(p.description).not.toContain('Répondez simplement');
    expect(p.terms.length).toBeGreaterThan(2);
    expect(row.person_id).toBe(p.id);

    const [ack] = await waitFor(async () => {
      const m = await mailsTo('marie@exemple.fr');
      return m.length ? m : undefined;
    }, 10_000, 'acknowledgement');
    expect(ack!.template).toBe('confirm-email-registration');
    expect(ack!.subject).toBe('Re: La Lettre des Racines n°48');
    expect(ack!.headers['In-Reply-To']).toBe(messageId);
    expect(ack!.headers['References']).toContain(messageId);
    expect(ack!.headers['Auto-Submitted']).toBe('auto-replied');
    expect(ack!.text).toContain('Bonjour Marie,');
    expect(ack!.text).toContain('Lieu : Die 26150 — Drôme (26)');
    expect(ack!.text).toContain('habitat partagé');
    expect(ack!.text).toContain('vous portez le projet');
    expect(ack!.text).toContain('« Avec 4 amis on monte un habitat partagé près de Die (26), on cherche encore 2-3 foyers. »');
    expect(ack!.text).toContain('Répondez simplement à ce message en réécrivant votre description');

    // The existing confirmation pages work unchanged: GET shows, POST confirms.
    const link = linksIn(ack!.text).find((l) => l.includes('/confirmer?t='))!;
    const browser = new Browser(service.url!);
    const shown = await browser.get(link);
    expect(shown.status).toBe(200);
    expect((await person('marie@exemple.fr')).status).toBe('pending');
    await browser.post('/confirmer', { t: hiddenField(shown.body, 't') });
    const confirmed = await person('marie@exemple.fr');
    expect(confirmed.status).toBe('active');
    // Consent is the date she wrote to us (recorded at intake); confirming does not move it.
    expect(Math.abs(confirmed.consent_at.getTime() - Date.now())).toBeLessThan(120_000);
  });

  it('an authenticated sender (trusted Authentication-Results, DKIM pass) is active at once, consent dated from the reply', async () => {
    const date = new Date(Date.now() - 3 * 86_400_000);
    date.setMilliseconds(0);
    const row = await deliver(email({
      from: 'Claire Fontaine <claire.fontaine@gmail.com>', auth: 'pass', date,
      body: 'Bonjour,\n\nNous montons une ferme maraîchère en coopérative à Figeac (46) et cherchons deux associé·es maraîchers pour la saison prochaine.\n\nClaire',
    }));
    expect(row.outcome).toContain('active');
    const p = await person('claire.fontaine@gmail.com');
    expect(p.status).toBe('active');
    expect(p.confirm_nonce).toBeNull();
    expect(p.consent_at.getTime()).toBe(date.getTime());
    expect(p.commune).toBe('Figeac');
    const [ack] = await waitFor(async () => {
      const m = await mailsTo('claire.fontaine@gmail.com');
      return m.length ? m : undefined;
    }, 10_000, 'acknowledgement');
    expect(ack!.template).toBe('ack-registration');
    expect(ack!.text).toContain('vous êtes inscrit·e sur maillage');
    expect(ack!.text).toMatch(/Nous avons noté votre accord à la date de votre message \(\d+ \S+ \d{4}\)/);
    expect(ack!.text).not.toContain('/confirmer?t=');
    // The person's own control links are in every answer to a registered person.
    expect(ack!.text).toContain('/desinscription?t=');
    expect(ack!.text).toContain('/effacer?t=');
    expect(ack!.headers['List-Unsubscribe']).toContain('/desinscription?t=');
    const events = await service.ctx.sql`select type from events where person_id = ${p.id} order by id`;
    expect(events.map((e) => e.type)).toEqual(['registration.submitted', 'registration.confirmed', 'inbound.processed']);
  });

  it('an Authentication-Results from a server we do not trust counts for nothing', async () => {
    await deliver(email({
      from: 'Bruno <bruno@exemple.org>',
      auth: `mx.forged.example; dkim=pass header.d=exemple.org; spf=pass smtp.mailfrom=exemple.org`,
      body: 'Bonjour, je souhaite rejoindre un éco-lieu en Bretagne, près de Rennes, je suis menuisier et disponible dès cet automne.',
    }));
    expect((await person('bruno@exemple.org')).status).toBe('pending');
  });

  it('the same message twice (a provider retrying) is stored once, applied once, answered once', async () => {
    const raw = email({ from: 'Paul <paul@exemple.fr>', body: 'Bonjour, je porte un projet de repair café à Roubaix et je cherche des bénévoles bricoleurs pour un samedi par mois.' });
    const first = await post(raw);
    const second = await post(raw);
    expect(second.body.id).toBe(first.body.id);
    expect(second.body.duplicate).toBe(true);
    await processed(first.body.id);
    // Processing it again (a retried job) changes nothing more.
    const again = await processInbound(service.ctx, first.body.id);
    expect(again.state).toBe('already-processed');
    const rows = await service.ctx.sql`select count(*)::int as n from people where email = 'paul@exemple.fr'`;
    expect(rows[0]!.n).toBe(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(await mailsTo('paul@exemple.fr')).toHaveLength(1);
  });

  it('two workers on one message at once: one applies it, the other finds it done', async () => {
    const stored = await storeInbound(service.ctx.sql, email({ from: 'Zoe <zoe@exemple.fr>', body: 'Bonjour, nous cherchons des personnes pour rejoindre notre habitat participatif à Crest, dans la Drôme, trois logements sont libres.' }), { channel: 'test' });
    const [a, b] = await Promise.all([processInbound(service.ctx, stored.id), processInbound(service.ctx, stored.id)]);
    expect([a.state, b.state].sort()).toEqual(['already-processed', 'processed']);
    const mails = await service.ctx.sql`select count(*)::int as n from outbound_messages where to_address = 'zoe@exemple.fr'`;
    expect(mails[0]!.n).toBe(1);
  });

  it('a new reply from a registered person is a profile update, confirmed by link when the sender is not authenticated', async () => {
    const before = await person('marie@exemple.fr');
    expect(before.status).toBe('active');
    await deliver(email({
      from: 'Marie <marie@exemple.fr>',
      body: 'Bonjour,\n\nMise à jour : nous avons trouvé un terrain à Saillans, toujours dans la Drôme. Nous cherchons maintenant un ou deux foyers, et quelqu’un qui connaît la construction en paille.\n\nMarie',
    }));
    const pending = await person('marie@exemple.fr');
    expect(pending.commune).toBe('Die');
    expect(pending.pending_update.commune).toBe('Saillans');
    const update = await waitFor(async () => (await mailsTo('marie@exemple.fr')).find((m) => m.template === 'confirm-email-update'), 10_000, 'update email');
    expect(update.text).toContain('Saillans');
    expect(update.text).toContain('votre profil reste tel qu');
    const browser = new Browser(service.url!);
    const shown = await browser.get(linksIn(update.text).find((l) => l.includes('/confirmer?t='))!);
    await browser.post('/confirmer', { t: hiddenField(shown.body, 't') });
    const after = await person('marie@exemple.fr');
    expect(after.commune).toBe('Saillans');
    expect(after.description).toContain('construction en paille');
  });

  it('an authenticated update applies at once; what the new text does not say is kept', async () => {
    await deliver(email({
      from: 'Claire Fontaine <claire.fontaine@gmail.com>', auth: 'pass',
      body: 'Bonjour,\n\nNous montons toujours notre ferme maraîchère en coopérative, et nous cherchons aussi une personne pour la vente à la ferme et les marchés, dans un rayon de 30 km.\n\nClaire',
    }));
    const p = await person('claire.fontaine@gmail.com');
    expect(p.description).toContain('vente à la ferme');
    expect(p.commune).toBe('Figeac');
    expect(p.radius_km).toBe(30);
    const update = await waitFor(async () => (await mailsTo('claire.fontaine@gmail.com')).find((m) => m.template === 'ack-update'), 10_000, 'ack-update');
    expect(update.text).toContain('Votre profil est à jour');
    expect(update.text).toContain('Figeac');
  });

  it("credits the partner network of the reply address (inscription+<slug>@); an unknown slug is no error", async () => {
    await service.ctx.sql`insert into networks (slug, name) values ('repair-cafes', 'Réseau des Repair Cafés')`;
    await deliver(email({
      from: 'Gérard <gerard@exemple.fr>', to: `inscription+repair-cafes@${OUR_DOMAIN}`,
      body: 'Bonjour, je lance un repair café à Tourcoing et je cherche des bénévoles pour réparer vélos et petit électroménager.',
    }));
    const g = await person('gerard@exemple.fr');
    const network = await service.ctx.sql`select slug from networks where id = ${g.network_id}`;
    expect(network[0]!.slug).toBe('repair-cafes');
    const row = await deliver(email({
      from: 'Inès <ines@exemple.fr>', to: `inscription+inconnu@${OUR_DOMAIN}`,
      body: 'Bonjour, je voudrais rejoindre un tiers-lieu à Clermont-Ferrand, je suis graphiste et j’aime bricoler.',
    }));
    expect(row.status).toBe('processed');
    expect((await person('ines@exemple.fr')).network_id).toBeNull();
  });
});

describe('messages that are not registrations', () => {
  it('never answers an auto-reply, a bounce or our own mail, and never makes a profile of them', async () => {
    await service.ctx.sql`insert into people (email, name, source, status, consent_at) values ('jp.morel@laposte.net', 'Jean-Pierre', 'form', 'active', now())`;
    const before = (await outbox()).length;
    const auto = await deliver(fixture('15-autoreply-auto-submitted.eml'));
    const outOfOffice = await deliver(fixture('17-autoreply-body-only.eml'));
    const bounce = await deliver(fixture('20-dsn-permanent-postfix.eml'));
    const temporary = await deliver(fixture('21-dsn-temporary-exchange.eml'));
    const loop = await deliver(fixture('42-loop-own-bulletin.eml'));
    expect([auto.kind, outOfOffice.kind, bounce.kind, temporary.kind, loop.kind]).toEqual(['auto_reply', 'auto_reply', 'bounce', 'bounce', 'loop']);
    // A permanent bounce suppresses the address: nothing more is sent to it.
    const jp = await person('jp.morel@laposte.net');
    expect(jp.bounced_at).toBeInstanceOf(Date);
    expect(bounce.outcome).toContain('suppressed');
    expect(temporary.outcome).toContain('temporary');
    await new Promise((r) => setTimeout(r, 300));
    expect((await outbox()).length).toBe(before);
    const made = await service.ctx.sql`select count(*)::int as n from people where email in ('pierre.collin@me.com', 'lettre@reseau-racines.org')`;
    expect(made[0]!.n).toBe(0);
  });

  it('a bounce to our VERP address suppresses the address the bounced message was sent to', async () => {
    const [p] = await service.ctx.sql`insert into people (email, name, source, status, consent_at) values ('ancienne@exemple.net', 'Ancienne', 'form', 'active', now()) returning id`;
    const [sent] = await service.ctx.sql`
      insert into outbound_messages (idempotency_key, message_id, person_id, to_address, template, subject, html, text_body)
      values ('test-verp', '<verp-test@reseau-racines.org>', ${p!.id}, 'ancienne@exemple.net', 'welcome', 's', 'h', 't') returning id`;
    const dsn = fixture('20-dsn-permanent-postfix.eml').toString('latin1')
      .replace(/^To: .*$/m, `To: lettre+b-${sent!.id}@${OUR_DOMAIN}`)
      .replace(/^Message-ID: .*$/im, `Message-ID: ${newMessageId()}`);
    const row = await deliver(Buffer.from(dsn, 'latin1'));
    expect(row.kind).toBe('bounce');
    expect((await person('ancienne@exemple.net')).bounced_at).toBeInstanceOf(Date);
  });

  it('STOP unsubscribes, PAUSE pauses, SUPPRIMER answers with an erasure link and erases nothing', async () => {
    const reg = async (address: string) => {
      await service.ctx.sql`insert into people (email, name, source, status, consent_at) values (${address}, 'X', 'email', 'active', now())`;
    };
    await reg('stop@exemple.fr');
    await reg('pause@exemple.fr');
    await reg('efface@exemple.fr');
    const stop = await deliver(email({ from: 'stop@exemple.fr', subject: 'Re: La Lettre', body: `STOP${QUOTED_BULLETIN}` }));
    expect(stop.kind).toBe('command');
    expect((await person('stop@exemple.fr')).status).toBe('unsubscribed');
    const pause = await deliver(email({ from: 'pause@exemple.fr', subject: 'PAUSE', body: 'PAUSE merci' }));
    expect(pause.outcome).toMatch(/^paused until/);
    const paused = await person('pause@exemple.fr');
    expect(paused.paused_until.getTime() - Date.now()).toBeGreaterThan(80 * 86_400_000);
    await deliver(email({ from: 'efface@exemple.fr', body: 'Bonjour, merci de supprimer mes données. Cordialement' }));
    expect((await person('efface@exemple.fr')).status).toBe('active');

    const [stopMail] = await waitFor(async () => {
      const m = await mailsTo('stop@exemple.fr');
      return m.length ? m : undefined;
    }, 10_000, 'stop answer');
    expect(stopMail!.template).toBe('ack-stop');
    expect(stopMail!.text).toContain('vous êtes désinscrit·e de maillage');
    const pauseMail = await waitFor(async () => (await mailsTo('pause@exemple.fr'))[0], 10_000, 'pause answer');
    expect(pauseMail.text).toMatch(/jusqu'au \d+ \S+ \d{4}/);
    const eraseMail = await waitFor(async () => (await mailsTo('efface@exemple.fr'))[0], 10_000, 'erase answer');
    expect(eraseMail.template).toBe('ack-erase');
    expect(linksIn(eraseMail.text).some((l) => l.includes('/effacer?t='))).toBe(true);
  });

  it('a command from an unknown address is kept for the operator and answered once a day', async () => {
    const first = await deliver(email({ from: 'inconnue@exemple.fr', subject: 'Désinscription', body: 'Merci de me désinscrire.' }));
    const second = await deliver(email({ from: 'inconnue@exemple.fr', subject: 'Désinscription', body: 'Désinscription svp' }));
    expect(first.for_operator).toBe(true);
    expect(second.for_operator).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    const mails = await mailsTo('inconnue@exemple.fr');
    expect(mails).toHaveLength(1);
    expect(mails[0]!.template).toBe('ack-not-registered');
    expect(mails[0]!.text).toContain('Aucune inscription à maillage n\'est liée à cette adresse');
    // The daily limit keeps hashes, never the address.
    const keys = await service.ctx.sql`select key from inbound_reply_limits`;
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.every((k) => !String(k.key).includes('@'))).toBe(true);
  });

  it('a question is kept for the operator and acknowledged politely; a bare thank-you is kept, not answered', async () => {
    const q = await deliver(email({ from: 'helene@exemple.fr', body: 'Bonjour, est-ce que ce service est gratuit ? Et qui peut voir mon adresse ?' }));
    expect(q.kind).toBe('other');
    expect(q.for_operator).toBe(true);
    const ack = await waitFor(async () => (await mailsTo('helene@exemple.fr'))[0], 10_000, 'ack-other');
    expect(ack.template).toBe('ack-other');
    expect(ack.text).toContain('nous l\'avons transmis à l\'équipe de maillage');
    const thanks = await deliver(email({ from: 'merci@exemple.fr', body: 'Merci beaucoup !' }));
    expect(thanks.for_operator).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    expect(await mailsTo('merci@exemple.fr')).toHaveLength(0);
  });

  it('a reply in the thread of a proposal goes to the introductions feature, not the profile', async () => {
    const [p] = await service.ctx.sql`insert into people (email, name, source, status, consent_at) values ('intro@exemple.fr', 'Intro', 'email', 'active', now()) returning id`;
    await service.ctx.sql`insert into profiles (person_id, description) values (${p!.id}, 'Avant')`;
    await service.ctx.sql`
      insert into outbound_messages (idempotency_key, message_id, person_id, to_address, template, subject, html, text_body)
      values ('test-proposal', '<proposal-test@reseau-racines.org>', ${p!.id}, 'intro@exemple.fr', 'proposal', 's', 'h', 't')`;
    const row = await deliver(email({
      from: 'intro@exemple.fr', inReplyTo: '<proposal-test@reseau-racines.org>',
      body: 'Bonjour, notre habitat partagé à Die avance bien, nous cherchons encore des foyers motivés par la permaculture.',
    }));
    expect(row.kind).toBe('intro_reply');
    const profile = await service.ctx.sql`select description from profiles where person_id = ${p!.id}`;
    expect(profile[0]!.description).toBe('Avant');
  });
});

describe('bad input: stored, classified or rejected with a reason, never a crash, never an answer to a forged sender', () => {
  it('a forged From that fails DMARC is stored and never answered, and changes nothing', async () => {
    await service.ctx.sql`insert into people (email, name, source, status, consent_at) values ('victime@exemple.fr', 'V', 'form', 'active', now())`;
    const forgedStop = await deliver(email({ from: 'victime@exemple.fr', auth: 'dmarc-fail', body: 'STOP' }));
    const forgedReg = await deliver(email({ from: 'Usurpé <usurpe@exemple.fr>', auth: 'dmarc-fail', body: 'Bonjour, je porte un projet d’éco-lieu à Rennes et je cherche des associés motivés pour le lancer.' }));
    expect(forgedStop.outcome).toContain('failed authentication');
    expect(forgedReg.outcome).toContain('failed authentication');
    expect(forgedReg.raw.length).toBeGreaterThan(0);
    expect((await person('victime@exemple.fr')).status).toBe('active');
    expect(await person('usurpe@exemple.fr')).toBeUndefined();
    await new Promise((r) => setTimeout(r, 300));
    expect(await mailsTo('victime@exemple.fr')).toHaveLength(0);
    expect(await mailsTo('usurpe@exemple.fr')).toHaveLength(0);
  });

  it('no From, no Date, no Message-ID, a broken boundary, an unknown charset: stored and processed', async () => {
    const noFrom = await deliver(fixture('31-no-from-header.eml'));
    expect(noFrom.status).toBe('processed');
    expect(noFrom.for_operator).toBe(true);
    const noDate = await deliver(email({ from: 'sansdate@exemple.fr', date: null, messageId: null, body: 'Bonjour, je souhaite rejoindre une ferme en maraîchage bio près de Toulouse, je suis disponible trois jours par semaine.' }));
    expect(noDate.kind).toBe('registration');
    expect(noDate.dedupe_key).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect((await person('sansdate@exemple.fr')).consent_at).toBeInstanceOf(Date);
    const broken = await deliver(fixture('32-broken-boundary.eml'));
    expect(broken.kind).toBe('registration');
    const charset = await deliver(fixture('33-unknown-charset.eml'));
    expect(charset.kind).toBe('registration');
    const garbage = await deliver(Buffer.from('\x00\x01\x02 pas un e-mail du tout \xff\xfe', 'latin1'));
    expect(['processed', 'failed']).toContain(garbage.status);
  });

  it('10,000 recipients: stored, kept for the operator, nobody answered', async () => {
    const to = Array.from({ length: 10_000 }, (_, i) => `personne${i}@liste.example`).join(', ');
    const row = await deliver(email({ from: 'masse@exemple.fr', to, body: 'Bonjour à tous, nous montons un habitat partagé à Lyon et cherchons des foyers, faites passer !' }));
    expect(row.status).toBe('processed');
    expect(row.for_operator).toBe(true);
    expect(row.outcome).toContain('recipients');
    expect(await person('masse@exemple.fr')).toBeUndefined();
    await new Promise((r) => setTimeout(r, 300));
    expect(await mailsTo('masse@exemple.fr')).toHaveLength(0);
  });

  it('a zip bomb attachment is stored as it came and never opened', async () => {
    const zip = zipOf('bombe.txt', Buffer.alloc(50_000_000));
    expect(zip.length).toBeLessThan(200_000);
    const boundary = 'b1_zip';
    const raw = Buffer.from([
      'From: Bob <bob@exemple.fr>', `To: inscription@${OUR_DOMAIN}`, 'Subject: Notre projet', `Message-ID: ${newMessageId()}`, `Date: ${new Date().toUTCString()}`,
      'MIME-Version: 1.0', `Content-Type: multipart/mixed; boundary="${boundary}"`, '',
      `--${boundary}`, 'Content-Type: text/plain; charset=utf-8', '',
      'Bonjour, je porte un projet de fablab à Lannion et cherche des bénévoles pour animer les ateliers du samedi.', '',
      `--${boundary}`, 'Content-Type: application/zip; name="projet.zip"', 'Content-Disposition: attachment; filename="projet.zip"', 'Content-Transfer-Encoding: base64', '',
      zip.toString('base64').replace(/.{76}/g, '$&\r\n'), `--${boundary}--`, '',
    ].join('\r\n'), 'latin1');
    const row = await deliver(raw);
    expect(row.kind).toBe('registration');
    expect(row.truncated).toBe(false);
    expect((await person('bob@exemple.fr')).commune).toBe('Lannion');
  });

  it('a 50 MB attachment: stored truncated with its headers and first part, answered once with a French note', async () => {
    const big = (n: number) => {
      const boundary = 'b2_big';
      return Buffer.concat([
        Buffer.from([
          'From: Lucie <lucie@exemple.fr>', `To: inscription@${OUR_DOMAIN}`, 'Subject: Photos de notre ferme', `Message-ID: ${newMessageId()}`, `Date: ${new Date().toUTCString()}`,
          'MIME-Version: 1.0', `Content-Type: multipart/mixed; boundary="${boundary}"`, '',
          `--${boundary}`, 'Content-Type: text/plain; charset=utf-8', '',
          `Bonjour, voici les photos de notre ferme coopérative près d'Aurillac (${n}), nous cherchons des associés.`, '',
          `--${boundary}`, 'Content-Type: image/jpeg; name="ferme.jpg"', 'Content-Transfer-Encoding: base64', '', '',
        ].join('\r\n'), 'latin1'),
        Buffer.alloc(50_000_000, 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODkwYWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4\r\n'),
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]);
    };
    const row = await deliver(big(1));
    expect(row.truncated).toBe(true);
    expect(row.raw_size).toBeGreaterThan(50_000_000);
    expect(row.raw.length).toBeLessThan(1_200_000);
    expect(row.raw.toString('latin1')).toContain("notre ferme coopérative près d'Aurillac".normalize());
    expect(row.for_operator).toBe(true);
    const note = await waitFor(async () => (await mailsTo('lucie@exemple.fr'))[0], 10_000, 'too-large note');
    expect(note.template).toBe('reject-too-large');
    expect(note.text).toContain('trop volumineux (50,');
    expect(note.text).toContain('sans pièce jointe');
    // A second one the same day is stored too, but not answered again.
    const again = await deliver(big(2));
    expect(again.truncated).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    expect(await mailsTo('lucie@exemple.fr')).toHaveLength(1);
  }, 60_000);

  it('a message stored but never queued (crash, Redis away) is picked up by the sweep', async () => {
    const stored = await storeInbound(service.ctx.sql, email({ from: 'oubli@exemple.fr', body: 'Bonjour, je voudrais rejoindre un projet de jardin partagé à Nantes, le week-end.' }), { channel: 'test' });
    await service.ctx.sql`update inbound_messages set received_at = now() - interval '10 minutes' where id = ${stored.id}`;
    const requeued = await sweepInboundJob.process({} as never, service.ctx);
    expect(requeued).toBeGreaterThanOrEqual(1);
    const row = await processed(stored.id);
    expect(row.kind).toBe('registration');
  });
});

/** A one-file zip archive (stored with deflate), as a zip bomb is built. */
function zipOf(name: string, content: Buffer): Buffer {
  const data = deflateRawSync(content, { level: 9 });
  const crc = crc32(content);
  const nameBytes = Buffer.from(name);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(8, 8);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(content.length, 22);
  local.writeUInt16LE(nameBytes.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(content.length, 24);
  central.writeUInt16LE(nameBytes.length, 28);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + nameBytes.length, 12);
  end.writeUInt32LE(local.length + nameBytes.length + data.length, 16);
  return Buffer.concat([local, nameBytes, data, central, nameBytes, end]);
}
