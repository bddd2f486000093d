// The weekly round over real PostgreSQL, Redis and BullMQ: who is proposed to whom, what is
// written, what is sent, and what happens on a second round, a concurrent round, a crash, and
// profiles nobody could match.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillProfiles } from '../../bench/round-fill.js';
import { generateProfiles } from '../../bench/synthetic.js';
import { unsubscribePerson } from '../../src/control.js';
import { insertRoundIntroductions } from '../../src/db/introductions.js';
import { beginRound, getRound } from '../../src/db/rounds.js';
import { resolveReplyAddress } from '../../src/mail/reply-tag.js';
import { verifyToken } from '../../src/mail/tokens.js';
import { JOBS } from '../../src/queue/names.js';
import { loadExcludedPairs } from '../../src/round/load.js';
import { runRoundTask } from '../../src/round/thread.js';
import { EXPLAIN_CHUNK } from '../../src/match/round.js';
import { computeAndWriteRound, runWeeklyRound, roundSettings, RoundTakenOverError } from '../../src/round/run.js';
import { declareSchedules } from '../../src/worker.js';
import { linksIn } from '../helpers/http.js';
import { startTestService, waitFor } from '../helpers/context.js';
import { PLACES, seedPerson } from '../helpers/round-seed.js';

const BIN = fileURLToPath(new URL('../../bin/maillage.js', import.meta.url));

type Service = Awaited<ReturnType<typeof startTestService>>;
let service: Service;

interface OutboxItem { id: number; to: string; subject: string; text: string; html: string; headers: Record<string, string>; status: string; template: string }

async function outbox(): Promise<OutboxItem[]> {
  const res = await fetch(`${service.url}/outbox.json`);
  return (await res.json()) as OutboxItem[];
}

async function reset(): Promise<void> {
  await service.ctx.sql`truncate introductions, round_unmatched, round_shards, round_term_stats, rounds, outbound_messages, profiles, people cascade`;
  await service.ctx.queues.proposals.obliterate({ force: true });
}

async function introductions() {
  return service.ctx.sql`select * from introductions order by id`;
}

function pairKey(a: number, b: number): string {
  return a < b ? `${a}-${b}` : `${b}-${a}`;
}

const HABITAT_DIE =
  'Avec quatre amis, nous montons un habitat partagé en paille près de Die. Nous cherchons deux ou trois foyers motivés par les chantiers participatifs et la construction en paille.';

const PAUL =
  "Menuisier, je souhaite rejoindre un habitat partagé dans la vallée de la Drôme. J'ai participé à plusieurs chantiers participatifs en paille.";

beforeAll(async () => {
  service = await startTestService();
});

afterAll(async () => {
  await service?.dispose();
});

