// Référent·es and their weekly digest, over real HTTP, PostgreSQL, Redis and workers: added by the
// operator, confirmed by a link (GET shows, POST confirms), a digest that shows only the people
// who agreed to be shown (others are only counted), only their territory (départements, communes,
// EPCI), the week's introductions and meetings and who is still unmatched after three rounds;
// nothing on a quiet week, never twice a week, and a one-click way out.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as referentCli } from '../../src/cli/referent.js';
import { getReferent } from '../../src/db/referents.js';
import { JOBS } from '../../src/queue/names.js';
import { sendReferentDigest } from '../../src/territory/digest-run.js';
import { addReferent, ReferentInputError } from '../../src/territory/referents.js';
import { startTestService, waitFor } from '../helpers/context.js';
import { Browser, hiddenField, linksIn } from '../helpers/http.js';
import { placePerson, readOutbox, runCli, type OutboxItem } from './territory-helpers.js';

type Service = Awaited<ReturnType<typeof startTestService>>;
let service: Service;
const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY);

beforeAll(async () => {
  service = await startTestService({ REPLY_TO: 'inscription@maillage.test' });
});

afterAll(async () => {
  await service?.dispose();
});

const outbox = () => readOutbox(service.url!);

async function mailsTo(address: string, template: string): Promise<OutboxItem[]> {
  return (await outbox()).filter((m) => m.to === address && m.template === template);
}

async function pair(a: number, b: number, o: { status: string; createdDaysAgo: number; closedDaysAgo?: number }) {
  const [lo, hi] = a < b ? [a, b] : [b, a];
  await service.ctx.sql`
    insert into introductions (person_a, person_b, score, explanation, status, created_at, closed_at)
    values (${lo}, ${hi}, 0.4, 'test', ${o.status}, ${ago(o.createdDaysAgo)}, ${o.closedDaysAgo === undefined ? null : ago(o.closedDaysAgo)})`;
}

describe('adding a référent', () => {
  it('refuses an empty or unknown territory plainly, and stores nothing', async () => {
    await expect(addReferent(service.ctx, { email: 'vide@exemple.org', name: 'Vide' })).rejects.toThrow(ReferentInputError);
    await expect(addReferent(service.ctx, { email: 'vide@exemple.org', name: 'Vide' })).rejects.toThrow('Le territoire est vide');
    await expect(addReferent(service.ctx, { email: 'x@exemple.org', name: 'X', departements: '99' })).rejects.toThrow('Département inconnu : « 99 »');
    const cli = await runCli(referentCli, ['add', 'vide@exemple.org', '--name', 'Vide'], service.ctx.config);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain('rien n’a été enregistré');
    expect(cli.stderr).toContain('Le territoire est vide');
    const [n] = await service.ctx.sql`select count(*)::int as n from referents`;
    expect(n!.n).toBe(0);
  });

  it('emails a confirmation link: the GET only shows, the POST confirms, once', async () => {
    const cli = await runCli(referentCli, ['add', 'camille@exemple.org', '--name', 'Camille Roux', '--departements', '26', '--communes', 'Annonay', '--epci', '200071413'], service.ctx.config);
    expect(cli.code).toBe(0);
    expect(cli.stdout).toContain('Drôme (26), Annonay, 1 intercommunalité');
    const mail = await waitFor(async () => (await mailsTo('camille@exemple.org', 'referent-confirm'))[0], 10_000, 'confirmation email');
    expect(mail.subject).toContain('Devenir référent·e maillage');
    expect(mail.text).toContain('Bonjour Camille,');
    expect(mail.text).toContain('Les semaines sans rien de neuf, nous ne vous écrivons pas');
    const link = linksIn(mail.text).find((l) => l.includes('/referent/confirmer?t='))!;
    const browser = new Browser(service.url!);
    const shown = await browser.get(link);
    await fetch(link, { method: 'HEAD' });
    expect(shown.status).toBe(200);
    expect(shown.body).toContain('Je confirme');
    const [pending] = await service.ctx.sql`select id, status from referents where email = 'camille@exemple.org'`;
    expect(pending!.status).toBe('pending');
    const confirmed = await browser.post('/referent/confirmer', { t: hiddenField(shown.body, 't') });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toContain('Vous êtes désormais référent·e maillage');
    expect((await getReferent(service.ctx.sql, pending!.id as number))!.status).toBe('active');
    const again = await browser.post('/referent/confirmer', { t: hiddenField(shown.body, 't') });
    expect(again.body).toContain('Vous êtes désormais référent·e');
  });
});

