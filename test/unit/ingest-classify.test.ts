import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../src/ingest/parse.js';
import { classifyMessage, type Classification } from '../../src/ingest/classify.js';

const ctx = { ourAddresses: ['lettre@racines.example', 'inscription@racines.example'], ourMessageIdDomain: 'racines.example' };

const PROJECT = 'Bonjour,\n\nNous montons un habitat partagé près de Die (26) et nous cherchons trois foyers pour compléter le groupe.\n\nClaire';

/** A raw message with sensible defaults; `headers` replace or add lines. */
function raw(opts: { headers?: Record<string, string>; body?: string; contentType?: string } = {}): Buffer {
  const headers: Record<string, string> = {
    From: 'Claire Fontaine <claire@exemple.fr>',
    To: 'inscription@racines.example',
    Subject: 'Re: La Lettre des Racines',
    Date: 'Thu, 12 Sep 2024 12:00:00 +0200',
    'Message-ID': '<abc@exemple.fr>',
    'MIME-Version': '1.0',
    'Content-Type': opts.contentType ?? 'text/plain; charset=utf-8',
    'Content-Transfer-Encoding': '8bit',
    ...opts.headers,
  };
  const head = Object.entries(headers)
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n');
  return Buffer.from(`${head}\r\n\r\n${(opts.body ?? PROJECT).replace(/\n/g, '\r\n')}`, 'utf8');
}

async function classify(opts: Parameters<typeof raw>[0]): Promise<Classification> {
  return classifyMessage(await parseMessage(raw(opts)), ctx);
}

describe('classifyMessage: loops', () => {
  it('recognises our own From, our X-Maillage-Id and our Message-ID domain', async () => {
    expect((await classify({ headers: { From: 'La Lettre <Lettre@Racines.example>' } })).kind).toBe('loop');
    expect((await classify({ headers: { From: 'Maillage <inscription+r-x1@racines.example>' } })).kind).toBe('loop');
    expect((await classify({ headers: { 'X-Maillage-Id': 'intro-42' } })).kind).toBe('loop');
    expect((await classify({ headers: { 'Message-ID': '<lettre-47.123@racines.example>' } })).kind).toBe('loop');
  });
});

describe('classifyMessage: bounces', () => {
  const dsn = (status: string, action: string) =>
    raw({
      headers: { From: 'MAILER-DAEMON@mx.example.org (Mail Delivery System)', Subject: 'Undelivered Mail Returned to Sender' },
      contentType: 'multipart/report; report-type=delivery-status; boundary="B"',
      body: `--B\nContent-Type: text/plain\n\nDelivery failed.\n\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\nFinal-Recipient: rfc822; jean@exemple.fr\nAction: ${action}\nStatus: ${status}\n\n--B--\n`,
    });

  it('takes a bounce stamped with our own Message-ID domain for a bounce, not a loop', async () => {
    const m = await parseMessage(dsn('5.1.1', 'failed'));
    const c = classifyMessage({ ...m, messageId: '<20240912.ABC@racines.example>' }, ctx);
    expect(c.kind).toBe('bounce');
  });

  it('reads a permanent DSN (5.x.x) with its Final-Recipient', async () => {
    const c = classifyMessage(await parseMessage(dsn('5.1.1', 'failed')), ctx);
    expect(c.kind).toBe('bounce');
    expect(c.bounce).toEqual({ recipient: 'jean@exemple.fr', permanent: true, status: '5.1.1' });
  });

  it('reads a temporary DSN (4.x.x, delayed)', async () => {
    const c = classifyMessage(await parseMessage(dsn('4.2.2', 'delayed')), ctx);
    expect(c.kind).toBe('bounce');
    expect(c.bounce).toMatchObject({ permanent: false, status: '4.2.2' });
  });

  it('takes a successful delivery report for an automatic message, not a bounce', async () => {
    expect(classifyMessage(await parseMessage(dsn('2.0.0', 'delivered')), ctx).kind).toBe('auto_reply');
  });

  it('reads a VERP bounce address and keeps its tag', async () => {
    const c = await classify({
      headers: { From: 'postmaster@orange.fr', To: 'bounce+o-8f3k2@racines.example', Subject: 'Non remis' },
      body: "Votre message n'a pas pu être remis.\n<anne@free.fr>: 550 5.1.1 adresse inconnue",
    });
    expect(c.kind).toBe('bounce');
    expect(c.bounce).toMatchObject({ recipient: 'anne@free.fr', permanent: true, status: '5.1.1', tag: 'o-8f3k2' });
  });

  it('reads a classic MAILER-DAEMON body, and a temporary one', async () => {
    const perm = await classify({
      headers: { From: 'Mail Delivery System <MAILER-DAEMON@relay.example>', Subject: 'Mail delivery failed: returning message to sender' },
      body: 'A message that you sent could not be delivered.\n\n  paul@exemple.fr\n    550 5.1.1 User unknown',
    });
    expect(perm).toMatchObject({ kind: 'bounce', bounce: { recipient: 'paul@exemple.fr', permanent: true } });
    const temp = await classify({
      headers: { From: 'MAILER-DAEMON@relay.example', Subject: 'Warning: message delayed' },
      body: 'Your message has not been delivered yet. The server will retry for 5 days.\n\n  paul@exemple.fr',
    });
    expect(temp).toMatchObject({ kind: 'bounce', bounce: { permanent: false } });
  });

  it('does not take a person writing to postmaster about a project for a bounce', async () => {
    expect((await classify({ headers: { To: 'postmaster@racines.example' } })).kind).toBe('registration');
  });
});

