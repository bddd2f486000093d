// People for round and proposal tests, inserted straight into PostgreSQL with their analysed
// profile, in any state a round must handle (paused, bounced, unconfirmed, no location…).
import type { Db } from '../../src/db/client.js';
import { analyse } from '../../src/match/text.js';

export interface SeedPerson {
  email: string;
  name: string | null;
  role?: 'porteur' | 'rejoindre' | 'ressource' | null;
  categories?: string[];
  description: string;
  commune?: string | null;
  departement?: string | null;
  lat?: number | null;
  lon?: number | null;
  /** null = anywhere; default 50. */
  radiusKm?: number | null;
  status?: 'pending' | 'active' | 'unsubscribed' | 'erased';
  confirmed?: boolean;
  consent?: boolean;
  pausedDays?: number;
  bounced?: boolean;
  waitingDays?: number;
}

export const PLACES = {
  die: { commune: 'Die', departement: '26', lat: 44.7536, lon: 5.3703 },
  saillans: { commune: 'Saillans', departement: '26', lat: 44.6976, lon: 5.1955 },
  crest: { commune: 'Crest', departement: '26', lat: 44.7284, lon: 5.0226 },
  lannion: { commune: 'Lannion', departement: '22', lat: 48.7326, lon: -3.4566 },
  perrosGuirec: { commune: 'Perros-Guirec', departement: '22', lat: 48.8147, lon: -3.4392 },
  lyon: { commune: 'Lyon', departement: '69', lat: 45.764, lon: 4.8357 },
} as const;

export async function seedPerson(db: Db, p: SeedPerson): Promise<number> {
  const status = p.status ?? 'active';
  const [row] = await db`
    insert into people (email, name, status, source, consent_at, confirmed_at, paused_until, bounced_at, waiting_since)
    values (${p.email}, ${p.name}, ${status}, 'import',
            ${p.consent === false ? null : new Date()},
            ${p.confirmed === false ? null : new Date()},
            ${p.pausedDays ? new Date(Date.now() + p.pausedDays * 86_400_000) : null},
            ${p.bounced ? new Date() : null},
            ${new Date(Date.now() - (p.waitingDays ?? 7) * 86_400_000)})
    returning id`;
  const id = row!.id as number;
  const analysed = analyse(p.description, { ignoreWords: p.commune ? [p.commune] : [] });
  await db`
    insert into profiles (person_id, role, categories, description, commune, departement, lat, lon, radius_km, terms, term_counts)
    values (${id}, ${p.role ?? null}, ${p.categories ?? []}, ${p.description}, ${p.commune ?? null}, ${p.departement ?? null},
            ${p.lat ?? null}, ${p.lon ?? null}, ${p.radiusKm === undefined ? 50 : p.radiusKm}, ${analysed.terms}, ${analysed.counts})`;
  return id;
}
