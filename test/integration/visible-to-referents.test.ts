// People who register by email are never asked the registration form's question ("may the
// référent·es of my territory see my first name, commune and project?"). Their acknowledgement,
// and the page after confirming, invite them to /visible: GET shows exactly what the référent's
// digest would say of them and changes nothing; the button's POST agrees, and the next digest
// names them — even when they registered weeks before agreeing. Over real HTTP, PostgreSQL,
// Redis and workers, from the intake webhook to the référent's digest.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { erasePerson } from '../../src/control.js';
import { registerFromForm } from '../../src/registration.js';
import { createToken } from '../../src/mail/tokens.js';
import { LINK_TTL_SECONDS, visibleUrl } from '../../src/mail/links.js';
import { buildReferentDigest, sendReferentDigest } from '../../src/territory/digest-run.js';
import { getReferent } from '../../src/db/referents.js';
import { geocode } from '../../src/geo/index.js';
import { addReferent } from '../../src/territory/referents.js';
import { startTestService, waitFor } from '../helpers/context.js';
import { Browser, hiddenField, linksIn } from '../helpers/http.js';
import { email, INTAKE_ENV } from './intake-messages.js';
import { placePerson, readOutbox, type OutboxItem } from './territory-helpers.js';

type Service = Awaited<ReturnType<typeof startTestService>>;
let service: Service;
let referentId: number;
const DAY = 86_400_000;

beforeAll(async () => {
  service = await startTestService(INTAKE_ENV);
  // Camille follows the Drôme (26).
  const added = await addReferent(service.ctx, { email: 'camille@exemple.org', name: 'Camille Roux', departements: '26' });
  referentId = added.referent.id;
  await service.ctx.sql`update referents set status = 'active', confirm_nonce = null, confirmed_at = now() where id = ${referentId}`;
});

afterAll(async () => {
  await service?.dispose();
});

/** Posts a raw email to the intake webhook and waits until it is processed. */
async function deliver(raw: Buffer): Promise<void> {
  const res = await fetch(`${service.url}/inbound/mime`, {
    method: 'POST', body: raw,
    headers: { authorization: `Bearer ${INTAKE_ENV.INBOUND_WEBHOOK_SECRET}`, 'content-type': 'message/rfc822' },
  });
  expect(res.status).toBe(202);
  const { id } = (await res.json()) as { id: number };
  await waitFor(async () => (await service.ctx.sql`select 1 from inbound_messages where id = ${id} and status <> 'stored'`)[0], 15_000, `inbound ${id} processed`);
}

async function mailTo(address: string, template: string): Promise<OutboxItem> {
  return waitFor(async () => (await readOutbox(service.url!)).find((m) => m.to === address && m.template === template), 10_000, `${template} to ${address}`);
}

async function personByEmail(address: string) {
  const [row] = await service.ctx.sql`select id, status, visible_to_referents from people where email = ${address}`;
  return row as { id: number; status: string; visible_to_referents: boolean };
}

async function visibleEvents(personId: number) {
  return service.ctx.sql`select data from events where type = 'person.visible_to_referents' and person_id = ${personId}`;
}

const MARIE = 'marie.email@exemple.fr';

