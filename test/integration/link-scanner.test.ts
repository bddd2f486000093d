// A link scanner changes nothing. Outlook Safe Links, Gmail, Proofpoint and antivirus gateways
// fetch every link of every email (GET, often HEAD first) before the person reads it. After a
// full round over the demo's 60 people — with a form and an email registration waiting for
// confirmation, answers, a meeting email, reminders, follow-ups, a pause, référents — this test
// fetches every link of every email in the outbox, HTML and text parts, with GET and with HEAD,
// and shows that not one row of any table changed and no job was queued.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemoData } from '../../src/cli/demo.js';
import { answerLinks, recordAnswer } from '../../src/introductions/answers.js';
import { pauseAndConfirm } from '../../src/introductions/controls.js';
import { runIntroductionExpiry } from '../../src/introductions/expiry.js';
import { sendDueFollowups } from '../../src/introductions/followup.js';
import { enqueueSend } from '../../src/mail/outbox.js';
import { runWeeklyRound } from '../../src/round/run.js';
import { addReferent } from '../../src/territory/referents.js';
import { sendReferentDigest } from '../../src/territory/digest-run.js';
import { settled, startTestService, waitFor } from '../helpers/context.js';
import { snapshotTables } from '../helpers/database-scan.js';
import { Browser, linksIn } from '../helpers/http.js';
import { email, INTAKE_ENV } from './intake-messages.js';

type Service = Awaited<ReturnType<typeof startTestService>>;
let service: Service;
const DAY = 86_400_000;

/** Every job ever added, per queue and state: a GET that queued anything would show here. */
async function jobCounts(): Promise<Record<string, Record<string, number>>> {
  const out: Record<string, Record<string, number>> = {};
  for (const [name, q] of Object.entries(service.ctx.queues)) {
    out[name] = await q.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized', 'waiting-children');
  }
  return out;
}

beforeAll(async () => {
  // No schedules: the every-minute sweeps must not change rows while the links are fetched.
  service = await startTestService(INTAKE_ENV, { web: true, workers: true, schedules: false });
  const { ctx } = service;
  const loaded = await loadDemoData(ctx);

  // Someone registering by the form, who has not clicked the confirmation link yet.
  const browser = new Browser(service.url!);
  const home = await browser.get('/');
  const csrf = /name="csrf" value="([^"]+)"/.exec(home.body)![1]!;
  const form = await browser.post('/inscription', {
    csrf, name: 'Capucine', email: 'capucine@exemple.fr', place: 'Die', role: 'rejoindre',
    description: 'Je voudrais rejoindre un habitat partagé ou un éco-lieu dans la Drôme, avec un potager collectif.',
    radius: '50', consent: 'oui',
  });
  expect(form.status).toBe(200);
  // Someone registering by replying to the bulletin, unauthenticated: a confirmation link too.
  const posted = await fetch(`${service.url}/inbound/mime`, {
    method: 'POST', body: email({ from: 'Gaspard <gaspard@exemple.fr>' }),
    headers: { authorization: `Bearer ${INTAKE_ENV.INBOUND_WEBHOOK_SECRET}` },
  });
  expect(posted.status).toBe(202);
  // And one whose address is authenticated: registered at once, invited to be shown to the référent·es.
  const trusted = await fetch(`${service.url}/inbound/mime`, {
    method: 'POST', body: email({ from: 'Hortense <hortense@exemple.fr>', auth: 'pass', body: 'Bonjour, je cherche un habitat partagé près de Crest (26), avec un grand jardin à partager.\n\nHortense' }),
    headers: { authorization: `Bearer ${INTAKE_ENV.INBOUND_WEBHOOK_SECRET}` },
  });
  expect(trusted.status).toBe(202);

  const round = await runWeeklyRound(ctx, { trigger: 'manual', jobId: null });
  if (round.status !== 'done') throw new Error(`round ${round.status}`);
  expect(round.report.introductions).toBeGreaterThan(5);
  await waitFor(async () => {
    const [r] = await ctx.sql`select count(*)::int as n from outbound_messages where template = 'proposal'`;
    return r!.n === 2 * round.report.introductions;
  }, 30_000, 'proposals written');

  // Answers: one introduction accepted on both sides (the meeting email), one on one side only.
  const intros = await ctx.sql<{ id: number; person_a: number; person_b: number }[]>`
    select id, person_a, person_b from introductions order by id limit 2`;
  for (const [i, intro] of intros.entries()) {
    await recordAnswer(ctx, { introductionId: intro.id, personId: intro.person_a, answer: 'accepted', source: 'link' });
    if (i === 0) await recordAnswer(ctx, { introductionId: intro.id, personId: intro.person_b, answer: 'accepted', source: 'link' });
  }
  // Day-4 reminders, then the follow-up two weeks after the meeting email.
  await runIntroductionExpiry(ctx, new Date(Date.now() + 4.5 * DAY));
  await sendDueFollowups(ctx, new Date(Date.now() + 15 * DAY));
  // A pause (its email carries the "resume" link), a digest and a référent still to confirm.
  const [someone] = await ctx.sql<{ id: number }[]>`
    select id from people where status = 'active' and id not in (select person_a from introductions) and id not in (select person_b from introductions) limit 1`;
  const paused = await ctx.sql.begin((tx) => pauseAndConfirm(tx, ctx, someone!.id, new Date(Date.now() + 30 * DAY), 'test'));
  for (const id of paused.outboundIds) await enqueueSend(ctx, id);
  await sendReferentDigest(ctx, loaded.referentId);
  await addReferent(ctx, { email: 'referente.ardeche@exemple.fr', name: 'Odile', departements: '07' });
  await settled(service.ctx);
}, 120_000);

