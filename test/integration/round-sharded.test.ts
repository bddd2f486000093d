// A round split in geographic shards and scored by two separate `maillage worker` processes
// (as on two machines) proposes exactly what one process proposes on the same data.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillProfiles } from '../../bench/round-fill.js';
import { generateProfiles } from '../../bench/synthetic.js';
import { JOBS } from '../../src/queue/names.js';
import type { StoredRoundReport } from '../../src/round/run.js';
import { previewRound } from '../../src/round/run.js';
import { createTestContext, waitFor } from '../helpers/context.js';
import { PLACES, seedPerson } from '../helpers/round-seed.js';

const BIN = fileURLToPath(new URL('../../bin/maillage.js', import.meta.url));

type Ctx = Awaited<ReturnType<typeof createTestContext>>;
let ctx: Ctx;
const workers: ChildProcess[] = [];

function startWorker(): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'worker'], {
      env: {
        PATH: process.env.PATH!,
        DATABASE_URL: ctx.config.databaseUrl,
        REDIS_URL: ctx.config.redisUrl,
        QUEUE_PREFIX: ctx.config.queuePrefix,
        SECRET: ctx.config.secret,
        ROUND_SHARDS: '8',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    workers.push(child);
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('maillage is running')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`worker exited early (${code}): ${out.slice(-500)}`)));
  });
}

beforeAll(async () => {
  ctx = await createTestContext({ ROUND_SHARDS: '8' });
});

afterAll(async () => {
  await Promise.all(
    workers.map((w) => new Promise((resolve) => {
      if (w.exitCode !== null) return resolve(null);
      w.once('exit', resolve);
      w.kill('SIGTERM');
    })),
  );
  await ctx?.dispose();
});

describe('a sharded round on two worker processes', { timeout: 180_000 }, () => {
  it('proposes the same pairs, scores and explanations as a single process', async () => {
    await fillProfiles(ctx.sql, generateProfiles(4000, { seed: 11 }));
    // People on either side of where the strips will be cut, and people with "anywhere".
    await seedPerson(ctx.sql, { email: 'partout1@example.org', name: 'Alix', role: 'porteur', categories: ['fablab'], radiusKm: null, description: 'Fablab itinérant : imprimantes 3D et découpe laser dans un camion, partout en France.', ...PLACES.lannion });
    await seedPerson(ctx.sql, { email: 'partout2@example.org', name: 'Noé', role: 'rejoindre', categories: ['fablab'], radiusKm: null, description: 'Je veux rejoindre un fablab itinérant avec découpe laser, où que ce soit.', commune: null, lat: null, lon: null });

    const reference = await previewRound(ctx);
    expect(reference.plan.pairs.length).toBeGreaterThan(1500);

    await Promise.all([startWorker(), startWorker()]);
    await ctx.queues.round.add(JOBS.weeklyRound, { trigger: 'manual' }, { jobId: 'manual-sharded' });
    const round = await waitFor(async () => {
      const [row] = await ctx.sql`select * from rounds where status <> 'running'`;
      return row;
    }, 150_000, 'the sharded round to finish');
    expect(round.error).toBeNull();
    expect(round.status).toBe('done');
    expect(round.mode).toBe('sharded');

    const report = round.report as StoredRoundReport;
    expect(report.shards).toHaveLength(8);
    // Both processes took part. (Eight strips: a BullMQ worker waiting on an empty queue wakes
    // within 5 s, so the second process joins before the first has done them all.)
    expect(new Set(report.shards!.map((s) => s.pid)).size).toBe(2);
    expect(report.shards!.reduce((n, s) => n + s.owned, 0)).toBe(report.people);
    expect(report.byReason).toEqual(reference.report.byReason);
    expect(report.introductions).toBe(reference.plan.pairs.length);

    const written = await ctx.sql`select person_a, person_b, score, distance_km, explanation, shared_words from introductions order by person_a, person_b`;
    const expected = [...reference.plan.pairs].sort((x, y) => x.a - y.a || x.b - y.b);
    expect(written.map((r) => `${r.person_a}-${r.person_b}`)).toEqual(expected.map((p) => `${p.a}-${p.b}`));
    for (let k = 0; k < expected.length; k++) {
      expect(written[k]!.score).toBeCloseTo(expected[k]!.score, 5);
      expect(written[k]!.explanation).toBe(expected[k]!.explanation);
      expect(written[k]!.shared_words).toEqual(expected[k]!.sharedWords);
    }
    // The working tables are emptied once the round is written.
    expect((await ctx.sql`select count(*)::int as n from round_shards`)[0]!.n).toBe(0);
    // And every proposal goes out, through the same workers.
    await waitFor(async () => {
      const [row] = await ctx.sql`select count(*)::int as n from outbound_messages where template = 'proposal'`;
      return row!.n === 2 * expected.length || undefined;
    }, 120_000, 'every proposal written');
  });
});
