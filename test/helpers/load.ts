// Load on the one-click answer pages, shared by bench/web.ts and test/soak/load.test.ts:
// introductions awaiting answers with their real signed links, autocannon in a second process
// (test/helpers/load-client.ts), and the server's memory sampled before, during and after.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { Config } from '../../src/config.js';
import type { Db } from '../../src/db/client.js';
import { answerUrl } from '../../src/mail/links.js';
import type { LoadJob, LoadRequest, LoadResult } from './load-client.js';

export type { LoadRequest, LoadResult } from './load-client.js';

export interface AnswerLinks {
  introductionIds: number[];
  /** `/reponse?t=…` for each side's "oui" (both sides of every introduction) */
  acceptPaths: string[];
  /** the same signed tokens, for the POST that confirms */
  acceptTokens: string[];
}

/**
 * `pairs` introductions awaiting both answers, between active people with a profile, and the
 * "oui" link of each side built by the real link builder (src/mail/links.ts). Inserted with a
 * few set-based statements: thousands of people in well under a second.
 */
export async function seedAnswerableIntroductions(sql: Db, config: Pick<Config, 'secret' | 'publicUrl'>, pairs: number, emailPrefix = 'charge'): Promise<AnswerLinks> {
  const people = await sql<{ id: number }[]>`
    insert into people (email, name, status, source, consent_at, confirmed_at)
    select ${emailPrefix} || g || '@example.org', (array['Camille', 'Louise', 'Malik', 'Inès', 'Yann', 'Sacha'])[1 + g % 6] || ' ' || g,
           'active', 'import', now(), now()
    from generate_series(1, ${pairs * 2}::int) g
    returning id`;
  const ids = people.map((p) => Number(p.id)).sort((a, b) => a - b);
  await sql`
    insert into profiles (person_id, role, categories, description, commune, departement, lat, lon, radius_km)
    select id, case when id % 2 = 0 then 'porteur' else 'rejoindre' end, '{habitat-partage}',
           'Habitat partagé en paille près de Die, chantiers participatifs, on cherche encore deux ou trois foyers.',
           'Die', '26', 44.7536, 5.3703, 50
    from unnest(${ids}::bigint[]) id`;
  const a = ids.filter((_, i) => i % 2 === 0);
  const b = ids.filter((_, i) => i % 2 === 1);
  const intros = await sql<{ id: number; person_a: number; person_b: number }[]>`
    insert into introductions (person_a, person_b, score, distance_km, explanation, shared_words)
    select pa, pb, 0.42, 12, 'Vous parlez tous les deux d’habitat partagé et de paille.', '{paille}'
    from unnest(${a}::bigint[], ${b}::bigint[]) as t(pa, pb)
    returning id, person_a, person_b`;
  const acceptPaths: string[] = [];
  const acceptTokens: string[] = [];
  for (const intro of intros) {
    for (const person of [intro.person_a, intro.person_b]) {
      const url = new URL(answerUrl(config, Number(intro.id), Number(person), 'accepted'));
      acceptPaths.push(`${url.pathname}${url.search}`);
      acceptTokens.push(url.searchParams.get('t')!);
    }
  }
  return { introductionIds: intros.map((i) => Number(i.id)), acceptPaths, acceptTokens };
}

export interface AnswerState {
  /** introduction.answered events, and how many distinct (introduction, person) they are about */
  answerEvents: number;
  distinctAnswers: number;
  /** introductions by status */
  statuses: Record<string, number>;
  /** meeting emails written, and how many distinct introductions they are for */
  meetingEmails: number;
  distinctMeetings: number;
}

/**
 * What the answers left in the database (for these introductions, or all): each answer must have
 * been recorded once, whatever the repeats.
 */
export async function answerState(sql: Db, introductionIds?: number[]): Promise<AnswerState> {
  const all = introductionIds === undefined;
  const ids = introductionIds ?? [];
  const [answers] = await sql<{ events: number; distinct: number }[]>`
    select count(*)::int as events, count(distinct (data->>'introductionId', person_id))::int as distinct
    from events where type = 'introduction.answered' and (${all} or (data->>'introductionId')::bigint = any(${ids}::bigint[]))`;
  const statuses = await sql<{ status: string; n: number }[]>`
    select status, count(*)::int as n from introductions where ${all} or id = any(${ids}::bigint[]) group by status`;
  const [meetings] = await sql<{ n: number; distinct: number }[]>`
    select count(*)::int as n, count(distinct idempotency_key)::int as distinct from outbound_messages
    where template = 'meeting' and (${all} or idempotency_key = any(${ids.map((id) => `meeting:${id}`)}::text[]))`;
  return {
    answerEvents: answers!.events,
    distinctAnswers: answers!.distinct,
    statuses: Object.fromEntries(statuses.map((s) => [s.status, s.n])),
    meetingEmails: meetings!.n,
    distinctMeetings: meetings!.distinct,
  };
}

