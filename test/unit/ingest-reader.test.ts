// The intake's reading thread (src/ingest/reader.ts) must read every message exactly as the
// worker's own thread does, in order, and lose nothing when the thread goes away: a message it
// held is then read on the main thread, never reported as unreadable.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { readAllHere } from '../../src/ingest/read.js';
import { createReader, type Reader } from '../../src/ingest/reader.js';

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
