// Queueing with a deadline (src/queue/deadline.ts): a job for a committed row is queued at once
// when Redis answers, and otherwise left to the sweep without holding up the caller.
import { describe, expect, it } from 'vitest';
import { doneWithin } from '../../src/queue/deadline.js';

describe('doneWithin', () => {
  it('says true when the work is done in time', async () => {
    expect(await doneWithin(Promise.resolve('job'), 100)).toBe(true);
  });

  it('says false at the deadline when the work hangs, without waiting for it', async () => {
    const started = Date.now();
    expect(await doneWithin(new Promise(() => {}), 50)).toBe(false);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('says false when the work fails, and a late failure is not an unhandled rejection', async () => {
    expect(await doneWithin(Promise.reject(new Error('Redis is away')), 100)).toBe(false);
    const late = new Promise((_, reject) => setTimeout(() => reject(new Error('too late')), 30));
    expect(await doneWithin(late, 5)).toBe(false);
    await new Promise((r) => setTimeout(r, 60));
  });
});
