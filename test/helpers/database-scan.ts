// Generic looks at everything the service stores, for tests that must not depend on knowing
// the schema: every user table (from information_schema), every Redis key under a prefix.
import type { Redis } from 'ioredis';
import type { Db } from '../../src/db/client.js';

export async function userTables(sql: Db): Promise<string[]> {
  const rows = await sql<{ table_name: string }[]>`
    select table_name from information_schema.tables
    where table_schema = 'public' and table_type = 'BASE TABLE'
    order by table_name`;
  return rows.map((r) => r.table_name);
}

/**
 * Every row of every user table as sorted JSON lines, without the columns named in `ignore`
 * ("table.column"). Two snapshots are equal exactly when no row was added, removed or changed.
 */
export async function snapshotTables(sql: Db, ignore: string[] = []): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const table of await userTables(sql)) {
    const drop = ignore.filter((c) => c.startsWith(`${table}.`)).map((c) => c.slice(table.length + 1));
    const rows = await sql<{ j: string }[]>`
      select (to_jsonb(t) - ${drop}::text[])::text as j from ${sql(table)} t`;
    out[table] = rows.map((r) => r.j).sort();
  }
  return out;
}

export interface Finding {
  table: string;
  column: string;
  needle: string;
  rows: number;
}

/**
 * Where any of `needles` (case-insensitive) appears in any column of any user table that can hold
 * text: text-like types, json/jsonb, arrays (read as text) and bytea (searched byte-wise as UTF-8
 * and as Latin-1, the two ways a raw message may carry it).
 */
export async function findInDatabase(sql: Db, needles: string[]): Promise<Finding[]> {
  const columns = await sql<{ table_name: string; column_name: string; data_type: string; udt_name: string }[]>`
    select c.table_name, c.column_name, c.data_type, c.udt_name
    from information_schema.columns c
    join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
    where c.table_schema = 'public' and t.table_type = 'BASE TABLE'
    order by c.table_name, c.ordinal_position`;
  const findings: Finding[] = [];
  for (const c of columns) {
    const textual = ['text', 'character varying', 'character', 'json', 'jsonb', 'ARRAY', 'USER-DEFINED'].includes(c.data_type);
    const binary = c.data_type === 'bytea';
    if (!textual && !binary) continue;
    for (const needle of needles) {
      let n = 0;
      if (binary) {
        // A raw message is bytes in whatever charset its sender used: look for both encodings.
        const forms = [...new Set([needle, needle.toLowerCase()])].flatMap((f) => [Buffer.from(f, 'utf8'), Buffer.from(f, 'latin1')]);
        for (const form of forms) {
          const [r] = await sql<{ n: number }[]>`
            select count(*)::int as n from ${sql(c.table_name)} where position(${form}::bytea in ${sql(c.column_name)}) > 0`;
          n = Math.max(n, r!.n);
        }
      } else {
        const [r] = await sql<{ n: number }[]>`
          select count(*)::int as n from ${sql(c.table_name)}
          where strpos(lower(${sql(c.column_name)}::text), lower(${needle})) > 0`;
        n = r!.n;
      }
      if (n > 0) findings.push({ table: c.table_name, column: c.column_name, needle, rows: n });
    }
  }
  return findings;
}

/** Every Redis key under `prefix`, with everything it holds flattened to one string. */
export async function dumpRedis(redis: Redis, prefix: string): Promise<{ key: string; content: string }[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', '1000');
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  const out: { key: string; content: string }[] = [];
  for (const key of keys.sort()) {
    const type = await redis.type(key);
    let content: unknown;
    if (type === 'string') content = await redis.get(key);
    else if (type === 'hash') content = await redis.hgetall(key);
    else if (type === 'list') content = await redis.lrange(key, 0, -1);
    else if (type === 'set') content = await redis.smembers(key);
    else if (type === 'zset') content = await redis.zrange(key, '0', '-1', 'WITHSCORES');
    else if (type === 'stream') content = await redis.xrange(key, '-', '+');
    else content = `(${type})`;
    out.push({ key, content: JSON.stringify(content) });
  }
  return out;
}
