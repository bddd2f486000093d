import { describe, expect, it } from 'vitest';
import { trimReply } from '../../src/ingest/trim.js';

const OWN = 'Nous montons un habitat partagé près de Die (26) et nous cherchons trois foyers.';
const BULLETIN = 'Vous portez un projet collectif ? Répondez simplement à ce message.\nPour ne plus recevoir cette lettre : répondez STOP.';

describe('trimReply: quote headers', () => {
  it('cuts at a one-line Gmail attribution', () => {
    const r = trimReply(`${OWN}\n\nLe jeu. 12 sept. 2024 à 10:15, Lettre <lettre@asso.org> a écrit :\n\n> ${BULLETIN}`);
    expect(r.body).toBe(OWN);
    expect(r.quoted).toContain('Répondez simplement');
  });

  it('cuts at a Gmail attribution wrapped over two lines', () => {
    const r = trimReply(`${OWN}\n\nLe jeu. 12 sept. 2024 à 10:15, La Lettre des Racines <lettre@asso.org>\na écrit :\n\n${BULLETIN}`);
    expect(r.body).toBe(OWN);
  });

  it('cuts at a Gmail attribution wrapped over three lines, quoted name and address split', () => {
    const text = `${OWN}\n\nLe mer. 11 sept. 2024 à 18:02, "La Lettre des Racines" <\nlettre@reseau-racines.org>\na écrit :\n\n${BULLETIN}`;
    const r = trimReply(text);
    expect(r.body).toBe(OWN);
    expect(r.markers).toContain('attribution-wrapped-3');
  });

  it('cuts at Apple Mail, Thunderbird, Yahoo and English attributions', () => {
    for (const header of [
      'Le 12 sept. 2024 à 10:15, La Lettre des Racines <lettre@asso.org> a écrit :',
      'Le 12/09/2024 à 10:15, La Lettre des Racines a écrit :',
      '   Le jeudi 12 septembre 2024 à 10:15:23 UTC+2, La Lettre <lettre@asso.org> a écrit :  ',
      'On Thu, Sep 12, 2024 at 10:15 AM La Lettre <lettre@asso.org> wrote:',
      '- Le 2021-04-09 23:25, Toby a écrit :',
      'Marie Dupont <marie@exemple.fr> a écrit :',
    ]) {
      expect(trimReply(`${OWN}\n\n${header}\n${BULLETIN}`).body, header).toBe(OWN);
    }
  });

  it('does not take a sentence ending in "a écrit :" for a quote header', () => {
    const text = `Le journal local a écrit :\n« un beau projet ». ${OWN}`;
    expect(trimReply(text).body).toBe(text);
  });

  it('cuts at the Outlook block in French and in English', () => {
    const fr = `${OWN}\n\n________________________________\nDe : La Lettre <lettre@asso.org>\nEnvoyé : jeudi 12 septembre 2024 10:15\nÀ : marie@exemple.fr\nObjet : La Lettre n°47\n\n${BULLETIN}`;
    const en = `${OWN}\n\nFrom: La Lettre <lettre@asso.org>\nSent: Thursday, September 12, 2024 10:15 AM\nTo: marie@exemple.fr\nSubject: La Lettre n°47\n\n${BULLETIN}`;
    const bold = `${OWN}\n\n*De :* La Lettre <lettre@asso.org>\n*Envoyé :* jeudi 12 septembre 2024 10:15\n*À :* marie@exemple.fr\n*Objet :* La Lettre\n\n${BULLETIN}`;
    for (const text of [fr, en, bold]) {
      const r = trimReply(text);
      expect(r.body).toBe(OWN);
      expect(r.quoted).toContain('Répondez simplement');
    }
  });

  it('cuts at the webmail separators', () => {
    for (const sep of ['----- Mail original -----', "-------- Message d'origine --------", '-----Original Message-----', '------- Original Message -------']) {
      const r = trimReply(`${OWN}\n\n${sep}\nDe: "La Lettre" <lettre@asso.org>\n\n${BULLETIN}`);
      expect(r.body, sep).toBe(OWN);
      expect(r.forwarded).toBe(false);
    }
  });

  it('recognises a forwarded bulletin and keeps the text above it', () => {
    for (const sep of ['-------- Message transféré --------', '---------- Forwarded message ---------', 'Début du message réexpédié :']) {
      const r = trimReply(`${OWN}\n\n${sep}\nSujet : La Lettre\nDe : La Lettre <lettre@asso.org>\n\n${BULLETIN}`);
      expect(r.body, sep).toBe(OWN);
      expect(r.forwarded, sep).toBe(true);
    }
  });

  it('gives an empty body for a forward without a word of their own', () => {
    const r = trimReply(`-------- Message transféré --------\nSujet : La Lettre\n\n${BULLETIN}`);
    expect(r.body).toBe('');
    expect(r.forwarded).toBe(true);
  });

  it('cuts at the Orange "Message du" header, quoted or not', () => {
    for (const head of ['> Message du 12/09/24 10:15\n> De : "La Lettre" <lettre@asso.org>', 'Message du 12/09/24 10:15\nDe : "La Lettre" <lettre@asso.org>']) {
      expect(trimReply(`${OWN}\n\n${head}\n> ${BULLETIN}`).body).toBe(OWN);
    }
  });

  it('removes ">" lines even without a header', () => {
    const r = trimReply(`${OWN}\n\n> ${BULLETIN.replace(/\n/g, '\n> ')}`);
    expect(r.body).toBe(OWN);
    expect(r.quoted).toContain('STOP');
  });

  it('keeps the answer of a bottom-posted reply', () => {
    const text = `Le jeu. 12 sept. 2024 à 10:15, La Lettre <lettre@asso.org> a écrit :\n\n> Vous portez un projet ?\n> Répondez simplement.\n\n${OWN}\n\n> Pour ne plus recevoir cette lettre : répondez STOP.`;
    const r = trimReply(text);
    expect(r.body).toBe(OWN);
    expect(r.markers).toContain('bottom-post');
    expect(r.quoted).toContain('STOP');
  });

  it('leaves a message without any quote as it is', () => {
    const text = `Bonjour,\n\n${OWN}\nNous avons un terrain de 2 ha.`;
    const r = trimReply(text);
    expect(r.body).toBe(text);
    expect(r.quoted).toBeNull();
    expect(r.signature).toBeNull();
  });

  it('handles CRLF, non-breaking spaces and zero-width characters', () => {
    const r = trimReply(`${OWN}\r\n\r\nLe\u00a0jeu. 12 sept. 2024 à\u00a010:15, \u200bLa Lettre <lettre@asso.org> a écrit\u00a0:\r\n> ${BULLETIN}`);
    expect(r.body).toBe(OWN);
  });
});

