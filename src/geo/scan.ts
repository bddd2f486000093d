/**
 * Finds communes, postcodes and départements in free French text. One left-to-right pass over
 * the tokens against prefix maps (no per-call scan of the 35,000 names), then a small scoring
 * model whose weights were set by hand on real-looking messages (see test/unit/geo.test.ts):
 * specificity of the name, capitalisation, a preceding place preposition, a département or
 * postcode that confirms it, and population as the prior between homonyms.
 */
import type { Gazetteer, NameEntry, PrefixMap } from './gazetteer.js';
import {
  AMBIGUOUS_DEPARTEMENT_NAMES,
  ARTICLE_CONTRACTIONS,
  COMMON_WORDS,
  DEPARTEMENT_LEADS,
  FIRST_NAMES,
  STREET_WORDS,
  STRONG_CUES,
  TITLES,
  WEAK_CUES,
} from './lexicon.js';
import { isArticle, tokenize, type Token } from './normalize.js';
import type { Commune, DepartementMention, PlaceMention } from './types.js';

const MIN_MENTION_CONFIDENCE = 0.25;
// At equal confidence an address ("26150 Die") beats a qualified name ("Die (26)"), which
// beats a bare one: the more a person spelled out, the more likely it is where they are.
const VIA_RANK: Record<PlaceMention['via'], number> = { postcode: 2, 'name+departement': 1, name: 0 };

// Connectors inside names: they carry no meaning of their own when judging whether a
// multi-word name is just an ordinary phrase ("grand champ", "le bois de la ville").
const CONNECTORS = new Set(['de', 'd', 'du', 'des', 'la', 'le', 'les', 'l', 'en', 'sur', 'sous', 'et', 'au', 'aux', 'lès']);

// Paris, Lyon and Marseille are single communes in the COG; their arrondissements only exist
// here as postcodes.
const ARRONDISSEMENTS: Record<string, { max: number; postcode: (n: number) => string }> = {
  '75056': { max: 20, postcode: (n) => `750${String(n).padStart(2, '0')}` },
  '69123': { max: 9, postcode: (n) => `6900${n}` },
  '13055': { max: 16, postcode: (n) => `130${String(n).padStart(2, '0')}` },
};
const ROMAN: Record<string, number> = { I: 1, V: 5, X: 10 };

const cueIndex = (cues: string[][]): Map<string, string[][]> => {
  const m = new Map<string, string[][]>();
  for (const c of cues) {
    const last = c[c.length - 1]!;
    m.set(last, [...(m.get(last) ?? []), c]);
  }
  return m;
};
const STRONG = cueIndex(STRONG_CUES);
const WEAK = cueIndex(WEAK_CUES);
const LEADS = cueIndex(DEPARTEMENT_LEADS);

