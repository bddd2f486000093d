import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { analyse, contentTokens, foldAccents, isStopword, MAX_STORED_TERMS, surfaceForms } from '../../src/match/text.js';

describe('match/text: French analysis', () => {
  it('loads natural by path without printing anything (no dotenv banner)', () => {
    const output = execFileSync(
      process.execPath,
      ['--import', 'tsx', '-e', "await import('./src/match/text.ts'); await import('./src/match/round.ts');"],
      { cwd: process.cwd(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    expect(output).toBe('');
  });

  it('folds accents and ligatures', () => {
    expect(foldAccents('Éco-Lieu Œuvre maraîchère à Noël')).toBe('eco-lieu oeuvre maraichere a noel');
  });

  it('drops natural French stopwords and the words every registration uses', () => {
    const { terms } = analyse(
      "Bonjour, nous cherchons des personnes pour notre projet. Merci, cordialement. C'est pour la permaculture.",
    );
    expect(terms).toEqual(['permacultur']);
    for (const word of ['bonjour', 'projet', 'cherche', 'merci', 'cordialement', 'personnes', 'le', 'nous']) {
      expect(isStopword(word)).toBe(true);
    }
    expect(isStopword('paille')).toBe(false);
  });

  it('stems with the French Porter stemmer so inflections meet', () => {
    const a = analyse('chantiers participatifs').terms;
    const b = analyse('chantier participatif').terms;
    expect(a).toEqual(b);
    expect(analyse('vélos').terms).toEqual(analyse('vélo').terms);
  });

  it('matches writers with and without accents', () => {
    expect(analyse('éco-lieu, maraîchage, énergie').terms).toEqual(analyse('eco-lieu, maraichage, energie').terms);
  });

  it('treats "éco-lieu" and "écolieu" alike, and reads decomposed (macOS) accents', () => {
    expect(analyse('éco-lieu').terms).toEqual(analyse('écolieu').terms);
    expect(analyse('e\u0301co-lieu de\u0301cide\u0301').terms).toEqual(analyse('éco-lieu décidé').terms);
  });

  it('ignores links, e-mail addresses, numbers and very short words', () => {
    expect(analyse('https://exemple.fr/page www.site.org marie@exemple.fr 26150 3D bd').terms).toEqual([]);
  });

  it('counts repeated terms and orders by frequency, first seen first on ties', () => {
    const result = analyse('paille paille chanvre bois paille chanvre');
    expect(result.terms).toEqual(['paill', 'chanvr', 'bois']);
    expect(result.counts).toEqual([3, 2, 1]);
  });

  it('caps stored terms, and survives a 20,000-character description', () => {
    const words = Array.from({ length: 3000 }, (_, k) => `mot${String.fromCharCode(97 + (k % 26))}${String.fromCharCode(97 + ((k / 26) % 26))}x`);
    const long = words.join(' ').padEnd(20_000, ' paille');
    expect(long.length).toBeGreaterThanOrEqual(20_000);
    const started = performance.now();
    const result = analyse(long);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(result.terms.length).toBe(MAX_STORED_TERMS);
    expect(result.counts.length).toBe(MAX_STORED_TERMS);
  });

  it('never throws on empty, missing or odd input', () => {
    for (const input of ['', '   ', null, undefined, '!!!', '---', 'Bonjour', '🌱🌍']) {
      expect(analyse(input as string)).toEqual({ terms: [], counts: [] });
    }
  });

  it('keeps the words as people wrote them for explanations', () => {
    const forms = surfaceForms('Notre AMAP cherche des maraîchers. Maraîchage bio, chantiers participatifs.');
    expect(forms.get('amap')).toBe('AMAP');
    expect(forms.get(analyse('maraîchage').terms[0]!)).toBe('maraîchage');
    expect(forms.get(analyse('chantier').terms[0]!)).toBe('chantiers');
  });

  it('records token positions so neighbouring words can form phrases', () => {
    const tokens = contentTokens('un chantier participatif de paille');
    expect(tokens.map((t) => t.surface)).toEqual(['chantier', 'participatif', 'paille']);
    expect(tokens[1]!.position - tokens[0]!.position).toBe(1);
    expect(tokens[2]!.position - tokens[1]!.position).toBe(2);
  });
});

describe('match/text: place names', () => {
  it('can leave out the commune and département found at intake', () => {
    const text = 'Habitat partagé près de Saint-Étienne, dans la Loire, avec un verger.';
    const plain = analyse(text).terms;
    const without = analyse(text, { ignoreWords: ['Saint-Étienne', 'Loire'] }).terms;
    expect(plain.length).toBeGreaterThan(without.length);
    expect(without).toEqual(analyse('Habitat partagé, verger.').terms);
  });
});
