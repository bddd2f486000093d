// A référent·e answering their weekly digest by email: STOP, PAUSE or SUPPRIMER act on the digest
// (not on a registration they do not have), with a short answer in the thread; a forged From
// changes nothing; an address that is both a person and a référent is served by the thread it
// answers. Over the real pipeline: webhook → PostgreSQL → BullMQ → one transaction → outbox.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getReferent } from '../../src/db/referents.js';
import { sendReferentDigest } from '../../src/territory/digest-run.js';
import { startTestService, waitFor } from '../helpers/context.js';
import { linksIn } from '../helpers/http.js';
import { email, INTAKE_ENV, newMessageId } from './intake-messages.js';
import { placePerson, readOutbox, type OutboxItem } from './territory-helpers.js';

type Service = Awaited<ReturnType<typeof startTestService>>;
let service: Service;
const DAY = 86_400_000;

beforeAll(async () => {
  service = await startTestService(INTAKE_ENV);
  // Something new in the Drôme this week: every référent of the Drôme gets a digest.
  await placePerson(service.ctx.sql, { name: 'Lou', place: 'Die', description: 'Lou monte un habitat partagé en paille et cherche deux foyers.', visible: true });
});

afterAll(async () => {
  await service?.dispose();
});

async function deliver(raw: Buffer) {
  const res = await fetch(`${service.url}/inbound/mime`, {
    method: 'POST', body: raw,
    headers: { authorization: `Bearer ${INTAKE_ENV.INBOUND_WEBHOOK_SECRET}`, 'content-type': 'message/rfc822' },
  });
  expect(res.status).toBe(202);
  const { id } = (await res.json()) as { id: number };
  return waitFor(async () => (await service.ctx.sql`select * from inbound_messages where id = ${id} and status <> 'stored'`)[0], 15_000, `inbound ${id} processed`);
}

const mailsTo = async (address: string): Promise<OutboxItem[]> => (await readOutbox(service.url!)).filter((m) => m.to === address);
const answerTo = (address: string, what: string) => waitFor(async () => (await mailsTo(address)).find((m) => m.template !== 'referent-digest'), 10_000, what);

/** An active référent of the Drôme who received this week's digest; returns them and the digest's Message-ID. */
async function referentWithDigest(address: string, name: string): Promise<{ id: number; digestMessageId: string }> {
  const [row] = await service.ctx.sql`
    insert into referents (email, name, status, departements, confirmed_at) values (${address}, ${name}, 'active', '{26}', now()) returning id`;
  const id = row!.id as number;
  const digest = await sendReferentDigest(service.ctx, id);
  if (digest.state !== 'sent') throw new Error(`no digest: ${digest.state}`);
  const [sent] = await service.ctx.sql`select message_id from outbound_messages where id = ${digest.outboundId}`;
  return { id, digestMessageId: sent!.message_id as string };
}

const quotedDigest = (name: string) => `

Le lun. 3 mars 2025 à 08:00, maillage <lettre@reseau-racines.org> a écrit :
> Bonjour ${name},
> Cette semaine dans la Drôme : 1 nouvelle personne inscrite.
> Ne plus recevoir le récapitulatif : https://maillage.test/referent/desinscription?t=x`;

