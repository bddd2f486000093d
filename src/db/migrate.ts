// Plain SQL migrations, applied in file-name order, each in its own transaction, recorded in
// schema_migrations. A session-level advisory lock makes concurrent starts wait for each other.
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { Sql } from './client.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
// Any constant works; it only has to be the same for every maillage process.
const MIGRATION_LOCK_ID = 7_204_113;

export async function migrate(sql: Sql): Promise<string[]> {
  const files = (await readdir(MIGRATIONS_DIR)).filter((f) => f.endsWith('.sql')).sort();
  const applied: string[] = [];
  await sql.reserve().then(async (conn) => {
    try {
      await conn`select pg_advisory_lock(${MIGRATION_LOCK_ID})`;
      await conn`create table if not exists schema_migrations (
        name text primary key,
        applied_at timestamptz not null default now()
      )`;
      const done = new Set((await conn`select name from schema_migrations`).map((r) => r.name as string));
      for (const file of files) {
        if (done.has(file)) continue;
        const text = await readFile(path.join(MIGRATIONS_DIR, file), 'utf8');
        await conn`begin`;
        try {
          await conn.unsafe(text);
          await conn`insert into schema_migrations (name) values (${file})`;
          await conn`commit`;
        } catch (err) {
          await conn`rollback`;
          throw new Error(`Migration ${file} failed: ${(err as Error).message}`);
        }
        applied.push(file);
      }
    } finally {
      await conn`select pg_advisory_unlock(${MIGRATION_LOCK_ID})`.catch(() => {});
      conn.release();
    }
  });
  return applied;
}
