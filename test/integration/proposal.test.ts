// The proposal email, from the round to the wire: a real SMTP server receives it. It introduces
// the other person (first name, commune, distance, role, themes, their words escaped and
// shortened) and why, carries the answer and control links and a per-introduction Reply-To, and
// never anything that lets the recipient reach the other person before both accept.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unsubscribePerson } from '../../src/control.js';
import { createReplyTag, replyAddress, replyTagOf, resolveReplyAddress, verifyReplyTag } from '../../src/mail/reply-tag.js';
import { displayName, maskContactDetails, shortenText, writeProposal } from '../../src/round/proposal.js';
import { runWeeklyRound } from '../../src/round/run.js';
import { startTestService, waitFor } from '../helpers/context.js';
import { PLACES, seedPerson } from '../helpers/round-seed.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

describe('reply tags', () => {
  const secret = 'test-secret-0123456789abcdef';
  const config = { secret, replyTo: 'inscription@maillage.example.org' };

  it('name an introduction and a person, and cannot be forged or altered', () => {
    const tag = createReplyTag(secret, 4821, 77);
    expect(tag).toMatch(/^r-[0-9a-z]+-[0-9a-z]+-[0-9a-f]{20}$/);
    expect(verifyReplyTag(secret, tag)).toEqual({ introductionId: 4821, personId: 77 });
    expect(verifyReplyTag(secret, tag.toUpperCase())).toEqual({ introductionId: 4821, personId: 77 });
    expect(verifyReplyTag('another-secret-0123456789', tag)).toBeNull();
    const otherPerson = tag.replace(/^r-([0-9a-z]+)-([0-9a-z]+)-/, (_, i: string) => `r-${i}-${(78).toString(36)}-`);
    expect(verifyReplyTag(secret, otherPerson)).toBeNull();
    for (const junk of ['', 'r-', 'r-1-2-zz', `${tag}x`, null, 42, 'r-'.padEnd(200, 'a')]) expect(verifyReplyTag(secret, junk)).toBeNull();
  });

  it('make a valid reply address on the REPLY_TO domain, read back in any case', () => {
    const address = replyAddress(config, 12, 3456789);
    const [local, domain] = address.split('@');
    expect(domain).toBe('maillage.example.org');
    expect(local!.startsWith('inscription+r-')).toBe(true);
    expect(local!.length).toBeLessThanOrEqual(64);
    expect(resolveReplyAddress(config, address)).toEqual({ introductionId: 12, personId: 3456789 });
    expect(resolveReplyAddress(config, `<${address.toUpperCase()}>`)).toEqual({ introductionId: 12, personId: 3456789 });
    expect(replyTagOf(config, 'inscription@maillage.example.org')).toBeNull();
    expect(replyTagOf(config, address.replace('maillage.example.org', 'evil.example'))).toBeNull();
    // An operator's REPLY_TO that already uses plus-addressing keeps its base.
    const plus = { secret, replyTo: 'bonjour+maillage@asso.example' };
    expect(replyAddress(plus, 1, 2)).toMatch(/^bonjour\+r-1-2-[0-9a-f]{20}@asso\.example$/);
    expect(resolveReplyAddress(plus, replyAddress(plus, 1, 2))).toEqual({ introductionId: 1, personId: 2 });
  });
});

describe('the other person, as the proposal shows them', () => {
  it('by first name only, unless they are an organisation', () => {
    expect(displayName('Marie Dupont')).toBe('Marie');
    expect(displayName('anne-sophie martin')).toBe('Anne-Sophie');
    expect(displayName('JEAN')).toBe('Jean');
    expect(displayName('Association Les Amis du Vélo')).toBe('Association Les Amis du Vélo');
    expect(displayName('  ')).toBeNull();
    expect(displayName('paul@example.org')).toBeNull();
    expect(displayName(null)).toBeNull();
  });

  it('with their words shortened at a sentence, else a word, and marked with …', () => {
    const sentences = 'Nous montons un habitat partagé. '.repeat(30);
    const short = shortenText(sentences, 200);
    expect(short.length).toBeLessThanOrEqual(202);
    expect(short).toMatch(/partagé\. …$/);
    const words = 'chantier participatif '.repeat(40);
    expect(shortenText(words, 100)).toMatch(/(chantier|participatif)…$/);
    expect(shortenText('Court.', 100)).toBe('Court.');
    // Never a broken character, even in a text without spaces.
    const emoji = '🌱'.repeat(300);
    const cut = shortenText(emoji, 100);
    expect(cut).toBe(`${'🌱'.repeat(100)}…`);
    expect(shortenText('Ligne 1\r\n\r\n\r\n\r\nLigne   2', 100)).toBe('Ligne 1\n\nLigne 2');
  });

  it('without the email address or phone number they may have written', () => {
    expect(maskContactDetails('Écrivez-moi : jean.dupont+asso@gmail.com ou au 06 12 34 56 78, ou +33 6 12 34 56 78.')).toBe(
      'Écrivez-moi : [adresse masquée] ou au [téléphone masqué], ou [téléphone masqué].',
    );
    expect(maskContactDetails('Né en 1985, 3 hectares, code 26150.')).toBe('Né en 1985, 3 hectares, code 26150.');
  });
});

