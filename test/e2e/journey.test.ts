// The whole journey in a real browser (Debian's Chromium driven by playwright-core), over a real
// service (web + workers) with no SMTP server, so every email is held in the outbox at /outbox:
// Camille answers the bulletin from her webmail, the mail provider handing her reply to the
// webhook; Julien answers from his phone, his reply landing in the mailbox that maillage polls
// over IMAP (a real Dovecot). Both confirm from the email they receive, a round proposes them to
// each other, each opens the proposal as they would in their mail client, clicks "Oui" and
// confirms on the page it opens, and both receive the one email that introduces them. Until that
// email, nothing either of them receives or sees shows the other's address.
// One screenshot per step under test-results/screenshots/journey-NN-*.png.
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWeeklyRound } from '../../src/round/run.js';
import { launchChromium, type Browser } from '../helpers/browser.js';
import { startTestService, waitFor } from '../helpers/context.js';
import { startDovecot, type Dovecot } from '../helpers/dovecot.js';
import { email, INTAKE_ENV, OUR_DOMAIN, QUOTED_BULLETIN } from '../integration/intake-messages.js';

const SCREENSHOTS = fileURLToPath(new URL('../../test-results/screenshots/', import.meta.url));
const BULLETIN_ID = `<lettre-48@${OUR_DOMAIN}>`;

/** Camille carries the project; her reply reaches maillage through the webhook. */
const CAMILLE = { email: 'camille.roux@exemple.fr', first: 'Camille', last: 'Roux' };
/** Julien wants to join one; his reply is fetched over IMAP. */
const JULIEN = { email: 'julien.moreau@exemple.fr', first: 'Julien', last: 'Moreau' };
type Who = typeof CAMILLE;

type Service = Awaited<ReturnType<typeof startTestService>>;
let service: Service;
let dovecot: Dovecot;
let browser: Browser;
let page: Page;
let step = 0;

/** Camille's reply as her webmail sends it: text and HTML alternatives, the bulletin quoted. */
function camilleReply(): Buffer {
  const text = `Bonjour,

Merci pour la lettre, elle tombe à pic ! Avec trois autres familles, nous avons racheté une ancienne ferme à Crest et nous la transformons en habitat partagé : six logements, une grande salle commune, un potager et un atelier. Les travaux commencent au printemps, en chantier participatif.

Nous cherchons encore deux foyers pour nous rejoindre : des personnes qui ont envie de vivre en collectif et de mettre la main à la pâte.

Au plaisir,
Camille${QUOTED_BULLETIN}`;
  const paragraphs = text.split(QUOTED_BULLETIN)[0]!.split('\n\n').map((p) => `<p>${p.replace(/\n/g, '<br>')}</p>`).join('\n');
  const htmlPart = `<html><body><div dir="ltr">${paragraphs}</div><br><div class="gmail_quote">Le jeu. 12 sept. 2024 à 10:15, La Lettre des Racines &lt;lettre@${OUR_DOMAIN}&gt; a écrit :<blockquote>Bonjour à toutes et à tous,<br>Vous portez un projet collectif écologique ? Répondez simplement à ce message.</blockquote></div></body></html>`;
  const boundary = '000000000000a1b2c3d4e5f6';
  return Buffer.from([
    `From: =?UTF-8?Q?Camille_Roux?= <${CAMILLE.email}>`,
    `To: La Lettre des Racines <inscription@${OUR_DOMAIN}>`,
    `Subject: Re: La Lettre des Racines =?UTF-8?Q?n=C2=B048?=`,
    `Date: ${new Date().toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <CAFx7-camille-48@mail.exemple.fr>`,
    `In-Reply-To: ${BULLETIN_ID}`,
    `References: ${BULLETIN_ID}`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/alternative; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset="UTF-8"',
    'Content-Transfer-Encoding: 8bit',
    '',
    text.replace(/\n/g, '\r\n'),
    '',
    `--${boundary}`,
    'Content-Type: text/html; charset="UTF-8"',
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.from(htmlPart).toString('base64').replace(/.{76}/g, '$&\r\n'),
    '',
    `--${boundary}--`,
    '',
  ].join('\r\n'), 'utf8');
}

