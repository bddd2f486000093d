// A référent's territory: départements, communes (INSEE codes) and EPCI (SIREN). Pure: the
// gazetteer is passed in, so validation and labels are tested without a database.
import type { Commune, DepartementInfo, GeoResult } from '../geo/index.js';

/** The part of the gazetteer a territory needs. */
export interface TerritoryGazetteer {
  readonly communes: readonly Commune[];
  byCode(code: string): Commune | undefined;
  departement(code: string): DepartementInfo | undefined;
  geocode(text: string): GeoResult | null;
}

export interface Territory {
  departements: string[];
  communeCodes: string[];
  epciCodes: string[];
}

export interface TerritoryInput {
  /** "26, 07" or "Drôme" are not the same thing: codes only, comma or space separated. */
  departements?: string;
  /** INSEE codes ("26113") or unambiguous commune names ("Die", "Crest 26"), comma separated. */
  communes?: string;
  /** EPCI SIREN numbers (9 digits), comma or space separated. */
  epci?: string;
}

export type TerritoryParse = { ok: true; territory: Territory } | { ok: false; errors: string[] };

function splitList(value: string | undefined, separators: RegExp): string[] {
  return (value ?? '').split(separators).map((v) => v.trim()).filter(Boolean);
}

/** "7" → "07", "2a" → "2A", "971" stays. */
export function normaliseDepartement(code: string): string {
  const c = code.trim().toUpperCase();
  return /^\d$/.test(c) ? `0${c}` : c;
}

/** Reads what the operator typed; every unknown code is named in French, nothing is guessed. */
export function parseTerritory(input: TerritoryInput, gaz: TerritoryGazetteer): TerritoryParse {
  const errors: string[] = [];
  const departements: string[] = [];
  for (const raw of splitList(input.departements, /[,;\s]+/)) {
    const code = normaliseDepartement(raw);
    if (gaz.departement(code)) departements.push(code);
    else errors.push(`Département inconnu : « ${raw} » (attendu : un code comme 26, 07, 2A ou 974).`);
  }
  const communeCodes: string[] = [];
  for (const raw of splitList(input.communes, /[,;]+/)) {
    const byCode = /^\d[\dAB]\d{3}$/i.test(raw) ? gaz.byCode(raw) : undefined;
    if (byCode) {
      communeCodes.push(byCode.code);
      continue;
    }
    const found = gaz.geocode(raw);
    if (found) communeCodes.push(found.communeCode);
    else errors.push(`Commune introuvable : « ${raw} » (indiquez son code INSEE, par exemple 26113 pour Die).`);
  }
  const epciCodes: string[] = [];
  const knownEpci = new Set(gaz.communes.map((c) => c.epci).filter((e): e is string => e !== null));
  for (const raw of splitList(input.epci, /[,;\s]+/)) {
    if (knownEpci.has(raw)) epciCodes.push(raw);
    else errors.push(`EPCI inconnu : « ${raw} » (attendu : son numéro SIREN à 9 chiffres).`);
  }
  if (errors.length > 0) return { ok: false, errors };
  const territory = { departements: unique(departements), communeCodes: unique(communeCodes), epciCodes: unique(epciCodes) };
  if (isEmptyTerritory(territory)) {
    return { ok: false, errors: ['Le territoire est vide : indiquez au moins un département, une commune ou un EPCI.'] };
  }
  return { ok: true, territory };
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

export function isEmptyTerritory(t: Territory): boolean {
  return t.departements.length === 0 && t.communeCodes.length === 0 && t.epciCodes.length === 0;
}

/**
 * What the digest's SQL filters on: the départements as they are, and every commune named or
 * belonging to a named EPCI. Unknown codes (the gazetteer changed since) simply match nobody.
 */
export function resolveTerritory(t: Territory, gaz: TerritoryGazetteer): { departements: string[]; communeCodes: string[] } {
  const communes = new Set(t.communeCodes.filter((c) => gaz.byCode(c)));
  if (t.epciCodes.length > 0) {
    const epci = new Set(t.epciCodes);
    for (const c of gaz.communes) if (c.epci && epci.has(c.epci)) communes.add(c.code);
  }
  return { departements: t.departements.filter((d) => gaz.departement(d)), communeCodes: [...communes].sort() };
}

/** "Drôme (26), Ardèche (07), Die, 1 intercommunalité (12 communes)". */
export function territoryLabel(t: Territory, gaz: TerritoryGazetteer): string {
  const parts: string[] = [];
  for (const d of t.departements) {
    const info = gaz.departement(d);
    parts.push(info ? `${info.name} (${d})` : d);
  }
  const names = t.communeCodes.map((c) => gaz.byCode(c)?.name ?? c);
  if (names.length > 0 && names.length <= 4) parts.push(...names);
  else if (names.length > 4) parts.push(`${names.length} communes`);
  if (t.epciCodes.length > 0) {
    const epci = new Set(t.epciCodes);
    const count = gaz.communes.filter((c) => c.epci && epci.has(c.epci)).length;
    parts.push(`${t.epciCodes.length === 1 ? '1 intercommunalité' : `${t.epciCodes.length} intercommunalités`} (${count} communes)`);
  }
  return parts.join(', ') || 'territoire vide';
}