describe('the weekly digest', () => {
  let camilleId: number;

  beforeAll(async () => {
    const [r] = await service.ctx.sql`select id from referents where email = 'camille@exemple.org'`;
    camilleId = r!.id as number;
    const sql = service.ctx.sql;
    // In the territory, new this week, agreed to be shown.
    const marie = await placePerson(sql, { name: 'Marie Dupont', place: 'Die', visible: true, confirmedAt: ago(2),
      description: 'Nous montons un habitat partagé en paille près de Die, il reste de la place pour deux foyers. Écrivez-moi à marie.d@gmail.com ou au 06 12 34 56 78.' });
    await placePerson(sql, { name: 'Nadia Colin', place: 'Annonay', visible: true, confirmedAt: ago(1), description: 'Je cherche une ferme collective autour d’Annonay.' });
    await placePerson(sql, { name: 'Léon Rey', place: 'Alissas', visible: true, confirmedAt: ago(3), description: 'Atelier vélo solidaire à Alissas, près de Privas.' });
    // In the territory, new, but did not agree to be shown: counted, never named.
    await placePerson(sql, { name: 'Bertrand Discret', place: 'Crest', visible: false, confirmedAt: ago(1), description: 'phrase-que-personne-ne-doit-lire' });
    // Outside the territory, or not new, or not confirmed: absent.
    const nantes = await placePerson(sql, { name: 'Hors Territoire', place: 'Nantes', visible: true, confirmedAt: ago(1), description: 'repair café à Nantes' });
    await placePerson(sql, { name: 'Aubenas Voisine', place: 'Aubenas', visible: true, confirmedAt: ago(1), description: 'recyclerie à Aubenas' });
    await placePerson(sql, { name: 'Ancien Inscrit', place: 'Valence', visible: true, confirmedAt: ago(20), description: 'fablab à Valence' });
    await placePerson(sql, { name: 'Pas Confirmé', place: 'Valence', visible: true, status: 'pending', description: 'tiers-lieu à Valence' });
    // The week's introductions: one proposed, one accepted by both; one older, not counted.
    const old = await placePerson(sql, { name: 'Olga Vieux', place: 'Nyons', visible: true, confirmedAt: ago(40), description: 'épicerie coopérative' });
    await pair(marie.id, nantes.id, { status: 'proposed', createdDaysAgo: 1 });
    await pair(old.id, nantes.id, { status: 'accepted', createdDaysAgo: 9, closedDaysAgo: 2 });
    await pair(old.id, marie.id, { status: 'declined', createdDaysAgo: 30, closedDaysAgo: 25 });
    // Three rounds: Odile (shown) and Hervé (not shown) got nothing in each; Théo in only two.
    const odile = await placePerson(sql, { name: 'Odile Martin', place: 'Dieulefit', visible: true, confirmedAt: ago(30), description: 'Je cherche un éco-lieu dans le Diois pour mes ruches.' });
    const herve = await placePerson(sql, { name: 'Hervé Caché', place: 'Dieulefit', visible: false, confirmedAt: ago(30), description: 'texte-caché-du-tout' });
    const theo = await placePerson(sql, { name: 'Théo Deux', place: 'Dieulefit', visible: true, confirmedAt: ago(30), description: 'fablab' });
    const rounds: number[] = [];
    for (const days of [15, 8, 1]) {
      const [round] = await sql`insert into rounds (trigger, status, started_at, finished_at, report) values ('schedule', 'done', ${ago(days)}, ${ago(days)}, '{}') returning id`;
      rounds.push(round!.id as number);
    }
    for (const [k, roundId] of rounds.entries()) {
      await sql`insert into round_unmatched (round_id, person_id, reason) values (${roundId}, ${odile.id}, 'nobody_in_reach'), (${roundId}, ${herve.id}, 'no_shared_words')`;
      if (k > 0) await sql`insert into round_unmatched (round_id, person_id, reason) values (${roundId}, ${theo.id}, 'partners_taken')`;
    }
  });

  it('shows the new people who agreed, counts the others, and names nobody outside the territory', async () => {
    // As the scheduler would: one occurrence fans out one job per active référent.
    await service.ctx.queues.territory.add(JOBS.referentDigest, {});
    const digest = await waitFor(async () => (await mailsTo('camille@exemple.org', 'referent-digest'))[0], 20_000, 'digest');
    const text = digest.text;

    expect(digest.subject).toBe('Votre territoire cette semaine : 4 nouvelles personnes, 1 rencontre proposée, 1 mise en relation, 2 personnes en attente');
    expect(text).toContain('Bonjour Camille,');
    expect(text).toContain('sur votre territoire : Drôme (26), Annonay, 1 intercommunalité');
    expect(text).toContain('NOUVELLES INSCRIPTIONS (4)');
    expect(text).toContain('- Marie, à Die (26)');
    expect(text).toContain('habitat partagé en paille près de Die');
    expect(text).toContain('- Nadia, à Annonay (07)'); // a commune of the territory
    expect(text).toContain('- Léon, à Alissas (07)'); // a commune of the EPCI
    expect(text).toContain('Et aussi : 1 personne qui n’a pas souhaité apparaître dans ce récapitulatif.');
    // Contact details are masked, and surnames never shown.
    expect(text).toContain('[adresse masquée]');
    expect(text).toContain('[téléphone masqué]');
    expect(text).not.toContain('marie.d@gmail.com');
    expect(text).not.toContain('Dupont');
    // Who did not agree, who is elsewhere, old or unconfirmed: absent.
    for (const absent of ['Bertrand', 'phrase-que-personne-ne-doit-lire', 'Hors Territoire', 'Nantes', 'Aubenas', 'Ancien', 'Pas Confirmé', 'Hervé', 'texte-caché-du-tout', 'Théo']) {
      expect(text).not.toContain(absent);
      expect(digest.html).not.toContain(absent);
    }
    expect(digest.html).not.toContain('@exemple.org');
    expect(text).not.toContain('@exemple.org');

    expect(text).toContain('- 1 rencontre a été proposée à des personnes de votre territoire');
    expect(text).toContain('- 1 mise en relation a abouti (les deux personnes ont dit oui)');

    expect(text).toContain('TOUJOURS SANS PROPOSITION APRÈS TROIS TOURS (2)');
    expect(text).toContain('- Odile, à Dieulefit (26)');
    expect(text).toContain("Pourquoi : Personne d'autre n'est encore inscrit dans le rayon choisi.");
    expect(text).toContain('Et aussi : 1 personne qui n’a pas souhaité apparaître');

    expect(digest.html).toContain('<strong>Marie, à Die (26)</strong>');
    expect(digest.headers['List-Unsubscribe']).toContain('/referent/desinscription?t=');
    expect(digest.headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
  });

  it('is written once a week, however many times the job runs', async () => {
    await service.ctx.queues.territory.add(JOBS.referentDigest, {});
    const again = await sendReferentDigest(service.ctx, camilleId);
    expect(again.state).toBe('already-done');
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await mailsTo('camille@exemple.org', 'referent-digest')).toHaveLength(1);
  });

  it('sends nothing to a référent whose territory had a quiet week', async () => {
    const added = await addReferent(service.ctx, { email: 'corse@exemple.org', name: 'Paola', departements: '2A' });
    await service.ctx.sql`update referents set status = 'active', confirm_nonce = null, confirmed_at = now() where id = ${added.referent.id}`;
    const outcome = await sendReferentDigest(service.ctx, added.referent.id);
    expect(outcome.state).toBe('nothing-new');
    expect(await mailsTo('corse@exemple.org', 'referent-digest')).toHaveLength(0);
    const [row] = await service.ctx.sql`select sent from referent_digests where referent_id = ${added.referent.id}`;
    expect(row!.sent).toBe(false);
  });

  it('stops with one click (RFC 8058), and can erase the référent’s own details', async () => {
    const [digest] = await mailsTo('camille@exemple.org', 'referent-digest');
    const link = /<([^>]+)>/.exec(digest!.headers['List-Unsubscribe']!)![1]!;
    const shown = await fetch(link);
    expect(shown.status).toBe(200);
    expect(await shown.text()).toContain('Arrêter le récapitulatif');
    expect((await getReferent(service.ctx.sql, camilleId))!.status).toBe('active');

    const oneClick = await fetch(link, { method: 'POST', body: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(oneClick.status).toBe(200);
    expect((await getReferent(service.ctx.sql, camilleId))!.status).toBe('unsubscribed');
    const nextWeek = await sendReferentDigest(service.ctx, camilleId, new Date(Date.now() + 7 * DAY));
    expect(nextWeek).toEqual({ state: 'skipped', reason: 'not-active' });

    const token = new URL(link).searchParams.get('t')!;
    const erased = await new Browser(service.url!).post('/referent/effacer', { t: token });
    expect(erased.status).toBe(200);
    expect(erased.body).toContain('Vos coordonnées ont été effacées');
    expect(await getReferent(service.ctx.sql, camilleId)).toBeUndefined();
    // "maillage ne garde plus ni votre nom ni votre adresse": nor the digests that greeted her.
    expect((await outbox()).filter((m) => m.to === 'camille@exemple.org')).toEqual([]);
    const twice = await new Browser(service.url!).post('/referent/effacer', { t: token });
    expect(twice.body).toContain('Vos coordonnées ont été effacées');
  });

  it('lists and removes référents from the command line', async () => {
    const listed = await runCli(referentCli, ['list', '--json'], service.ctx.config);
    const list = JSON.parse(listed.stdout) as { email: string; territory: string }[];
    expect(list.map((r) => r.email)).toEqual(['corse@exemple.org']);
    expect(list[0]!.territory).toBe('Corse-du-Sud (2A)');
    const removed = await runCli(referentCli, ['remove', 'corse@exemple.org'], service.ctx.config);
    expect(removed.code).toBe(0);
    const unknown = await runCli(referentCli, ['remove', 'corse@exemple.org'], service.ctx.config);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('aucun·e référent·e ne correspond');
  });
});
