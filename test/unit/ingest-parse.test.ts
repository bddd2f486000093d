import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseMessage, htmlToPlain, MAX_ADDRESSES } from '../../src/ingest/parse.js';

const DIR = fileURLToPath(new URL('../fixtures/emails/', import.meta.url));
const crlf = (s: string) => Buffer.from(s.replace(/\r?\n/g, '\r\n'), 'utf8');

describe('parseMessage: the ordinary case', () => {
  it('reads addresses, ids, date, subject and a lowercased header map', async () => {
    const m = await parseMessage(
      crlf(`From: "MARTIN Marie" <Marie.Martin@Exemple.FR>
To: Lettre <inscription+r-AbC@Racines.Example>, autre@exemple.fr
Cc: copie@exemple.fr
Delivered-To: inscription+r-AbC@racines.example
Subject: =?UTF-8?Q?Re=C2=A0:_La_Lettre?=
Date: Thu, 12 Sep 2024 12:00:00 +0200
Message-ID: <abc@exemple.fr>
In-Reply-To: <lettre-47@racines.example>
References: <lettre-46@racines.example> <lettre-47@racines.example>
Authentication-Results: mx1.racines.example; spf=pass smtp.mailfrom=exemple.fr
Authentication-Results: other.example; dkim=none
Content-Type: text/plain; charset=utf-8

Bonjour !
`),
    );
    expect(m.from).toEqual({ address: 'marie.martin@exemple.fr', name: 'MARTIN Marie' });
    expect(m.to).toEqual(['inscription+r-AbC@racines.example', 'autre@exemple.fr']);
    expect(m.cc).toEqual(['copie@exemple.fr']);
    expect(m.deliveredTo).toEqual(['inscription+r-AbC@racines.example']);
    expect(m.subject).toBe('Re : La Lettre');
    expect(m.messageId).toBe('<abc@exemple.fr>');
    expect(m.inReplyTo).toBe('<lettre-47@racines.example>');
    expect(m.references).toEqual(['<lettre-46@racines.example>', '<lettre-47@racines.example>']);
    expect(m.date).toBe('2024-09-12T10:00:00.000Z');
    expect(m.headers['authentication-results']!.split('\n')).toHaveLength(2);
    expect(m.text.trim()).toBe('Bonjour !');
    expect(m.textSource).toBe('text');
    expect(m.problems).toEqual([]);
  });

  it('summarises attachments without keeping their content', async () => {
    const pdf = Buffer.alloc(300_000, 7).toString('base64').replace(/.{76}/g, '$&\r\n');
    const m = await parseMessage(
      crlf(`From: a@exemple.fr
Date: Thu, 12 Sep 2024 12:00:00 +0200
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="X"

--X
Content-Type: text/plain; charset=utf-8

Voici notre dossier.
--X
Content-Type: application/pdf; name="projet.pdf"
Content-Disposition: attachment; filename="projet.pdf"
Content-Transfer-Encoding: base64

${pdf}
--X--
`),
    );
    expect(m.attachments).toEqual([{ filename: 'projet.pdf', contentType: 'application/pdf', size: 300_000, disposition: 'attachment' }]);
    expect(JSON.stringify(m).length).toBeLessThan(5_000);
  });

  it('flags a multipart/report and keeps the returned headers', async () => {
    const m = await parseMessage(readFileSync(join(DIR, '20-dsn-permanent-postfix.eml')));
    expect(m.isMultipartReport).toBe(true);
    expect(m.reportType).toBe('delivery-status');
    expect(m.returnedHeaders).toContain('X-Maillage-Id: m-47-8812');
    expect(m.text).toContain('Status: 5.1.1');
  });
});

