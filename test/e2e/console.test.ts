// The operator's console and the outbox in a real browser (Debian's Chromium driven by
// playwright-core), over the demo's fictional people and a real round. Saves one screenshot of
// each page under test-results/screenshots/ for a human to look at.
import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemoData } from '../../src/cli/demo.js';
import { runWeeklyRound } from '../../src/round/run.js';
import { sendReferentDigest } from '../../src/territory/digest-run.js';
import { launchChromium, type Browser } from '../helpers/browser.js';
import { startTestService, waitFor } from '../helpers/context.js';

const SCREENSHOTS = fileURLToPath(new URL('../../test-results/screenshots/', import.meta.url));
const PASSWORD = 'mot de passe de la console';

type Service = Awaited<ReturnType<typeof startTestService>>;
let service: Service;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  browser = await launchChromium();
  page = browser.page;
  mkdirSync(SCREENSHOTS, { recursive: true });
  service = await startTestService({ ADMIN_PASSWORD: PASSWORD });
  const loaded = await loadDemoData(service.ctx);
  const round = await runWeeklyRound(service.ctx, { trigger: 'manual', jobId: null });
  expect(round.status).toBe('done');
  await sendReferentDigest(service.ctx, loaded.referentId);
  await waitFor(async () => {
    const [r] = await service.ctx.sql`select count(*)::int as n from outbound_messages where template = 'proposal' and status = 'held'`;
    return (r!.n as number) > 0 && (r!.n as number) === 2 * (round.status === 'done' ? round.report.introductions : 0);
  }, 30_000, 'proposals in the outbox');
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await service?.dispose();
});

describe('the console in a browser', () => {
  it('logs in and shows the funnel chart, the rounds and the map', async () => {
    await page.goto(`${service.url}/admin`);
    await expect.poll(() => page.url()).toContain('/admin/connexion');
    await page.getByLabel('Mot de passe').fill(PASSWORD);
    await page.getByRole('button', { name: 'Entrer' }).click();
    await page.waitForURL(`${service.url}/admin`);

    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Vue d’ensemble');
    expect(await page.locator('.card', { hasText: 'personnes inscrites' }).locator('b').textContent()).toBe('60');
    const chart = page.locator('svg.chart');
    expect(await chart.isVisible()).toBe(true);
    const box = (await chart.boundingBox())!;
    expect(box.width).toBeGreaterThan(600);
    expect(box.height).toBeGreaterThan(200);
    // Bars are drawn for the weeks the demo's registrations are spread over.
    expect(await chart.locator('rect[height]:not([height="0.0"])').count()).toBeGreaterThan(20);
    expect(await page.getByRole('cell', { name: 'terminé' }).count()).toBe(1);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'console.png'), fullPage: true });

    await page.getByRole('link', { name: 'Territoire' }).click();
    await page.waitForURL(`${service.url}/admin/territoire`);
    expect(await page.locator('svg.map circle[fill="#2f6b3f"]').count()).toBe(5);
    expect(await page.getByRole('cell', { name: 'Drôme (26)' }).isVisible()).toBe(true);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'console-territoire.png'), fullPage: true });
  }, 60_000);

  it('opens the outbox from the console, and a proposal as its recipient would see it', async () => {
    await page.getByRole('link', { name: 'Boîte d’envoi' }).click();
    await page.waitForURL(`${service.url}/outbox`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Boîte d’envoi');
    const proposals = page.getByRole('link', { name: /^Cette semaine, nous vous proposons de rencontrer / });
    expect(await proposals.count()).toBeGreaterThan(10);
    expect(await page.getByRole('link', { name: /^Votre territoire cette semaine/ }).count()).toBe(1);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'outbox.png'), fullPage: false });

    await proposals.first().click();
    await page.waitForURL(/\/outbox\/\d+$/);
    const email = page.frameLocator('iframe[title="Contenu du message"]');
    await expect.poll(() => email.getByText('Oui, mettez-nous en relation').isVisible()).toBe(true);
    expect(await email.getByText('Non merci').isVisible()).toBe(true);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'outbox-proposal.png'), fullPage: true });

    for (const name of ['console.png', 'console-territoire.png', 'outbox.png', 'outbox-proposal.png']) {
      expect(statSync(path.join(SCREENSHOTS, name)).size).toBeGreaterThan(10_000);
    }
  }, 60_000);
});
