// The group commit (src/queue/group-commit.ts): jobs running at the same time hand in their ids;
// each gets its own outcome or error, whatever batch it went in, and nobody hears "done" early.
import { describe, expect, it } from 'vitest';
import { createBatcher, grouped, type BatchOutcome } from '../../src/queue/group-commit.js';

/** A run that records its batches and waits until released, so tests control the timing. */
function recorder(outcome: (id: number) => BatchOutcome<string> = (id) => ({ ok: true, outcome: `done ${id}` })) {
  const batches: number[][] = [];
  const releases: (() => void)[] = [];
  let running = 0;
  let mostAtOnce = 0;
  const run = async (ids: number[]) => {
    batches.push(ids);
    running++;
    mostAtOnce = Math.max(mostAtOnce, running);
    await new Promise<void>((resolve) => releases.push(resolve));
    running--;
    return ids.map(outcome);
  };
  const releaseAll = async () => {
    while (releases.length > 0) {
      releases.shift()!();
      await new Promise((r) => setImmediate(r));
    }
  };
  return { run, batches, releaseAll, mostAtOnce: () => mostAtOnce, pending: () => releases.length };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('the intake batcher', () => {
  it('ids handed in during the same turn go together; those arriving while it runs make the next batch', async () => {
    const r = recorder();
    const batcher = createBatcher(r.run, { maxBatch: 10 });
    const first = [1, 2, 3].map((id) => batcher.submit(id));
    await tick();
    expect(r.batches).toEqual([[1, 2, 3]]);
    const second = [4, 5].map((id) => batcher.submit(id));
    await tick();
    expect(r.batches).toHaveLength(1);
    await r.releaseAll();
    await tick();
    await r.releaseAll();
    expect(await Promise.all([...first, ...second])).toEqual(['done 1', 'done 2', 'done 3', 'done 4', 'done 5']);
    expect(r.batches).toEqual([[1, 2, 3], [4, 5]]);
  });

  it('never more than maxBatch ids at once, nor more than maxInFlight batches', async () => {
    const r = recorder();
    const batcher = createBatcher(r.run, { maxBatch: 2, maxInFlight: 2 });
    const all = [1, 2, 3, 4, 5].map((id) => batcher.submit(id));
    await tick();
    expect(r.batches).toEqual([[1, 2], [3, 4]]);
    expect(r.pending()).toBe(2);
    for (let i = 0; i < 5 && r.pending() > 0; i++) await r.releaseAll();
    expect(await Promise.all(all)).toHaveLength(5);
    expect(r.batches).toEqual([[1, 2], [3, 4], [5]]);
    expect(r.mostAtOnce()).toBe(2);
  });

  it('each id gets its own outcome: one message failing fails its own job only', async () => {
    const r = recorder((id) => (id === 2 ? { ok: false, error: new Error('message 2 broke') } : { ok: true, outcome: `done ${id}` }));
    const batcher = createBatcher(r.run, { maxBatch: 10 });
    const results = [1, 2, 3].map((id) => batcher.submit(id).then((v) => v, (e: Error) => `failed: ${e.message}`));
    await tick();
    await r.releaseAll();
    expect(await Promise.all(results)).toEqual(['done 1', 'failed: message 2 broke', 'done 3']);
  });

  it('a batch that throws as a whole fails all its jobs, and the next batch still runs', async () => {
    let calls = 0;
    const batcher = createBatcher(async (ids: number[]) => {
      calls++;
      if (calls === 1) throw new Error('database away');
      return ids.map((id) => ({ ok: true as const, outcome: id }));
    }, { maxBatch: 10 });
    const first = [1, 2].map((id) => batcher.submit(id).then(String, (e: Error) => e.message));
    expect(await Promise.all(first)).toEqual(['database away', 'database away']);
    expect(await batcher.submit(3)).toBe(3);
  });

  it('the same id twice goes in two batches (the second then finds the message done)', async () => {
    const r = recorder();
    const batcher = createBatcher(r.run, { maxBatch: 10 });
    const both = [batcher.submit(7), batcher.submit(7), batcher.submit(8)];
    await tick();
    expect(r.batches).toEqual([[7, 8]]);
    for (let i = 0; i < 5 && r.pending() > 0; i++) await r.releaseAll();
    await Promise.all(both);
    expect(r.batches).toEqual([[7, 8], [7]]);
  });
});

describe('grouped', () => {
  it('runs the calls of one turn as one group, each caller getting its own result', async () => {
    const groups: number[][] = [];
    const double = grouped(async (keys: number[]) => {
      groups.push(keys);
      return keys.map((k) => k * 2);
    });
    expect(await Promise.all([1, 2, 3].map(double))).toEqual([2, 4, 6]);
    expect(groups).toEqual([[1, 2, 3]]);
  });

  it('gathers the calls made while a group runs into the next one, and none resolves early', async () => {
    const groups: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const run = grouped(async (keys: number[]) => {
      groups.push(keys);
      if (groups.length === 1) await gate;
      return keys;
    });
    const settled: number[] = [];
    const first = run(1).then((v) => settled.push(v));
    await new Promise((r) => setImmediate(r));
    const later = [run(2), run(3)].map((p) => p.then((v) => settled.push(v)));
    await new Promise((r) => setTimeout(r, 20));
    expect(groups).toEqual([[1]]);
    expect(settled).toEqual([]);
    release();
    await Promise.all([first, ...later]);
    expect(groups).toEqual([[1], [2, 3]]);
    expect(settled).toEqual([1, 2, 3]);
  });

  it('rejects every call of a failed group, and the next group still runs', async () => {
    let fail = true;
    const run = grouped(async (keys: number[]) => {
      if (fail) throw new Error('connection lost');
      return keys;
    });
    const results = await Promise.allSettled([run(1), run(2)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect(await run(3)).toBe(3);
  });

  it('caps a group at maxBatch', async () => {
    const sizes: number[] = [];
    const run = grouped(async (keys: number[]) => {
      sizes.push(keys.length);
      return keys;
    }, 4);
    await Promise.all(Array.from({ length: 10 }, (_, k) => run(k)));
    expect(sizes).toEqual([4, 4, 2]);
  });
});
