// The intake's reading thread (src/ingest/reader.ts) must read every message exactly as the
// worker's own thread does, in order, and lose nothing when the thread goes away: a message it
// held is then read on the main thread, never reported as unreadable. A thread that dies is
// replaced by a later batch after a delay, until threads keep dying: then all is read here.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { readAllHere } from '../../src/ingest/read.js';
import { createReader, MAX_SHORT_LIVES, type Reader } from '../../src/ingest/reader.js';

const DIR = fileURLToPath(new URL('../fixtures/emails/', import.meta.url));
const config = loadConfig({
  MAIL_FROM: 'La Lettre des Racines <lettre@reseau-racines.org>',
  REPLY_TO: 'inscription@reseau-racines.org',
  TRUSTED_AUTHSERV_IDS: 'mx1.reseau-racines.org',
});
const messages = readdirSync(DIR)
  .filter((f) => f.endsWith('.eml'))
  .sort()
  .map((f) => ({ raw: readFileSync(join(DIR, f)), channel: 'imap' as const }));

let reader: Reader | null = null;
const setting = process.env.MAILLAGE_READ_THREAD;
afterEach(async () => {
  await reader?.close();
  reader = null;
  if (setting === undefined) delete process.env.MAILLAGE_READ_THREAD;
  else process.env.MAILLAGE_READ_THREAD = setting;
});

describe('the intake reading thread', () => {
  let inline: Awaited<ReturnType<typeof readAllHere>>;
  beforeAll(async () => {
    inline = await readAllHere(messages, config);
  });

  it('reads every fixture exactly as the main thread does, in order', async () => {
    expect(messages.length).toBeGreaterThanOrEqual(40);
    process.env.MAILLAGE_READ_THREAD = '1';
    reader = createReader(config);
    const threaded = await reader.readAll(messages);
    expect(threaded).toEqual(inline);
    // Two batches at once (the worker keeps two in flight) still get their own messages back.
    const [first, second] = await Promise.all([reader.readAll(messages.slice(0, 20)), reader.readAll(messages.slice(20))]);
    expect([...first, ...second]).toEqual(inline);
  }, 60_000);

  it('reads what the thread held on the main thread when the thread stops', async () => {
    process.env.MAILLAGE_READ_THREAD = '1';
    reader = createReader(config);
    const pending = reader.readAll(messages);
    await reader.close();
    expect(await pending).toEqual(inline);
    // And every later message too.
    expect(await reader.readAll(messages.slice(0, 3))).toEqual(inline.slice(0, 3));
  }, 60_000);

  it('stays on the main thread for a small batch unless told otherwise', async () => {
    process.env.MAILLAGE_READ_THREAD = '0';
    reader = createReader(config);
    expect(await reader.readAll(messages)).toEqual(inline);
  });
});

/** A real logger whose lines (warn and up) land in `lines`. */
function capturedLog() {
  const lines: { level: number; msg: string; reason?: string }[] = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const count = (level: number, start: string) => lines.filter((l) => l.level === level && l.msg.startsWith(start)).length;
  return { log, lines, count };
}

describe('the intake reading thread that dies', () => {
  let inline: Awaited<ReturnType<typeof readAllHere>>;
  beforeAll(async () => {
    inline = await readAllHere(messages, config);
  });

  it('is started again by a later batch once the restart delay has passed, losing nothing meanwhile', async () => {
    process.env.MAILLAGE_READ_THREAD = '1';
    const { log, lines, count } = capturedLog();
    reader = createReader(config, log, { restartDelayMs: 1_000 });
    const pending = reader.readAll(messages);
    await reader.crashForTest();
    // What the thread held is read here: every message, once, as it would have been.
    expect(await pending).toEqual(inline);
    // Within the delay, batches are read here, not on a new thread.
    const before = reader.readOnThread;
    expect(await reader.readAll(messages.slice(0, 10))).toEqual(inline.slice(0, 10));
    expect(reader.readOnThread).toBe(before);
    await sleep(1_100);
    // After it, the next batch is read on a new thread.
    expect(await reader.readAll(messages)).toEqual(inline);
    expect(reader.readOnThread).toBe(before + messages.length);
    expect(count(40, 'inbound reading thread died')).toBe(1);
    expect(count(40, 'inbound reading thread restarted')).toBe(1);
    expect(lines.find((l) => l.msg.startsWith('inbound reading thread restarted'))!.reason).toMatch(/^exit code \d+$/);
    expect(count(50, '')).toBe(0);
  }, 60_000);

  it('gives up after threads keep dying shortly after starting, and still reads every message', async () => {
    process.env.MAILLAGE_READ_THREAD = '1';
    const { log, lines, count } = capturedLog();
    reader = createReader(config, log, { restartDelayMs: 0 });
    const batch = messages.slice(0, 8);
    for (let death = 1; death <= MAX_SHORT_LIVES; death++) {
      // Each batch is read on a thread (a new one after each death), then that thread dies.
      const before = reader.readOnThread;
      expect(await reader.readAll(batch)).toEqual(inline.slice(0, 8));
      expect(reader.readOnThread).toBe(before + batch.length);
      await reader.crashForTest();
    }
    expect(count(40, 'inbound reading thread died')).toBe(MAX_SHORT_LIVES);
    expect(count(40, 'inbound reading thread restarted')).toBe(MAX_SHORT_LIVES - 1);
    // Given up: everything is read here from now on, correctly, and said once.
    const after = reader.readOnThread;
    expect(await reader.readAll(messages)).toEqual(inline);
    expect(await reader.readAll(messages)).toEqual(inline);
    expect(reader.readOnThread).toBe(after);
    expect(count(40, 'inbound reading thread restarted')).toBe(MAX_SHORT_LIVES - 1);
    expect(lines.filter((l) => l.level === 50)).toHaveLength(1);
    // Ids and counts only: no line carries a message's content.
    expect(JSON.stringify(lines)).not.toMatch(/@|Subject|From:/i);
  }, 120_000);
});
