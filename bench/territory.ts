// What the console, the référents' digest and /metrics cost on a large install. Fills a throwaway
// database with N synthetic people (default 100,000) registered over twelve weeks, N/4
// introductions and three rounds, then times each read the console and the digest make.
//   node --import tsx bench/territory.ts [N]      (KEEP_DB=1 keeps the database for EXPLAIN)
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../src/config.js';
import { closeContext, createContext } from '../src/context.js';
import { dropDatabase } from '../src/db/client.js';
import { geocode } from '../src/geo/index.js';
import { createLogger } from '../src/log.js';
import { gatherDigestFacts } from '../src/territory/digest-run.js';
import { buildDigest } from '../src/territory/digest.js';
import { funnelByWeek, peopleByDepartement, searchPeople, totals } from '../src/territory/stats.js';
import { funnelChart } from '../src/web/admin/charts.js';
import { collectMetrics, formatMetrics } from '../src/web/routes/metrics.js';
import { fillProfiles } from './round-fill.js';
import { generateProfiles, mulberry32 } from './synthetic.js';

const count = Number(process.argv[2] ?? 100_000);
const base = new URL(process.env.DATABASE_URL ?? 'postgres://127.0.0.1:5432/postgres');
base.pathname = `/maillage_bench_territory_${randomBytes(4).toString('hex')}`;
const config = loadConfig({ ...process.env, DATABASE_URL: base.toString(), QUEUE_PREFIX: `bench-territory-${randomBytes(3).toString('hex')}`, LOG_LEVEL: 'warn' });
const ctx = await createContext(config, createLogger('warn'));

async function time<T>(label: string, fn: () => Promise<T>, runs = 5): Promise<T> {
  let result!: T;
  const ms: number[] = [];
  for (let k = 0; k < runs; k++) {
    const started = performance.now();
    result = await fn();
    ms.push(performance.now() - started);
  }
  ms.sort((a, b) => a - b);
  console.log(`${label.padEnd(52)} median ${ms[Math.floor(ms.length / 2)]!.toFixed(1).padStart(8)} ms   (min ${ms[0]!.toFixed(1)}, max ${ms.at(-1)!.toFixed(1)})`);
  return result;
}

try {
  const started = performance.now();
  const profiles = generateProfiles(count, { seed: 7 });
  const ids = await fillProfiles(ctx.sql, profiles);
  // Places as intake stores them, registration dates over twelve weeks, 70 % shown to référents.
  const communes = [...new Set(profiles.map((p) => p.commune).filter((c): c is string => c !== null))];
  const places = communes.map((c) => [c, geocode(c)] as const).filter(([, g]) => g !== null);
  await ctx.sql`
    update profiles f set departement = t.dep, commune_code = t.code
    from unnest(${ctx.sql.array(places.map(([c]) => c))}::text[], ${ctx.sql.array(places.map(([, g]) => g!.departement))}::text[],
                ${ctx.sql.array(places.map(([, g]) => g!.communeCode))}::text[]) as t(commune, dep, code)
    where f.commune = t.commune`;
  await ctx.sql`
    update people set created_at = now() - (random() * interval '84 days'), visible_to_referents = random() < 0.7`;
  await ctx.sql`update people set confirmed_at = created_at + interval '3 hours'`;
  const random = mulberry32(11);
  const pairs = new Set<string>();
  const a: number[] = [];
  const b: number[] = [];
  while (a.length < count / 4) {
    const x = ids[Math.floor(random() * ids.length)]!;
    const y = ids[Math.floor(random() * ids.length)]!;
    const [lo, hi] = x < y ? [x, y] : [y, x];
    if (lo === hi || pairs.has(`${lo}:${hi}`)) continue;
    pairs.add(`${lo}:${hi}`);
    a.push(lo);
    b.push(hi);
  }
  await ctx.sql`
    insert into introductions (person_a, person_b, score, explanation, status, created_at, closed_at)
    select x, y, 0.3, '', s, c, case when s = 'proposed' then null else c + interval '2 days' end
    from (select x, y, (array['proposed', 'accepted', 'declined', 'expired'])[1 + floor(random() * 4)::int] as s,
                 now() - (random() * interval '84 days') as c
          from unnest(${ctx.sql.array(a)}::bigint[], ${ctx.sql.array(b)}::bigint[]) as t(x, y)) q`;
  for (const days of [15, 8, 1]) {
    const [round] = await ctx.sql`insert into rounds (trigger, status, started_at, finished_at, report) values ('schedule', 'done', now() - make_interval(days => ${days}), now() - make_interval(days => ${days}), '{}') returning id`;
    await ctx.sql`insert into round_unmatched (round_id, person_id, reason) select ${round!.id}, id, 'nobody_in_reach' from people where id % 5 = 0`;
  }
  // As autovacuum would after the bulk updates above: reads are timed on a settled table.
  await ctx.sql`vacuum analyze`;
  console.log(`filled ${count.toLocaleString('en')} people, ${a.length.toLocaleString('en')} introductions, 3 rounds in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);

  const funnel = await time('console: funnel, 12 weeks (funnelByWeek)', () => funnelByWeek(ctx.sql, 'Europe/Paris', 12));
  await time('console: totals', () => totals(ctx.sql));
  await time('console: people by département', () => peopleByDepartement(ctx.sql));
  await time('console: search people by name part', () => searchPeople(ctx.sql, 'mar', 100));
  await time('console: funnel SVG render', async () => funnelChart(funnel));
  const week = { from: new Date(Date.now() - 7 * 86_400_000), to: new Date() };
  const drome = await time('digest: gather, Drôme + Ardèche', () => gatherDigestFacts(ctx.sql, { departements: ['26', '07'], communeCodes: [] }, week.from, week.to));
  await time('digest: gather, Paris + 3 départements around', () => gatherDigestFacts(ctx.sql, { departements: ['75', '92', '93', '94'], communeCodes: [] }, week.from, week.to));
  await time('digest: build (pure)', async () => buildDigest({ referentName: 'Camille', territory: 'Drôme', ...week, ...drome }));
  const metrics = await time('/metrics: collect + format', async () => formatMetrics(await collectMetrics(ctx)));
  console.log(`\n/metrics: ${metrics.split('\n').filter((l) => l && !l.startsWith('#')).length} samples; digest Drôme+Ardèche: ${drome.newTotal} new, ${drome.introductions} introductions, ${drome.unmatchedTotal} unmatched`);
} finally {
  // /metrics reads the queues, which leaves their meta keys under this run's prefix.
  const keys = await ctx.redis.keys(`${config.queuePrefix}:*`);
  if (keys.length > 0) await ctx.redis.del(...keys);
  await closeContext(ctx);
  if (process.env.KEEP_DB) console.log(`kept ${config.databaseUrl}`);
  else await dropDatabase(config.databaseUrl);
}