/** Interleaves the links so that consecutive requests hit different introductions and rows. */
export function spread<T>(items: T[]): T[] {
  const out = items.slice();
  // A fixed shuffle (LCG), so two runs send the same sequence.
  let seed = 12345;
  for (let i = out.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const j = seed % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Share of the POSTs that are first answers: 4,000 links in a 30-second run at 1,000/s. */
export const FIRST_ANSWER_SHARE = 4000 / 30000;

/**
 * `total` POSTs over these links, the first answers spread evenly over the run (one link first
 * posted every 1/FIRST_ANSWER_SHARE requests, so a short run is no heavier in writes than a long
 * one), every other request posting again a link already answered, picked at random: people
 * answering as a run goes, among many clicking twice, reloading the page or having a mail
 * scanner replay the form.
 */
export function answerSequence(tokens: string[], total: number): string[] {
  const order = spread(tokens).slice(0, Math.max(1, Math.ceil(total * FIRST_ANSWER_SHARE)));
  const out: string[] = [];
  let introduced = 0;
  let seed = 42;
  for (let i = 0; i < total; i++) {
    const due = Math.floor(((i + 1) * order.length) / total);
    if (introduced < Math.min(due, order.length) || introduced === 0) out.push(order[introduced++]!);
    else {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      out.push(order[seed % introduced]!);
    }
  }
  return out;
}

const postOf = (t: string): LoadRequest => ({ method: 'POST', path: '/reponse', body: `t=${encodeURIComponent(t)}` });

export const requestsFor = {
  get: (links: AnswerLinks): LoadRequest[] => spread(links.acceptPaths).map((path) => ({ method: 'GET', path })),
  /** `total` POSTs, first answers spread over them (answerSequence). */
  post: (links: AnswerLinks, total: number): LoadRequest[] => answerSequence(links.acceptTokens, total).map(postOf),
  /** Every POST a first answer: the write path alone (needs as many links as requests). */
  firstAnswers: (links: AnswerLinks): LoadRequest[] => spread(links.acceptTokens).map(postOf),
  health: (): LoadRequest[] => [{ method: 'GET', path: '/healthz' }],
};

/** Runs autocannon in a child process against `url` and returns what it measured. */
export async function loadFromSecondProcess(job: LoadJob): Promise<LoadResult> {
  const child = fork(fileURLToPath(new URL('./load-client.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    return await new Promise<LoadResult>((resolve, reject) => {
      child.once('message', (m: { result?: LoadResult; error?: string }) => (m.result ? resolve(m.result) : reject(new Error(`load client: ${m.error}`))));
      child.once('exit', (code) => reject(new Error(`load client exited with ${code} before answering`)));
      child.send(job);
    });
  } finally {
    if (child.exitCode === null) child.kill();
  }
}

// ---- memory -----------------------------------------------------------------------------------

let gcFn: (() => void) | undefined;
/** A full garbage collection, with or without --expose-gc (then switched on at run time). */
export function collectGarbage(): void {
  if (!gcFn) {
    if (typeof globalThis.gc === 'function') gcFn = globalThis.gc as () => void;
    else {
      v8.setFlagsFromString('--expose-gc');
      gcFn = vm.runInNewContext('gc') as () => void;
    }
  }
  gcFn();
}

export interface MemoryFigures {
  rssMb: number;
  heapMb: number;
}

function memoryNow(): MemoryFigures {
  const m = process.memoryUsage();
  return { rssMb: m.rss / 2 ** 20, heapMb: m.heapUsed / 2 ** 20 };
}

/**
 * After a second of quiet and two full collections: what stays alive, not what is waiting to be
 * collected. (V8 hands freed pages back to the system lazily: right after a burst the RSS still
 * holds some of them, while the heap after GC is already back; a real leak shows in both.)
 */
export async function settledMemory(): Promise<MemoryFigures> {
  await new Promise((r) => setTimeout(r, 1000));
  collectGarbage();
  await new Promise((r) => setTimeout(r, 100));
  collectGarbage();
  return memoryNow();
}

/** Samples this process's memory every `ms` until stopped; returns the peak. */
export function sampleMemory(ms = 250): { stop(): MemoryFigures } {
  const peak = memoryNow();
  const timer = setInterval(() => {
    const now = memoryNow();
    peak.rssMb = Math.max(peak.rssMb, now.rssMb);
    peak.heapMb = Math.max(peak.heapMb, now.heapMb);
  }, ms);
  return {
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}

export interface PhaseResult {
  name: string;
  load: LoadResult;
  before: MemoryFigures;
  peak: MemoryFigures;
  after: MemoryFigures;
  /** CPU time of this (the server's) process during the load */
  serverCpuMs: number;
}

/** One load phase against the server running in this process, with its memory around it. */
export async function loadPhase(name: string, job: LoadJob): Promise<PhaseResult> {
  const before = await settledMemory();
  const sampler = sampleMemory();
  const cpu0 = process.cpuUsage();
  const load = await loadFromSecondProcess(job);
  const cpu = process.cpuUsage(cpu0);
  const peak = sampler.stop();
  const after = await settledMemory();
  return { name, load, before, peak, after, serverCpuMs: (cpu.user + cpu.system) / 1000 };
}