describe('classifyMessage: auto-replies', () => {
  it('follows RFC 3834 Auto-Submitted, except "no"', async () => {
    expect((await classify({ headers: { 'Auto-Submitted': 'auto-replied' } })).kind).toBe('auto_reply');
    expect((await classify({ headers: { 'Auto-Submitted': 'auto-generated' } })).kind).toBe('auto_reply');
    expect((await classify({ headers: { 'Auto-Submitted': 'no' } })).kind).toBe('registration');
  });

  it('follows X-Autoreply, X-Autorespond and Precedence', async () => {
    expect((await classify({ headers: { 'X-Autoreply': 'yes' } })).kind).toBe('auto_reply');
    expect((await classify({ headers: { 'X-Autorespond': 'vacation' } })).kind).toBe('auto_reply');
    for (const p of ['bulk', 'junk', 'list', 'auto_reply']) expect((await classify({ headers: { Precedence: p } })).kind, p).toBe('auto_reply');
  });

  it('does not take X-Auto-Response-Suppress alone for an auto-reply (Outlook sets it on every mail)', async () => {
    expect((await classify({ headers: { 'X-Auto-Response-Suppress': 'All' } })).kind).toBe('registration');
  });

  it('recognises French and English out-of-office subjects', async () => {
    for (const subject of [
      'Réponse automatique : La Lettre des Racines',
      'Absence',
      'Absent du bureau',
      'Congés d\'été',
      'Out of office: La Lettre',
      'Automatic reply: La Lettre',
      'Autoreply',
      'Je suis absente',
      'RE: [Absence] La Lettre',
    ]) {
      expect((await classify({ headers: { Subject: subject }, body: 'Je serai de retour le 2 septembre.' })).kind, subject).toBe('auto_reply');
    }
  });

  it('recognises a plain out-of-office body with no project in it', async () => {
    expect((await classify({ body: "Bonjour,\nJe suis en congés jusqu'au 26 août, sans accès à mes mails.\nPour toute urgence : 04 75 00 00 00." })).kind).toBe('auto_reply');
  });

  it('keeps a real project even when it says the person is away', async () => {
    const body = "Bonjour,\nJe suis absente cet été mais je voulais vous répondre : nous montons une ferme collective en maraîchage bio à Saillans (26), avec deux associés déjà installés, et nous cherchons un troisième associé pour l'élevage de chèvres. Le terrain est acheté, les bâtiments sont en cours de rénovation et nous pouvons loger une famille.";
    expect((await classify({ body })).kind).toBe('registration');
  });
});