// What may separate the words of one name: "Saint-Jean-de-Luz", "L'Isle d'Abeau", "s/ Mer".
const NAME_GAP = /^[\s'’‘`\-/]*$/;
// What may separate a preposition from the name it introduces ("près d'Orange", "Lieu : Die").
const CUE_GAP = /^[\s'’‘`:\-]*$/;
// Between a commune and the département or postcode that qualifies it: "Die (26)", "Die, Drôme",
// "Die - 26150", "Die en Drôme".
const QUALIFIER_GAP = /^[\s,;:\-–—(]*(?:(?:en|dans\s+(?:la|le|les|l['’]))\s*)?[\s(]*$/i;
const BARE_CODE_AFTER = /^[\s,\-–—]*(2[AaBb]|97[1-6]|\d{2})(?=\s*(?:$|[.,;:!?)\n]))/u;
const POSTCODE = /(?<![\p{N}.,])(\d{5})(?![\p{N}]|[.,]\d)/gu;
// A five-digit number followed by a unit is an amount ("35000 habitants", "20000 €").
const UNIT_AFTER = /^\s*(?:€|k€|euros?\b|eur\b|\$|m2|m²|m³|m\b|ha\b|hectares?\b|km|habitants?\b|hab\b|personnes\b|ans\b|litres?\b|l\b|kg\b|tonnes?\b|kwh|mwh|w\b|%|pers)/iu;
const NUMBER_LABEL_BEFORE = /(?:€|\$|n°|no\.?|num[ée]ro|t[ée]l\.?|siret|siren|r[ée]f\.?|rna|iban)\s*:?\s*$/iu;
const POSTCODE_LABEL_BEFORE = /(?:\bcp|code\s+postal|c\.p\.)\s*:?\s*$/iu;
const CODE_IN_PARENS = /\(\s*(2[AaBb]|97[1-6]|\d{2})\s*\)/gu;
const LABELLED_CODE = /(?<![\p{L}])(?:d[ée]partement|d[ée]pt|dpt|d[ée]p)\.?\s*(?:n°\s*)?(2[AaBb]|97[1-6]|\d{2})(?![\p{N}\p{L}])/giu;

interface DepFound extends DepartementMention {
  /** Token range for name mentions, so they can be weighed against commune spans. */
  tokenStart: number;
  tokenEnd: number;
  lead: boolean;
}

interface NameSpan {
  start: number;
  end: number;
  entries: NameEntry[];
  consumed: boolean;
  /** The same words also name a region ("Roussillon", "Champagne"): trusted like a common word. */
  region: boolean;
}

interface RegionSpan {
  start: number;
  end: number;
  lead: boolean;
}

interface Postcode {
  code: string;
  index: number;
  end: number;
  communes: Commune[];
  labelled: boolean;
}

export interface ScanResult {
  places: PlaceMention[];
  departements: DepartementMention[];
}

export function scanText(gaz: Gazetteer, text: string): ScanResult {
  if (!text || !/[\p{L}\p{N}]/u.test(text)) return { places: [], departements: [] };
  return new Scan(gaz, text).run();
}

class Scan {
  private readonly tokens: Token[];
  private readonly allCaps: boolean;
  private deps: DepFound[] = [];
  private spans: NameSpan[] = [];
  private postcodes: Postcode[] = [];
  private readonly depsInText = new Set<string>();
  /** Offsets of the first and past the last letter or digit, to spot a text that is one place. */
  private readonly contentStart: number;
  private readonly contentEnd: number;

  constructor(
    private readonly gaz: Gazetteer,
    private readonly text: string,
  ) {
    this.tokens = tokenize(text);
    const { letters, upper } = countLetters(text);
    // A message typed in capitals says nothing through capitalisation.
    this.allCaps = letters >= 12 && upper / letters > 0.7;
    this.contentStart = this.tokens[0]?.start ?? 0;
    this.contentEnd = this.tokens.at(-1)?.end ?? 0;
  }

  run(): ScanResult {
    this.spans = this.findNameSpans();
    this.deps = this.findDepartements();
    this.resolveOverlaps(this.findRegions());
    this.postcodes = this.findPostcodes();
    for (const d of this.deps) this.depsInText.add(d.code);
    for (const p of this.postcodes) for (const c of p.communes) this.depsInText.add(c.departement);

    const places: PlaceMention[] = [];
    // Most texts have no postcode: the lookups postcodes need are only built for those that do.
    if (this.postcodes.length > 0) {
      const byStart = new Map(this.spans.map((span) => [span.start, span]));
      const byEnd = new Map(this.spans.map((span) => [span.end - 1, span]));
      const named = new Map<string, Commune>();
      for (const span of this.spans) for (const e of span.entries) named.set(e.commune.code, e.commune);
      for (const p of this.postcodes) places.push(this.postcodeMention(p, byStart, byEnd, named));
    }
    for (const span of this.spans) {
      if (span.consumed) continue;
      const m = this.nameMention(span);
      if (m) places.push(m);
    }
    // A name confirmed by a postcode written elsewhere in the message.
    const written = new Set(this.postcodes.map((p) => p.code));
    for (const m of places) {
      if (m.via !== 'postcode' && m.commune.postcodes.some((p) => written.has(p))) m.confidence = Math.max(m.confidence, 0.9);
    }

    const kept = places
      .filter((m) => m.confidence >= MIN_MENTION_CONFIDENCE)
      .map((m) => ({ ...m, confidence: Math.round(m.confidence * 1000) / 1000 }))
      .sort((a, b) => b.confidence - a.confidence || VIA_RANK[b.via] - VIA_RANK[a.via] || a.index - b.index);
    const departements = this.deps
      .map(({ tokenStart: _s, tokenEnd: _e, lead: _l, ...d }) => d)
      .sort((a, b) => b.confidence - a.confidence || a.index - b.index);
    return { places: kept, departements };
  }

  // ---------------------------------------------------------------- token-level helpers

  private gap(i: number): string {
    return this.text.slice(this.tokens[i - 1]!.end, this.tokens[i]!.start);
  }

  private longest<T>(map: PrefixMap<T>, i: number): { end: number; values: T[] } | null {
    let key = this.tokens[i]!.norm;
    let best: { end: number; values: T[] } | null = null;
    for (let j = i; j < this.tokens.length; ) {
      const v = map.get(key);
      if (v === undefined) break;
      if (v) best = { end: j + 1, values: v };
      j++;
      if (j >= this.tokens.length) break;
      const gap = this.gap(j);
      const prev = this.tokens[j - 1]!;
      // "St. Jean": a dot is part of the name only right after the abbreviation.
      const abbreviated = (prev.norm === 'saint' || prev.norm === 'sainte') && prev.end - prev.start <= 3;
      if (!NAME_GAP.test(gap) && !(abbreviated && /^\.[\s\-]*$/.test(gap))) break;
      key += ` ${this.tokens[j]!.norm}`;
    }
    return best;
  }

  /** Does one of `cues` end right before token i (only spaces, apostrophes, colons between)? */
  private cueBefore(i: number, cues: Map<string, string[][]>): string[] | null {
    if (i === 0) return null;
    const last = this.tokens[i - 1]!;
    if (!CUE_GAP.test(this.gap(i))) return null;
    let best: string[] | null = null;
    for (const cue of cues.get(last.norm) ?? []) {
      const n = cue.length;
      if (i - n < 0) continue;
      let ok = true;
      for (let k = 0; k < n - 1 && ok; k++) {
        const t = i - n + k;
        ok = this.tokens[t]!.norm === cue[k] && CUE_GAP.test(this.gap(t + 1));
      }
      if (ok && (!best || n > best.length)) best = cue;
    }
    return best;
  }

  private capitalised(i: number): boolean {
    return /\p{Lu}/u.test(this.text[this.tokens[i]!.start]!);
  }

  private sentenceInitial(i: number): boolean {
    for (let k = this.tokens[i]!.start - 1; k >= 0; k--) {
      const ch = this.text[k]!;
      if (ch === '\n') return true;
      if (/[\s"'«»“”‘’()[\]*•·\-–—]/.test(ch)) continue;
      return /[.!?…]/.test(ch);
    }
    return true;
  }

  // ---------------------------------------------------------------- spans

  private findNameSpans(): NameSpan[] {
    const spans: NameSpan[] = [];
    for (let i = 0; i < this.tokens.length; ) {
      const m = this.longest(this.gaz.nameIndex, i);
      if (m) {
        spans.push({ start: i, end: m.end, entries: m.values, consumed: false, region: false });
        i = m.end;
      } else i++;
    }
    return spans;
  }

  private findDepartements(): DepFound[] {
    const found: DepFound[] = [];
    const add = (code: string, index: number, length: number, via: 'code' | 'name', confidence: number, tokenStart = -1, tokenEnd = -1, lead = false): void => {
      const info = this.gaz.departement(code);
      if (!info) return;
      found.push({ code: info.code, name: info.name, index, length, via, confidence, lat: info.lat, lon: info.lon, tokenStart, tokenEnd, lead });
    };
    // Only a text with a "(" can have "(26)": most have none, and matchAll copies its regex.
    if (this.text.includes('(')) for (const m of this.text.matchAll(CODE_IN_PARENS)) add(m[1]!.toUpperCase(), m.index, m[0].length, 'code', 0.95);
    for (const m of this.text.matchAll(LABELLED_CODE)) add(m[1]!.toUpperCase(), m.index, m[0].length, 'code', 0.9);

    for (let i = 0; i < this.tokens.length; ) {
      const m = this.longest(this.gaz.departementIndex, i);
      if (!m) {
        i++;
        continue;
      }
      const lead = this.cueBefore(i, LEADS) !== null;
      const contentStart = m.end - i > 1 && isArticle(this.tokens[i]!.norm) ? i + 1 : i;
      const cap = this.allCaps || this.capitalised(contentStart);
      const word = this.tokens[contentStart]!.norm;
      // "Nord", "Cher", "Lot"… and "réunion" without its article ("La Réunion") are words first.
      const ambiguous =
        m.end - contentStart === 1 &&
        (AMBIGUOUS_DEPARTEMENT_NAMES.has(word) || (m.values.every((v) => v.articleless) && COMMON_WORDS.has(word)));
      const ok = ambiguous ? lead && cap : cap || lead;
      if (ok) {
        const start = this.tokens[i]!.start;
        const end = this.tokens[m.end - 1]!.end;
        add(m.values[0]!.code, start, end - start, 'name', lead ? 0.9 : 0.75, i, m.end, lead);
      }
      i = m.end;
    }
    return found;
  }

  private findRegions(): RegionSpan[] {
    const found: RegionSpan[] = [];
    for (let i = 0; i < this.tokens.length; ) {
      const m = this.longest(this.gaz.regionIndex, i);
      if (!m) {
        i++;
        continue;
      }
      found.push({ start: i, end: m.end, lead: this.cueBefore(i, LEADS) !== null });
      i = m.end;
    }
    return found;
  }

  /**
   * "dans la Vienne" is the département, "Villeneuve-sur-Lot" is not the Lot, "en Bretagne" is
   * not Bretagne (Territoire de Belfort), "Pays de la Loire" is neither Loire.
   */
  private resolveOverlaps(regions: RegionSpan[]): void {
    // Spans do not overlap each other, so each token belongs to at most one: overlaps are found
    // by walking the few tokens of each département or region name.
    const spanAt: (NameSpan | undefined)[] = new Array(this.tokens.length);
    for (const span of this.spans) for (let k = span.start; k < span.end; k++) spanAt[k] = span;
    const spansWithin = (start: number, end: number): Set<NameSpan> => {
      const out = new Set<NameSpan>();
      for (let k = start; k < end; k++) if (spanAt[k]) out.add(spanAt[k]!);
      return out;
    };
    const named = this.deps.filter((d) => d.via === 'name');
    const depAt: (DepFound | undefined)[] = new Array(this.tokens.length);
    for (const d of named) for (let k = d.tokenStart; k < d.tokenEnd; k++) depAt[k] = d;

    const dropDeps = new Set<DepFound>();
    for (const r of regions) {
      for (let k = r.start; k < r.end; k++) if (depAt[k] && depAt[k]!.tokenStart >= r.start && depAt[k]!.tokenEnd <= r.end) dropDeps.add(depAt[k]!);
      for (const span of spansWithin(r.start, r.end)) {
        if (span.start < r.start || span.end > r.end) continue;
        const same = span.start === r.start && span.end === r.end;
        if (!same || (r.lead && !this.cueBefore(span.start, STRONG)?.every((w) => w === 'a'))) span.consumed = true;
        else span.region = true;
      }
    }
    for (const d of named) {
      if (dropDeps.has(d)) continue;
      for (const span of spansWithin(d.tokenStart, d.tokenEnd)) {
        const same = d.tokenStart === span.start && d.tokenEnd === span.end;
        const depInsideName = d.tokenStart >= span.start && d.tokenEnd <= span.end && !same;
        const nameInsideDep = span.start >= d.tokenStart && span.end <= d.tokenEnd && !same;
        if (depInsideName) dropDeps.add(d);
        // "La Réunion" is the island, not the village in Lot-et-Garonne; "Mayenne" alone never
        // became a département mention (ambiguous names need "en"/"dans la").
        else if (nameInsideDep || same) span.consumed = true;
      }
    }
    this.deps = this.deps.filter((d) => !dropDeps.has(d)).sort((a, b) => a.index - b.index);
  }

  /** First token starting at or after a character offset. */
  private tokenFrom(offset: number): number {
    let lo = 0;
    let hi = this.tokens.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.tokens[mid]!.start < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private findPostcodes(): Postcode[] {
    const out: Postcode[] = [];
    // A postcode is five ASCII digits in a row: most texts have none, and matchAll copies its regex.
    if (!/\d{5}/.test(this.text)) return out;
    for (const m of this.text.matchAll(POSTCODE)) {
      const communes = this.gaz.byPostcode(m[1]!);
      if (communes.length === 0) continue;
      const before = this.text.slice(Math.max(0, m.index - 20), m.index);
      const after = this.text.slice(m.index + 5, m.index + 20);
      if (UNIT_AFTER.test(after) || NUMBER_LABEL_BEFORE.test(before)) continue;
      out.push({ code: m[1]!, index: m.index, end: m.index + 5, communes, labelled: POSTCODE_LABEL_BEFORE.test(before) });
    }
    return out;
  }

  // ---------------------------------------------------------------- mentions

  private spanChars(span: NameSpan): [number, number] {
    return [this.tokens[span.start]!.start, this.tokens[span.end - 1]!.end];
  }

  private postcodeMention(p: Postcode, byStart: Map<number, NameSpan>, byEnd: Map<number, NameSpan>, named: Map<string, Commune>): PlaceMention {
    const inPostcode = new Set(p.communes.map((c) => c.code));
    // "26150 Die", "Die 26150", "Die (26150)": the name picks the commune among those the
    // postcode serves, and the pair is as sure as an address gets.
    let contradicted = false;
    const next = this.tokenFrom(p.end);
    const neighbours = [byStart.get(next), byEnd.get(this.tokenFrom(p.index) - 1)];
    for (const span of neighbours) {
      if (!span || span.consumed) continue;
      const [s, e] = this.spanChars(span);
      const after = s >= p.end && /^[\s,;\-–]*$/.test(this.text.slice(p.end, s));
      const before = e <= p.index && /^[\s,;\-–(]*$/.test(this.text.slice(e, p.index));
      if (!after && !before) continue;
      const match = uniqueCommunes(span.entries.filter((x) => inPostcode.has(x.commune.code)))[0];
      if (!match) {
        contradicted = true;
        continue;
      }
      span.consumed = true;
      const start = Math.min(s, p.index);
      let end = Math.max(e, p.end);
      if (before && this.text[end] === ')' && this.text[p.index - 1] === '(') end++;
      return { commune: match, postcode: p.code, index: start, length: end - start, via: 'postcode', confidence: 1 };
    }
    // A name elsewhere in the message that this postcode serves.
    const chosen = p.communes.find((c) => named.has(c.code));
    let confidence = chosen ? 0.95 : p.communes.length === 1 ? 0.9 : 0.8;
    if (p.labelled) confidence = Math.min(1, confidence + 0.05);
    if (contradicted) confidence -= 0.2;
    return { commune: chosen ?? p.communes[0]!, postcode: p.code, index: p.index, length: 5, via: 'postcode', confidence };
  }

  private nameMention(span: NameSpan): PlaceMention | null {
    const { start, end } = span;
    const firstIsArticle = end - start > 1 && isArticle(this.tokens[start]!.norm);
    const contentStart = firstIsArticle ? start + 1 : start;
    const content = this.tokens.slice(contentStart, end);
    const meaningful = content.filter((t) => !CONNECTORS.has(t.norm));
    const single = content.length === 1;
    const w = content[0]!.norm;

    let kind: 'firstname' | 'common' | 'short' | 'plain' | 'phrase' | 'multi';
    if (span.region) kind = 'common';
    else if (single) kind = FIRST_NAMES.has(w) ? 'firstname' : COMMON_WORDS.has(w) ? 'common' : w.length <= 3 ? 'short' : 'plain';
    else kind = meaningful.every((t) => COMMON_WORDS.has(t.norm) || FIRST_NAMES.has(t.norm)) ? 'phrase' : 'multi';

    let base = { firstname: -0.15, common: 0.1, short: 0.15, plain: 0.4, phrase: 0.5, multi: 0.5 }[kind];
    if (kind === 'multi' || kind === 'phrase') base += 0.05 * (Math.min(content.length, 4) - 2);

    // Capitalisation of the words that carry the name. An ordinary phrase counts as a name only
    // if each of its words is capitalised ("Grand-Champ", not "grand champ").
    const contentIdx = [];
    for (let k = contentStart; k < end; k++) if (!CONNECTORS.has(this.tokens[k]!.norm)) contentIdx.push(k);
    if (contentIdx.length === 0) contentIdx.push(contentStart);
    const cap = kind === 'phrase' ? contentIdx.every((k) => this.capitalised(k)) : this.capitalised(contentIdx[0]!);
    const strong = this.cueBefore(start, STRONG);
    const weak = strong ? null : this.cueBefore(start, WEAK);
    let capBonus: number;
    if (this.allCaps) {
      // In capitals every word looks like a name: ordinary words need "à", "vers"…
      if ((kind === 'firstname' || kind === 'common') && !strong) return null;
      capBonus = kind === 'multi' || kind === 'phrase' ? 0.1 : 0;
    } else if (!cap) {
      if (kind === 'firstname' || kind === 'common' || kind === 'phrase') return null;
      // Lowercase one-word names are mostly ordinary words we do not list ("paille" → Paillé):
      // only "à saillans"-like phrasing rescues them.
      if (kind !== 'multi' && !strong) return null;
      capBonus = kind === 'multi' ? -0.05 : -0.1;
    } else if (this.sentenceInitial(start)) capBonus = kind === 'common' || kind === 'firstname' ? 0 : 0.05;
    else capBonus = kind === 'firstname' ? 0 : 0.25;

    const cueBonus = strong ? 0.3 : weak && kind !== 'firstname' && kind !== 'common' ? 0.1 : 0;
    const contraction = (strong ?? weak)?.at(-1);
    const context = this.nameContextPenalty(start);
    const licensedArticleless = contraction !== undefined && ARTICLE_CONTRACTIONS.has(contraction);

    let [charStart, charEnd] = this.spanChars(span);
    const adjacent = this.adjacentDepartement(charEnd);
    if (adjacent) charEnd = adjacent.end;
    const arrondissementBefore = this.arrondissementBefore(charStart);
    if (arrondissementBefore) charStart = arrondissementBefore.start;

    // "AMAP du Val de Drôme" is about the Drôme, not the commune Val de Drôme in Calvados; a
    // name that ends in another département's name needs a stronger reason than usual.
    const embedded = new Set<string>();
    for (let k = start + 1; k < end; k++) {
      const m = this.longest(this.gaz.departementIndex, k);
      if (m && m.end <= end) for (const v of m.values) embedded.add(v.code);
    }

    // Score each commune this span may name, then let population arbitrate among the ones
    // the context cannot tell apart.
    const scored = new Map<string, { c: Commune; s: number; evidence: number; weight: number }>();
    for (const entry of span.entries) {
      const c = entry.commune;
      let s = base + capBonus + cueBonus + populationBonus(entry.weight) - context;
      if (entry.articleless && !licensedArticleless) s -= 0.2;
      if (entry.former || entry.shortForm) s -= 0.05;
      if (embedded.size > 0 && !embedded.has(c.departement) && !strong) s -= 0.15;
      let evidence = 0;
      if (adjacent) {
        if (adjacent.code === c.departement) {
          s += 0.35;
          evidence = 2;
        } else s -= 0.1;
      } else if (this.depsInText.size > 0) {
        if (this.depsInText.has(c.departement)) {
          s += 0.15;
          evidence = 1;
        } else s -= 0.05;
      }
      const prev = scored.get(c.code);
      if (!prev || prev.s < s) scored.set(c.code, { c, s, evidence, weight: entry.weight });
    }
    const ranked = [...scored.values()].sort((a, b) => b.s - a.s || b.weight - a.weight);
    const best = ranked[0]!;
    const rivals = ranked.filter((r) => r.evidence === best.evidence);
    const total = rivals.reduce((sum, r) => sum + Math.max(1, r.weight), 0);
    const share = Math.max(1, best.weight) / total;

    let s = best.s;
    let postcode: string | null = best.c.postcodes.length === 1 ? best.c.postcodes[0]! : null;
    const city = ARRONDISSEMENTS[best.c.code];
    const arrondissement = city ? this.arrondissementAfter(charEnd, city) : null;
    if (arrondissement) {
      postcode = arrondissement.postcode;
      charEnd = arrondissement.end;
      s += 0.1;
    } else if (city && arrondissementBefore && arrondissementBefore.n <= city.max) {
      postcode = city.postcode(arrondissementBefore.n);
      s += 0.1;
    } else if (arrondissementBefore) charStart = this.tokens[start]!.start;
    // The whole text is the place ("Die", "Die (26)", "Lyon 3e"): a form field, not prose.
    if (charStart <= this.contentStart && charEnd >= this.contentEnd) s += 0.4;

    const confidence = Math.max(0, Math.min(1, s)) * (0.5 + 0.5 * share);
    return {
      commune: best.c,
      postcode,
      index: charStart,
      length: charEnd - charStart,
      via: best.evidence > 0 ? 'name+departement' : 'name',
      confidence,
    };
  }

  /**
   * "Pierre Laval", "Mme Nantes": a surname. "rue de Paris", "route de Die": an address line
   * that says nothing about where the person is.
   */
  private nameContextPenalty(i: number): number {
    if (i === 0) return 0;
    const prev = this.tokens[i - 1]!;
    const gap = this.gap(i);
    if (/^\s+$/.test(gap) || (/^\.\s*$/.test(gap) && TITLES.has(prev.norm))) {
      if (TITLES.has(prev.norm)) return 0.4;
      if (FIRST_NAMES.has(prev.norm) && this.capitalised(i - 1)) return 0.4;
    }
    for (let k = i - 1; k >= Math.max(0, i - 3); k--) {
      const t = this.tokens[k]!;
      if (!CUE_GAP.test(this.gap(k + 1))) break;
      if (STREET_WORDS.has(t.norm)) return 0.3;
      if (!['de', 'd', 'du', 'des', 'la', 'le', 'les', 'l'].includes(t.norm)) break;
    }
    return 0;
  }

  /** A département written right after a name: "(26)", ", Drôme", "en Drôme", " 26". */
  private adjacentDepartement(after: number): { code: string; end: number } | null {
    let lo = 0;
    let hi = this.deps.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.deps[mid]!.index < after) lo = mid + 1;
      else hi = mid;
    }
    for (let k = lo; k < this.deps.length; k++) {
      const d = this.deps[k]!;
      if (d.index - after > 16) break;
      if (!QUALIFIER_GAP.test(this.text.slice(after, d.index))) continue;
      let end = d.index + d.length;
      if (this.text[end] === ')' && this.text.slice(after, d.index).includes('(')) end++;
      return { code: d.code, end };
    }
    const m = BARE_CODE_AFTER.exec(this.text.slice(after, after + 12));
    if (m) {
      const code = m[1]!.toUpperCase();
      if (this.gaz.departement(code)) return { code, end: after + m[0].length };
    }
    return null;
  }

  /** "le 11e arrondissement de Paris", "3ème arr. de Lyon". */
  private arrondissementBefore(before: number): { n: number; start: number } | null {
    const head = this.text.slice(Math.max(0, before - 40), before);
    const m = /(\d{1,2})\s*(?:er|re|ère|e|è|ème|eme|ieme|ième)\s+arr(?:ondissement|\.)?\s+(?:de\s+|d['’]\s*|à\s+)?$/iu.exec(head);
    return m ? { n: Number(m[1]), start: before - head.length + m.index } : null;
  }

  /** "Lyon 3e", "Paris 11ème", "Marseille 1er arrondissement", "Paris XVIIIe". */
  private arrondissementAfter(after: number, city: { max: number; postcode: (n: number) => string }): { postcode: string; end: number } | null {
    const rest = this.text.slice(after, after + 40);
    let m = /^[\s,\-–]*(\d{1,2})\s*(?:(er|re|ère|e|è|ème|eme|ieme|ième)(?![\p{L}\p{N}])|(?=\s*(?:arr|$|[,.;:!?)\n])))(?:\s*arr(?:ondissement|\.)?(?![\p{L}]))?/iu.exec(rest);
    let n = m ? Number(m[1]) : NaN;
    if (!m) {
      m = /^[\s,\-–]*([IVX]{1,5})(?:er|e|è|ème|eme)(?![\p{L}\p{N}])(?:\s*arr(?:ondissement|\.)?(?![\p{L}]))?/u.exec(rest);
      if (m) n = romanToInt(m[1]!);
    }
    if (!m || !(n >= 1 && n <= city.max)) return null;
    return { postcode: city.postcode(n), end: after + m[0].length };
  }
}

const LETTER_AT = /\p{L}/uy;
const UPPER_AT = /\p{Lu}/uy;

/**
 * Letters and capital letters in a text, as text.match(/\p{L}/gu)?.length would count them
 * (code points), without building an array of every letter. ASCII is classified by hand;
 * anything else by the same Unicode properties, read in place.
 */
function countLetters(text: string): { letters: number; upper: number } {
  let letters = 0;
  let upper = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) {
      if (code >= 0x61 && code <= 0x7a) letters++;
      else if (code >= 0x41 && code <= 0x5a) {
        letters++;
        upper++;
      }
      continue;
    }
    LETTER_AT.lastIndex = i;
    if (LETTER_AT.test(text)) {
      letters++;
      UPPER_AT.lastIndex = i;
      if (UPPER_AT.test(text)) upper++;
    }
    // A letter outside the BMP is two code units, counted once, as the /u regex does. A lone
    // surrogate is no letter, and an unpaired low one is stepped over one unit at a time.
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
  }
  return { letters, upper };
}

function populationBonus(population: number): number {
  if (population >= 100_000) return 0.15;
  if (population >= 20_000) return 0.1;
  if (population >= 5_000) return 0.05;
  if (population < 200) return -0.05;
  return 0;
}

function uniqueCommunes(entries: NameEntry[]): Commune[] {
  const seen = new Map<string, Commune>();
  for (const e of entries) seen.set(e.commune.code, e.commune);
  return [...seen.values()].sort((a, b) => b.population - a.population);
}

function romanToInt(s: string): number {
  let total = 0;
  for (let i = 0; i < s.length; i++) {
    const v = ROMAN[s[i]!]!;
    const next = ROMAN[s[i + 1] ?? ''] ?? 0;
    total += v < next ? -v : v;
  }
  return total;
}
