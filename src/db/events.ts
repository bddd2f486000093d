// Repository: events, the append-only log. `data` never holds personal data.
import type { Db } from './client.js';

export async function recordEvent(db: Db, type: string, personId: number | null, data: Record<string, unknown> = {}): Promise<void> {
  await db`insert into events (type, person_id, data) values (${type}, ${personId}, ${db.json(data as never)})`;
}

export async function countEvents(db: Db, type: string, personId?: number): Promise<number> {
  const rows = personId === undefined
    ? await db`select count(*)::int as n from events where type = ${type}`
    : await db`select count(*)::int as n from events where type = ${type} and person_id = ${personId}`;
  return rows[0]!.n as number;
}