describe('parseMessage: never throws on garbage', () => {
  it('survives an empty buffer, no headers, random bytes and NULs', async () => {
    for (const raw of [Buffer.alloc(0), Buffer.from('juste du texte\nsans en-têtes'), Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)), Buffer.from('From: a@b.fr\0\r\n\r\n\0\0')]) {
      const m = await parseMessage(raw);
      expect(Array.isArray(m.problems)).toBe(true);
      expect(typeof m.text).toBe('string');
    }
  });

  it('reports a missing From and a missing Date', async () => {
    const m = await parseMessage(crlf('To: inscription@racines.example\nSubject: x\n\nBonjour'));
    expect(m.from).toBeNull();
    expect(m.date).toBeNull();
    expect(m.problems).toEqual(expect.arrayContaining(['no From header', 'no Date header']));
  });

  it('caps 10,000 recipients', async () => {
    const to = Array.from({ length: 10_000 }, (_, i) => `Personne ${i} <p${i}@exemple.fr>`).join(',\r\n ');
    const m = await parseMessage(Buffer.from(`From: a@exemple.fr\r\nTo: ${to}\r\nSubject: x\r\n\r\nBonjour`));
    expect(m.to).toHaveLength(MAX_ADDRESSES);
    expect(m.problems.join(' ')).toContain('10000 addresses');
    expect(m.text.trim()).toBe('Bonjour');
  });

  it('falls back to reading headers by hand when one is too big for mailparser', async () => {
    const m = await parseMessage(Buffer.from(`From: Marie <marie@exemple.fr>\r\nTo: inscription@racines.example\r\nX-Huge: ${'x'.repeat(3_000_000)}\r\nSubject: Bonjour\r\n\r\nNous montons un projet.`));
    expect(m.from?.address).toBe('marie@exemple.fr');
    expect(m.subject).toBe('Bonjour');
    expect(m.text).toContain('Nous montons un projet.');
    expect(m.problems.join(' ')).toMatch(/mailparser failed|cut to/);
  });

  it('decodes an unknown charset as windows-1252 instead of U+FFFD', async () => {
    const m = await parseMessage(Buffer.from('From: a@exemple.fr\r\nContent-Type: text/plain; charset=x-inconnu\r\nContent-Transfer-Encoding: 8bit\r\n\r\nNous cr\xe9ons un caf\xe9 associatif.', 'latin1'));
    expect(m.text).toContain('créons un café');
    expect(m.problems.join(' ')).toContain('unknown charset x-inconnu');
  });

  it('decodes Latin-1 bytes labelled UTF-8', async () => {
    const m = await parseMessage(Buffer.from('From: a@exemple.fr\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nL\'\xe9t\xe9 prochain.', 'latin1'));
    expect(m.text).toContain("L'été prochain.");
  });

  it('reads a raw Latin-1 name in From: without garbling a UTF-8 body', async () => {
    // Old clients write the name in 8-bit Latin-1 straight into the header; the body is proper
    // quoted-printable UTF-8 ("créons" is =C3=A9). Each must be read in its own charset.
    const raw = Buffer.concat([
      Buffer.from('From: H\xe9l\xe8ne Dupr\xe9 <helene@exemple.fr>\r\nSubject: Re: la lettre\r\n', 'latin1'),
      Buffer.from('Content-Type: text/plain; charset="UTF-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nNous cr=C3=A9ons un caf=C3=A9 associatif =C3=A0 Die.\r\n', 'latin1'),
    ]);
    const m = await parseMessage(raw);
    expect(m.from?.name).toBe('Hélène Dupré');
    expect(m.text).toContain('Nous créons un café associatif à Die.');
    expect(m.text).not.toContain('Ã');
  });

  it('reads the text of a multipart whose boundary does not match', async () => {
    const m = await parseMessage(readFileSync(join(DIR, '32-broken-boundary.eml')));
    expect(m.text).toContain('habitat participatif');
    expect(m.problems.join(' ')).toContain('boundary');
  });

  it('never throws on random bytes or on damaged fixtures (property)', async () => {
    const fixtures = readdirSync(DIR).filter((f) => f.endsWith('.eml')).map((f) => readFileSync(join(DIR, f)));
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2000 }), async (bytes) => {
        const m = await parseMessage(Buffer.from(bytes));
        return typeof m.text === 'string' && Array.isArray(m.problems);
      }),
      { numRuns: 150 },
    );
    await fc.assert(
      fc.asyncProperty(fc.nat(fixtures.length - 1), fc.nat(), fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 50 }), async (which, a, b, junk) => {
        const raw = fixtures[which]!;
        const cut = a % raw.length;
        const damaged = Buffer.concat([raw.subarray(0, cut), Buffer.from(junk), raw.subarray(Math.min(raw.length, cut + (b % 200)))]);
        const m = await parseMessage(damaged);
        return typeof m.text === 'string';
      }),
      { numRuns: 150 },
    );
  });
});

describe('htmlToPlain', () => {
  it('keeps paragraphs and marks blockquotes', () => {
    expect(htmlToPlain('<div>Bonjour&nbsp;!</div><blockquote><p>Texte cité</p></blockquote><p>A &amp; B</p>')).toBe('Bonjour !\n\n> Texte cité\n\nA & B');
  });
});
