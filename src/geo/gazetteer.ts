import { PLACEMENT_BY_CODE, type CompactTable, type Placement } from './build.js';
import { loadCompactTable, type CacheMode } from './cache.js';
import { scanText, type ScanResult } from './scan.js';
import { REGION_NAMES } from './lexicon.js';
import { normalizeName, withoutArticle } from './normalize.js';
import type { Commune, DepartementMention, GeoResult, PlaceMention } from './types.js';

/** Below this, `geocode` answers null: a wrong commune is worse than none for matching. */
export const GEOCODE_MIN_CONFIDENCE = 0.5;

export interface NameEntry {
  commune: Commune;
  /** Indexed without its article ("Havre" for Le Havre): needs "au"/"du" to be trusted. */
  articleless: boolean;
  /** Name of a former commune now part of `commune` (Vire → Vire Normandie). */
  former: boolean;
  /** A common short form ("Aix" → Aix-en-Provence). */
  shortForm: boolean;
  /** Population used to rank homonyms: a former village absorbed into a big commune nouvelle
   *  must not outrank a real commune of the same name on the strength of its new parent. */
  weight: number;
}

/**
 * Token-sequence lookup: every prefix of every key is present, mapped to null when it is only a
 * prefix, so the scanner can stop extending as soon as no name continues that way.
 */
export type PrefixMap<T> = Map<string, T[] | null>;

function addKey<T>(map: PrefixMap<T>, key: string, value: T): void {
  const parts = key.split(' ');
  let prefix = '';
  for (let i = 0; i < parts.length; i++) {
    prefix = i === 0 ? parts[0]! : `${prefix} ${parts[i]}`;
    if (i < parts.length - 1) {
      if (!map.has(prefix)) map.set(prefix, null);
      continue;
    }
    const list = map.get(prefix);
    if (list) list.push(value);
    else map.set(prefix, [value]);
  }
}

// Short forms people write for a handful of big towns whose official name is longer. Resolved by
// official name + département at load, so a renamed commune drops out instead of pointing wrong.
const SHORT_FORMS: [short: string, official: string, departement: string][] = [
  ['Aix', 'Aix-en-Provence', '13'],
  ['Aix', 'Aix-les-Bains', '73'],
  ['Le Puy', 'Le Puy-en-Velay', '43'],
  ['Cherbourg', 'Cherbourg-en-Cotentin', '50'],
  ['Charleville', 'Charleville-Mézières', '08'],
  ['Chalon', 'Chalon-sur-Saône', '71'],
  ['Châlons', 'Châlons-en-Champagne', '51'],
  ['Clermont', 'Clermont-Ferrand', '63'],
  ['Romans', 'Romans-sur-Isère', '26'],
  ['Villefranche', 'Villefranche-sur-Saône', '69'],
  ['Boulogne', 'Boulogne-Billancourt', '92'],
  ['Boulogne', 'Boulogne-sur-Mer', '62'],
  ['Vitry', 'Vitry-sur-Seine', '94'],
  ['Rueil', 'Rueil-Malmaison', '92'],
  ['Neuilly', 'Neuilly-sur-Seine', '92'],
  ['Aulnay', 'Aulnay-sous-Bois', '93'],
  ['Noisy', 'Noisy-le-Grand', '93'],
  ['Champigny', 'Champigny-sur-Marne', '94'],
  ['Saint-Maur', 'Saint-Maur-des-Fossés', '94'],
  ['Issy', 'Issy-les-Moulineaux', '92'],
  ['Bagnols', 'Bagnols-sur-Cèze', '30'],
];

export interface DepartementInfo {
  code: string;
  name: string;
  lat: number;
  lon: number;
}

export interface GazetteerOptions {
  /** 'use' (default) reads the cache or builds and writes it; 'rebuild' forces a build;
   *  'none' builds in memory without touching the disk. */
  cache?: CacheMode;
  cachePath?: string;
}

export class Gazetteer {
  readonly communes: readonly Commune[];
  /** How the table was obtained and how long that took, for the bench and the issue note. */
  readonly origin: 'cache' | 'built';
  readonly tableMs: number;
  readonly indexMs: number;
  readonly builtAt: string;

  /** @internal used by scan.ts */
  readonly nameIndex: PrefixMap<NameEntry> = new Map();
  /** @internal used by scan.ts */
  readonly departementIndex: PrefixMap<{ code: string; articleless: boolean }> = new Map();
  /** @internal used by scan.ts */
  readonly departements = new Map<string, DepartementInfo>();
  /** @internal used by scan.ts */
  readonly regionIndex: PrefixMap<true> = new Map();

  private readonly codes = new Map<string, Commune>();
  private readonly postcodes = new Map<string, Commune[]>();

