// Shared by the territory, admin and demo tests: people placed in a commune, the outbox, and a
// logged-in console session.
import { randomUUID } from 'node:crypto';
import type { Config } from '../../src/config.js';
import type { Sql } from '../../src/db/client.js';
import { upsertProfile } from '../../src/db/people.js';
import { geocode } from '../../src/geo/index.js';
import { profileFromInput } from '../../src/registration.js';
import type { Role } from '../../src/vocabulary.js';
import { Browser, hiddenField } from '../helpers/http.js';

export interface OutboxItem { id: number; to: string; subject: string; text: string; html: string; headers: Record<string, string>; status: string; template: string }

export async function readOutbox(baseUrl: string, headers: Record<string, string> = {}): Promise<OutboxItem[]> {
  const res = await fetch(`${baseUrl}/outbox.json`, { headers });
  if (res.status !== 200) throw new Error(`outbox.json answered ${res.status}`);
  return (await res.json()) as OutboxItem[];
}

export function basicAuth(password: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`admin:${password}`).toString('base64')}` };
}

export interface PlacedPerson { id: number; email: string; name: string }

/** An active, consented person with a profile in `place`, confirmed at `confirmedAt`. */
export async function placePerson(
  sql: Sql,
  o: { name: string; place: string; description: string; visible?: boolean; role?: Role; confirmedAt?: Date; networkId?: number | null; status?: 'active' | 'pending' },
): Promise<PlacedPerson> {
  const where = geocode(o.place);
  if (!where) throw new Error(`no commune for ${o.place}`);
  const email = `${o.name.toLowerCase().replace(/[^a-z]+/g, '.')}.${randomUUID().slice(0, 6)}@exemple.org`;
  const confirmed = o.status === 'pending' ? null : (o.confirmedAt ?? new Date());
  const [row] = await sql`
    insert into people (email, name, source, network_id, consent_at, visible_to_referents, status, confirmed_at, created_at)
    values (${email}, ${o.name}, 'form', ${o.networkId ?? null}, now(), ${o.visible ?? false}, ${o.status ?? 'active'}, ${confirmed}, ${confirmed ?? new Date()})
    returning id`;
  const id = row!.id as number;
  await upsertProfile(sql, id, profileFromInput({
    role: o.role ?? 'porteur', categories: ['habitat-partage'], description: o.description, radiusKm: 50,
    place: { postcode: where.postcode, commune: where.commune, communeCode: where.communeCode, departement: where.departement, lat: where.lat, lon: where.lon },
  }));
  return { id, email, name: o.name };
}

/** A browser logged in to /admin. */
export async function adminBrowser(baseUrl: string, password: string): Promise<Browser> {
  const browser = new Browser(baseUrl);
  const login = await browser.get('/admin/connexion');
  const res = await browser.post('/admin/connexion', { csrf: hiddenField(login.body, 'csrf'), suite: '/admin', password });
  if (res.status !== 303) throw new Error(`login failed: ${res.status}`);
  return browser;
}

/** Runs a CLI command against the service's database and queues; captures what it prints. */
export async function runCli(
  command: (args: string[]) => Promise<number>,
  args: string[],
  config: Pick<Config, 'databaseUrl' | 'redisUrl' | 'queuePrefix' | 'publicUrl' | 'secret' | 'mailFrom' | 'replyTo'>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const writeOut = process.stdout.write.bind(process.stdout);
  const writeErr = process.stderr.write.bind(process.stderr);
  const previous = { ...process.env };
  Object.assign(process.env, {
    DATABASE_URL: config.databaseUrl, REDIS_URL: config.redisUrl, QUEUE_PREFIX: config.queuePrefix, PUBLIC_URL: config.publicUrl,
    SECRET: config.secret, MAIL_FROM: config.mailFrom, REPLY_TO: config.replyTo, LOG_LEVEL: 'silent',
  });
  process.stdout.write = ((chunk: string | Uint8Array) => { out.push(String(chunk)); return true; }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => { err.push(String(chunk)); return true; }) as typeof process.stderr.write;
  try {
    const code = await command(args);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
    process.env = previous;
  }
}