describe('the proposal email on the wire', { timeout: 60_000 }, () => {
  type Service = Awaited<ReturnType<typeof startTestService>>;
  let service: Service;
  let sink: SmtpSink;
  let marie: number;
  let paul: number;

  const PAUL_TEXT =
    "Menuisier <script>alert('x')</script> & charpentier, je souhaite rejoindre un habitat partagé en paille dans la vallée de la Drôme. " +
    'Écrivez-moi à paul.martin@example.org ou au 06 12 34 56 78. ' +
    "J'ai participé à plusieurs chantiers participatifs et je sais monter une ossature bois. ".repeat(12);

  beforeAll(async () => {
    sink = await startSmtpSink();
    service = await startTestService({ SMTP_URL: sink.url, REPLY_TO: 'inscription@maillage.test' });
    const sql = service.ctx.sql;
    marie = await seedPerson(sql, {
      email: 'marie@example.org',
      name: 'Marie Dupont',
      role: 'porteur',
      categories: ['habitat-partage', 'eco-construction'],
      description: 'Avec quatre amis, nous montons un habitat partagé en paille près de Die et cherchons des foyers motivés par les chantiers participatifs.',
      ...PLACES.die,
    });
    paul = await seedPerson(sql, {
      email: 'paul.martin@example.org',
      name: 'Paul <b>Martin</b>',
      role: 'rejoindre',
      categories: ['habitat-partage', 'eco-construction'],
      description: PAUL_TEXT,
      ...PLACES.saillans,
    });
  });

  afterAll(async () => {
    await service?.dispose();
    await sink?.close();
  });

  it('reaches each side with who, where, why, the buttons and the links, and nothing to reach the other', async () => {
    const result = await runWeeklyRound(service.ctx, { trigger: 'manual', jobId: null });
    expect(result.status === 'done' && result.report.introductions).toBe(1);
    const [intro] = await service.ctx.sql`select * from introductions`;
    await waitFor(() => sink.messages.length >= 2 || undefined, 20_000, 'two proposals delivered');

    const toMarie = sink.messages.filter((m) => m.envelopeTo.includes('marie@example.org'));
    expect(toMarie).toHaveLength(1);
    expect(toMarie[0]!.envelopeTo).toEqual(['marie@example.org']);
    const raw = toMarie[0]!.raw.toString('utf8');
    const mail = await sink.parse(toMarie[0]!);

    expect(mail.subject).toMatch(/^Cette semaine, nous vous proposons de rencontrer Paul, à Saillans \(1\d km\)$/);
    expect(mail.to && 'text' in mail.to ? mail.to.text : '').toBe('marie@example.org');
    const replyTo = mail.replyTo && 'value' in mail.replyTo ? mail.replyTo.value[0]!.address! : '';
    expect(resolveReplyAddress(service.ctx.config, replyTo)).toEqual({ introductionId: intro!.id, personId: marie });
    const head = raw.slice(0, raw.indexOf('\r\n\r\n')).replace(/\r\n[ \t]+/g, ' ');
    expect(head).toContain('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    expect(head).toMatch(/List-Unsubscribe: <http[^>]+\/desinscription\?t=[^>]+>/);

    const text = mail.text!;
    const htmlBody = String(mail.html);
    expect(text).toContain('Bonjour Marie,');
    expect(text).toContain('Paul · Saillans (26)');
    expect(text).toMatch(/À 1\d km de chez vous\./);
    expect(text).toContain('Paul souhaite rejoindre ou aider un projet.');
    expect(text).toContain('Thèmes : habitat partagé, éco-construction, éco-rénovation');
    expect(text).toContain(intro!.explanation);
    expect(text).toMatch(/…/);
    expect(htmlBody).toContain('Oui, mettez-nous en relation');
    expect(htmlBody).toContain('Non merci');
    // Their words are shown escaped, never as markup.
    expect(htmlBody).toContain('Menuisier &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; charpentier');
    expect(htmlBody).not.toContain('<script>');
    expect(htmlBody).not.toContain('<b>Martin');
    // Nothing anywhere (headers, both bodies, encoded or not) that reaches Paul.
    for (const body of [raw, text, htmlBody, JSON.stringify([...mail.headers])]) {
      expect(body).not.toContain('paul.martin@example.org');
      expect(body).not.toContain('06 12 34 56 78');
      expect(body).not.toContain('Martin');
    }
    expect(text).toContain('[adresse masquée]');
    expect(text).toContain('[téléphone masqué]');

    // Paul's own proposal is about Marie, with his own links and tag.
    const [toPaul] = await sink.to('paul.martin@example.org');
    expect(toPaul!.subject).toMatch(/rencontrer Marie, à Die \(1\d km\)$/);
    const paulReply = toPaul!.replyTo && 'value' in toPaul!.replyTo ? toPaul!.replyTo.value[0]!.address! : '';
    expect(resolveReplyAddress(service.ctx.config, paulReply)).toEqual({ introductionId: intro!.id, personId: paul });
    expect(toPaul!.text).not.toContain('marie@example.org');
    expect(toPaul!.text).not.toContain('Dupont');
  });

  it('is written once, however often the job runs, and not at all once the introduction closed', async () => {
    const [intro] = await service.ctx.sql`select * from introductions`;
    const first = await writeProposal(service.ctx, intro!.id, marie);
    const again = await writeProposal(service.ctx, intro!.id, marie);
    expect(first).toMatchObject({ status: 'written', created: false });
    expect(again).toMatchObject({ status: 'written', created: false });
    if (first.status === 'written' && again.status === 'written') expect(again.outboundId).toBe(first.outboundId);
    const [count] = await service.ctx.sql`select count(*)::int as n from outbound_messages where template = 'proposal'`;
    expect(count!.n).toBe(2);

    await unsubscribePerson(service.ctx.sql, paul, 'test');
    await service.ctx.sql`delete from outbound_messages where person_id = ${marie}`;
    expect(await writeProposal(service.ctx, intro!.id, marie)).toEqual({ status: 'skipped', reason: 'closed' });
    expect(await writeProposal(service.ctx, intro!.id, 999_999)).toEqual({ status: 'skipped', reason: 'not-a-party' });
    expect(await writeProposal(service.ctx, 999_999, marie)).toEqual({ status: 'skipped', reason: 'unknown-introduction' });
  });
});
