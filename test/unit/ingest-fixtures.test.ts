// One test per real-looking email in test/fixtures/emails, checked against expected.json.
// The fixtures are written the way each client writes (Gmail, Outlook, iPhone, Thunderbird,
// Orange, Free, Yahoo, ProtonMail, SFR, La Poste…), so a failure here is a reply we misread.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseMessage } from '../../src/ingest/parse.js';
import { understandMessage } from '../../src/ingest/understand.js';
import { senderTrust } from '../../src/ingest/trust.js';
import { loadGazetteer } from '../../src/geo/index.js';
import type { PlaceFinder } from '../../src/ingest/extract.js';

const DIR = fileURLToPath(new URL('../fixtures/emails/', import.meta.url));

interface Expected {
  kind: string;
  email?: string | null;
  name?: string | null;
  commune?: string | null;
  postcode?: string | null;
  departement?: string | null;
  role?: string | null;
  /** Each of these must be found; one more category than listed is tolerated. */
  categories?: string[];
  descriptionContains?: string[];
  descriptionExcludes?: string[];
  signatureContains?: string[];
  forwarded?: boolean;
  textSource?: string;
  command?: string;
  bounce?: { recipient: string | null; permanent: boolean; status?: string | null; tag?: string };
  replyTag?: string;
  answer?: string | null;
  trust?: string;
  problems?: string[];
  problemsMatch?: string[];
}

const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as Record<string, Expected>;
const files = readdirSync(DIR).filter((f) => f.endsWith('.eml')).sort();

const ctx = {
  ourAddresses: ['lettre@reseau-racines.org', 'inscription@reseau-racines.org'],
  ourMessageIdDomain: 'reseau-racines.org',
};

let gazetteer: PlaceFinder;
beforeAll(() => {
  gazetteer = loadGazetteer();
});

describe('email fixtures', () => {
  it('has at least 40 fixtures, each with an expectation', () => {
    expect(files.length).toBeGreaterThanOrEqual(40);
    expect(files.filter((f) => !expected[f])).toEqual([]);
    expect(Object.keys(expected).filter((f) => !files.includes(f))).toEqual([]);
  });

  for (const file of files) {
    it(file, async () => {
      const exp = expected[file]!;
      const msg = await parseMessage(readFileSync(join(DIR, file)));
      const { classification: c, trimmed, profile: p } = understandMessage(msg, ctx, gazetteer);

      expect(c.kind, c.reason).toBe(exp.kind);
      expect(c.reason.length).toBeGreaterThan(0);
      if (exp.command) expect(c.command).toBe(exp.command);
      if (exp.bounce) expect(c.bounce).toMatchObject(exp.bounce);
      if (exp.replyTag) expect(c.replyTag).toBe(exp.replyTag);
      if (exp.answer !== undefined) expect(c.answer).toBe(exp.answer);

      if ('email' in exp) expect(p.email).toBe(exp.email);
      if ('name' in exp) expect(p.name).toBe(exp.name);
      if ('commune' in exp) expect(p.commune).toBe(exp.commune);
      if ('postcode' in exp) expect(p.postcode).toBe(exp.postcode);
      if ('departement' in exp) expect(p.departement).toBe(exp.departement);
      if ('role' in exp) expect(p.role).toBe(exp.role);
      if (exp.categories) {
        for (const cat of exp.categories) expect(p.categories).toContain(cat);
        expect(p.categories.length).toBeLessThanOrEqual(exp.categories.length + 1);
      }
      if (p.commune) {
        expect(p.lat).toBeTypeOf('number');
        expect(p.lon).toBeTypeOf('number');
        expect(p.communeCode).toMatch(/^(\d{5}|2[AB]\d{3})$/);
      }
      for (const phrase of exp.descriptionContains ?? []) expect(p.description).toContain(phrase);
      for (const phrase of exp.descriptionExcludes ?? []) expect(p.description).not.toContain(phrase);
      for (const phrase of exp.signatureContains ?? []) expect(trimmed.signature ?? '').toContain(phrase);
      if (exp.forwarded !== undefined) expect(trimmed.forwarded).toBe(exp.forwarded);
      if (exp.textSource) expect(msg.textSource).toBe(exp.textSource);
      for (const problem of exp.problems ?? []) expect(msg.problems).toContain(problem);
      for (const fragment of exp.problemsMatch ?? []) expect(msg.problems.join('\n')).toContain(fragment);
      if (exp.trust) expect(senderTrust(msg.headers, msg.from?.address, ['mx1.reseau-racines.org']).verdict).toBe(exp.trust);

      // Whatever the kind, the description never carries the quoted bulletin.
      expect(p.description).not.toContain('Répondez simplement à ce message');
    });
  }
});
