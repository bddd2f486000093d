// Why two people were introduced, in one French sentence they can both read:
// "Vous portez tous les deux un projet d'habitat partagé ; vous parlez de chantier participatif
//  et de paille ; vous êtes à 14 km l'un·e de l'autre."
// Built only for selected pairs. Shared words are shown as the people wrote them (never stems),
// and two shared words that stand side by side in both texts become one phrase.
import { CATEGORIES, type Category, type Role } from '../vocabulary.js';
import { contentTokens, foldAccents, type ContentToken } from './text.js';

/** "un projet …" for each category. */
const PROJECT_OF: Record<Category, string> = {
  'eco-lieu': "d'éco-lieu",
  'habitat-partage': "d'habitat partagé",
  fablab: 'de fablab',
  reparation: "d'atelier de réparation",
  ferme: 'agricole',
  'achat-foncier': "d'achat collectif",
  'eco-construction': "d'éco-construction",
  formation: 'de formation',
  'tiers-lieu': 'de tiers-lieu',
  alimentation: "autour de l'alimentation",
  energie: "d'énergie citoyenne",
  mobilite: 'de mobilité',
  reemploi: 'de réemploi',
  education: "d'éducation",
  culture: 'culturel',
  biodiversite: 'pour la biodiversité',
  'finance-solidaire': 'de finance solidaire',
};

/** "vous vous intéressez tous les deux …" for each category. */
const INTEREST_IN: Record<Category, string> = {
  'eco-lieu': 'aux éco-lieux',
  'habitat-partage': "à l'habitat partagé",
  fablab: 'aux fablabs',
  reparation: 'à la réparation',
  ferme: "à l'agriculture",
  'achat-foncier': "à l'achat collectif",
  'eco-construction': "à l'éco-construction",
  formation: 'à la formation',
  'tiers-lieu': 'aux tiers-lieux',
  alimentation: "à l'alimentation",
  energie: "à l'énergie citoyenne",
  mobilite: 'à la mobilité',
  reemploi: 'au réemploi',
  education: "à l'éducation",
  culture: 'à la culture',
  biodiversite: 'à la biodiversité',
  'finance-solidaire': 'à la finance solidaire',
};

/** Words starting with an aspirated h take "de", not "d'" ("de haies", "de houblon"). */
const ASPIRATED_H = new Set(
  'hache haie haies hall halle halles halte hamac hameau hameaux hanche handicap hangar hangars hareng haricot haricots harpe hasard hausse haut haute hauteur hauts hérisson héron hêtre hêtres hibou hiboux hockey homard honte houblon houx hutte huttes'
    .split(' ')
    .map(foldAccents),
);

/** French "de" before a word: "de paille", "d'éco-lieu", "d'habitat", "de haies", "d'AMAP". */
export function withDe(word: string): string {
  const folded = foldAccents(word);
  const first = folded.charAt(0);
  if ('aeiou'.includes(first)) return `d'${word}`;
  if (first === 'h' && !ASPIRATED_H.has(folded.split(/[\s-]/)[0]!)) return `d'${word}`;
  return `de ${word}`;
}

/** "de A", "de A et de B", "de A, de B et de C". */
export function joinWithDe(words: readonly string[]): string {
  const parts = words.map(withDe);
  if (parts.length <= 1) return parts.join('');
  return `${parts.slice(0, -1).join(', ')} et ${parts[parts.length - 1]}`;
}

export function formatDistance(distanceKm: number): string {
  if (distanceKm < 1) return "à moins d'un kilomètre l'un·e de l'autre";
  return `à ${Math.round(distanceKm)} km l'un·e de l'autre`;
}

function roleClause(roleA: Role | null, roleB: Role | null, category: Category | null, nearEnoughToStart: boolean): string {
  const project = category ? `un projet ${PROJECT_OF[category]}` : 'un projet';
  const roles = [roleA, roleB].sort((x, y) => String(x).localeCompare(String(y)));
  const [first, second] = roles;
  if (first === 'porteur' && second === 'porteur') return `vous portez tous les deux ${project}`;
  if (first === 'porteur' && second === 'rejoindre') {
    return `l'un·e de vous porte ${project} et l'autre souhaite rejoindre un projet de ce type`;
  }
  if (first === 'porteur' && second === 'ressource') {
    return `l'un·e de vous porte ${project} et l'autre propose des compétences qui peuvent l'aider`;
  }
  if (first === 'rejoindre' && second === 'rejoindre') {
    return nearEnoughToStart
      ? `vous souhaitez tous les deux rejoindre ${project} : pourquoi pas en lancer un ensemble`
      : `vous souhaitez tous les deux rejoindre ${project}`;
  }
  if (first === 'ressource' && second === 'rejoindre') {
    return `l'un·e de vous souhaite rejoindre ${project} et l'autre propose des compétences`;
  }
  if (first === 'ressource' && second === 'ressource') {
    return category
      ? `vous proposez tous les deux des compétences et vous vous intéressez ${INTEREST_IN[category]}`
      : 'vous proposez tous les deux des compétences';
  }
  return category ? `vous vous intéressez tous les deux ${INTEREST_IN[category]}` : '';
}

