// French text analysis for matching: tokens → stopwords out → Porter stems → accents folded.
//
// `analyse` runs once per profile at intake and its result is stored, so a weekly round never
// re-tokenises 100k descriptions. Explanations re-tokenise only the two descriptions of a selected
// pair (`contentTokens`, `surfaceForms`), to show people their own words rather than stems.
import { NATURAL_FRENCH_STOPWORDS, stemFrench, tokenizeFrench } from './natural-fr.js';

/** How many terms a stored analysis keeps: enough for a long description's themes, small in a row. */
export const MAX_STORED_TERMS = 64;

/**
 * Longer inputs are cut here. A 20,000-character description is analysed whole; beyond 50,000
 * characters the rest is almost always pasted material (a newsletter, a quoted thread), and
 * the cut keeps intake time bounded.
 */
export const MAX_ANALYSED_CHARS = 50_000;

/** Shortest term kept (after folding): "bio", "eco", "velo" pass; "le", "bd", "3d" do not. */
const MIN_TERM_LENGTH = 3;

/**
 * Words nearly every registration uses, beyond natural's grammatical list. They say nothing about
 * what a project is, so they would only make everyone look alike. Written folded (no accents),
 * with the inflections people actually write, because stems of verbs are irregular.
 */
const REGISTRATION_STOPWORDS = `
bonjour bonsoir salut hello coucou madame monsieur mesdames messieurs
merci mercis remercie remercions remerciant remerciements cordialement cordiales cordial amicalement
amities salutations sinceres sincerement bisous bise bises belle bonne bon bonnes bons journee soiree
projet projets cherche cherches cherchons cherchez cherchent chercher cherchant recherche recherches
recherchons recherchez rechercher recherchant personne personnes gens quelqu quelqu'un
souhaite souhaites souhaitons souhaitez souhaitent souhaiter souhaiterais souhaiterions
aimerais aimerait aimerions aimeraient voudrais voudrait voudrions voudraient veux veut voulons
envie idee idees possible possibles interesse interessee interesses interessees interessant
contact contacts contacter contactez contactes mail mails email emails courriel courriels message
messages reponse repondre bulletin newsletter lettre inscription inscrire inscris inscrit inscrite
aussi tres plus moins tout tous toute toutes rien fait faits faire fais faisons font etre avoir
peut peux pouvons pouvez peuvent pourrait pourrais pourrions pouvoir vouloir devoir doit dois devons
aller allons va vont venir viens vient faut falloir beaucoup peu trop assez ans annee annees mois
semaine semaines jour jours depuis encore deja ainsi donc alors car comme chez vers entre dont
cela ceci celui celle celles ceux quelque quelques chaque autre autres meme memes ici voici voila
oui non etc afin aujourd hui dire dit dis ci bas km kilometre kilometres environ notamment
actuellement egalement vraiment toujours souvent ensemble votre vos nos notre cet cette ces
avons sommes suis etes ont sont serait seraient sera seront etait etaient ete avais avait
mon ma mes ton ta tes son sa ses leur leurs lors tant puis ensuite enfin bref chose choses
pres aupres cote sein loin hors via chacun chacune plusieurs certains certaines divers diverses
avance disponible disponibles disponibilite weekend
`;

/** Folds accents and ligatures, and lowers case: "Éco-Lieu Œuvre" → "eco-lieu oeuvre". */
export function foldAccents(text: string): string {
  return text
    .toLowerCase()
    .replace(/œ/g, 'oe')
    .replace(/æ/g, 'ae')
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '');
}

const STOP_FOLDED: ReadonlySet<string> = new Set(
  [...NATURAL_FRENCH_STOPWORDS, ...REGISTRATION_STOPWORDS.split(/\s+/)]
    .filter((word) => word.length > 0)
    .map(foldAccents),
);

/** True when the (lower-case or folded) word is a stopword. */
export function isStopword(word: string): boolean {
  return STOP_FOLDED.has(foldAccents(word));
}

/**
 * Stemming is the slow part of analysis (~20 µs a call in natural), and vocabularies repeat a lot,
 * so stems are memoised. The cache is dropped wholesale when it grows large rather than kept as
 * an LRU: a cheap bound on memory that keeps the common words warm after the next few profiles.
 */
const STEM_CACHE_LIMIT = 200_000;
const stemCache = new Map<string, string>();

/** Stem of one lower-case word (accents kept for the stemmer), folded afterwards. */
export function stemWord(lowerWord: string): string {
  const cached = stemCache.get(lowerWord);
  if (cached !== undefined) return cached;
  let stem = foldAccents(stemFrench(lowerWord));
  // Snowball keeps the final -s after a vowel ("vélos", "lavabos"), so "vélo" and "vélos" would
  // never meet; dropping it after "o" costs nothing in this domain.
  if (stem.length > 4 && stem.endsWith('os')) stem = stem.slice(0, -1);
  if (stemCache.size >= STEM_CACHE_LIMIT) stemCache.clear();
  stemCache.set(lowerWord, stem);
  return stem;
}

/** One meaningful token of a description: its stem (the term) and how the person wrote it. */
export interface ContentToken {
  /** Folded stem, the unit of matching. */
  stem: string;
  /** The person's word as written (lower case unless it is an acronym like "AMAP"). */
  surface: string;
  /** Index in the raw token stream: two content tokens are adjacent when positions differ by 1. */
  position: number;
}

// Written so that a failed match costs one step per character: a naive \S+@\S+ backtracks over
// every word of a 20,000-character text.
const URL_OR_EMAIL = /\b(?:https?:\/\/|www\.)\S+|[^\s@]+@[^\s@]+\.[^\s@]+/giu;

