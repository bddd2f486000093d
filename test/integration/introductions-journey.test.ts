// The whole journey of the issue, end to end over real HTTP, PostgreSQL, Redis and SMTP (a local
// smtp-server sink): Marie and Paul register with the web form and confirm by email, a round
// runs, both receive their proposal, a link scanner opens every link, Marie and Paul accept, and
// exactly one email introduces them to each other.
import type { ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyToken } from '../../src/mail/tokens.js';
import { runWeeklyRound } from '../../src/round/run.js';
import { startTestService, waitFor } from '../helpers/context.js';
import { Browser, hiddenField, linksIn } from '../helpers/http.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

type Service = Awaited<ReturnType<typeof startTestService>>;
let service: Service;
let sink: SmtpSink;

beforeAll(async () => {
  sink = await startSmtpSink();
  service = await startTestService({ SMTP_URL: sink.url });
});

afterAll(async () => {
  await service?.dispose();
  await sink?.close();
});

const MARIE = {
  name: 'Marie', email: 'marie@example.org', place: 'Die', role: 'porteur', categories: ['habitat-partage', 'eco-construction'], radius: '50', consent: 'oui',
  description: 'Avec quatre amis, nous montons un habitat partagé en paille près de Die. Nous cherchons encore deux ou trois foyers motivés par les chantiers participatifs et la vie collective.',
};
const PAUL = {
  name: 'Paul', email: 'paul@example.org', place: 'Saillans', role: 'rejoindre', categories: ['habitat-partage'], radius: '50', consent: 'oui',
  description: 'Menuisier, je souhaite rejoindre un habitat partagé dans la vallée de la Drôme, idéalement en construction paille, avec des chantiers participatifs.',
};

async function mails(address: string, n: number, what: string): Promise<ParsedMail[]> {
  return waitFor(async () => {
    const list = await sink.to(address);
    return list.length >= n ? list : undefined;
  }, 15_000, what);
}

function links(mail: ParsedMail): string[] {
  return [...new Set([...linksIn(String(mail.html || '')), ...linksIn(mail.text ?? '')].map((l) => l.replace(/[).,;:!?]+$/, '')))]
    .filter((l) => l.startsWith(service.url!));
}

/** The "Oui" link: the answer link whose signed payload says accepted. */
function acceptLink(mail: ParsedMail): string {
  return links(mail).find((l) => {
    if (!l.includes('/reponse?t=')) return false;
    const verified = verifyToken(service.ctx.config.secret, new URL(l).searchParams.get('t'), 'answer');
    return verified.ok && verified.payload.a === 'accepted';
  })!;
}

async function register(fields: typeof MARIE): Promise<void> {
  const browser = new Browser(service.url!);
  const home = await browser.get('/');
  const res = await browser.post('/inscription', { csrf: hiddenField(home.body, 'csrf'), reseau: '', ...fields });
  expect(res.status).toBe(200);
  const [confirm] = await mails(fields.email, 1, `confirmation for ${fields.name}`);
  const link = links(confirm!).find((l) => l.includes('/confirmer?t='))!;
  const page = await browser.get(link);
  await browser.post('/confirmer', { t: hiddenField(page.body, 't') });
}

async function state(): Promise<string> {
  const sql = service.ctx.sql;
  const rows = await Promise.all([
    sql`select id, status, answer_a, answer_b, closed_at from introductions order by id`,
    sql`select id, status, paused_until, unsubscribed_at from people order by id`,
    sql`select count(*)::int as n from events`,
  ]);
  return JSON.stringify(rows);
}

describe('Marie and Paul', () => {
  it('register, are proposed to each other, both accept, and receive one email together', async () => {
    await register(MARIE);
    await register(PAUL);
    // confirmation + welcome each
    await mails(MARIE.email, 2, 'welcome Marie');
    await mails(PAUL.email, 2, 'welcome Paul');

    const round = await runWeeklyRound(service.ctx, { trigger: 'manual', jobId: null });
    expect(round.status).toBe('done');
    const [, , forMarie] = await mails(MARIE.email, 3, 'proposal to Marie');
    const [, , forPaul] = await mails(PAUL.email, 3, 'proposal to Paul');
    expect(forMarie!.subject).toMatch(/^Cette semaine, nous vous proposons de rencontrer Paul, à Saillans \(\d+ km\)$/);
    expect(forPaul!.subject).toMatch(/^Cette semaine, nous vous proposons de rencontrer Marie, à Die/);
    expect(forMarie!.text).toContain('Menuisier');
    expect(sink.messages.filter((m) => m.envelopeTo.includes(MARIE.email)).every((m) => !m.raw.toString().includes(PAUL.email))).toBe(true);

    // A link scanner opens everything in both emails: nothing changes.
    const before = await state();
    for (const link of [...links(forMarie!), ...links(forPaul!)]) {
      expect((await fetch(link)).status).toBe(200);
      expect((await fetch(link, { method: 'HEAD' })).status).toBe(200);
    }
    expect(await state()).toBe(before);

    // Marie clicks "Oui", sees who she accepts to meet, confirms.
    const marie = new Browser(service.url!);
    const accept = acceptLink(forMarie!);
    const page = await marie.get(accept);
    expect(page.body).toContain('Vous acceptez de rencontrer Paul');
    expect((await marie.post('/reponse', { t: hiddenField(page.body, 't') })).body).toContain('Si Paul accepte aussi');
    expect(await sink.to(PAUL.email)).toHaveLength(3);

    // Paul does the same the next day.
    const paul = new Browser(service.url!);
    const paulAccept = acceptLink(forPaul!);
    const paulPage = await paul.get(paulAccept);
    expect(paulPage.body).toContain('Vous acceptez de rencontrer Marie');
    await paul.post('/reponse', { t: hiddenField(paulPage.body, 't') });

    const [, , , meeting] = await mails(MARIE.email, 4, 'meeting email');
    expect(meeting!.subject).toBe('Vous avez tous les deux accepté : voici vos coordonnées');
    expect(meeting!.text).toContain(PAUL.email);
    expect(meeting!.text).toContain(MARIE.email);
    await mails(PAUL.email, 4, 'meeting email to Paul');
    const together = sink.messages.filter((m) => m.envelopeTo.includes(MARIE.email) && m.envelopeTo.includes(PAUL.email));
    expect(together).toHaveLength(1);
  });
});