describe('the weekly round', { timeout: 90_000 }, () => {
  let marie: number;
  let paul: number;
  let lea: number;
  let tom: number;

  it('proposes each person their best partner, writes the round, and sends one proposal to each side', async () => {
    await reset();
    const sql = service.ctx.sql;
    marie = await seedPerson(sql, { email: 'marie@example.org', name: 'Marie Dupont', role: 'porteur', categories: ['habitat-partage', 'eco-construction'], description: HABITAT_DIE, ...PLACES.die, waitingDays: 30 });
    paul = await seedPerson(sql, {
      email: 'paul.martin@example.org',
      name: 'Paul Martin',
      role: 'rejoindre',
      categories: ['habitat-partage'],
      description: PAUL,
      ...PLACES.saillans,
    });
    lea = await seedPerson(sql, {
      email: 'lea@example.org',
      name: 'Léa',
      role: 'porteur',
      categories: ['fablab'],
      description: 'Nous lançons un fablab associatif à Lannion : imprimantes 3D, découpe laser, ateliers électronique et réparation pour tous.',
      ...PLACES.lannion,
    });
    tom = await seedPerson(sql, {
      email: 'tom@example.org',
      name: 'Tom',
      role: 'rejoindre',
      categories: ['fablab'],
      description: "Électronicien à la retraite, j'aimerais rejoindre un fablab pour animer des ateliers électronique et impression 3D.",
      ...PLACES.perrosGuirec,
    });
    // Same project, same valley: Marie's best matches on paper, but none of them may be proposed.
    const notNow = [
      { email: 'zoe@example.org', name: 'Zoé', pausedDays: 20 },
      { email: 'yann@example.org', name: 'Yann', status: 'unsubscribed' as const },
      { email: 'ines@example.org', name: 'Inès', status: 'pending' as const, confirmed: false },
      { email: 'bruno@example.org', name: 'Bruno', bounced: true },
      { email: 'cyril@example.org', name: 'Cyril', consent: false },
    ];
    for (const p of notNow) await seedPerson(sql, { ...p, role: 'rejoindre', categories: ['habitat-partage'], description: HABITAT_DIE, ...PLACES.saillans });
    const marieBefore = (await sql`select waiting_since from people where id = ${marie}`)[0]!.waiting_since as Date;

    // Through the queue, as the scheduler does.
    await service.ctx.queues.round.add(JOBS.weeklyRound, { trigger: 'manual' });
    // Done, and every send-proposal job queued.
    const round = await waitFor(async () => (await sql`select * from rounds where status <> 'running' and (status = 'failed' or fanned_out_at is not null)`)[0], 30_000, 'round done');
    expect(round.status).toBe('done');
    expect(round.mode).toBe('single');
    expect(round.fanned_out_at).toBeInstanceOf(Date);

    const intros = await introductions();
    expect(intros.map((i) => pairKey(i.person_a, i.person_b)).sort()).toEqual([pairKey(marie, paul), pairKey(lea, tom)].sort());
    const mp = intros.find((i) => pairKey(i.person_a, i.person_b) === pairKey(marie, paul))!;
    expect(mp.round_id).toBe(round.id);
    expect(mp.status).toBe('proposed');
    expect(mp.score).toBeGreaterThan(0.08);
    expect(mp.distance_km).toBeGreaterThan(10);
    expect(mp.distance_km).toBeLessThan(20);
    expect(mp.explanation).toMatch(/habitat partagé/);
    expect(mp.explanation).toMatch(/paille/);
    expect(mp.explanation).toMatch(/\d+ km/);

    const report = round.report;
    expect(report.people).toBe(4);
    expect(report.introductions).toBe(2);
    expect(report.unmatched).toBe(0);
    expect(report.scoreHistogram.reduce((n: number, b: { count: number }) => n + b.count, 0)).toBe(2);
    const marieAfter = (await sql`select waiting_since from people where id = ${marie}`)[0]!.waiting_since as Date;
    expect(marieAfter.getTime()).toBeGreaterThan(marieBefore.getTime());

    const proposals = await waitFor(async () => {
      const mails = (await outbox()).filter((m) => m.template === 'proposal');
      return mails.length === 4 ? mails : undefined;
    }, 20_000, 'four proposals');
    expect(proposals.map((m) => m.to).sort()).toEqual(['lea@example.org', 'marie@example.org', 'paul.martin@example.org', 'tom@example.org']);

    const toMarie = proposals.find((m) => m.to === 'marie@example.org')!;
    expect(toMarie.subject).toMatch(/^Cette semaine, nous vous proposons de rencontrer Paul, à Saillans \(\d+ km\)$/);
    expect(toMarie.text).toContain('Bonjour Marie,');
    expect(toMarie.text).toContain('Paul souhaite rejoindre ou aider un projet.');
    expect(toMarie.text).toContain('Menuisier, je souhaite rejoindre un habitat partagé');
    expect(toMarie.text).toContain(mp.explanation);
    expect(toMarie.html).toContain('Oui, mettez-nous en relation');
    expect(toMarie.html).toContain('Non merci');
    // Nothing that lets Marie reach Paul before both accept: not his address, not his surname.
    const everything = JSON.stringify(toMarie);
    expect(everything).not.toContain('paul.martin@example.org');
    expect(everything).not.toContain('Martin');
    // The reply address names this introduction and Marie, signed.
    expect(resolveReplyAddress(service.ctx.config, toMarie.headers['Reply-To']!)).toEqual({ introductionId: mp.id, personId: marie });
    expect(toMarie.headers['List-Unsubscribe']).toContain('/desinscription?t=');
    const accept = linksIn(toMarie.text).find((l) => l.includes('/reponse?t='))!;
    const token = verifyToken(service.ctx.config.secret, new URL(accept).searchParams.get('t'), 'answer');
    expect(token.ok && token.payload).toMatchObject({ p: marie, i: mp.id, a: 'accepted' });
    for (const path of ['/pause?t=', '/profil?t=', '/desinscription?t=', '/effacer?t=']) {
      expect(linksIn(toMarie.text).some((l) => l.includes(path))).toBe(true);
    }
  });

  it('never proposes the same two people again, whatever became of the first proposal', async () => {
    const sql = service.ctx.sql;
    await sql`update introductions set status = 'declined', answer_a = 'declined' where person_a = ${Math.min(lea, tom)} and person_b = ${Math.max(lea, tom)}`;
    const result = await runWeeklyRound(service.ctx, { trigger: 'manual', jobId: null });
    expect(result.status).toBe('done');
    if (result.status !== 'done') return;
    expect(result.report.introductions).toBe(0);
    expect(result.report.byReason.already_introduced).toBe(4);
    expect(await introductions()).toHaveLength(2);
    const why = await sql`select person_id, reason from round_unmatched where round_id = ${result.roundId} order by person_id`;
    expect(why.map((r) => r.reason)).toEqual(['already_introduced', 'already_introduced', 'already_introduced', 'already_introduced']);

    // A newcomer near Die gets someone; Marie and Paul are each proposed at most once this round.
    const sam = await seedPerson(sql, { email: 'sam@example.org', name: 'Sam', role: 'rejoindre', categories: ['habitat-partage'], description: HABITAT_DIE, ...PLACES.crest });
    const third = await runWeeklyRound(service.ctx, { trigger: 'manual', jobId: null });
    expect(third.status === 'done' && third.report.introductions).toBe(1);
    const newest = (await introductions()).at(-1)!;
    expect([newest.person_a, newest.person_b]).toContain(sam);
  });

  it('runs one round at a time: a second one started meanwhile is skipped', async () => {
    const [x, y] = await Promise.all([
      runWeeklyRound(service.ctx, { trigger: 'manual', jobId: null }),
      runWeeklyRound(service.ctx, { trigger: 'manual', jobId: null }),
    ]);
    expect([x.status, y.status].sort()).toEqual(['done', 'skipped']);
    // A round marked running by a live process elsewhere (fresh heartbeat, sharded) blocks too.
    const held = await beginRound(service.ctx.sql, { trigger: 'manual', mode: 'sharded', jobId: 'elsewhere' });
    expect(held.started).toBe(true);
    const blocked = await runWeeklyRound(service.ctx, { trigger: 'manual', jobId: null });
    expect(blocked).toMatchObject({ status: 'skipped', reason: 'already-running' });
    // …until its heartbeat is old: then it was interrupted, and the next round goes ahead.
    if (held.started) await service.ctx.sql`update rounds set heartbeat_at = now() - interval '1 hour' where id = ${held.round.id}`;
    const after = await runWeeklyRound(service.ctx, { trigger: 'manual', jobId: null });
    expect(after.status).toBe('done');
    if (held.started) expect((await getRound(service.ctx.sql, held.round.id))!.status).toBe('failed');
  });

  it('a retried job whose round already committed does not run a second round', async () => {
    const first = await runWeeklyRound(service.ctx, { trigger: 'schedule', jobId: 'repeat:weekly-round:1' });
    expect(first.status).toBe('done');
    const retry = await runWeeklyRound(service.ctx, { trigger: 'schedule', jobId: 'repeat:weekly-round:1' });
    expect(retry).toMatchObject({ status: 'skipped', reason: 'already-done' });
  });
});

