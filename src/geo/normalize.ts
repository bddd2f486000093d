/**
 * Folding rules shared by the gazetteer index and the text scanner. Both sides must go through
 * the same function, otherwise "Saint-Étienne" indexed and "St Etienne" typed would never meet.
 */

export interface Token {
  /** Folded form: lowercase, no diacritics, abbreviations expanded. */
  norm: string;
  /** Offsets into the original string, so mentions can point back at what the person wrote. */
  start: number;
  end: number;
}

// \p{M} is part of a word so that text arriving in NFD (macOS mail clients) keeps its accents
// attached to their letters instead of splitting "Drôme" into "Dro" + "me".
const WORD = /[\p{L}\p{M}\p{N}]+/gu;

// Abbreviations people type for words that official names always spell out.
const TOKEN_ALIASES = new Map<string, string>([
  ['st', 'saint'],
  ['ste', 'sainte'],
  ['sts', 'saints'],
  ['stes', 'saintes'],
  // "lez" is the archaic spelling of "lès" still seen on road signs (Villeneuve-lez-Avignon).
  ['lez', 'les'],
]);
const PLAIN = /^[a-z0-9]*$/;

export function foldWord(word: string): string {
  let w = word;
  // Most tokens are already plain ASCII; NFD + regex on every one of them doubled load time.
  if (!PLAIN.test(w)) {
    w = w.toLowerCase();
    if (!PLAIN.test(w)) {
      w = w.normalize('NFD').replace(/\p{M}/gu, '');
      // Ligatures do not decompose under NFD.
      if (/[œæß]/.test(w)) w = w.replace(/œ/g, 'oe').replace(/æ/g, 'ae').replace(/ß/g, 'ss');
    }
  }
  return TOKEN_ALIASES.get(w) ?? w;
}

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  WORD.lastIndex = 0;
  for (let m = WORD.exec(text); m !== null; m = WORD.exec(text)) {
    let norm = foldWord(m[0]);
    const end = m.index + m[0].length;
    // "Boulogne s/ Mer": the slash abbreviation of "sur".
    if (norm === 's' && text[end] === '/') norm = 'sur';
    tokens.push({ norm, start: m.index, end });
  }
  return tokens;
}

/** Folded key of a whole name: "Saint-Jean-de-Luz" → "saint jean de luz". */
export function normalizeName(name: string): string {
  return tokenize(name)
    .map((t) => t.norm)
    .join(' ');
}

const ARTICLES = new Set(['le', 'la', 'les', 'l']);

/** "Le Havre" → "havre", so "au Havre" / "du Havre" can be found; null when there is no article. */
export function withoutArticle(key: string): string | null {
  const space = key.indexOf(' ');
  if (space < 0) return null;
  return ARTICLES.has(key.slice(0, space)) ? key.slice(space + 1) : null;
}

export function isArticle(norm: string): boolean {
  return ARTICLES.has(norm);
}
