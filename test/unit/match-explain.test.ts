import { describe, expect, it } from 'vitest';
import { explainPair, joinWithDe, sharedWordsAsWritten, withDe } from '../../src/match/explain.js';
import { analyse, contentTokens } from '../../src/match/text.js';

const stem = (word: string) => analyse(word).terms[0]!;

describe('match/explain', () => {
  it('elides "de" the French way', () => {
    expect(withDe('paille')).toBe('de paille');
    expect(withDe('éco-lieu')).toBe("d'éco-lieu");
    expect(withDe('habitat partagé')).toBe("d'habitat partagé");
    expect(withDe('haies')).toBe('de haies');
    expect(withDe('AMAP')).toBe("d'AMAP");
    expect(withDe('yourtes')).toBe('de yourtes');
    expect(joinWithDe(['chantier participatif', 'paille'])).toBe("de chantier participatif et de paille");
    expect(joinWithDe(['vélo', 'AMAP', 'compost'])).toBe("de vélo, d'AMAP et de compost");
  });

  it('quotes shared words as written and joins neighbours into a phrase', () => {
    const a = contentTokens('Nous organisons des chantiers participatifs en paille et un verger.');
    const b = contentTokens('Je cherche un chantier participatif, la paille me passionne.');
    const words = sharedWordsAsWritten([stem('paille'), stem('chantier'), stem('participatif')], a, b);
    expect(words).toEqual(['paille', 'chantiers participatifs']);
  });

  it('writes the sentence of the brief', () => {
    const { sentence, sharedWords } = explainPair({
      roleA: 'porteur',
      roleB: 'porteur',
      sharedCategories: ['habitat-partage'],
      sharedStems: [stem('chantier'), stem('participatif'), stem('paille')],
      descriptionA: 'Habitat partagé en construction, chantier participatif en paille.',
      descriptionB: 'Nous voulons bâtir en paille, par chantier participatif.',
      distanceKm: 14.2,
    });
    expect(sentence).toBe(
      "Vous portez tous les deux un projet d'habitat partagé ; vous parlez de chantier participatif et de paille ; vous êtes à 14 km l'un·e de l'autre.",
    );
    expect(sharedWords).toEqual(['chantier participatif', 'paille']);
  });

  it('names the complementary roles and the "anywhere" case', () => {
    const joiner = explainPair({
      roleA: 'rejoindre',
      roleB: 'porteur',
      sharedCategories: ['ferme'],
      sharedStems: [stem('maraîchage')],
      descriptionA: 'Je rêve de maraîchage.',
      descriptionB: 'Ferme en maraîchage bio.',
      distanceKm: 0.4,
    }).sentence;
    expect(joiner).toBe(
      "L'un·e de vous porte un projet agricole et l'autre souhaite rejoindre un projet de ce type ; vous parlez de maraîchage ; vous êtes à moins d'un kilomètre l'un·e de l'autre.",
    );
    const starters = explainPair({
      roleA: 'rejoindre',
      roleB: 'rejoindre',
      sharedCategories: [],
      sharedStems: [],
      distanceKm: 8,
      nearEnoughToStart: true,
    }).sentence;
    expect(starters).toContain('pourquoi pas en lancer un ensemble');
    const anywhere = explainPair({ roleA: null, roleB: null, sharedCategories: [], sharedStems: [], distanceKm: Number.NaN }).sentence;
    expect(anywhere).toBe('Vos descriptions se ressemblent ; la distance ne compte pas pour vous deux.');
  });

  it('never shows stems, even without descriptions', () => {
    const { sentence, sharedWords } = explainPair({
      roleA: 'porteur',
      roleB: 'rejoindre',
      sharedCategories: [],
      sharedStems: ['maraichag', 'paill'],
      distanceKm: 3,
    });
    expect(sharedWords).toEqual([]);
    expect(sentence).not.toMatch(/maraichag|paill\b/);
  });
});
