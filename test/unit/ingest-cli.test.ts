import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { run } from '../../src/cli/parse.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/emails/${name}`, import.meta.url));

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    err.push(String(chunk));
    return true;
  });
  return { out: () => out.join(''), err: () => err.join('') };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('maillage parse', () => {
  it('prints exactly one JSON object per the contract', async () => {
    const io = capture();
    expect(await run([fixture('01-gmail-habitat-die.eml'), '--json'])).toBe(0);
    const json = JSON.parse(io.out());
    expect(json).toMatchObject({
      kind: 'registration',
      profile: { email: 'claire.fontaine26@gmail.com', name: 'Claire Fontaine', postcode: '26150', commune: 'Die', communeCode: '26113', departement: '26', role: 'porteur' },
    });
    expect(json.profile.categories).toContain('habitat-partage');
    expect(typeof json.profile.lat).toBe('number');
    expect(json.reason).toBeTypeOf('string');
    expect(Object.keys(json.profile).sort()).toEqual(['categories', 'commune', 'communeCode', 'departement', 'description', 'email', 'lat', 'lon', 'name', 'postcode', 'role'].sort());
  }, 60_000);

  it('adds bounce and command when they apply, and maps a loop to "other"', async () => {
    let io = capture();
    await run([fixture('20-dsn-permanent-postfix.eml'), '--json']);
    expect(JSON.parse(io.out())).toMatchObject({ kind: 'bounce', bounce: { recipient: 'jp.morel@laposte.net', permanent: true } });
    vi.restoreAllMocks();
    io = capture();
    await run([fixture('24-command-stop-iphone.eml'), '--json']);
    expect(JSON.parse(io.out())).toMatchObject({ kind: 'command', command: 'stop' });
    vi.restoreAllMocks();
    io = capture();
    await run([fixture('42-loop-own-bulletin.eml'), '--json']);
    const loop = JSON.parse(io.out());
    expect(loop.kind).toBe('other');
    expect(loop.reason).toMatch(/^loop:/);
  }, 60_000);

  it('prints a short summary without --json', async () => {
    const io = capture();
    expect(await run([fixture('06-free-zimbra-architecte-poitiers.eml')])).toBe(0);
    expect(io.out()).toMatch(/kind: +registration/);
    expect(io.out()).toMatch(/place: +Poitiers/);
  }, 60_000);

  it('says one clear line and exits 2 for a missing file or a bad call', async () => {
    let io = capture();
    expect(await run(['/nonexistent/message.eml', '--json'])).toBe(2);
    expect(io.err()).toBe('maillage parse: cannot read /nonexistent/message.eml: no such file\n');
    expect(io.out()).toBe('');
    vi.restoreAllMocks();
    io = capture();
    expect(await run([])).toBe(2);
    expect(io.err().split('\n').filter(Boolean)).toHaveLength(1);
    vi.restoreAllMocks();
    io = capture();
    expect(await run([fileURLToPath(new URL('../fixtures/emails/', import.meta.url))])).toBe(2);
    expect(io.err()).toContain('is a directory');
  });
});