/**
 * The meaningful words of a text, in order. Hyphenated compounds become one term once their
 * stopword parts are dropped ("éco-lieu" → "ecolieu", "tiers-lieu" → "tierslieu"), so writers
 * of "écolieu" and "éco-lieu" meet. With `onlyStems`, only tokens with those stems are returned
 * (positions are unchanged), which is all an explanation needs.
 */
export function contentTokens(
  description: string | null | undefined,
  onlyStems?: ReadonlySet<string>,
): ContentToken[] {
  if (typeof description !== 'string' || description.length === 0) return [];
  // NFC first: mail from macOS often arrives decomposed (e + U+0301), which the tokenizer's
  // character class would split in two.
  let text = description.slice(0, MAX_ANALYSED_CHARS).normalize('NFC');
  if (text.includes('@') || text.includes('http') || text.includes('www.')) text = text.replace(URL_OR_EMAIL, ' ');
  const raw = tokenizeFrench(text);
  const result: ContentToken[] = [];
  for (let position = 0; position < raw.length; position++) {
    const token = raw[position]!;
    let info = tokenCache.get(token);
    if (info === undefined) {
      info = analyseToken(token);
      if (tokenCache.size >= STEM_CACHE_LIMIT) tokenCache.clear();
      tokenCache.set(token, info);
    }
    if (info !== null && (onlyStems === undefined || onlyStems.has(info.stem))) {
      result.push({ stem: info.stem, surface: info.surface, position });
    }
  }
  return result;
}

/**
 * Raw tokens repeat across descriptions even more than words do, so the whole per-token work
 * (stopwords, compounds, stem, surface form) is memoised; it is what makes re-tokenising the
 * descriptions of 50,000 selected pairs affordable.
 */
const tokenCache = new Map<string, { stem: string; surface: string } | null>();

function analyseToken(token: string): { stem: string; surface: string } | null {
  const parts = token.split('-');
  const kept: string[] = [];
  for (const part of parts) {
    if (part.length === 0) continue;
    const lower = part.toLowerCase();
    if (!STOP_FOLDED.has(foldAccents(lower))) kept.push(lower);
  }
  if (kept.length === 0) return null;
  const word = kept.join('');
  const folded = foldAccents(word);
  if (folded.length < MIN_TERM_LENGTH || /^\d+$/.test(folded)) return null;
  const stem = stemWord(word);
  if (stem.length < MIN_TERM_LENGTH - 1 || STOP_FOLDED.has(stem)) return null;
  const cleaned = token.replace(/^-+|-+$/g, '');
  const isAcronym = cleaned.length >= 2 && cleaned === cleaned.toUpperCase() && /[A-ZÀ-Ý]/.test(cleaned);
  return { stem, surface: isAcronym ? cleaned : cleaned.toLowerCase() };
}

/** What intake stores per profile: its terms (folded stems) and how often each occurs. */
export interface TextAnalysis {
  terms: string[];
  counts: number[];
}

export interface AnalyseOptions {
  /** Terms kept (default MAX_STORED_TERMS). */
  maxTerms?: number;
  /**
   * Words not to count, typically the commune and département intake found ("Die", "Drôme"):
   * where someone lives is matched by distance, and counting it as a shared word too would
   * introduce neighbours for saying the name of their town.
   */
  ignoreWords?: readonly string[];
}

/** Stems of the given words, compounds and their parts ("Saint-Étienne" → both forms). */
function stemsToIgnore(words: readonly string[] | undefined): Set<string> {
  const stems = new Set<string>();
  if (!words) return stems;
  for (const word of words) {
    if (typeof word !== 'string') continue;
    for (const token of contentTokens(word)) stems.add(token.stem);
    for (const token of contentTokens(word.replace(/-/g, ' '))) stems.add(token.stem);
  }
  return stems;
}

/**
 * Analyses a description into its strongest terms by frequency (at most `maxTerms`). Ties keep
 * the term seen first, which tends to be the project's subject. Never throws; an empty, missing
 * or stopword-only description gives empty arrays.
 */
export function analyse(description: string | null | undefined, options: AnalyseOptions = {}): TextAnalysis {
  const maxTerms = options.maxTerms ?? MAX_STORED_TERMS;
  const ignored = stemsToIgnore(options.ignoreWords);
  const counts = new Map<string, number>();
  for (const token of contentTokens(description)) {
    if (ignored.has(token.stem)) continue;
    counts.set(token.stem, (counts.get(token.stem) ?? 0) + 1);
  }
  // Map keeps insertion order, so a stable sort on count alone keeps first-seen order for ties.
  const entries = [...counts.entries()].sort((x, y) => y[1] - x[1]).slice(0, Math.max(0, maxTerms));
  return { terms: entries.map(([term]) => term), counts: entries.map(([, count]) => count) };
}

/**
 * For each stem, the word this person used most for it (first-seen on ties), so explanations
 * quote people ("maraîchage") and never show stems ("maraichag").
 */
export function surfaceForms(description: string | null | undefined): Map<string, string> {
  const tally = new Map<string, Map<string, number>>();
  for (const token of contentTokens(description)) {
    let words = tally.get(token.stem);
    if (!words) tally.set(token.stem, (words = new Map()));
    words.set(token.surface, (words.get(token.surface) ?? 0) + 1);
  }
  const forms = new Map<string, string>();
  for (const [stem, words] of tally) {
    let best = '';
    let bestCount = 0;
    for (const [word, count] of words) {
      if (count > bestCount) {
        best = word;
        bestCount = count;
      }
    }
    forms.set(stem, best);
  }
  return forms;
}
