// A person named in référents' digests erases her data: the digests stored in the outbox no
// longer name her, over real HTTP, PostgreSQL, Redis, workers and a local SMTP sink. One digest
// was already delivered (its stored copy becomes a short note), one was still waiting to be sent
// (it never leaves); the référents' digest rows and their counts stay. Erasing someone a digest
// only counted changes nothing in it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERASED_DIGEST_NOTE } from '../../src/control.js';
import { eraseUrl } from '../../src/mail/links.js';
import { sendReferentDigest } from '../../src/territory/digest-run.js';
import { addReferent } from '../../src/territory/referents.js';
import { settled, startTestService, waitFor } from '../helpers/context.js';
import { findInDatabase } from '../helpers/database-scan.js';
import { Browser, hiddenField } from '../helpers/http.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { basicAuth, placePerson, readOutbox, type PlacedPerson } from './territory-helpers.js';

type Service = Awaited<ReturnType<typeof startTestService>>;
let service: Service;
let sink: SmtpSink;
const PASSWORD = 'mot-de-passe-de-test-assez-long';
const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY);

// What the digest shows of her: first name and her own words (the commune is shared with others).
const HER_WORDS = 'yourte collective au bord de la Drôme';
let zephyrine: PlacedPerson;
let hugo: PlacedPerson;

beforeAll(async () => {
  sink = await startSmtpSink();
  service = await startTestService({ SMTP_URL: sink.url, ADMIN_PASSWORD: PASSWORD }, { web: true, workers: true, schedules: false });
  const sql = service.ctx.sql;
  zephyrine = await placePerson(sql, { name: 'Zéphyrine Quintal', place: 'Die', visible: true, confirmedAt: ago(2),
    description: `Nous bâtissons une ${HER_WORDS}, il reste de la place pour deux foyers.` });
  await placePerson(sql, { name: 'Nadia Colin', place: 'Crest', visible: true, confirmedAt: ago(1), description: 'Je cherche une ferme collective autour de Crest.' });
  // Did not agree to be shown: only counted.
  hugo = await placePerson(sql, { name: 'Hugo Discret', place: 'Crest', visible: false, confirmedAt: ago(1), description: 'atelier de menuiserie partagé' });
}, 60_000);

afterAll(async () => {
  await service?.dispose();
  await sink?.close();
});

async function activeReferent(email: string, name: string): Promise<number> {
  const added = await addReferent(service.ctx, { email, name, departements: '26' });
  await service.ctx.sql`update referents set status = 'active', confirm_nonce = null, confirmed_at = now() where id = ${added.referent.id}`;
  return added.referent.id;
}

async function digestRow(referentId: number) {
  const [row] = await service.ctx.sql<{ sent: boolean; outbound_id: number | null; counts: Record<string, number> }[]>`
    select sent, outbound_id, counts from referent_digests where referent_id = ${referentId}`;
  return row;
}

async function storedDigest(outboundId: number) {
  const [row] = await service.ctx.sql<{ status: string; subject: string; html: string; text_body: string }[]>`
    select status, subject, html, text_body from outbound_messages where id = ${outboundId}`;
  return row;
}

/** The digests that reached a référent's mailbox (the confirmation request went there too). */
async function digestsReceived(address: string) {
  return (await sink.to(address)).filter((m) => m.subject?.startsWith('Votre territoire cette semaine'));
}

/** Opens the erase link of her emails like a browser and presses its button. */
async function eraseByLink(personId: number): Promise<void> {
  const browser = new Browser(service.url!);
  const shown = await browser.get(eraseUrl(service.ctx.config, personId));
  expect(shown.status).toBe(200);
  expect((await browser.post('/effacer', { t: hiddenField(shown.body, 't') })).status).toBe(200);
}

describe('erasing a person named in référents’ digests', () => {
  it('leaves no mention of her in the outbox, keeps the référents’ digest rows, and never sends the one still waiting', async () => {
    const { ctx } = service;
    // Camille's digest is written and delivered.
    const camille = await activeReferent('camille@exemple.org', 'Camille Roux');
    const delivered = await sendReferentDigest(ctx, camille);
    if (delivered.state !== 'sent') throw new Error(`digest ${delivered.state}`);
    await waitFor(async () => (await storedDigest(delivered.outboundId))!.status === 'sent', 15_000, 'digest delivered');
    const received = await waitFor(async () => (await digestsReceived('camille@exemple.org'))[0], 10_000, 'digest received');
    expect(received.text).toContain('- Zéphyrine, à Die (26)');
    const subject = (await storedDigest(delivered.outboundId))!.subject;

    // Paola's digest is written while delivery is stopped: it waits in the outbox.
    await ctx.queues.mail.pause();
    const paola = await activeReferent('paola@exemple.org', 'Paola Santini');
    const waiting = await sendReferentDigest(ctx, paola);
    if (waiting.state !== 'sent') throw new Error(`digest ${waiting.state}`);
    const queued = (await storedDigest(waiting.outboundId))!;
    expect(queued.status).toBe('queued');
    expect(queued.text_body).toContain(HER_WORDS);

    // Someone the digests only counted erases his data: nothing in them changes.
    await eraseByLink(hugo.id);
    expect((await storedDigest(delivered.outboundId))!.text_body).toContain('- Zéphyrine, à Die (26)');
    expect((await storedDigest(waiting.outboundId))!.status).toBe('queued');

    // Zéphyrine erases hers; then delivery resumes.
    await eraseByLink(zephyrine.id);
    await ctx.queues.mail.resume();
    await settled(ctx);

    // Nowhere in what the operator reads (/outbox), nowhere in the database.
    const outbox = await readOutbox(service.url!, basicAuth(PASSWORD));
    for (const needle of ['Zéphyrine', 'Quintal', HER_WORDS]) {
      for (const m of outbox) {
        expect(m.subject).not.toContain(needle);
        expect(m.html).not.toContain(needle);
        expect(m.text).not.toContain(needle);
      }
    }
    expect(outbox.filter((m) => m.template === 'referent-digest').map((m) => m.to)).toEqual(['camille@exemple.org']);
    const found = await findInDatabase(ctx.sql, ['Zéphyrine', 'Quintal', HER_WORDS, zephyrine.email]);
    expect(found, JSON.stringify(found)).toEqual([]);

    // Camille's delivered digest: the row, its counts and the stored message stay; the body is a note.
    expect(await digestRow(camille)).toMatchObject({ sent: true, outbound_id: delivered.outboundId, counts: { newTotal: 3, newShown: 2 } });
    const scrubbed = (await storedDigest(delivered.outboundId))!;
    expect(scrubbed).toMatchObject({ status: 'sent', subject, text_body: ERASED_DIGEST_NOTE });
    expect(scrubbed.html).toContain(ERASED_DIGEST_NOTE);

    // Paola's waiting digest never left: no email reached her, the week stays recorded with its counts.
    expect(await digestRow(paola)).toMatchObject({ sent: false, outbound_id: null, counts: { newTotal: 3, newShown: 2 } });
    expect(await storedDigest(waiting.outboundId)).toBeUndefined();
    expect(await digestsReceived('paola@exemple.org')).toEqual([]);
  });
});
