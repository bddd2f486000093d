// An active, consenting person with a geocoded profile, written straight to the database: the
// starting point of every test about what happens once people are registered.
import { randomUUID } from 'node:crypto';
import type { Db } from '../../src/db/client.js';
import { insertPerson, upsertProfile } from '../../src/db/people.js';
import { geocode } from '../../src/geo/index.js';
import { profileFromInput } from '../../src/registration.js';
import type { Role } from '../../src/vocabulary.js';

export interface TestPerson {
  id: number;
  email: string;
  name: string;
}

export async function createActivePerson(
  db: Db,
  p: { name: string; description: string; place?: string; role?: Role; categories?: string[]; radiusKm?: number | null; emailLocal?: string },
): Promise<TestPerson> {
  const email = `${p.emailLocal ?? p.name.toLowerCase()}.${randomUUID().slice(0, 6)}@example.org`;
  const found = geocode(p.place ?? 'Die');
  if (!found) throw new Error(`test place not found: ${p.place}`);
  const person = await insertPerson(db, {
    email, name: p.name, source: 'form', networkId: null, consent: true, visibleToReferents: false, confirmNonce: null, status: 'active',
  });
  await upsertProfile(db, person.id, profileFromInput({
    role: p.role ?? 'porteur',
    categories: p.categories ?? [],
    radiusKm: p.radiusKm === undefined ? 50 : p.radiusKm,
    description: p.description,
    place: { postcode: found.postcode, commune: found.commune, communeCode: found.communeCode, departement: found.departement, lat: found.lat, lon: found.lon },
  }));
  return { id: person.id, email, name: p.name };
}
