// The message builder of the send job, read back by mailparser as a mail client would.
import { simpleParser } from 'mailparser';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildRawMessage, type OutgoingMessage } from '../../src/mail/mime.js';

const BASE: OutgoingMessage = {
  from: 'maillage <bonjour@maillage.test>',
  to: ['marie@example.org', 'paul@example.org'],
  replyTo: 'marie@example.org, paul@example.org',
  subject: 'Vous avez tous les deux accepté : voici vos coordonnées',
  messageId: '<abc-123@maillage.test>',
  inReplyTo: '<their-1@mail.example.org>',
  references: '<x@y.z> <their-1@mail.example.org>',
  headers: {
    'Auto-Submitted': 'auto-generated',
    'List-Unsubscribe': `<https://maillage.example.org/desinscription?t=${'a'.repeat(180)}.sig>, <mailto:bonjour@maillage.test?subject=STOP>`,
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    'X-Maillage-Id': '42',
  },
  text: 'Bonjour Marie, bonjour Paul,\n\n.Une ligne qui commence par un point\nFrom une ligne « From »\nfin avec espaces   \n' + 'très longue ligne '.repeat(20),
  html: '<p>Bonjour <strong>Marie</strong> & Paul — « éco-lieu »</p>' + '<p>x</p>'.repeat(300),
};

describe('building the outgoing message', () => {
  it('reads back exactly: headers, accents, both parts, threading', async () => {
    const raw = buildRawMessage(BASE)!;
    const text = raw.toString('latin1');
    expect(text.split('\r\n').every((line) => line.length <= 998)).toBe(true);
    expect(/[^\r]\n/.test(text)).toBe(false);
    const mail = await simpleParser(raw);
    expect(mail.subject).toBe(BASE.subject);
    expect(mail.messageId).toBe(BASE.messageId);
    expect(mail.inReplyTo).toBe(BASE.inReplyTo);
    expect(mail.from!.value[0]).toEqual({ name: 'maillage', address: 'bonjour@maillage.test' });
    expect((Array.isArray(mail.to) ? mail.to : [mail.to!]).flatMap((t) => t.value.map((v) => v.address))).toEqual(BASE.to);
    expect(mail.replyTo!.value.map((v) => v.address)).toEqual(['marie@example.org', 'paul@example.org']);
    expect(mail.text).toBe(BASE.text);
    expect(mail.html).toBe(BASE.html);
    expect(mail.headers.get('auto-submitted')).toBe('auto-generated');
    const unsubscribe = mail.headerLines.find((h) => h.key === 'list-unsubscribe')!.line.replace(/\r\n[ \t]+/g, ' ');
    expect(unsubscribe).toBe(`List-Unsubscribe: ${BASE.headers['List-Unsubscribe']}`);
  });

  it('encodes display names that need it', async () => {
    const raw = buildRawMessage({ ...BASE, from: 'Réseau maillage <bonjour@maillage.test>', to: ['"Dupont, Marie" <marie@example.org>'] })!;
    const mail = await simpleParser(raw);
    expect(mail.from!.value[0]).toEqual({ name: 'Réseau maillage', address: 'bonjour@maillage.test' });
    expect((Array.isArray(mail.to) ? mail.to[0]! : mail.to!).value[0]).toEqual({ name: 'Dupont, Marie', address: 'marie@example.org' });
  });

  it('declines an address that is not ASCII (the composer handles SMTPUTF8)', () => {
    expect(buildRawMessage({ ...BASE, to: ['josé@exemple.fr'] })).toBeNull();
  });

  it('any text and HTML survive the round trip', async () => {
    await fc.assert(fc.asyncProperty(fc.string({ maxLength: 400 }), fc.string({ maxLength: 80 }), async (body, subject) => {
      const text = body.replace(/\r\n?/g, '\n');
      const raw = buildRawMessage({ ...BASE, text: text || 'x', html: `<p>${body}</p>`, subject: subject.replace(/[\r\n]/g, ' ').trim() || 'x' });
      const mail = await simpleParser(raw!);
      // mailparser drops a final newline and turns CRs into line breaks, as clients do.
      expect(mail.text!.replace(/\n$/, '')).toBe((text || 'x').replace(/\n$/, ''));
    }), { numRuns: 150 });
  });
});