afterAll(async () => {
  await service?.dispose();
});

describe('a link scanner fetching every link of every email', () => {
  it('changes no row of any table and queues nothing, and every link opens its page (200)', async () => {
    const { ctx } = service;
    const mails = await ctx.sql<{ id: number; template: string; html: string; text_body: string }[]>`
      select id, template, html, text_body from outbound_messages order by id`;
    const templates = new Set(mails.map((m) => m.template));
    // The round really produced the emails whose links matter most.
    for (const t of ['proposal', 'meeting', 'reminder', 'followup', 'paused', 'confirm-registration', 'confirm-email-registration', 'ack-registration', 'referent-digest', 'referent-confirm']) {
      expect(templates, `an email "${t}" in the outbox`).toContain(t);
    }
    const origin = new URL(service.url!).origin;
    const links = new Set<string>();
    for (const m of mails) for (const l of [...linksIn(m.html), ...linksIn(m.text_body)]) if (new URL(l).origin === origin) links.add(l);
    const paths = new Set([...links].map((l) => new URL(l).pathname));
    for (const p of ['/reponse', '/pause', '/desinscription', '/effacer', '/profil', '/visible', '/suite', '/confirmer', '/referent/confirmer', '/referent/desinscription']) {
      expect(paths, `links to ${p}`).toContain(p);
    }

    // No column is excluded: a GET (or HEAD) has no business touching any row, not even a
    // "last seen" timestamp.
    const before = await snapshotTables(ctx.sql);
    const jobsBefore = await jobCounts();
    const failures: string[] = [];
    for (const link of links) {
      for (const method of ['GET', 'HEAD'] as const) {
        // A scanner has no cookie, follows no form, and often comes from another country.
        const res = await fetch(link, { method, redirect: 'manual', headers: { 'user-agent': 'Mozilla/5.0 (compatible; SafeLinks scanner)' } });
        const body = await res.text();
        // Every link we emailed is still valid: each must open its page, not an error.
        if (res.status !== 200) failures.push(`${method} ${new URL(link).pathname} → ${res.status}`);
        if (method === 'GET' && /\n\s+at |Error:/.test(body)) failures.push(`${method} ${new URL(link).pathname} shows an error`);
      }
    }
    expect(failures).toEqual([]);
    await settled(service.ctx);
    expect(await jobCounts()).toEqual(jobsBefore);
    const after = await snapshotTables(ctx.sql);
    for (const table of Object.keys(before)) expect(after[table], `table ${table}`).toEqual(before[table]);
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
    expect(links.size).toBeGreaterThan(300);
  });
});
