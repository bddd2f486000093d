// Replies to a proposal, as people really write them, read as yes / no / unsure.
import { describe, expect, it } from 'vitest';
import { normaliseAnswer, understandAnswer } from '../../src/introductions/understand-answer.js';

const YES = [
  'oui',
  'Oui',
  'OUI',
  'Oui !',
  'oui merci',
  'Oui, merci beaucoup !',
  'ok',
  'OK !',
  'Okay',
  "d'accord",
  'D’accord',
  "C'est d'accord",
  'avec plaisir',
  'Avec grand plaisir !',
  'Volontiers',
  'Très volontiers :)',
  'Bonjour,\n\nOui avec plaisir, merci !',
  'Bonjour Paul,\nOui, je suis partante.',
  'Merci pour la proposition ! Oui, je suis partante.',
  'Je veux bien',
  'Je suis intéressée',
  'Je suis intéressé·e',
  'Ça m’intéresse !',
  "J'accepte",
  'Pourquoi pas',
  'Oui, pas de souci. Je suis disponible le soir.',
  'oui\n\nMarie',
  'Yes !',
  'Ça marche',
];

const NO = [
  'non',
  'Non',
  'NON !',
  'non merci',
  'Non merci.',
  'Non, pas pour l’instant',
  "non, pas pour l'instant",
  'pas intéressé',
  'Pas intéressée',
  'pas intéressé·e',
  'Pas interessé(e)',
  'pas pour le moment',
  'Pas pour le moment, merci',
  'Merci, mais pas pour le moment.',
  'Je ne suis pas intéressé',
  'je ne suis pas intéressée, désolée',
  'Nous ne sommes plus intéressés',
  'Ça ne m’intéresse pas',
  'Je préfère ne pas donner suite',
  'Je décline, merci',
  'Non merci, mais bravo pour l’initiative, avec plaisir une autre fois !',
  'Bonjour,\nnon merci, je suis déjà engagé ailleurs.',
  'Pas maintenant',
  'Ce n’est pas le bon moment pour moi',
  'Je ne suis pas disponible en ce moment.',
];

const UNSURE = [
  '',
  '   ',
  'Bonjour,',
  'Qui est-ce ?',
  'Peut-être, je ne sais pas encore',
  'Oui et non',
  'Oui mais pas pour le moment',
  'Je vais réfléchir et je reviens vers vous',
  'Pouvez-vous m’en dire plus sur ce projet ?',
  'Merci !',
  'Nous avons longuement discuté entre nous de ce projet qui nous semble intéressant mais finalement nous sommes d’accord pour attendre',
  'J’hésite',
];

describe('reading a reply to a proposal', () => {
  it.each(YES)('%j is a yes', (text) => {
    expect(understandAnswer(text)).toBe('accept');
  });
  it.each(NO)('%j is a no', (text) => {
    expect(understandAnswer(text)).toBe('decline');
  });
  it.each(UNSURE)('%j is for a person to read', (text) => {
    expect(understandAnswer(text)).toBeNull();
  });
  it('folds accents, apostrophes and inclusive endings', () => {
    expect(normaliseAnswer('Intéressé·e D’ACCORD')).toBe("interesse d'accord");
    expect(normaliseAnswer('partant(e)s')).toBe('partant');
  });
  it('never throws on odd input', () => {
    for (const text of ['\u0000', '🌱🌱', 'x'.repeat(100_000), '\n\n\n', 'oui'.repeat(1000)]) {
      expect(() => understandAnswer(text)).not.toThrow();
    }
  });
});