describe('someone who registered by replying to the bulletin', () => {
  let link: string;
  let token: string;

  it('finds in the acknowledgement an invitation to be shown to the référent·es, with a link', async () => {
    await deliver(email({
      from: `Marie Dupont <${MARIE}>`, auth: 'pass',
      body: 'Bonjour,\n\nAvec 4 amis on monte un habitat partagé près de Die (26), on cherche encore 2-3 foyers.\n\nMarie',
    }));
    const ack = await mailTo(MARIE, 'ack-registration');
    expect(ack.text).toContain('Un coup de pouce près de chez vous ? Les référent·es maillage de votre territoire peuvent vous aider à trouver du monde.');
    expect(ack.text).toContain('nous leur présenterons votre prénom, votre commune et votre projet, jamais vos coordonnées');
    link = linksIn(ack.text).find((l) => l.includes('/visible?t='))!;
    expect(link).toBeDefined();
    expect(linksIn(ack.html)).toContain(link);
    token = new URL(link).searchParams.get('t')!;
    expect((await personByEmail(MARIE)).visible_to_referents).toBe(false);
  });

  it('sees on the page exactly what the référent would read, and opening it changes nothing', async () => {
    const shown = await fetch(link);
    await fetch(link, { method: 'HEAD' }); // link scanners
    const body = await shown.text();
    expect(shown.status).toBe(200);
    // The digest's own lines: first name, commune (département), role, theme, her words.
    expect(body).toContain('<strong>Marie, à Die (26)</strong>');
    expect(body).toContain('Porte un projet et cherche des personnes pour le rejoindre · habitat partagé');
    expect(body).toContain('on monte un habitat partagé près de Die');
    expect(body).not.toContain('Dupont');
    expect(body).not.toContain(MARIE);
    expect(body).toContain('Oui, je suis d’accord');
    expect(hiddenField(body, 't')).toBe(token);

    const marie = await personByEmail(MARIE);
    expect(marie.visible_to_referents).toBe(false);
    expect(await visibleEvents(marie.id)).toHaveLength(0);
    // Not agreed yet: the référent's digest only counts her.
    const before = await buildReferentDigest(service.ctx, (await getReferent(service.ctx.sql, referentId))!, new Date());
    expect(before!.digest.text).not.toContain('Marie');
    expect(before!.digest.text).toContain('1 personne qui n’a pas souhaité apparaître');
  });

  it('agrees with the button: recorded with an event, and told how to take it back', async () => {
    const done = await new Browser(service.url!).post('/visible', { t: token });
    expect(done.status).toBe(200);
    expect(done.body).toContain('Merci, Marie, c’est noté !');
    expect(done.body).toContain('<strong>Marie, à Die (26)</strong>');
    expect(done.body).toContain('Vous changez d’avis ?');
    const profileLink = /href="(\/profil\?t=[^"]+)"/.exec(done.body)![1]!;

    const marie = await personByEmail(MARIE);
    expect(marie.visible_to_referents).toBe(true);
    const events = await visibleEvents(marie.id);
    expect(events.map((e) => e.data)).toEqual([{ source: 'link' }]);

    // A second click changes nothing more.
    const again = await new Browser(service.url!).post('/visible', { t: token });
    expect(again.body).toContain('Vous aviez déjà donné votre accord');
    expect(await visibleEvents(marie.id)).toHaveLength(1);

    // The link it shows opens her profile page, with the box ticked.
    const profile = await new Browser(service.url!).get(profileLink);
    expect(profile.status).toBe(200);
    expect(profile.body).toMatch(/name="visibleToReferents" value="oui" checked/);
  });
});

describe('the référent’s next digest', () => {
  it('names who agreed this week, even someone registered weeks before, and still only counts the others', async () => {
    const sql = service.ctx.sql;
    // Registered by email three weeks ago; agrees only now.
    const odile = await placePerson(sql, { name: 'Odile Martin', place: 'Dieulefit', visible: false, confirmedAt: new Date(Date.now() - 21 * DAY), description: 'Je cherche un éco-lieu dans le Diois pour mes ruches.' });
    await sql`update people set source = 'email' where id = ${odile.id}`;
    // New this week, never agreed: counted, never named.
    await placePerson(sql, { name: 'Bertrand Discret', place: 'Crest', visible: false, description: 'phrase-que-personne-ne-doit-lire' });

    const page = await fetch(visibleUrl(service.ctx.config, odile.id));
    const done = await new Browser(service.url!).post('/visible', { t: hiddenField(await page.text(), 't') });
    expect(done.body).toContain('Merci, Odile, c’est noté !');

    const outcome = await sendReferentDigest(service.ctx, referentId);
    expect(outcome.state).toBe('sent');
    const digest = await mailTo('camille@exemple.org', 'referent-digest');
    expect(digest.text).toContain('NOUVELLES INSCRIPTIONS (3)');
    expect(digest.text).toContain('- Marie, à Die (26)');
    expect(digest.text).toContain('on monte un habitat partagé près de Die');
    expect(digest.text).toContain('- Odile, à Dieulefit (26)');
    expect(digest.text).toContain('Et aussi : 1 personne qui n’a pas souhaité apparaître dans ce récapitulatif.');
    expect(digest.text).not.toContain('Bertrand');
    expect(digest.text).not.toContain('phrase-que-personne-ne-doit-lire');
  });
});