describe('a référent·e replying to their digest', () => {
  it('STOP stops the digest, as the link does, and is answered warmly in the thread, never as a stranger', async () => {
    const odile = await referentWithDigest('odile@exemple.fr', 'Odile Martin');
    const messageId = newMessageId();
    const row = await deliver(email({ from: 'Odile Martin <odile@exemple.fr>', messageId, subject: 'Re: Votre récapitulatif', inReplyTo: odile.digestMessageId, body: `STOP${quotedDigest('Odile')}` }));
    expect(row.kind).toBe('command');

    expect((await getReferent(service.ctx.sql, odile.id))!.status).toBe('unsubscribed');
    const events = await service.ctx.sql`select type, data from events where type like 'referent.%' and (data->>'referentId')::bigint = ${odile.id} order by id`;
    expect(events.map((e) => e.type)).toContain('referent.unsubscribed');
    // Their digest does not keep coming.
    expect(await sendReferentDigest(service.ctx, odile.id, new Date(Date.now() + 7 * DAY))).toEqual({ state: 'skipped', reason: 'not-active' });

    const mail = await answerTo('odile@exemple.fr', 'the answer to STOP');
    expect(mail.headers['In-Reply-To']).toBe(messageId);
    expect(mail.headers['Auto-Submitted']).toBe('auto-replied');
    expect(mail.subject).toBe('Re: Votre récapitulatif');
    expect(mail.text).toContain('Bonjour Odile,');
    expect(mail.text).toContain('vous ne recevrez plus le récapitulatif');
    expect(mail.text).not.toContain('Aucune inscription');
    expect(mail.text).not.toMatch(/pas inscrit/);
    // The page behind the link offers to erase their details too.
    expect(linksIn(mail.text).some((l) => l.includes('/referent/desinscription?t='))).toBe(true);
    // Only one answer, and no person was made of them.
    expect((await mailsTo('odile@exemple.fr')).filter((m) => m.template !== 'referent-digest')).toHaveLength(1);
    expect(await service.ctx.sql`select id from people where email = 'odile@exemple.fr'`).toHaveLength(0);
  });

  it('a forged STOP (the From fails DMARC) stops nothing and is not answered', async () => {
    const victim = await referentWithDigest('victor@exemple.fr', 'Victor');
    const row = await deliver(email({ from: 'victor@exemple.fr', auth: 'dmarc-fail', inReplyTo: victim.digestMessageId, body: 'STOP' }));
    expect(row.outcome).toContain('failed authentication');
    expect((await getReferent(service.ctx.sql, victim.id))!.status).toBe('active');
    await new Promise((r) => setTimeout(r, 300));
    expect((await mailsTo('victor@exemple.fr')).filter((m) => m.template !== 'referent-digest')).toHaveLength(0);
  });

  it('PAUSE stops the digest too (référent·es have no pause) and says how to come back', async () => {
    const paule = await referentWithDigest('paule@exemple.fr', 'Paule');
    await deliver(email({ from: 'paule@exemple.fr', subject: 'PAUSE', inReplyTo: paule.digestMessageId, body: 'PAUSE merci' }));
    expect((await getReferent(service.ctx.sql, paule.id))!.status).toBe('unsubscribed');
    const mail = await answerTo('paule@exemple.fr', 'the answer to PAUSE');
    expect(mail.text).toContain('pas de pause');
    expect(mail.text).toContain('répondez simplement à ce message');
    expect(mail.text).not.toContain('Aucune inscription');
  });

  it('SUPPRIMER removes the référent, their digest records and the mail exchanged with them, and says it is done', async () => {
    const sam = await referentWithDigest('sam@exemple.fr', 'Sam');
    // An earlier message of theirs, kept for the operator: it goes too.
    await deliver(email({ from: 'sam@exemple.fr', inReplyTo: sam.digestMessageId, subject: 'Une question', body: 'Bonjour, qui dois-je appeler pour le prochain forum ? Sam' }));
    const request = await deliver(email({ from: 'sam@exemple.fr', inReplyTo: sam.digestMessageId, body: 'Merci de supprimer mes données.' }));
    expect(await getReferent(service.ctx.sql, sam.id)).toBeUndefined();
    expect(await service.ctx.sql`select 1 from referent_digests where referent_id = ${sam.id}`).toHaveLength(0);
    expect(await service.ctx.sql`select 1 from referents where email = 'sam@exemple.fr'`).toHaveLength(0);
    const events = await service.ctx.sql`select type from events where type = 'referent.erased' and (data->>'referentId')::bigint = ${sam.id}`;
    expect(events).toHaveLength(1);
    const mail = await answerTo('sam@exemple.fr', 'the answer to SUPPRIMER');
    expect(mail.text).toContain('C\'est fait');
    expect(mail.text).not.toContain('Aucune inscription');
    // The digest that greeted them by name is gone from the outbox; only the confirmation is left.
    expect((await mailsTo('sam@exemple.fr')).map((m) => m.template)).toEqual(['ack-referent-erase']);
    // Of what they wrote, only the request itself is kept, as its record.
    const inbound = await service.ctx.sql`select id from inbound_messages where from_address = 'sam@exemple.fr'`;
    expect(inbound.map((r) => r.id)).toEqual([request.id]);
  });

  it('an unknown sender still gets today’s answer: nothing registered at this address', async () => {
    await referentWithDigest('quelquun@exemple.fr', 'Quelqu’un');
    const row = await deliver(email({ from: 'personne@exemple.fr', subject: 'Désinscription', body: 'Merci de me désinscrire.' }));
    expect(row.for_operator).toBe(true);
    const mail = await answerTo('personne@exemple.fr', 'the answer to an unknown sender');
    expect(mail.template).toBe('ack-not-registered');
    expect(mail.text).toContain('Aucune inscription à maillage n\'est liée à cette adresse');
  });

  it('an address that is both a person and a référent: the thread decides which one STOP is about', async () => {
    const personStatus = async (address: string) => (await service.ctx.sql`select status from people where email = ${address}`)[0]!.status as string;
    const both = async (address: string, name: string) => {
      const referent = await referentWithDigest(address, name);
      await service.ctx.sql`insert into people (email, name, source, status, consent_at) values (${address}, ${name}, 'email', 'active', now())`;
      return referent;
    };

    // A STOP in the digest's thread is about the digest: their registration stays.
    const dom = await both('dominique@exemple.fr', 'Dominique');
    await deliver(email({ from: 'dominique@exemple.fr', subject: 'Re: Votre récapitulatif', inReplyTo: dom.digestMessageId, body: `STOP${quotedDigest('Dominique')}` }));
    expect((await getReferent(service.ctx.sql, dom.id))!.status).toBe('unsubscribed');
    expect(await personStatus('dominique@exemple.fr')).toBe('active');
    expect((await answerTo('dominique@exemple.fr', 'the answer about the digest')).text).toContain('vous ne recevrez plus le récapitulatif');

    // A STOP that answers no digest is about their registration, as before; the answer says the
    // digest goes on, and how to stop it.
    const ali = await both('ali@exemple.fr', 'Ali');
    await deliver(email({ from: 'ali@exemple.fr', subject: 'Re: La Lettre des Racines', body: 'STOP' }));
    expect(await personStatus('ali@exemple.fr')).toBe('unsubscribed');
    expect((await getReferent(service.ctx.sql, ali.id))!.status).toBe('active');
    const answer = await answerTo('ali@exemple.fr', 'the answer to the person');
    expect(answer.template).toBe('ack-stop');
    expect(answer.text).toContain('vous êtes désinscrit·e de maillage');
    expect(answer.text).toContain('récapitulatif de référent·e');
  });
});