/** Julien's reply as his phone sends it: plain text, quoted-printable. */
function julienReply(): Buffer {
  return email({
    from: `Julien Moreau <${JULIEN.email}>`,
    inReplyTo: BULLETIN_ID,
    body: `Bonjour,

Je vis à Aouste-sur-Sye avec ma compagne et notre fille, et nous aimerions rejoindre un habitat partagé dans la vallée de la Drôme, pas trop loin de chez nous. Je suis charpentier : je peux donner un coup de main sur les chantiers participatifs.

Bonne journée,
Julien

Envoyé de mon iPhone${QUOTED_BULLETIN}`,
  });
}

async function shot(target: Page, what: string): Promise<void> {
  step += 1;
  await target.screenshot({ path: path.join(SCREENSHOTS, `journey-${String(step).padStart(2, '0')}-${what}.png`), fullPage: true });
}

/** Everything the browser shows: the page and the frames in it (an email is shown in an iframe). */
async function shown(target: Page): Promise<string> {
  const parts = await Promise.all(target.frames().map((f) => f.content()));
  return parts.join('\n');
}

/** Fails when `content` names the other person: their address (or its local part) or their surname. */
function expectHidden(content: string, other: Who, where: string): void {
  const lower = content.toLowerCase();
  expect(lower.includes(other.email), `${other.email} shown in ${where}`).toBe(false);
  expect(lower.includes(other.email.split('@')[0]!), `${other.email} (local part) shown in ${where}`).toBe(false);
  expect(content.includes(other.last), `${other.last} shown in ${where}`).toBe(false);
}

async function person(address: string) {
  const rows = await service.ctx.sql`
    select p.status, p.confirmed_at, p.consent_at, f.commune, f.role, f.categories, i.channel
    from people p left join profiles f on f.person_id = p.id
    left join inbound_messages i on i.from_address = p.email
    where p.email = ${address}`;
  return rows[0];
}

/** The outbox row of `template` to `address`, once its send job has held it in the outbox. */
async function held(address: string, template: string): Promise<{ id: number; subject: string }> {
  return waitFor(async () => {
    const rows = await service.ctx.sql<{ id: number; subject: string }[]>`
      select id, subject from outbound_messages
      where template = ${template} and ${address} = any(string_to_array(replace(to_address, ' ', ''), ',')) and status = 'held'`;
    return rows[0];
  }, 30_000, `${template} email to ${address} in the outbox`);
}

/** From the outbox list, opens the email with that subject sent to that address, as its recipient sees it. */
async function openEmail(to: string, subject: string): Promise<void> {
  await page.goto(`${service.url}/outbox`);
  const row = page.locator('tbody tr').filter({ has: page.getByRole('cell', { name: to, exact: true }) });
  await row.getByRole('link', { name: subject, exact: true }).click();
  await page.waitForURL(/\/outbox\/\d+$/);
  await expect.poll(() => page.frameLocator('iframe[title="Contenu du message"]').locator('body').isVisible()).toBe(true);
}

/** Clicks a button of the email shown in the outbox: it opens in a new tab, as from a mail client. */
async function clickInEmail(name: string): Promise<Page> {
  const button = page.frameLocator('iframe[title="Contenu du message"]').getByRole('link', { name, exact: true });
  const [tab] = await Promise.all([browser.context.waitForEvent('page'), button.click()]);
  await tab.waitForLoadState();
  return tab;
}

/** Waits for the page the form's POST answered (its address has no query string, the link had one). */
async function posted(tab: Page, pathname: string): Promise<void> {
  await tab.waitForURL((u) => u.pathname === pathname && u.search === '');
  await tab.waitForLoadState();
}

