// Staying in control from the links in every email, over real HTTP, PostgreSQL, Redis and a
// local SMTP sink: pause (and resume), profile update, unsubscribe, erase with a confirmation
// sent to the address being erased — which then disappears from the outbox too.
import { randomUUID } from 'node:crypto';
import type { ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordAnswer } from '../../src/introductions/answers.js';
import { runIntroductionExpiry } from '../../src/introductions/expiry.js';
import { eraseUrl, pauseUrl, profileUrl, unsubscribeUrl } from '../../src/mail/links.js';
import { startTestService, waitFor } from '../helpers/context.js';
import { hiddenField, linksIn } from '../helpers/http.js';
import { createActivePerson } from '../helpers/people.js';
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

interface Person { id: number; email: string; name: string }

async function makePerson(name: string, place = 'Die'): Promise<Person> {
  return createActivePerson(service.ctx.sql, {
    name, place, categories: ['ferme'], radiusKm: 30,
    description: `${name} cherche des associé·es pour une ferme maraîchère coopérative en bio, avec un atelier de transformation.`,
  });
}

async function person(id: number) {
  const rows = await service.ctx.sql`select p.*, f.description, f.commune from people p left join profiles f on f.person_id = p.id where p.id = ${id}`;
  return rows[0]!;
}

async function get(url: string) {
  const res = await fetch(url, { redirect: 'manual' });
  return { status: res.status, body: await res.text() };
}