describe('trimReply: signatures', () => {
  it('removes mobile footers', () => {
    for (const footer of [
      'Envoyé de mon iPhone',
      'Envoyé depuis mon mobile',
      'Envoyé de mon appareil Galaxy',
      'Obtenir Outlook pour iOS<https://aka.ms/o0ukef>',
      'Obtenir Outlook pour Android',
      'Télécharger Outlook pour Android',
      'Envoyé à partir de Outlook pour iOS',
      'Envoyé depuis Yahoo Mail pour Android',
      'Sent from my iPhone',
    ]) {
      const r = trimReply(`${OWN}\n\n${footer}`);
      expect(r.body, footer).toBe(OWN);
      expect(r.signature, footer).toContain(footer.slice(0, 12));
    }
  });

  it('removes the "-- " signature', () => {
    const r = trimReply(`${OWN}\n\n-- \nJean-Marc Rivière\nFerme des Quatre Vents\n07 68 12 45 09`);
    expect(r.body).toBe(OWN);
    expect(r.signature).toContain('Ferme des Quatre Vents');
  });

  it('removes a sign-off with its name, phone and address block', () => {
    for (const signoff of ['Cordialement,', 'Bien à vous,', 'Belle journée', 'Bien cordialement', 'Au plaisir,', 'Merci !', 'Bonne journée,', 'À bientôt', 'Amicalement,']) {
      const r = trimReply(`Bonjour,\n\n${OWN}\n\n${signoff}\nMarie Dupont\nAssociation Les Jardins\n12 rue des Lilas, 26150 Die\n06 12 34 56 78`);
      expect(r.body, signoff).toBe(`Bonjour,\n\n${OWN}`);
      expect(r.signature, signoff).toContain('06 12 34 56 78');
    }
  });

  it('keeps prose that follows a polite phrase', () => {
    const text = `Bonjour,\n\nMerci !\nNous montons une ferme collective dans le Diois, avec un atelier de transformation, des chambres pour les saisonniers et un grand potager partagé.\nNous cherchons deux associés maraîchers prêts à s'installer au printemps prochain avec nous.`;
    expect(trimReply(text).body).toBe(text);
  });

  it('keeps short lines of a terse message after a polite word', () => {
    const text = 'Bonjour\nMerci\nNous sommes trois\nOn cherche deux foyers\nà Die';
    expect(trimReply(text).body).toContain('On cherche deux foyers');
  });

  it('does not take "Ce message est pour…" for a legal footer', () => {
    const text = `Ce message est pour vous dire que ${OWN.toLowerCase()}`;
    expect(trimReply(text).body).toBe(text);
  });

  it('removes a trailing contact block without a sign-off', () => {
    const r = trimReply(`${OWN}\n\nJuliette Caron\n12 rue de la Charité\n69002 Lyon\n06 45 87 12 33`);
    expect(r.body).toBe(OWN);
    expect(r.signature).toContain('69002 Lyon');
  });

  it('moves a lone first name under the text to the signature', () => {
    expect(trimReply(`${OWN}\nAurore`).body).toBe(OWN);
    expect(trimReply(`${OWN}\n\nMarie D.`).signature).toBe('Marie D.');
  });

  it('puts "Bien à vous, Marie" on one line in the signature', () => {
    const r = trimReply(`${OWN}\n\nBelle journée, Marie`);
    expect(r.body).toBe(OWN);
    expect(r.signature).toBe('Belle journée, Marie');
  });
});

describe('trimReply: cost', () => {
  it('stays fast on a very long reply (email-reply-parser alone takes minutes on such input)', () => {
    const quote = Array.from({ length: 8000 }, (_, i) => `> ligne ${i} du bulletin cité, avec un peu de texte autour`).join('\n');
    const noQuote = Array.from({ length: 8000 }, (_, i) => `Ligne ${i} d'un très long message sans citation`).join('\n');
    const started = performance.now();
    expect(trimReply(`${OWN}\n\nLe 12/09/2024 à 10:15, X <x@y.fr> a écrit :\n${quote}`).body).toBe(OWN);
    expect(trimReply(noQuote).body.length).toBeGreaterThan(100_000);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe('trimReply: email-reply-parser fallback', () => {
  it('uses email-reply-parser for headers we do not know (Polish)', () => {
    const r = trimReply(`${OWN}\nDrugi wiersz.\nTrzeci wiersz.\n\nW dniu 12.09.2024 o 10:15, Lettre <lettre@asso.org> pisze:\n> ${BULLETIN}`);
    expect(r.body).toContain(OWN);
    expect(r.body).not.toContain('Répondez');
  });
});