async function confirmFromEmail(who: Who, other: Who, pageTitle: string): Promise<void> {
  const mail = await held(who.email, 'confirm-email-registration');
  await openEmail(who.email, mail.subject);
  const email = page.frameLocator('iframe[title="Contenu du message"]');
  await expect.poll(() => email.getByText('Merci pour votre message').isVisible()).toBe(true);
  expectHidden(await shown(page), other, `${who.first}'s confirmation email`);
  await shot(page, `${who.first.toLowerCase()}-confirmation-email`);

  const tab = await clickInEmail('Confirmer mon inscription');
  expect(new URL(tab.url()).pathname).toBe('/confirmer');
  expect(await tab.getByRole('heading', { level: 1 }).textContent()).toBe(`Bonjour ${pageTitle}, confirmez votre inscription`);
  // Opening the link changed nothing: only the button's POST confirms.
  expect((await person(who.email))!.status).toBe('pending');
  await shot(tab, `${who.first.toLowerCase()}-confirm-page`);

  await tab.getByRole('button', { name: 'Confirmer mon inscription' }).click();
  await posted(tab, '/confirmer');
  expect(await tab.getByRole('heading', { level: 1 }).textContent()).toBe(`Bienvenue, ${pageTitle} !`);
  await shot(tab, `${who.first.toLowerCase()}-confirmed`);
  await tab.close();
  const p = await person(who.email);
  expect(p!.status).toBe('active');
  expect(p!.confirmed_at).not.toBeNull();
}

/** Opens `who`'s proposal from the outbox, clicks "Oui" in it and confirms on the page it opens. */
async function accept(who: Who, other: Who): Promise<Page> {
  const proposal = await held(who.email, 'proposal');
  expect(proposal.subject).toMatch(new RegExp(`^Cette semaine, nous vous proposons de rencontrer ${other.first}, à `));
  await openEmail(who.email, proposal.subject);
  const email = page.frameLocator('iframe[title="Contenu du message"]');
  await expect.poll(() => email.getByRole('link', { name: 'Oui, mettez-nous en relation' }).isVisible()).toBe(true);
  expect(await email.getByRole('link', { name: 'Non merci' }).isVisible()).toBe(true);
  expectHidden(await shown(page), other, `${who.first}'s proposal email`);
  await shot(page, `${who.first.toLowerCase()}-proposal-email`);

  const tab = await clickInEmail('Oui, mettez-nous en relation');
  expect(new URL(tab.url()).pathname).toBe('/reponse');
  expect(await tab.getByRole('heading', { level: 1 }).textContent()).toBe(`Vous acceptez de rencontrer ${other.first}`);
  expectHidden(await shown(tab), other, `${who.first}'s answer page`);
  await shot(tab, `${who.first.toLowerCase()}-answer-page`);

  await tab.getByRole('button', { name: 'Oui, mettez-nous en relation', exact: true }).click();
  await posted(tab, '/reponse');
  return tab;
}

beforeAll(async () => {
  browser = await launchChromium();
  page = browser.page;
  mkdirSync(SCREENSHOTS, { recursive: true });
  for (const old of readdirSync(SCREENSHOTS).filter((f) => f.startsWith('journey-'))) rmSync(path.join(SCREENSHOTS, old));
  dovecot = await startDovecot();
  // No SMTP_URL: every email is held in the outbox. The service polls the mailbox on its own.
  service = await startTestService({ ...INTAKE_ENV, IMAP_URL: dovecot.url, IMAP_POLL_SECONDS: '5' });

}, 120_000);

afterAll(async () => {
  await browser?.close();
  await service?.dispose();
  await dovecot?.stop();
});

