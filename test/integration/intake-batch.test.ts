// The intake applies the messages a worker holds at the same time in one transaction
// (processInboundBatch). What a user sees must not depend on it: the same messages give the
// same people, profiles and answers whether they are processed one by one or together; both
// people of a pair answering "oui" in the same batch get their meeting email; a batch that
// fails writes nothing and its messages are processed again one by one; two workers on the
// same messages apply each once.
import { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processInbound, processInboundBatch, type InboundResult } from '../../src/ingest/apply.js';
import { inboundJobId, ingestRaw, storeInbound } from '../../src/ingest/store.js';
import { sendProposal } from '../../src/round/proposal.js';
import { startTestService, waitFor } from '../helpers/context.js';
import { createActivePerson } from '../helpers/people.js';
import { email, INTAKE_ENV, newMessageId, OUR_DOMAIN, QUOTED_BULLETIN } from './intake-messages.js';

type Service = Awaited<ReturnType<typeof startTestService>>;
let service: Service;

beforeAll(async () => {
  service = await startTestService(INTAKE_ENV);
});

afterAll(async () => {
  await service?.dispose();
});

const store = async (raw: Buffer) => (await storeInbound(service.ctx.sql, raw, { channel: 'test' })).id;
/** Stored one after another: ids in this order, as they arrive. */
async function storeAll(raws: Buffer[]): Promise<number[]> {
  const ids: number[] = [];
  for (const raw of raws) ids.push(await store(raw));
  return ids;
}

/**
 * Every kind of message the intake acts on, from addresses ending in `tag`: two registrations
 * (one authenticated), a second message from the first sender, a STOP and a PAUSE from
 * registered people, a question, a command from an unknown address, an out-of-office, a
 * forged sender, a bounce of an email sent to a registered person, and the registered person
 * writing again in the same batch as their bounce.
 */
async function scenario(tag: string): Promise<Buffer[]> {
  const sql = service.ctx.sql;
  for (const who of ['stop', 'pause', 'rebond']) {
    await sql`insert into people (email, name, source, status, consent_at) values (${`${who}-${tag}@exemple.fr`}, 'Inscrite', 'email', 'active', now())`;
  }
  const [sent] = await sql`
    insert into outbound_messages (idempotency_key, message_id, to_address, template, subject, html, text_body)
    values (${`bulletin-${tag}`}, ${`<bulletin-${tag}@${OUR_DOMAIN}>`}, ${`rebond-${tag}@exemple.fr`}, 'welcome', 's', 'h', 't') returning id`;
  const dsn = [
    `From: Mail Delivery System <MAILER-DAEMON@mx.exemple.fr>`,
    `To: lettre+b-${sent!.id}@${OUR_DOMAIN}`,
    'Subject: Undelivered Mail Returned to Sender',
    `Message-ID: ${newMessageId()}`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    `<rebond-${tag}@exemple.fr>: host mx.exemple.fr said: 550 5.1.1 User unknown`,
    '',
    '--b1',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.exemple.fr',
    '',
    `Final-Recipient: rfc822; rebond-${tag}@exemple.fr`,
    'Action: failed',
    'Status: 5.1.1',
    '',
    '--b1--',
    '',
  ].join('\r\n');
  return [
    email({ from: `Ana Lopez <ana-${tag}@exemple.fr>`, body: `Bonjour, avec des amis on monte un habitat partagé près de Die (26), on cherche encore deux foyers motivés.${QUOTED_BULLETIN}` }),
    email({ from: `Bea Martin <bea-${tag}@exemple.org>`, auth: 'pass', body: 'Bonjour, je lance une ressourcerie à Roubaix et je cherche des bénévoles pour trier et réparer le samedi.' }),
    email({ from: `Ana Lopez <ana-${tag}@exemple.fr>`, body: 'Je précise : nous cherchons plutôt du côté de Crest, dans la Drôme, pour un habitat partagé en paille.' }),
    email({ from: `stop-${tag}@exemple.fr`, subject: 'Re: La Lettre', body: `STOP${QUOTED_BULLETIN}` }),
    email({ from: `pause-${tag}@exemple.fr`, subject: 'PAUSE', body: 'PAUSE merci' }),
    email({ from: `helene-${tag}@exemple.fr`, body: 'Bonjour, est-ce que ce service est gratuit ? Et qui peut voir mon adresse ?' }),
    email({ from: `inconnu-${tag}@exemple.fr`, subject: 'Désinscription', body: 'Merci de me désinscrire.' }),
    email({ from: `absent-${tag}@exemple.fr`, subject: 'Réponse automatique : Absence', headers: { 'Auto-Submitted': 'auto-replied' }, body: 'Je suis absente jusqu’au 3 septembre.' }),
    email({ from: `faux-${tag}@exemple.fr`, auth: 'dmarc-fail', body: 'Bonjour, je monte un jardin partagé à Lille et je cherche des voisins.' }),
    Buffer.from(dsn, 'latin1'),
    email({ from: `rebond-${tag}@exemple.fr`, body: 'Bonjour, je porte un projet de repair café à Valence et je cherche des bénévoles bricoleurs pour un samedi par mois.' }),
  ];
}