async function post(path: string, form: Record<string, string | string[]>) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) for (const item of Array.isArray(v) ? v : [v]) params.append(k, item);
  const res = await fetch(`${service.url}${path}`, { method: 'POST', redirect: 'manual', body: params, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  return { status: res.status, body: await res.text() };
}

async function mailsTo(address: string, n: number, what: string): Promise<ParsedMail[]> {
  return waitFor(async () => {
    const mails = await sink.to(address);
    return mails.length >= n ? mails : undefined;
  }, 10_000, what);
}

describe('pause', () => {
  it('GET shows the date, POST pauses and confirms by email; the email’s button resumes', async () => {
    const ada = await makePerson('Ada');
    const link = pauseUrl(service.ctx.config, ada.id, '3m');
    const shown = await get(link);
    await fetch(link, { method: 'HEAD' });
    expect(shown.status).toBe(200);
    expect(shown.body).toContain('Faire une pause de trois mois');
    expect((await person(ada.id)).paused_until).toBeNull();

    const done = await post('/pause', { t: hiddenField(shown.body, 't') });
    expect(done.body).toContain('Bonne pause, Ada');
    const until = (await person(ada.id)).paused_until as Date;
    const days = (until.getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(88);
    expect(days).toBeLessThan(93);

    const [mail] = await mailsTo(ada.email, 1, 'pause confirmation');
    expect(mail!.subject).toMatch(/^Votre pause est enregistrée jusqu'au \d{1,2} \S+ \d{4}$/);
    const resume = linksIn(mail!.text ?? '').find((l) => l.includes('/pause?t='))!;
    const resumePage = await get(resume);
    expect(resumePage.body).toContain('Reprendre maintenant');
    expect((await person(ada.id)).paused_until).not.toBeNull();
    const resumed = await post('/pause', { t: hiddenField(resumePage.body, 't') });
    expect(resumed.body).toContain('C’est reparti');
    expect((await person(ada.id)).paused_until).toBeNull();
  });
});

describe('profile', () => {
  it('shows the current profile in the registration form and saves a change', async () => {
    const bea = await makePerson('Béa', 'Saillans');
    const shown = await get(profileUrl(service.ctx.config, bea.id));
    expect(shown.status).toBe(200);
    expect(shown.body).toContain('Modifier mon profil');
    expect(shown.body).toContain('value="26340 Saillans"');
    expect(shown.body).toContain('ferme maraîchère coopérative');
    expect(shown.body).toMatch(/name="email" value="[^"]+" [^>]*readonly/);
    const t = hiddenField(shown.body, 't');

    const invalid = await post('/profil', { t, name: '', place: 'Zzyzxville', role: 'porteur', description: 'court', radius: '30', consent: 'oui' });
    expect(invalid.status).toBe(422);
    expect(invalid.body).toContain('Indiquez votre prénom');
    expect(invalid.body).toContain('Nous ne trouvons pas « Zzyzxville »');
    expect((await person(bea.id)).name).toBe('Béa');

    const saved = await post('/profil', {
      t, name: 'Béatrice', email: 'someone-else@example.org', place: 'Crest', role: 'rejoindre', categories: ['ferme', 'alimentation'],
      description: 'Je souhaite rejoindre une ferme coopérative près de Crest, j’ai une formation en maraîchage et en apiculture.', radius: '50', consent: 'oui',
    });
    expect(saved.status).toBe(200);
    expect(saved.body).toContain('C’est enregistré');
    const after = await person(bea.id);
    expect(after.name).toBe('Béatrice');
    expect(after.email).toBe(bea.email);
    expect(after.commune).toBe('Crest');
    expect(after.description).toContain('apiculture');
    const profile = await service.ctx.sql`select role, categories, radius_km, terms from profiles where person_id = ${bea.id}`;
    expect(profile[0]).toMatchObject({ role: 'rejoindre', categories: ['ferme', 'alimentation'], radius_km: 50 });
    expect((profile[0]!.terms as string[]).length).toBeGreaterThan(3);
  });
});

describe('unsubscribe', () => {
  it('GET asks, POST unsubscribes; the pages after that say so and offer erasure', async () => {
    const cleo = await makePerson('Cléo');
    const link = unsubscribeUrl(service.ctx.config, cleo.id);
    const shown = await get(link);
    expect(shown.body).toContain('Me désinscrire');
    expect((await person(cleo.id)).status).toBe('active');
    const done = await post('/desinscription', { t: hiddenField(shown.body, 't') });
    expect(done.status).toBe(200);
    expect(done.body).toContain('Vous êtes désinscrit·e');
    expect(done.body).toContain('Effacer toutes mes données');
    expect((await person(cleo.id)).status).toBe('unsubscribed');
    // A pause link after unsubscribing pauses nothing.
    const pause = await get(pauseUrl(service.ctx.config, cleo.id, '1m'));
    expect(pause.body).toContain('Vous êtes désinscrit·e');
  });
});

describe('erase', () => {
  it('erases everywhere, keeps anonymous counts, confirms by email, then forgets the address', async () => {
    const dan = await makePerson('Dan');
    const eli = await makePerson('Éli', 'Crest');
    const sql = service.ctx.sql;
    // Dan has history: an inbound message, a meeting with Éli (one email to both), events.
    const raw = Buffer.from(`From: ${dan.email}\r\nSubject: mon projet\r\n\r\nNous montons une ferme.\r\n`);
    await sql`insert into inbound_messages (dedupe_key, sha256, channel, from_address, person_id, raw, raw_size)
              values (${`sha256:${randomUUID()}`}, ${randomUUID()}, 'test', ${dan.email}, ${dan.id}, ${raw}, ${raw.length})`;
    const [lo, hi] = dan.id < eli.id ? [dan, eli] : [eli, dan];
    const intro = await sql`insert into introductions (person_a, person_b, score, explanation) values (${lo.id}, ${hi.id}, 0.5, 'Vous parlez tous les deux de maraîchage.') returning id`;
    const introId = intro[0]!.id as number;
    await recordAnswer(service.ctx, { introductionId: introId, personId: dan.id, answer: 'accepted', source: 'link' });
    await recordAnswer(service.ctx, { introductionId: introId, personId: eli.id, answer: 'accepted', source: 'link' });
    await mailsTo(eli.email, 1, 'meeting email');
    const eventsBefore = await sql`select count(*)::int as n from events where person_id = ${dan.id}`;

    const link = eraseUrl(service.ctx.config, dan.id);
    const shown = await get(link);
    await fetch(link, { method: 'HEAD' });
    expect(shown.body).toContain('C’est définitif');
    expect((await person(dan.id)).status).toBe('active');

    const done = await post('/effacer', { t: hiddenField(shown.body, 't') });
    expect(done.body).toContain('Vos données ont été effacées');

    const tomb = await person(dan.id);
    expect(tomb).toMatchObject({ status: 'erased', email: null, name: null, description: null });
    expect((await sql`select count(*)::int as n from inbound_messages where person_id = ${dan.id} or from_address = ${dan.email}`)[0]!.n).toBe(0);
    // The meeting email named Dan: gone from the outbox, for Éli too.
    expect((await sql`select count(*)::int as n from outbound_messages where template = 'meeting'`)[0]!.n).toBe(0);
    const introAfter = await sql`select status, explanation from introductions where id = ${introId}`;
    expect(introAfter[0]).toEqual({ status: 'accepted', explanation: '' });
    // Anonymous counts stay.
    const eventsAfter = await sql`select count(*)::int as n from events where person_id = ${dan.id}`;
    expect(eventsAfter[0]!.n).toBe(eventsBefore[0]!.n + 1);

    // The confirmation reaches the erased address…
    const mails = await mailsTo(dan.email, 2, 'erasure confirmation');
    const notice = mails.find((m) => m.subject === 'Vos données ont été effacées')!;
    expect(notice.text).toContain('nous avons effacé toutes vos données');
    expect(notice.text).not.toContain('Dan');
    // …and once sent, the outbox no longer holds the address anywhere.
    await waitFor(async () => {
      const rows = await sql`select count(*)::int as n from outbound_messages where to_address ilike ${`%${dan.email}%`}`;
      return rows[0]!.n === 0;
    }, 10_000, 'erasure notice forgotten');
    const everywhere = await sql`
      select (select count(*) from people where email = ${dan.email})
           + (select count(*) from inbound_messages where from_address = ${dan.email})
           + (select count(*) from outbound_messages where to_address ilike ${`%${dan.email}%`} or headers::text ilike ${`%${dan.email}%`}) as n`;
    expect(Number(everywhere[0]!.n)).toBe(0);

    // Links of the erased person now open a clear page and act on nothing.
    expect((await get(eraseUrl(service.ctx.config, dan.id))).body).toContain('Vos données ont été effacées');
    expect((await get(profileUrl(service.ctx.config, dan.id))).body).toContain('Vos données ont été effacées');
    const again = await post('/effacer', { t: hiddenField(shown.body, 't') });
    expect(again.status).toBe(200);
    expect((await sql`select count(*)::int as n from events where type = 'person.erased' and person_id = ${dan.id}`)[0]!.n).toBe(1);
  });

  it('an erasure notice that could not be delivered is dropped after three days, with its address', async () => {
    const sql = service.ctx.sql;
    await sql`insert into outbound_messages (idempotency_key, message_id, person_id, to_address, template, subject, html, text_body, status, created_at)
              values ('erased:999999', ${`<${randomUUID()}@maillage.test>`}, null, 'gone@example.org', 'erased', 'Vos données ont été effacées', '', '', 'failed', now() - interval '4 days')`;
    const report = await runIntroductionExpiry(service.ctx);
    expect(report.erasureNoticesPurged).toBe(1);
    expect((await sql`select count(*)::int as n from outbound_messages where to_address = 'gone@example.org'`)[0]!.n).toBe(0);
  });
});