describe('classifyMessage: commands', () => {
  const cases: [string, string][] = [
    ['STOP', 'stop'],
    ['stop', 'stop'],
    ['Stop merci', 'stop'],
    ['Bonjour, merci de me désinscrire. Cordialement, Anne', 'stop'],
    ['Je souhaite me désabonner', 'stop'],
    ['Je ne veux plus recevoir vos mails', 'stop'],
    ['PAUSE', 'pause'],
    ['Pouvez-vous mettre mon inscription en pause ?', 'pause'],
    ['SUPPRIMER', 'erase'],
    ['Merci de supprimer mes données', 'erase'],
    ['Effacer mes données svp', 'erase'],
    ['Désinscription et suppression de mes données', 'erase'],
  ];
  for (const [body, command] of cases) {
    it(`"${body}" → ${command}`, async () => {
      const c = await classify({ body });
      expect(c.kind).toBe('command');
      expect(c.command).toBe(command);
    });
  }

  it('reads a command in the subject of an empty message', async () => {
    expect(await classify({ headers: { Subject: 'Désinscription' }, body: '' })).toMatchObject({ kind: 'command', command: 'stop' });
  });

  it('does not take a long description that mentions "stop" for a command', async () => {
    const body = "Stop au béton ! Nous avons dit stop à un lotissement et nous créons à la place un jardin partagé à Saint-Affrique, nous cherchons des voisins motivés pour le faire vivre.";
    expect((await classify({ body })).kind).toBe('registration');
  });

  it('ignores the quoted bulletin\'s own "répondez STOP"', async () => {
    const body = `${PROJECT}\n\nLe jeu. 12 sept. 2024 à 10:15, La Lettre <lettre@racines.example> a écrit :\n> Pour ne plus recevoir cette lettre : répondez STOP.`;
    expect((await classify({ body })).kind).toBe('registration');
  });
});

describe('classifyMessage: replies to an introduction', () => {
  it('reads the plus-tag of To or Delivered-To, case preserved', async () => {
    const viaTo = await classify({ headers: { To: 'Maillage <inscription+r-AbC123@racines.example>' }, body: 'Oui, avec plaisir !' });
    expect(viaTo).toMatchObject({ kind: 'intro_reply', replyTag: 'r-AbC123', answer: 'accept' });
    const viaDelivered = await classify({ headers: { 'Delivered-To': 'inscription+r-Zx9@racines.example' }, body: 'Non merci.' });
    expect(viaDelivered).toMatchObject({ kind: 'intro_reply', replyTag: 'r-Zx9', answer: 'decline' });
  });

  it('leaves the answer null when it is not a clear yes or no', async () => {
    const c = await classify({ headers: { To: 'inscription+r-AbC123@racines.example' }, body: 'Pouvez-vous m\'en dire plus sur ce projet ?' });
    expect(c).toMatchObject({ kind: 'intro_reply', answer: null });
  });

  it('ignores other plus-tags', async () => {
    expect((await classify({ headers: { To: 'inscription+lettre47@racines.example' } })).kind).toBe('registration');
  });

  it('honours a custom prefix', async () => {
    const msg = await parseMessage(raw({ headers: { To: 'inscription+intro-9@racines.example' }, body: 'oui' }));
    expect(classifyMessage(msg, { ...ctx, replyTagPrefix: 'intro-' })).toMatchObject({ kind: 'intro_reply', replyTag: 'intro-9' });
  });
});

describe('classifyMessage: registration or other', () => {
  it('takes project descriptions and wishes to join for registrations', async () => {
    for (const body of [
      PROJECT,
      "Je souhaite rejoindre un éco-lieu en Bretagne, j'ai du temps et de l'énergie.",
      'Je suis architecte, je propose mes compétences aux collectifs en éco-construction dans la Drôme.',
    ]) {
      expect((await classify({ body })).kind, body).toBe('registration');
    }
  });

  it('keeps questions and thanks for the operator', async () => {
    expect((await classify({ body: 'Bonjour, est-ce gratuit ? Qui verra mon adresse ?' })).kind).toBe('other');
    expect((await classify({ body: 'Merci pour cette belle lettre !' })).kind).toBe('other');
    expect((await classify({ body: '' })).kind).toBe('other');
  });

  it('always explains itself', async () => {
    const c = await classify({});
    expect(c.reason).toMatch(/project/);
  });
});