describe('Camille and Julien, from their replies to the bulletin to the email that introduces them', () => {
  it('Camille’s reply comes in through the webhook, Julien’s through IMAP; both are asked to confirm', async () => {
    const res = await fetch(`${service.url}/inbound/mime`, {
      method: 'POST',
      headers: { authorization: `Bearer ${INTAKE_ENV.INBOUND_WEBHOOK_SECRET}`, 'content-type': 'message/rfc822' },
      body: camilleReply(),
    });
    expect(res.status).toBe(202);
    await dovecot.deliver(julienReply());

    const camille = await waitFor(async () => (await person(CAMILLE.email)) ?? false, 30_000, 'Camille registered');
    // The service's own scheduled poll fetches Julien's reply.
    const julien = await waitFor(async () => (await person(JULIEN.email)) ?? false, 30_000, 'Julien registered by the IMAP poll');
    expect(camille).toMatchObject({ status: 'pending', channel: 'webhook', commune: 'Crest', role: 'porteur' });
    expect(camille.categories).toContain('habitat-partage');
    expect(julien).toMatchObject({ status: 'pending', channel: 'imap', commune: 'Aouste-sur-Sye', role: 'rejoindre' });
    expect(julien.categories).toContain('habitat-partage');

    await held(CAMILLE.email, 'confirm-email-registration');
    await held(JULIEN.email, 'confirm-email-registration');
    await page.goto(`${service.url}/outbox`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Boîte d’envoi');
    await shot(page, 'outbox-confirmations');
  });

  it('each confirms from the email, then with the button of the page it opens', async () => {
    await confirmFromEmail(CAMILLE, JULIEN, 'Camille Roux');
    await confirmFromEmail(JULIEN, CAMILLE, 'Julien Moreau');
  });

  it('a round proposes them to each other', async () => {
    const round = await runWeeklyRound(service.ctx, { trigger: 'manual', jobId: null });
    expect(round.status).toBe('done');
    expect(round.status === 'done' && round.report.introductions).toBe(1);
    await held(CAMILLE.email, 'proposal');
    await held(JULIEN.email, 'proposal');
    await page.goto(`${service.url}/outbox`);
    expect(await page.getByRole('link', { name: /^Cette semaine, nous vous proposons de rencontrer / }).count()).toBe(2);
    await shot(page, 'outbox-proposals');
  });

  it('Camille accepts from her proposal: nothing is sent yet', async () => {
    const tab = await accept(CAMILLE, JULIEN);
    expect(await tab.getByRole('heading', { level: 1 }).textContent()).toBe('Merci, c’est noté !');
    expect(await tab.getByText('Si Julien accepte aussi').isVisible()).toBe(true);
    expectHidden(await shown(tab), JULIEN, 'Camille’s page after answering');
    await shot(tab, 'camille-accepted');
    await tab.close();
    const [meetings] = await service.ctx.sql`select count(*)::int as n from outbound_messages where template = 'meeting'`;
    expect(meetings!.n).toBe(0);
  });

  it('so far, no email to either of them names the other', async () => {
    const sent = await service.ctx.sql<{ to_address: string; template: string; subject: string; text_body: string; html: string }[]>`
      select to_address, template, subject, text_body, html from outbound_messages order by id`;
    expect(sent.map((m) => `${m.template} → ${m.to_address}`).sort()).toEqual([
      `confirm-email-registration → ${CAMILLE.email}`, `confirm-email-registration → ${JULIEN.email}`,
      `proposal → ${CAMILLE.email}`, `proposal → ${JULIEN.email}`,
      `welcome → ${CAMILLE.email}`, `welcome → ${JULIEN.email}`,
    ]);
    for (const m of sent) {
      const other = m.to_address === CAMILLE.email ? JULIEN : CAMILLE;
      expectHidden(`${m.subject}\n${m.text_body}\n${m.html}`, other, `the ${m.template} email to ${m.to_address}`);
    }
  });

  it('Julien accepts from his: they are introduced', async () => {
    const tab = await accept(JULIEN, CAMILLE);
    expect(await tab.getByRole('heading', { level: 1 }).textContent()).toBe('C’est fait : vous avez tous les deux accepté !');
    expectHidden(await shown(tab), CAMILLE, 'Julien’s page after answering');
    await shot(tab, 'julien-accepted');
    await tab.close();
  });

  it('both receive the meeting email, where each sees the other’s address', async () => {
    const [intro] = await service.ctx.sql`select status from introductions`;
    expect(intro!.status).toBe('accepted');
    const meeting = await held(CAMILLE.email, 'meeting');
    expect((await held(JULIEN.email, 'meeting')).id).toBe(meeting.id);
    await openEmail(`${CAMILLE.email}, ${JULIEN.email}`, 'Vous avez tous les deux accepté : voici vos coordonnées');
    const mail = page.frameLocator('iframe[title="Contenu du message"]');
    for (const who of [CAMILLE, JULIEN]) {
      expect(await mail.getByRole('link', { name: who.email, exact: true }).isVisible()).toBe(true);
      expect(await mail.getByRole('link', { name: who.email, exact: true }).getAttribute('href')).toBe(`mailto:${who.email}`);
    }
    await shot(page, 'meeting-email');

    const shots = readdirSync(SCREENSHOTS).filter((f) => f.startsWith('journey-')).sort();
    expect(shots).toHaveLength(step);
    for (const name of shots) expect(statSync(path.join(SCREENSHOTS, name)).size).toBeGreaterThan(10_000);
  });
});