  constructor(options: GazetteerOptions = {}) {
    const loaded = loadCompactTable(options.cache ?? 'use', options.cachePath);
    this.origin = loaded.origin;
    this.tableMs = loaded.ms;
    this.builtAt = loaded.table.builtAt;
    const started = performance.now();
    this.communes = expand(loaded.table);

    const keys = loaded.table.communes.key;
    for (let i = 0; i < this.communes.length; i++) {
      const c = this.communes[i]!;
      this.codes.set(c.code, c);
      for (const p of c.postcodes) {
        const list = this.postcodes.get(p);
        if (list) list.push(c);
        else this.postcodes.set(p, [c]);
      }
      this.indexKey(keys[i]!, c, false, false);
    }
    for (const list of this.postcodes.values()) list.sort(byPopulation);
    for (const [key, code, seat] of loaded.table.aliases) {
      const c = this.codes.get(code);
      // Former communes that were not the seat are villages: a tenth of the whole is a fair guess.
      if (c) this.indexKey(key, c, true, false, seat ? c.population : Math.round(c.population / 10));
    }
    for (const [short, official, dep] of SHORT_FORMS) {
      const c = this.nameIndex.get(normalizeName(official))?.find((e) => !e.former && e.commune.departement === dep)?.commune;
      if (c) this.indexKey(normalizeName(short), c, false, true);
    }
    this.indexDepartements(loaded.table.departements);
    for (const region of REGION_NAMES) addKey(this.regionIndex, normalizeName(region), true);
    this.indexMs = performance.now() - started;
  }

  private indexKey(key: string, commune: Commune, former: boolean, shortForm: boolean, weight = commune.population): void {
    addKey(this.nameIndex, key, { commune, articleless: false, former, shortForm, weight });
    const bare = withoutArticle(key);
    if (bare) addKey(this.nameIndex, bare, { commune, articleless: true, former, shortForm, weight });
  }

  private indexDepartements(list: [string, string][]): void {
    const acc = new Map<string, { lat: number; lon: number; w: number }>();
    for (const c of this.communes) {
      const w = Math.max(1, c.population);
      const a = acc.get(c.departement) ?? { lat: 0, lon: 0, w: 0 };
      a.lat += c.lat * w;
      a.lon += c.lon * w;
      a.w += w;
      acc.set(c.departement, a);
    }
    for (const [code, name] of list) {
      const a = acc.get(code);
      if (!a) continue;
      this.departements.set(code, { code, name, lat: a.lat / a.w, lon: a.lon / a.w });
      const key = normalizeName(name);
      addKey(this.departementIndex, key, { code, articleless: false });
      const bare = withoutArticle(key);
      if (bare) addKey(this.departementIndex, bare, { code, articleless: true });
    }
  }

  byCode(code: string): Commune | undefined {
    return this.codes.get(code.trim().toUpperCase());
  }

  /** Communes served by a postcode, biggest population first. */
  byPostcode(postcode: string): Commune[] {
    return [...(this.postcodes.get(postcode.trim()) ?? [])];
  }

  /**
   * Exact name lookup, insensitive to case, accents, hyphens, apostrophes and "St"/"Saint".
   * Former communes and article-less forms ("Havre") are included; biggest population first.
   */
  searchName(name: string, departement?: string): Commune[] {
    const entries = this.nameIndex.get(normalizeName(name)) ?? [];
    const dep = departement?.trim().toUpperCase();
    const seen = new Set<string>();
    const out: Commune[] = [];
    for (const e of entries) {
      if (seen.has(e.commune.code) || (dep && e.commune.departement !== dep)) continue;
      seen.add(e.commune.code);
      out.push(e.commune);
    }
    return out.sort(byPopulation);
  }

  /** findPlacesInText and every findDepartement candidate (best first) from one reading of the text. */
  scan(text: string): ScanResult {
    return scanText(this, text);
  }

  /** Every plausible commune mention, best first. */
  findPlacesInText(text: string): PlaceMention[] {
    return scanText(this, text).places;
  }

  /** The most likely explicit département mention ("dans la Drôme", "(26)"), or null. */
  findDepartement(text: string): DepartementMention | null {
    const found = scanText(this, text).departements;
    return found[0] ?? null;
  }

  /** The single best commune in a free text, or null when no mention is reasonably sure. */
  geocode(text: string): GeoResult | null {
    const best = this.findPlacesInText(text)[0];
    if (!best || best.confidence < GEOCODE_MIN_CONFIDENCE) return null;
    const c = best.commune;
    return {
      postcode: best.postcode,
      commune: c.name,
      communeCode: c.code,
      departement: c.departement,
      lat: c.lat,
      lon: c.lon,
    };
  }

  departementName(code: string): string | null {
    return this.departements.get(code.trim().toUpperCase())?.name ?? null;
  }

  departement(code: string): DepartementInfo | undefined {
    return this.departements.get(code.trim().toUpperCase());
  }

  placementStats(): Record<Placement, number> {
    const stats: Record<Placement, number> = { exact: 0, epci: 0, arrondissement: 0, departement: 0 };
    for (const c of this.communes) stats[c.placement]++;
    return stats;
  }
}

export function byPopulation(a: Commune, b: Commune): number {
  return b.population - a.population || a.code.localeCompare(b.code);
}

function expand(table: CompactTable): Commune[] {
  const t = table.communes;
  const out: Commune[] = new Array(t.code.length);
  for (let i = 0; i < t.code.length; i++) {
    const epci = t.epci[i]!;
    out[i] = {
      code: t.code[i]!,
      name: t.name[i]!,
      postcodes: t.postcodes[i] ? t.postcodes[i]!.split(' ') : [],
      departement: t.departement[i]!,
      epci: epci >= 0 ? table.epcis[epci]! : null,
      population: t.population[i]!,
      lat: t.lat[i]!,
      lon: t.lon[i]!,
      placement: PLACEMENT_BY_CODE[t.placement[i]!]!,
    };
  }
  return out;
}
