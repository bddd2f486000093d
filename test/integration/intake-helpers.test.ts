// The small pure pieces of the intake's I/O half: no database needed, but they decide what is
// kept of a message and what is said back, so each rule has its case here.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { radiusFromText, replySubject, withoutTrailingName } from '../../src/ingest/apply.js';
import { readMbox } from '../../src/ingest/sources/files.js';
import { removeOwnAuthResults } from '../../src/ingest/sources/smtp.js';
import { dedupeKeyFor, truncateMessage } from '../../src/ingest/store.js';

const dir = mkdtempSync(path.join(tmpdir(), 'maillage-intake-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('what is kept of a message', () => {
  it('truncation keeps the headers and the first part, and closes the multipart', () => {
    const raw = Buffer.from([
      'From: a@b.fr', 'Subject: photos', 'Content-Type: multipart/mixed; boundary="XX"', '',
      '--XX', 'Content-Type: text/plain', '', 'Notre projet à Die.', '',
      '--XX', 'Content-Type: image/jpeg', 'Content-Transfer-Encoding: base64', '', 'QUJD'.repeat(500_000),
      '--XX--', '',
    ].join('\r\n'));
    const cut = truncateMessage(raw, 100_000).toString('utf8');
    expect(cut).toContain('Subject: photos');
    expect(cut).toContain('Notre projet à Die.');
    expect(cut).not.toContain('image/jpeg');
    expect(cut.trimEnd().endsWith('--XX--')).toBe(true);
    expect(cut.length).toBeLessThan(500);
  });

  it('dedupes on Message-ID, else on the bytes', () => {
    expect(dedupeKeyFor('<a@b>', 'f'.repeat(64))).toBe('mid:<a@b>');
    expect(dedupeKeyFor(null, 'f'.repeat(64))).toBe(`sha256:${'f'.repeat(64)}`);
    expect(dedupeKeyFor(`<${'x'.repeat(600)}@b>`, 'f')).toMatch(/^mid-sha256:[0-9a-f]{64}$/);
  });

  it('removes only the Authentication-Results that claim our own authserv-id', () => {
    const raw = Buffer.from('Authentication-Results: mx.nous.fr; dkim=pass\r\n  header.d=x.fr\r\nAuthentication-Results: mx.autre.fr; spf=pass\r\nFrom: a@x.fr\r\n\r\nCorps\r\n');
    const out = removeOwnAuthResults(raw, 'MX.nous.fr').toString();
    expect(out).toBe('Authentication-Results: mx.autre.fr; spf=pass\r\nFrom: a@x.fr\r\n\r\nCorps\r\n');
  });

  it('splits an mbox at its postmarks and undoes ">From " quoting', async () => {
    const file = path.join(dir, 'a.mbox');
    writeFileSync(file, 'From a@x Thu Sep 12 10:00:00 2024\nSubject: un\n\n>From the start\n>>From deeper\n\nFrom b@x Thu Sep 12 11:00:00 2024\nSubject: deux\n\nFin\n');
    const out: string[] = [];
    for await (const m of readMbox(file)) out.push(m.raw.toString());
    expect(out).toEqual(['Subject: un\n\nFrom the start\n>From deeper\n', 'Subject: deux\n\nFin']);
  });
});

describe('what is said back', () => {
  it('answers in the thread with "Re: <their subject>"', () => {
    expect(replySubject('RE: TR: La Lettre n°48')).toBe('Re: La Lettre n°48');
    expect(replySubject('')).toBe('Re: votre message à maillage');
  });

  it('a first name signed at the end of the last sentence is a signature, not the description', () => {
    expect(withoutTrailingName('Avec 4 amis on monte un habitat partagé près de Die (26), on cherche encore 2-3 foyers. Marie', ['Marie'])).toBe(
      'Avec 4 amis on monte un habitat partagé près de Die (26), on cherche encore 2-3 foyers.',
    );
    expect(withoutTrailingName('Nous cherchons des bras pour la ferme de Marie', ['Marie'])).toBe('Nous cherchons des bras pour la ferme de Marie');
    expect(withoutTrailingName('Un jardin partagé à Nantes, on cherche du monde !\nClaire Fontaine', ['Claire Fontaine'])).toBe('Un jardin partagé à Nantes, on cherche du monde !');
  });

  it('reads how far someone would go', () => {
    expect(radiusFromText('Je peux me déplacer dans un rayon de 30 km autour de Rennes.')).toBe(30);
    expect(radiusFromText('Je suis mobile, partout en France.')).toBeNull();
    expect(radiusFromText('Notre ferme est à 12 km de Figeac.')).toBeUndefined();
  });
});
