// ParsedMessage + trimmed reply → the profile maillage stores and matches: who (email, name),
// where (commune, postcode, département, coordinates), what (categories), how (role) and their
// own words. Every field is either read from what the person wrote or left null: a wrong guess
// would be repeated back to them and used for matching, while a null only asks a question.
import type { Category, Role } from '../vocabulary.js';
import type { ParsedMessage } from './parse.js';
import { isNameLine, isSignOffLine, type TrimResult } from './trim.js';
import { detectCategories, detectRole, foldText, GREETING_RE } from './lexicon.js';

/** The part of the gazetteer (src/geo) extraction needs; the real one satisfies it. */
export interface PlaceFinder {
  /**
   * The communes a text mentions and the départements it names ("dans le Finistère", "(29)"),
   * best first, from one reading of the text: reading is most of what extraction costs.
   */
  scan(text: string): { places: PlaceMentionLike[]; departements: DepartementMentionLike[] };
}
export interface CommuneLike {
  code: string;
  name: string;
  postcodes: string[];
  departement: string;
  lat: number;
  lon: number;
}
export interface PlaceMentionLike {
  commune: CommuneLike;
  postcode: string | null;
  index: number;
  length: number;
  via: string;
  confidence: number;
}
export interface DepartementMentionLike {
  code: string;
  name: string;
  index: number;
  confidence: number;
}

export interface ExtractedProfile {
  email: string | null;
  name: string | null;
  postcode: string | null;
  commune: string | null;
  communeCode: string | null;
  departement: string | null;
  lat: number | null;
  lon: number | null;
  role: Role | null;
  categories: Category[];
  /** The person's own words: the trimmed reply without greeting and sign-off. */
  description: string;
}

/** Place mentions below this confidence are not reported (the gazetteer's own scale, 0..1). */
export const MIN_PLACE_CONFIDENCE = 0.5;
const MAX_DESCRIPTION_CHARS = 5000;

export function extractProfile(msg: ParsedMessage, trimmed: TrimResult, gazetteer: PlaceFinder | null): ExtractedProfile {
  const { words: description, folded } = ownWordsFolded(trimmed.body);
  const place = gazetteer ? findPlace(description, msg.subject, trimmed.signature, gazetteer) : emptyPlace();
  return {
    email: msg.from?.address || null,
    name: extractName(msg, trimmed, description),
    ...place,
    role: detectRole(folded, { folded: true }),
    categories: detectCategories(folded, { folded: true }),
    description,
  };
}

// ---------------------------------------------------------------------------------------------
// Description

// classifyMessage and then extractProfile read the same reply's own words, folded: remember
// the last body's so the second caller gets them for free.
let lastOwnWords: { body: string; words: string; folded: string } | null = null;

/** ownWords(body) and its foldText, computed once for consecutive calls on the same body. */
export function ownWordsFolded(body: string): { words: string; folded: string } {
  if (lastOwnWords?.body !== body) {
    const words = ownWords(body);
    lastOwnWords = { body, words, folded: foldText(words) };
  }
  return { words: lastOwnWords.words, folded: lastOwnWords.folded };
}

