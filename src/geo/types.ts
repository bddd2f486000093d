import type { Placement } from './build.js';

export type { Placement };

export interface Commune {
  /** INSEE code (code officiel géographique), e.g. '26113', '2A004', '97411'. */
  code: string;
  name: string;
  postcodes: string[];
  /** '26', '2A', '971'. */
  departement: string;
  /** SIREN of the intercommunality (EPCI), null for the few island communes outside any. */
  epci: string | null;
  population: number;
  lat: number;
  lon: number;
  /** How the coordinates were obtained: a GeoNames point, or the centre of a wider area. */
  placement: Placement;
}

export interface GeoResult {
  postcode: string | null;
  commune: string;
  communeCode: string;
  departement: string;
  lat: number;
  lon: number;
}

export interface PlaceMention {
  commune: Commune;
  /** The postcode written in the text or implied by it ("Lyon 3e" → 69003), else the commune's
   *  own postcode when it has exactly one, else null. */
  postcode: string | null;
  /** Character offset of the mention in the text, and its length (name and any postcode,
   *  département or arrondissement written with it). */
  index: number;
  length: number;
  via: 'postcode' | 'name' | 'name+departement';
  /** 0..1. `geocode` only trusts mentions at or above GEOCODE_MIN_CONFIDENCE. */
  confidence: number;
}

export interface DepartementMention {
  code: string;
  name: string;
  index: number;
  length: number;
  via: 'code' | 'name';
  confidence: number;
  /** Population-weighted centre of the département's communes. */
  lat: number;
  lon: number;
}