describe('a round interrupted by a crash', { timeout: 120_000 }, () => {
  it('is taken over at once when its process was killed, and proposes nobody twice', async () => {
    await reset();
    await fillProfiles(service.ctx.sql, generateProfiles(5000, { seed: 7 }));
    const config = service.ctx.config;
    const child = spawn(process.execPath, [BIN, 'match'], {
      env: { PATH: process.env.PATH!, DATABASE_URL: config.databaseUrl, REDIS_URL: config.redisUrl, QUEUE_PREFIX: config.queuePrefix, LOG_LEVEL: 'silent' },
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    await waitFor(async () => (await service.ctx.sql`select id from rounds`).length > 0, 30_000, 'the CLI to start its round');
    child.kill('SIGKILL');
    await exited;
    const [killed] = await service.ctx.sql`select * from rounds order by id limit 1`;

    // The matching runs in a worker thread: this process stays responsive meanwhile (inline,
    // the event loop would stall for the whole computation, and BullMQ could not renew its lock).
    const lag: number[] = [];
    let last = performance.now();
    const probe = setInterval(() => {
      const now = performance.now();
      lag.push(now - last - 20);
      last = now;
    }, 20);
    const preview = await runRoundTask(config.databaseUrl, { kind: 'single', settings: roundSettings(config) });
    clearInterval(probe);
    expect(Math.max(...lag)).toBeLessThan(0.5 * preview.timingsMs.plan);

    // Nothing to wait for: the killed process's lock went with its connection. (PostgreSQL
    // notices the closed connection within moments; allow it a few.)
    const again = await waitFor(async () => {
      const r = await runWeeklyRound(service.ctx, { trigger: 'manual', jobId: null });
      return r.status === 'skipped' ? undefined : r;
    }, 5_000, 'the killed round to be taken over');
    expect(again.status).toBe('done');

    const first = (await getRound(service.ctx.sql, killed!.id as number))!;
    const [ofFirst] = await service.ctx.sql`select count(*)::int as n from introductions where round_id = ${first.id}`;
    if (first.status === 'failed') {
      expect(first.error).toBe('interrupted: the process running it stopped');
      // Its introductions, written as they were explained, went with its transaction.
      expect(ofFirst!.n).toBe(0);
    } else {
      expect(first.status).toBe('done'); // killed just after its commit: the unique pair still holds
    }
    const [counts] = await service.ctx.sql`
      select count(*)::int as n, count(distinct (person_a, person_b))::int as pairs from introductions`;
    expect(counts!.n).toBe(counts!.pairs);
    expect(counts!.n).toBeGreaterThan(1000);
    const [twice] = await service.ctx.sql`
      select count(*)::int as n from (
        select round_id, person from introductions, unnest(array[person_a, person_b]) as person
        group by round_id, person having count(*) > 1) x`;
    expect(twice!.n).toBe(0);
  });

  it('writes nothing when taken over while its introductions were being written', async () => {
    await reset();
    const sql = service.ctx.sql;
    // Enough people for several chunks of introductions, written while the next are explained.
    await fillProfiles(sql, generateProfiles(12_000, { seed: 3 }));
    const settings = roundSettings(service.ctx.config);
    const begun = await beginRound(sql, { trigger: 'manual', mode: 'single', jobId: null });
    if (!begun.started) throw new Error('round not started');
    const writing = computeAndWriteRound(sql, service.ctx.config.databaseUrl, begun.round, { kind: 'single', settings }, { mode: 'single', settings });
    // Declared interrupted by another process (as takeOver does) before it commits.
    await sql`update rounds set status = 'failed', error = 'interrupted: the process running it stopped', finished_at = now() where id = ${begun.round.id}`;
    await expect(writing).rejects.toThrow(RoundTakenOverError);
    const [written] = await sql`select count(*)::int as n from introductions`;
    expect(written!.n).toBe(0);
    const [waited] = await sql`select count(*)::int as n from people where waiting_since > ${begun.round.started_at}`;
    expect(waited!.n).toBe(0);
    // The same round, run again, writes several chunks' worth: the rolled-back one had streamed them.
    const again = await runWeeklyRound(service.ctx, { trigger: 'manual', jobId: null });
    expect(again.status === 'done' && again.report.introductions).toBeGreaterThan(EXPLAIN_CHUNK);
  });

  it('queues the proposals of a round that committed but never fanned out, exactly once', async () => {
    await reset();
    const sql = service.ctx.sql;
    await seedPerson(sql, { email: 'a@example.org', name: 'Anne', role: 'porteur', categories: ['habitat-partage'], description: HABITAT_DIE, ...PLACES.die });
    await seedPerson(sql, { email: 'b@example.org', name: 'Bastien', role: 'rejoindre', categories: ['habitat-partage'], description: PAUL, ...PLACES.saillans });
    // The state a crash between the commit and the enqueueing leaves behind.
    const begun = await beginRound(sql, { trigger: 'schedule', mode: 'single', jobId: null });
    if (!begun.started) throw new Error('round not started');
    const settings = roundSettings(service.ctx.config);
    await computeAndWriteRound(sql, service.ctx.config.databaseUrl, begun.round, { kind: 'single', settings }, { mode: 'single', settings });
    expect((await getRound(sql, begun.round.id))!.fanned_out_at).toBeNull();
    expect(await service.ctx.queues.proposals.getJobCounts()).toMatchObject({ waiting: 0, completed: 0 });

    // The next round job repairs it first, then finds nothing new to propose.
    const next = await runWeeklyRound(service.ctx, { trigger: 'schedule', jobId: null });
    expect(next.status === 'done' && next.report.introductions).toBe(0);
    expect((await getRound(sql, begun.round.id))!.fanned_out_at).toBeInstanceOf(Date);
    const mails = await waitFor(async () => {
      const m = (await outbox()).filter((x) => x.template === 'proposal');
      return m.length === 2 ? m : undefined;
    }, 20_000, 'two proposals');
    expect(mails.map((m) => m.to).sort()).toEqual(['a@example.org', 'b@example.org']);
    // Fanning out again (a second repair, a retry) writes nothing more.
    const { fanOutRound } = await import('../../src/round/fanout.js');
    await fanOutRound(service.ctx, begun.round.id);
    await new Promise((r) => setTimeout(r, 500));
    expect((await outbox()).filter((x) => x.template === 'proposal')).toHaveLength(2);
  });
});

describe('past introductions', { timeout: 60_000 }, () => {
  it('are all read, whatever their status and however large the ids', async () => {
    await reset();
    const sql = service.ctx.sql;
    // Ids beyond 32 bits: the columns hold them exactly.
    const ids = [5_000_000_001, 5_000_000_002, 5_000_000_003];
    for (const id of ids) await sql`insert into people (id, email, source, status) values (${id}, ${`p${id}@example.org`}, 'form', 'active')`;
    await sql`
      insert into introductions (person_a, person_b, score, explanation, status)
      values (${ids[0]!}, ${ids[1]!}, 0.5, '', 'declined'), (${ids[1]!}, ${ids[2]!}, 0.5, '', 'accepted'), (${ids[0]!}, ${ids[2]!}, 0.5, '', 'proposed')`;
    const pairs = await loadExcludedPairs(sql);
    const read = Array.from(pairs.a, (a, k) => `${a}-${pairs.b[k]}`).sort();
    expect(read).toEqual([`${ids[0]}-${ids[1]}`, `${ids[0]}-${ids[2]}`, `${ids[1]}-${ids[2]}`]);
    await sql`truncate introductions, people cascade`;
    const none = await loadExcludedPairs(sql);
    expect(none.a.length).toBe(0);
  });
});

describe('profiles nobody could match', { timeout: 60_000 }, () => {
  it('complete the round, which says who was not matched and why', async () => {
    await reset();
    const sql = service.ctx.sql;
    const long = Array.from({ length: 160 }, (_, k) => `Semaine ${k} : chantier participatif, maraîchage sur sol vivant, compost et poules au jardin partagé.`).join(' ');
    expect(long.length).toBeGreaterThan(14_000);
    const twice = 'Nous créons une recyclerie solidaire avec atelier de couture, réparation de vélos et boutique de réemploi à Lannion.';
    const ids = {
      empty: await seedPerson(sql, { email: 'vide@example.org', name: 'Vide', description: '', ...PLACES.crest }),
      hello: await seedPerson(sql, { email: 'bonjour@example.org', name: 'Bonjour', description: 'Bonjour', ...PLACES.crest }),
      stop: await seedPerson(sql, { email: 'stop@example.org', name: 'Mots', description: 'Bonjour, je cherche un projet, merci beaucoup !', ...PLACES.crest }),
      nowhere: await seedPerson(sql, { email: 'nulle@example.org', name: 'Nulle', role: 'rejoindre', description: HABITAT_DIE, commune: null, lat: null, lon: null }),
      long: await seedPerson(sql, { email: 'long@example.org', name: 'Longue', role: 'porteur', categories: ['alimentation'], description: long.slice(0, 20_000), ...PLACES.lyon }),
      copy1: await seedPerson(sql, { email: 'copie1@example.org', name: 'Copie', role: 'porteur', description: twice, ...PLACES.lannion }),
      copy2: await seedPerson(sql, { email: 'copie2@example.org', name: 'Copie', role: 'porteur', description: twice, ...PLACES.lannion }),
    };
    // Everyone else in one commune, at the very same point.
    const crowd: number[] = [];
    const themes = ['un jardin partagé avec compost', 'du maraîchage sur sol vivant', 'des poules et un compost collectif', 'un jardin partagé en pied d’immeuble', 'une AMAP de quartier', 'une épicerie coopérative'];
    const extras = ['des voisins motivés', 'les enfants du quartier', 'une association de locataires', 'des retraités jardiniers'];
    for (let k = 0; k < 24; k++) {
      crowd.push(
        await seedPerson(sql, {
          email: `lyon${k}@example.org`,
          name: `Lyonnais ${k}`,
          role: k % 2 ? 'rejoindre' : 'porteur',
          categories: ['alimentation'],
          description: `Je voudrais ${themes[k % themes.length]} dans mon quartier, avec ${extras[Math.floor(k / themes.length)]}.`,
          ...PLACES.lyon,
        }),
      );
    }
    const result = await runWeeklyRound(service.ctx, { trigger: 'manual', jobId: null });
    expect(result.status).toBe('done');
    if (result.status !== 'done') return;
    const report = result.report;
    expect(report.people).toBe(7 + 24);
    const reasons = new Map((await sql`select person_id, reason from round_unmatched where round_id = ${result.roundId}`).map((r) => [r.person_id as number, r.reason as string]));
    expect(reasons.get(ids.empty)).toBe('no_words');
    expect(reasons.get(ids.hello)).toBe('no_words');
    expect(reasons.get(ids.stop)).toBe('no_words');
    expect(reasons.get(ids.nowhere)).toBe('no_location');
    expect(reasons.get(ids.copy1)).toBe('only_duplicates');
    expect(reasons.get(ids.copy2)).toBe('only_duplicates');
    // The one commune pairs up: 25 people there, 12 pairs, one proposal each; the 25th waits.
    expect(report.introductions).toBe(12);
    expect(report.byReason.partners_taken).toBe(1);
    const intros = await introductions();
    expect(intros.every((i) => i.distance_km < 1)).toBe(true);
    expect(intros.some((i) => i.explanation.includes("moins d'un kilomètre"))).toBe(true);
    expect(report.byReason.no_words).toBe(3);
    // Nothing about the raw input changed.
    const [kept] = await sql`select description from profiles where person_id = ${ids.long}`;
    expect(kept!.description).toBe(long.slice(0, 20_000));
  });

  it('does not propose someone who left between loading and writing', async () => {
    await reset();
    const sql = service.ctx.sql;
    const a = await seedPerson(sql, { email: 'reste@example.org', name: 'Reste', description: HABITAT_DIE, ...PLACES.die });
    const b = await seedPerson(sql, { email: 'parti@example.org', name: 'Parti', description: PAUL, ...PLACES.saillans });
    const c = await seedPerson(sql, { email: 'autre@example.org', name: 'Autre', description: PAUL, ...PLACES.crest });
    await unsubscribePerson(sql, b, 'test');
    const pair = (x: number, y: number) => ({ a: x, b: y, score: 0.5, distanceKm: 14, explanation: 'Test.', sharedWords: ['paille'] });
    const inserted = await sql.begin((tx) => insertRoundIntroductions(tx, null, [pair(a, b), pair(c, a)]));
    expect(inserted.map((r) => [r.personA, r.personB])).toEqual([[Math.min(a, c), Math.max(a, c)]]);
    const waiting = await sql`select id, waiting_since > now() - interval '1 minute' as restarted from people order by id`;
    expect(Object.fromEntries(waiting.map((r) => [r.id, r.restarted]))).toEqual({ [a]: true, [b]: false, [c]: true });
  });

  it('completes on an empty database', async () => {
    await reset();
    const result = await runWeeklyRound(service.ctx, { trigger: 'manual', jobId: null });
    expect(result.status).toBe('done');
    if (result.status !== 'done') return;
    expect(result.report).toMatchObject({ people: 0, introductions: 0, unmatched: 0 });
  });
});

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const config = service.ctx.config;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH!, DATABASE_URL: config.databaseUrl, REDIS_URL: config.redisUrl, QUEUE_PREFIX: config.queuePrefix, SECRET: config.secret },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('maillage match', { timeout: 180_000 }, () => {
  it('--dry-run --json prints the pairs with scores and reasons, and writes nothing', async () => {
    await reset();
    const sql = service.ctx.sql;
    const anne = await seedPerson(sql, { email: 'anne@example.org', name: 'Anne Leroy', role: 'porteur', categories: ['habitat-partage'], description: HABITAT_DIE, ...PLACES.die });
    const bastien = await seedPerson(sql, { email: 'bastien@example.org', name: 'Bastien', role: 'rejoindre', categories: ['habitat-partage'], description: PAUL, ...PLACES.saillans });
    await seedPerson(sql, { email: 'seul@example.org', name: 'Seul', role: 'porteur', categories: ['fablab'], description: 'Un fablab associatif avec découpe laser et imprimantes 3D.', ...PLACES.lannion });
    const r = await runCli(['match', '--dry-run', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.dryRun).toBe(true);
    expect(out.pairs).toHaveLength(1);
    expect([out.pairs[0].a.id, out.pairs[0].b.id].sort()).toEqual([anne, bastien].sort());
    expect(out.pairs[0].explanation).toMatch(/habitat partagé/);
    expect(out.pairs[0].score).toBeGreaterThan(0);
    expect(out.report.byReason.nobody_in_reach).toBe(1);
    expect(out.unmatched).toEqual([expect.objectContaining({ reason: 'nobody_in_reach' })]);
    const [counts] = await sql`select (select count(*) from rounds)::int as rounds, (select count(*) from introductions)::int as intros, (select count(*) from outbound_messages)::int as mails`;
    expect(counts).toEqual({ rounds: 0, intros: 0, mails: 0 });

    const table = await runCli(['match', '--dry-run', '--limit', '5']);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain("Aperçu seulement : rien n'a été enregistré ni envoyé.");
    expect(table.stdout).toMatch(/Anne Leroy \(Die, 26\) #\d+ +↔ Bastien \(Saillans, 26\)|Bastien \(Saillans, 26\) #\d+ +↔ Anne Leroy/);
    expect((await runCli(['match', '--limit', 'beaucoup'])).code).toBe(2);
  });

  it('without --dry-run runs the round as the scheduler would, and prints its report', async () => {
    const r = await runCli(['match']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Tour de mise en relation n° \d+ \(lancé à la main, un seul processus\)/);
    expect(r.stdout).toContain('Rencontres proposées : 1 (2 personnes, au plus 1 par personne)');
    expect(r.stdout).toContain("Personne d'autre n'est encore inscrit dans le rayon choisi. [nobody_in_reach]");
    const [round] = await service.ctx.sql`select * from rounds`;
    expect(round).toMatchObject({ status: 'done', trigger: 'manual' });
    expect(round!.report.introductions).toBe(1);
    // Its proposals go out through the running service's workers.
    await waitFor(async () => (await outbox()).filter((m) => m.template === 'proposal').length === 2 || undefined, 20_000, 'two proposals');
    // The report stays readable afterwards, for scheduled rounds too.
    const last = await runCli(['match', '--last']);
    expect(last.stdout.split('\n')[0]).toBe(r.stdout.split('\n')[0]);
  });
});

describe('the schedule', () => {
  it('is one job scheduler, Tuesday 09:00 Paris time, however often the service starts', async () => {
    await declareSchedules(service.ctx);
    await declareSchedules(service.ctx);
    const schedulers = (await service.ctx.queues.round.getJobSchedulers()).filter((s) => s.key === 'weekly-round');
    expect(schedulers).toHaveLength(1);
    expect(schedulers[0]).toMatchObject({ pattern: '0 9 * * 2', tz: 'Europe/Paris', name: JOBS.weeklyRound });
    const next = new Date(schedulers[0]!.next!);
    const paris = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Paris', weekday: 'long', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(next);
    expect(paris).toBe('Tuesday 09:00');
  });
});