/** What a user and the operator can see of a scenario, with its tag taken out. */
async function seen(tag: string, ids: number[]) {
  const sql = service.ctx.sql;
  const strip = (v: unknown) => JSON.parse(JSON.stringify(v).replaceAll(tag, 'TAG')) as unknown;
  const inbound = await sql`select kind, outcome, for_operator, status from inbound_messages where id = any(${ids}::bigint[]) order by id`;
  const people = await sql`
    select p.email, p.name, p.status, p.bounced_at is not null as bounced, p.paused_until is not null as paused, p.pending_update is not null as update_waiting,
      f.commune, f.description
    from people p left join profiles f on f.person_id = p.id where p.email like ${`%-${tag}@%`} order by p.email`;
  const answers = await sql`
    select o.to_address, o.template, o.subject from outbound_messages o
    join inbound_messages i on o.idempotency_key = 'ack:' || i.id where i.id = any(${ids}::bigint[]) order by i.id`;
  const events = await sql`
    select type, count(*)::int as n from events e join people p on p.id = e.person_id
    where p.email like ${`%-${tag}@%`} group by type order by type`;
  return strip({ inbound, people, answers, events });
}

const outcomes = (results: InboundResult[]) => results.map((r) => (r.ok ? r.outcome.state : `error: ${r.error.message}`));

describe('messages applied together give what they give one by one', () => {
  it('every kind of message, in one batch or one at a time: same people, profiles, answers and events', async () => {
    const one = await storeAll(await scenario('seul'));
    for (const id of one) await processInbound(service.ctx, id);

    const together = await storeAll(await scenario('lot'));
    const results = await processInboundBatch(service.ctx, together);
    expect(outcomes(results)).toEqual(together.map(() => 'processed'));
    // One transaction (now() is its start): the batch was applied as a batch, not message by message.
    const times = await service.ctx.sql`select distinct processed_at from inbound_messages where id = any(${together}::bigint[])`;
    expect(times).toHaveLength(1);

    const alone = await seen('seul', one);
    expect(await seen('lot', together)).toEqual(alone);
    // And what that is, so that both being wrong the same way fails too.
    const { people, answers } = alone as { people: { email: string; status: string; bounced: boolean; paused: boolean; commune: string | null }[]; answers: { to_address: string; template: string }[] };
    expect(people.find((p) => p.email === 'ana-TAG@exemple.fr')).toMatchObject({ status: 'pending', commune: 'Crest' });
    expect(people.find((p) => p.email === 'bea-TAG@exemple.org')).toMatchObject({ status: 'active' });
    expect(people.find((p) => p.email === 'stop-TAG@exemple.fr')).toMatchObject({ status: 'unsubscribed' });
    expect(people.find((p) => p.email === 'pause-TAG@exemple.fr')).toMatchObject({ paused: true });
    // Bounced, then wrote to us: the address works again, as in arrival order.
    expect(people.find((p) => p.email === 'rebond-TAG@exemple.fr')).toMatchObject({ bounced: false, update_waiting: true });
    expect(people.some((p) => p.email.startsWith('faux-') || p.email.startsWith('absent-') || p.email.startsWith('helene-'))).toBe(false);
    expect(answers.map((a) => `${a.to_address} ${a.template}`)).toEqual([
      'ana-TAG@exemple.fr confirm-email-registration',
      'bea-TAG@exemple.org ack-registration',
      'ana-TAG@exemple.fr confirm-email-registration',
      'stop-TAG@exemple.fr ack-stop',
      'pause-TAG@exemple.fr ack-pause',
      'helene-TAG@exemple.fr ack-other',
      'inconnu-TAG@exemple.fr ack-not-registered',
      'rebond-TAG@exemple.fr confirm-email-update',
    ]);
  });

  it('both people of a proposal answer "oui" in the same batch: the meeting email is written, once', async () => {
    const a = await createActivePerson(service.ctx.sql, { name: 'Lina', place: 'Die', description: 'Lina monte un habitat partagé en paille et cherche des foyers.' });
    const b = await createActivePerson(service.ctx.sql, { name: 'Omar', place: 'Crest', description: 'Omar veut rejoindre un habitat partagé, menuisier.', role: 'rejoindre' });
    const [lo, hi] = a.id < b.id ? [a, b] : [b, a];
    const [intro] = await service.ctx.sql`
      insert into introductions (person_a, person_b, score, distance_km, explanation, shared_words)
      values (${lo.id}, ${hi.id}, 0.4, 20, 'Vous parlez tous les deux d’habitat partagé.', '{paille}') returning id`;
    const replies: Buffer[] = [];
    for (const p of [a, b]) {
      const written = await sendProposal(service.ctx, intro!.id, p.id);
      if (written.status !== 'written') throw new Error(`proposal not written: ${written.reason}`);
      const [proposal] = await service.ctx.sql`select message_id, headers from outbound_messages where id = ${written.outboundId}`;
      replies.push(email({
        from: `${p.name} <${p.email}>`,
        to: (proposal!.headers as Record<string, string>)['Reply-To'],
        subject: 'Re: Une proposition de rencontre',
        inReplyTo: proposal!.message_id as string,
        body: `Oui avec plaisir !\n\n${p.name}`,
      }));
    }
    const ids = await storeAll(replies);
    expect(outcomes(await processInboundBatch(service.ctx, ids))).toEqual(['processed', 'processed']);

    const [row] = await service.ctx.sql`select status, answer_a, answer_b from introductions where id = ${intro!.id}`;
    expect(row).toMatchObject({ status: 'accepted', answer_a: 'accepted', answer_b: 'accepted' });
    const meetings = await service.ctx.sql`select to_address from outbound_messages where template = 'meeting' and to_address like ${`%${a.email}%`}`;
    expect(meetings).toHaveLength(1);
    expect(meetings[0]!.to_address).toContain(b.email);
    const kinds = await service.ctx.sql`select outcome from inbound_messages where id = any(${ids}::bigint[]) order by id`;
    expect(kinds.map((k) => k.outcome)).toEqual(['answer-accepted', 'meeting-sent']);
  });
});