describe('who gets no invitation, and links that no longer work', () => {
  it('someone who already agreed (on the form) gets no invitation, and the link says so', async () => {
    const where = geocode('Nyons')!;
    const address = 'lea.form@exemple.fr';
    // Ticked the box on the form, never confirmed; then replies to the bulletin, authenticated.
    await registerFromForm(service.ctx, {
      name: 'Léa', email: address, role: 'rejoindre', categories: ['ferme'], description: 'Je voudrais rejoindre une ferme collective près de Nyons, avec mes outils.',
      place: { postcode: where.postcode, commune: where.commune, communeCode: where.communeCode, departement: where.departement, lat: where.lat, lon: where.lon },
      radiusKm: 30, visibleToReferents: true, networkSlug: null,
    });
    await deliver(email({ from: `Léa <${address}>`, auth: 'pass', body: 'Bonjour, je voudrais rejoindre une ferme collective près de Nyons (26), je viens avec mes outils.\n\nLéa' }));
    const ack = await mailTo(address, 'ack-registration');
    expect(ack.text).toContain('vous êtes inscrit·e sur maillage');
    expect(ack.text).not.toContain('/visible?t=');
    expect(ack.text).not.toContain('Un coup de pouce');
    expect(ack.html).not.toContain('/visible?t=');

    const lea = await personByEmail(address);
    const shown = await fetch(visibleUrl(service.ctx.config, lea.id));
    expect(shown.status).toBe(200);
    expect(await shown.text()).toContain('Vous avez déjà donné votre accord');
  });

  it('someone who confirms an email registration by its link is invited on the page that follows', async () => {
    const address = 'paul.confirme@exemple.fr';
    await deliver(email({ from: `Paul <${address}>`, body: 'Bonjour, je porte un projet de repair café à Valence (26) et je cherche des bénévoles bricoleurs pour un samedi par mois.\n\nPaul' }));
    const request = await mailTo(address, 'confirm-email-registration');
    // The confirmation request asks one thing only.
    expect(request.text).not.toContain('/visible?t=');
    const browser = new Browser(service.url!);
    const shown = await browser.get(linksIn(request.text).find((l) => l.includes('/confirmer?t='))!);
    const confirmed = await browser.post('/confirmer', { t: hiddenField(shown.body, 't') });
    expect(confirmed.body).toContain('Votre inscription est confirmée');
    const invitation = /href="(\/visible\?t=[^"]+)"/.exec(confirmed.body)?.[1];
    expect(invitation).toBeDefined();
    const page = await browser.get(invitation!);
    expect(page.body).toContain('<strong>Paul, à Valence (26)</strong>');
    expect((await personByEmail(address)).visible_to_referents).toBe(false);
  });

  it('an expired link answers 410, a damaged one 400, an erased person’s 404: none changes anything', async () => {
    const sql = service.ctx.sql;
    const zoe = await placePerson(sql, { name: 'Zoé Perrin', place: 'Crest', visible: false, description: 'Tiers-lieu à Crest, on cherche des bras.' });
    const secret = service.ctx.config.secret;
    const expired = createToken(secret, { k: 'visible', p: zoe.id }, LINK_TTL_SECONDS.visible, Date.now() - LINK_TTL_SECONDS.visible * 1000 - DAY);
    const get = await fetch(`${service.url}/visible?t=${expired}`);
    expect(get.status).toBe(410);
    expect(await get.text()).toContain('Ce lien a expiré');
    const post = await new Browser(service.url!).post('/visible', { t: expired });
    expect(post.status).toBe(410);

    const good = new URL(visibleUrl(service.ctx.config, zoe.id)).searchParams.get('t')!;
    const tampered = `${good.slice(0, -3)}${good.endsWith('AAA') ? 'BBB' : 'AAA'}`;
    expect((await new Browser(service.url!).post('/visible', { t: tampered })).status).toBe(400);
    // A profile link is not a /visible link.
    const otherKind = createToken(secret, { k: 'profile', p: zoe.id }, LINK_TTL_SECONDS.profile);
    expect((await new Browser(service.url!).post('/visible', { t: otherKind })).status).toBe(400);
    expect((await personByEmail(zoe.email)).visible_to_referents).toBe(false);

    await sql.begin((tx) => erasePerson(tx, zoe.id, 'test'));
    expect((await fetch(`${service.url}/visible?t=${good}`)).status).toBe(404);
    expect((await new Browser(service.url!).post('/visible', { t: good })).status).toBe(404);
    const unknown = new URL(visibleUrl(service.ctx.config, 999_999)).searchParams.get('t')!;
    expect((await fetch(`${service.url}/visible?t=${unknown}`)).status).toBe(404);
    expect(await visibleEvents(zoe.id)).toHaveLength(0);
  });
});