/** The trimmed body without the greeting at the top and sign-off lines at the bottom. */
export function ownWords(body: string): string {
  const lines = body.split('\n');
  let start = 0;
  while (start < lines.length && (lines[start]!.trim() === '' || GREETING_RE.test(foldText(lines[start]!.trim())))) start++;
  let end = lines.length;
  while (end > start && (lines[end - 1]!.trim() === '' || isSignOffLine(lines[end - 1]!.trim()))) end--;
  let text = lines.slice(start, end).join('\n');
  // "Bonjour, nous montons…" on one line: drop just the greeting word.
  text = text.replace(/^(?:bonjour|bonsoir|salut|hello|coucou)(?: (?:à (?:tous|toutes|toutes et à tous|vous)|a (?:tous|toutes)|madame|monsieur|l'équipe))?\s*[,!.]\s*/i, '');
  // The first two rewrite every space or newline they match, even where nothing changes
  // (a string copy per message): only run them when there is a tab, a double space, or a
  // space beside a newline.
  if (/\t| {2}/.test(text)) text = text.replace(/[ \t]+/g, ' ');
  if (/ \n|\n /.test(text)) text = text.replace(/ *\n */g, '\n');
  text = text.replace(/\n{3,}/g, '\n\n').trim();
  // Keep the sentence as they wrote it, but "Bonjour, nous…" leaves "nous…": restore the capital.
  text = text.replace(/^\p{Ll}/u, (c) => c.toUpperCase());
  if (text.length > MAX_DESCRIPTION_CHARS) text = `${text.slice(0, MAX_DESCRIPTION_CHARS).replace(/\s+\S*$/, '')}…`;
  return text;
}

// ---------------------------------------------------------------------------------------------
// Name

const ORG_WORDS_RE =
  /\b(?:association|asso|collectif|epicerie|boutique|librairie|restaurant|auberge|gite|camping|magasin|societe|entreprise|cabinet|agence|cooperative|coop|scic|scop|sarl|sas|sasu|eurl|gaec|earl|sci|ferme|mairie|commune|communaute|reseau|federation|fondation|amap|atelier|jardins?|maison|ecole|lycee|college|centre|ecolieu|eco-lieu|tiers-lieu|repair|cafe|equipe|team|service|contact|info|secretariat|bureau|les|des|du|de la|habitat|projet|oasis|hameau|domaine|ressourcerie|recyclerie|fablab|bio|ecologie|transition|alternatiba|colibris|terre|vivre)\b/;
const GENERIC_LOCAL_RE =
  /^(?:contact|info|infos|hello|bonjour|admin|secretariat|accueil|asso|association|collectif|mairie|ferme|projet|noreply|no-reply|postmaster|webmaster|inscription|communication|direction|president|presidence|tresorier|bureau|equipe|team|service|gestion|compta|rh)$/;

export function extractName(msg: ParsedMessage, trimmed: TrimResult, description: string): string | null {
  const display = cleanDisplayName(msg.from?.name ?? '');
  if (display && !display.organisation) return display.name;
  const fromSignature = nameFromSignature(trimmed.signature);
  if (fromSignature) return fromSignature;
  const introduced = /\b(?:je m'appelle|moi c'est|mon nom est|mon prénom est|ici)\s+(\p{Lu}[\p{Ll}'-]+(?:\s+\p{Lu}[\p{Ll}'-]+)?)/u.exec(description);
  if (introduced) return introduced[1]!;
  if (display) return display.name;
  return nameFromLocalPart(msg.from?.address ?? '');
}

/** "MARTIN Marie" → Marie Martin; "marie.martin" → Marie Martin; quotes and "(via …)" removed. */
export function cleanDisplayName(raw: string): { name: string; organisation: boolean } | null {
  let s = raw
    .replace(/["“”«»]/g, ' ')
    .replace(/\([^)]*\)|\[[^\]]*\]/g, ' ')
    .replace(/\s+via\s+.*$/i, '')
    .replace(/^'+|'+$/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (!s) return null;
  if (s.includes('@')) return nameFromLocalPart(s) ? { name: nameFromLocalPart(s)!, organisation: false } : null;
  // "Dupont, Marie" (Outlook directories) → "Marie Dupont"
  const comma = /^([^,]+),\s*([^,]+)$/.exec(s);
  if (comma) s = `${comma[2]} ${comma[1]}`;
  if (/^[a-z]+[._][a-z]+$/i.test(s)) return nameFromLocalPart(`${s}@x`) ? { name: nameFromLocalPart(`${s}@x`)!, organisation: false } : null;
  if (/\d/.test(s) && !/[\p{L}]{2,}/u.test(s)) return null;
  const folded = foldText(s);
  if (ORG_WORDS_RE.test(folded) || s.split(' ').length > 4) return { name: s, organisation: true };
  const words = s.split(' ');
  const upper = words.filter((w) => w.length > 1 && w === w.toUpperCase() && /\p{L}/u.test(w));
  const other = words.filter((w) => !upper.includes(w));
  // Surname in capitals, as French administrations and many people write it: put it last.
  const ordered = upper.length > 0 && other.length > 0 ? [...other, ...upper] : words;
  return { name: ordered.map(titleCase).join(' '), organisation: false };
}

function nameFromLocalPart(address: string): string | null {
  const local = (address.split('@')[0] ?? '').toLowerCase().replace(/\+.*$/, '');
  const m = /^([a-zà-ÿ]{2,}(?:-[a-zà-ÿ]{2,})?)[._]([a-zà-ÿ]{2,}(?:-[a-zà-ÿ]{2,})?)\d*$/.exec(local);
  if (!m) return null;
  if (GENERIC_LOCAL_RE.test(m[1]!) || GENERIC_LOCAL_RE.test(m[2]!)) return null;
  return `${titleCase(m[1]!)} ${titleCase(m[2]!)}`;
}

function titleCase(word: string): string {
  return word
    .toLowerCase()
    .replace(/(^|[-\s'’])(\p{Ll})/gu, (_m, sep: string, c: string) => sep + c.toUpperCase())
    .replace(/\b(D|L)'(\p{Lu})/gu, (_m, d: string, c: string) => `${d.toLowerCase()}'${c}`);
}

function nameFromSignature(signature: string | null): string | null {
  if (!signature) return null;
  for (const rawLine of signature.split('\n').slice(0, 6)) {
    const line = rawLine.replace(/\*/g, '').trim();
    if (!line || /^[-_—–=]+$/.test(line)) continue;
    if (isSignOffLine(line)) {
      // "Belle journée, Marie" / "Merci ! Paul"
      const tail = /[,!.-]\s*(\p{Lu}[\p{Ll}'-]+(?:\s+\p{Lu}[\p{L}'.-]*){0,2})\s*$/u.exec(line);
      if (tail && isNameLine(tail[1]!) && !ORG_WORDS_RE.test(foldText(tail[1]!))) return tail[1]!;
      continue;
    }
    if (isNameLine(line) && !ORG_WORDS_RE.test(foldText(line))) {
      const cleaned = cleanDisplayName(line.replace(/[.,!]+$/, ''));
      return cleaned && !cleaned.organisation ? cleaned.name : null;
    }
    // The first non-name line ends the search: a phone or a title means the name was not there.
    return null;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Place

type PlaceFields = Pick<ExtractedProfile, 'postcode' | 'commune' | 'communeCode' | 'departement' | 'lat' | 'lon'>;

function emptyPlace(): PlaceFields {
  return { postcode: null, commune: null, communeCode: null, departement: null, lat: null, lon: null };
}

const DEPARTEMENT_CODE_RE = /\((\d{2}|2[AB]|97[1-6])\)|\b(?:département|departement|dépt|dept|dpt)\.?\s*(?:de la |du |de l'|des |n° ?)?(\d{2}|2[AB]|97[1-6])\b/gi;

function findPlace(description: string, subject: string, signature: string | null, gazetteer: PlaceFinder): PlaceFields {
  // The message itself is the best witness; the subject sometimes carries the place
  // ("Habitat partagé à Die (26)"); a postcode in a signature address is only where the
  // person (or their structure) lives, so it counts last.
  // A reply's subject is the bulletin's own ("Re: Bulletin de mars"): only a fresh one counts.
  const ownSubject = /^\s*(?:re|tr|fwd?|aw|wg)\s*:/i.test(subject) ? '' : subject;
  const sources = [description, ownSubject, signature ?? ''];
  const read = placeReader(gazetteer);
  // The département hints come from the description and subject read together. When one of them
  // is empty (a reply's subject nearly always is) the text is the other one alone, without the
  // newline that would join them: a newline at the very start or end of a text adds or removes
  // no département mention (names, codes and the words before them are all read inside the
  // text), and this way the text's one reading also serves the places below.
  const departements = departementHints([description, ownSubject].filter(Boolean).join('\n'), read);
  for (let s = 0; s < sources.length; s++) {
    const text = sources[s]!;
    if (!text.trim()) continue;
    const mentions = read.places(text).filter((m) => m.confidence >= MIN_PLACE_CONFIDENCE);
    if (mentions.length === 0) continue;
    // A département named in the message settles between homonyms ("Saint-Martin (38)").
    const inDepartement = departements.size ? mentions.filter((m) => departements.has(m.commune.departement)) : [];
    const best = inDepartement[0] ?? mentions[0]!;
    let postcode = best.postcode;
    if (s === 0 && !postcode && signature) {
      // The signature may give the postcode of the very commune the message names.
      const sig = /\b(\d{5})\b/.exec(signature)?.[1];
      if (sig && best.commune.postcodes.includes(sig)) postcode = sig;
    }
    return {
      postcode,
      commune: best.commune.name,
      communeCode: best.commune.code,
      departement: best.commune.departement,
      lat: best.commune.lat,
      lon: best.commune.lon,
    };
  }
  const onlyDepartement = [...departements][0];
  return onlyDepartement ? { ...emptyPlace(), departement: onlyDepartement } : emptyPlace();
}

function departementHints(text: string, read: PlaceReader): Set<string> {
  const codes = new Set<string>();
  for (const m of text.matchAll(DEPARTEMENT_CODE_RE)) codes.add((m[1] ?? m[2]!).toUpperCase());
  const d = read.departement(text);
  if (d && d.confidence >= MIN_PLACE_CONFIDENCE) codes.add(d.code);
  return codes;
}

interface PlaceReader {
  /** Place mentions in a text; [] when the gazetteer fails on it. */
  places(text: string): PlaceMentionLike[];
  /** The best département mention; null when there is none or the gazetteer fails (it only costs the hint). */
  departement(text: string): DepartementMentionLike | null;
}

/** The gazetteer as findPlace uses it: each distinct text read once for both questions. */
function placeReader(gazetteer: PlaceFinder): PlaceReader {
  const scans = new Map<string, ReturnType<PlaceFinder['scan']> | null>();
  const scan = (text: string) => {
    if (!scans.has(text)) {
      try {
        scans.set(text, gazetteer.scan(text));
      } catch {
        scans.set(text, null);
      }
    }
    return scans.get(text)!;
  };
  return {
    places: (text) => scan(text)?.places ?? [],
    departement: (text) => scan(text)?.departements[0] ?? null,
  };
}