describe('failures and repeats', () => {
  it('a batch whose transaction fails writes nothing; its messages go again one by one and only the bad one fails', async () => {
    const sql = service.ctx.sql;
    // A database error on one message only (as a constraint a bug breaks would raise).
    await sql.unsafe(`
      create function refuse_panne() returns trigger language plpgsql as $$
      begin
        if new.email like 'panne-%' then raise exception 'refused for the test'; end if;
        return new;
      end $$;
      create trigger refuse_panne before insert on people for each row execute function refuse_panne()`);
    try {
      const ids = await storeAll([
        email({ from: 'Nora <nora-panne-test@exemple.fr>', body: 'Bonjour, je porte un projet de repair café à Roubaix et je cherche des bénévoles bricoleurs pour un samedi par mois.' }),
        email({ from: 'Panne <panne-1@exemple.fr>', body: 'Bonjour, nous cherchons des personnes pour rejoindre notre habitat participatif à Crest, dans la Drôme, trois logements sont libres.' }),
        email({ from: 'Yves <yves-panne-test@exemple.fr>', body: 'Bonjour, avec 4 amis on monte un habitat partagé près de Die (26), on cherche encore 2-3 foyers.' }),
      ]);
      const results = await processInboundBatch(service.ctx, ids);
      expect(outcomes(results)).toEqual(['processed', 'error: refused for the test', 'processed']);

      const rows = await sql`select status from inbound_messages where id = any(${ids}::bigint[]) order by id`;
      expect(rows.map((r) => r.status)).toEqual(['processed', 'stored', 'processed']);
      // Applied once each, after the batch rolled back: one person, one answer, one event.
      for (const address of ['nora-panne-test@exemple.fr', 'yves-panne-test@exemple.fr']) {
        const [counts] = await sql`
          select (select count(*)::int from people where email = ${address}) as people,
                 (select count(*)::int from outbound_messages where to_address = ${address}) as answers,
                 (select count(*)::int from events e join people p on p.id = e.person_id where p.email = ${address} and e.type = 'inbound.processed') as processed`;
        expect(counts).toEqual({ people: 1, answers: 1, processed: 1 });
      }
      expect(await sql`select 1 from people where email = 'panne-1@exemple.fr'`).toHaveLength(0);
    } finally {
      await sql.unsafe('drop trigger refuse_panne on people; drop function refuse_panne()');
    }
  });

  it('two workers on the same messages at once: each message is applied and answered once', async () => {
    const ids = await Promise.all(['Iris', 'Jade', 'Kim', 'Leo'].map((name) => store(email({
      from: `${name} <${name.toLowerCase()}-double@exemple.fr>`,
      body: `Bonjour, je suis ${name} et je cherche un habitat participatif près de Lyon, avec un grand jardin en permaculture.`,
    }))));
    const [first, second] = await Promise.all([processInboundBatch(service.ctx, ids), processInboundBatch(service.ctx, [...ids].reverse())]);
    const states = ids.map((_, i) => [outcomes(first)[i], outcomes(second)[ids.length - 1 - i]].sort());
    expect(states).toEqual(ids.map(() => ['already-processed', 'processed']));
    const answers = await service.ctx.sql`select to_address, count(*)::int as n from outbound_messages where to_address like '%-double@exemple.fr' group by to_address`;
    expect(answers.map((a) => a.n)).toEqual([1, 1, 1, 1]);
    // And again later (a retried job): nothing more.
    expect(outcomes(await processInboundBatch(service.ctx, [ids[0]!, ids[0]!]))).toEqual(['already-processed', 'already-processed']);
  });

  it('big messages are not all read into memory at once: beyond the byte budget, the next transaction takes them', async () => {
    const ids = await storeAll(['Uma', 'Vic', 'Wes'].map((name) => email({
      from: `${name} <${name.toLowerCase()}-gros@exemple.fr>`,
      body: `Bonjour, je suis ${name} et je monte une ferme maraîchère en agroécologie près de Nantes, je cherche deux associés.`,
    })));
    // A budget smaller than one message: each goes in its own transaction, none is left out.
    const results = await processInboundBatch(service.ctx, ids, { batchBytes: 10 });
    expect(outcomes(results)).toEqual(['processed', 'processed', 'processed']);
    const rows = await service.ctx.sql`select count(distinct processed_at)::int as transactions from inbound_messages where id = any(${ids}::bigint[])`;
    expect(rows[0]!.transactions).toBe(3);
  });

  it('through the queue: one job per message, each completing with its own outcome, several messages per transaction', async () => {
    const raws = Array.from({ length: 24 }, (_, i) => email({
      from: `Personne ${i} <file-${i}@exemple.fr>`,
      body: `Bonjour, je porte le projet numéro ${i} : un tiers-lieu avec un atelier partagé près de Valence, et je cherche des associés.`,
    }));
    const stored = await Promise.all(raws.map((raw) => ingestRaw(service.ctx, raw, { channel: 'test' })));
    const jobs = await waitFor(async () => {
      const all = await Promise.all(stored.map(async (s) => Job.fromId(service.ctx.queues.inbound, inboundJobId(s.id))));
      return all.every((j) => j?.finishedOn) ? all : undefined;
    }, 30_000, 'the 24 jobs done');
    expect(jobs.map((j) => j!.returnvalue)).toEqual(stored.map(() => 'processed'));
    const ids = stored.map((s) => s.id);
    const rows = await service.ctx.sql`
      select count(*)::int as processed, count(distinct processed_at)::int as transactions
      from inbound_messages where id = any(${ids}::bigint[]) and status = 'processed'`;
    expect(rows[0]!.processed).toBe(24);
    expect(rows[0]!.transactions).toBeLessThan(24);
    const answered = await service.ctx.sql`select count(*)::int as n from outbound_messages where to_address like 'file-%@exemple.fr'`;
    expect(answered[0]!.n).toBe(24);
  });

  it('messages arriving at the same time are stored together, each once: a copy in the same burst finds the first', async () => {
    const earlier = email({ from: 'Avant <avant@exemple.fr>', body: 'Bonjour, nous montons une épicerie coopérative à Die et cherchons des bénévoles.' });
    const before = await ingestRaw(service.ctx, earlier, { channel: 'webhook' });
    const raws = Array.from({ length: 10 }, (_, i) => email({
      from: `Rafale ${i} <rafale-${i}@exemple.fr>`,
      body: `Bonjour, je porte le projet ${i} : un repair café à Crest, et je cherche des bricoleuses et bricoleurs.`,
    }));
    // A provider retrying its webhook delivers raws[0] twice in the same burst, and `earlier` again.
    const burst = [...raws, raws[0]!, earlier];
    const results = await Promise.all(burst.map((raw) => ingestRaw(service.ctx, raw, { channel: 'webhook' })));
    expect(results.slice(0, 10).every((r) => r.created)).toBe(true);
    expect(new Set(results.slice(0, 10).map((r) => r.id)).size).toBe(10);
    expect(results[10]).toMatchObject({ id: results[0]!.id, created: false });
    expect(results[11]).toMatchObject({ id: before.id, created: false });
    const ids = results.slice(0, 10).map((r) => r.id);
    // One statement, one commit: a row's received_at is its transaction's start.
    const [commits] = await service.ctx.sql`select count(distinct received_at)::int as n from inbound_messages where id = any(${ids}::bigint[])`;
    expect(commits!.n).toBeLessThan(10);
    await waitFor(async () => {
      const [left] = await service.ctx.sql`select count(*)::int as n from inbound_messages where id = any(${[...ids, before.id]}::bigint[]) and status <> 'processed'`;
      return left!.n === 0 || undefined;
    }, 30_000, 'the burst processed');
    const answered = await service.ctx.sql`select to_address, count(*)::int as n from outbound_messages where to_address like 'rafale-%@exemple.fr' group by 1`;
    expect(answered).toHaveLength(10);
    expect(answered.every((a) => a.n === 1)).toBe(true);
  });
});
