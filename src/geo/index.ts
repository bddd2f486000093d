/**
 * Offline gazetteer of French communes (metropole + DROM): lookup by INSEE code, postcode and
 * name, place detection in free text, distances. Data comes from npm packages only; no network.
 */
import type { Placement } from './build.js';
import { haversineKm } from './distance.js';
import { Gazetteer, type GazetteerOptions } from './gazetteer.js';
import type { Commune, DepartementMention, GeoResult } from './types.js';

export { Gazetteer, GEOCODE_MIN_CONFIDENCE, type GazetteerOptions, type DepartementInfo } from './gazetteer.js';
export type { Commune, DepartementMention, GeoResult, PlaceMention, Placement } from './types.js';
export { haversineKm } from './distance.js';
export { normalizeName } from './normalize.js';

let shared: Gazetteer | undefined;

/** The process-wide gazetteer: built (or read from the cache) on first use, then reused. */
export function loadGazetteer(): Gazetteer {
  shared ??= new Gazetteer();
  return shared;
}

/** A gazetteer outside the shared one, e.g. to measure a cold build: `{ cache: 'rebuild' }`. */
export function createGazetteer(options: GazetteerOptions = {}): Gazetteer {
  return new Gazetteer(options);
}

export function geocode(text: string): GeoResult | null {
  return loadGazetteer().geocode(text);
}

export function findDepartement(text: string): DepartementMention | null {
  return loadGazetteer().findDepartement(text);
}

export function departementName(code: string): string | null {
  return loadGazetteer().departementName(code);
}

export function placementStats(): Record<Placement, number> {
  return loadGazetteer().placementStats();
}

/** Distance between two communes by INSEE code, or null when either is unknown. */
export function communeDistanceKm(a: Commune | string, b: Commune | string): number | null {
  const gaz = loadGazetteer();
  const ca = typeof a === 'string' ? gaz.byCode(a) : a;
  const cb = typeof b === 'string' ? gaz.byCode(b) : b;
  if (!ca || !cb) return null;
  return haversineKm(ca.lat, ca.lon, cb.lat, cb.lon);
}

/**
 * The names of where someone is (commune, département), for analyse({ ignoreWords }): where a
 * person lives is matched by distance, so its name must not count as a shared word too.
 */
export function placeWords(commune: string | null | undefined, departement: string | null | undefined): string[] {
  const words: string[] = [];
  if (commune) words.push(commune);
  const name = departement ? departementName(departement) : null;
  if (name) words.push(name);
  return words;
}