export interface ExplainInput {
  roleA: Role | null;
  roleB: Role | null;
  /** Category slugs both share, in vocabulary order (the first one names the project). */
  sharedCategories: readonly Category[];
  /** Shared stems, strongest contribution first. */
  sharedStems: readonly string[];
  descriptionA?: string | null;
  descriptionB?: string | null;
  /** NaN when distance does not apply. */
  distanceKm: number;
  /** True when two joiners are close enough to start something together. */
  nearEnoughToStart?: boolean;
  /** How many shared words or phrases to quote (default 3). */
  maxWords?: number;
}

export interface Explanation {
  sentence: string;
  /** The quoted words or phrases, as written by the people. */
  sharedWords: string[];
}

/**
 * Shared words as written, merging neighbours: if "chantier" and "participatif" are both shared
 * and stand side by side in both texts, they are quoted as "chantier participatif".
 */
export function sharedWordsAsWritten(
  sharedStems: readonly string[],
  tokensA: readonly ContentToken[],
  tokensB: readonly ContentToken[],
  maxWords = 3,
): string[] {
  const rank = new Map<string, number>();
  sharedStems.forEach((stem, k) => rank.set(stem, k));
  const surface = new Map<string, string>();
  const tally = new Map<string, number>();
  for (const token of tokensA.length > 0 ? tokensA : tokensB) {
    if (!rank.has(token.stem)) continue;
    const key = `${token.stem}\u0000${token.surface}`;
    const count = (tally.get(key) ?? 0) + 1;
    tally.set(key, count);
    const current = surface.get(token.stem);
    if (current === undefined || count > (tally.get(`${token.stem}\u0000${current}`) ?? 0)) surface.set(token.stem, token.surface);
  }
  const bigramsB = new Set<string>();
  for (let k = 1; k < tokensB.length; k++) {
    if (tokensB[k]!.position === tokensB[k - 1]!.position + 1) bigramsB.add(`${tokensB[k - 1]!.stem} ${tokensB[k]!.stem}`);
  }
  // Phrases found in A (first occurrence), keyed by their first stem.
  const phrases: { stems: [string, string]; text: string; rank: number }[] = [];
  const inPhrase = new Set<string>();
  for (let k = 1; k < tokensA.length; k++) {
    const left = tokensA[k - 1]!;
    const right = tokensA[k]!;
    if (right.position !== left.position + 1) continue;
    if (!rank.has(left.stem) || !rank.has(right.stem) || left.stem === right.stem) continue;
    if (inPhrase.has(left.stem) || inPhrase.has(right.stem)) continue;
    if (!bigramsB.has(`${left.stem} ${right.stem}`)) continue;
    inPhrase.add(left.stem);
    inPhrase.add(right.stem);
    phrases.push({
      stems: [left.stem, right.stem],
      text: `${left.surface} ${right.surface}`,
      rank: Math.min(rank.get(left.stem)!, rank.get(right.stem)!),
    });
  }
  const items: { text: string; rank: number }[] = [...phrases];
  for (const stem of sharedStems) {
    if (inPhrase.has(stem)) continue;
    const word = surface.get(stem);
    if (word !== undefined) items.push({ text: word, rank: rank.get(stem)! });
  }
  items.sort((x, y) => x.rank - y.rank);
  const seen = new Set<string>();
  const result: string[] = [];
  for (const item of items) {
    const key = foldAccents(item.text);
    if (seen.has(key)) continue;
    seen.add(key);
    result.push(item.text);
    if (result.length >= maxWords) break;
  }
  return result;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The sentence for one pair. Never throws; degrades to fewer clauses when data is missing. */
export function explainPair(input: ExplainInput): Explanation {
  const category = input.sharedCategories.find((slug) => (CATEGORIES as readonly string[]).includes(slug)) ?? null;
  const shared = new Set(input.sharedStems);
  const tokensA = shared.size > 0 ? contentTokens(input.descriptionA ?? '', shared) : [];
  const tokensB = shared.size > 0 ? contentTokens(input.descriptionB ?? '', shared) : [];
  const sharedWords = sharedWordsAsWritten(input.sharedStems, tokensA, tokensB, input.maxWords ?? 3);

  const clauses: string[] = [];
  const role = roleClause(input.roleA, input.roleB, category, input.nearEnoughToStart === true);
  if (role) clauses.push(role);
  if (sharedWords.length > 0) clauses.push(`vous parlez ${joinWithDe(sharedWords)}`);
  if (Number.isNaN(input.distanceKm)) clauses.push('la distance ne compte pas pour vous deux');
  else clauses.push(`vous êtes ${formatDistance(input.distanceKm)}`);
  if (clauses.length === 1) clauses.unshift('vos descriptions se ressemblent');
  return { sentence: `${capitalise(clauses.join(' ; '))}.`, sharedWords };
}
