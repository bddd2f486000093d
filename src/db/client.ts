// The PostgreSQL client (postgres.js). One pool per process; repositories take `sql` as a
// parameter so the same function works inside or outside a transaction.
import postgres from 'postgres';

export type Sql = postgres.Sql<Record<string, never>>;
export type TransactionSql = postgres.TransactionSql<Record<string, never>>;
/** Anything a repository function can run a query on. */
export type Db = Sql | TransactionSql;

export class ServiceUnreachableError extends Error {}

export function connect(databaseUrl: string, options: { max?: number } = {}): Sql {
  return postgres(databaseUrl, {
    max: options.max ?? 10,
    onnotice: () => {},
    // bigint ids come back as JS numbers: ids stay far below 2^53.
    types: { bigint: { to: 20, from: [20], serialize: (x: number) => String(x), parse: (x: string) => Number(x) } },
    connection: { application_name: 'maillage' },
  }) as unknown as Sql;
}

/** Creates the database named in the URL when it does not exist (fresh machines, tests). */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!name) return;
  const admin = postgres({ ...connectionParts(url), database: 'postgres', max: 1, onnotice: () => {} });
  try {
    const rows = await admin`select 1 from pg_database where datname = ${name}`;
    if (rows.length === 0) {
      try {
        await admin.unsafe(`create database ${quoteIdent(name)}`);
      } catch (err) {
        // Two processes starting at once may both try; the loser sees "already exists" (42P04)
        // or, when both got past the catalogue check together, a unique violation (23505).
        const code = (err as { code?: string }).code;
        if (code !== '42P04' && code !== '23505') throw err;
      }
    }
  } catch (err) {
    throw describeConnectionError(err, databaseUrl);
  } finally {
    await admin.end({ timeout: 1 });
  }
}

export async function dropDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  const admin = postgres({ ...connectionParts(url), database: 'postgres', max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`drop database if exists ${quoteIdent(name)} with (force)`);
  } finally {
    await admin.end({ timeout: 1 });
  }
}

function connectionParts(url: URL) {
  return {
    host: url.hostname || 'localhost',
    port: url.port ? Number(url.port) : 5432,
    username: decodeURIComponent(url.username) || undefined,
    password: decodeURIComponent(url.password) || undefined,
  };
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Turns a low-level connection failure into one line an operator can act on. */
export function describeConnectionError(err: unknown, databaseUrl: string): Error {
  const code = (err as { code?: string }).code;
  const url = new URL(databaseUrl);
  const where = `${url.hostname || 'localhost'}:${url.port || 5432}`;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ETIMEDOUT' || code === 'EAI_AGAIN' || code === 'CONNECT_TIMEOUT') {
    return new ServiceUnreachableError(
      `PostgreSQL is not reachable at ${where} (DATABASE_URL). Start it (see README, "Running maillage"), or set DATABASE_URL.`,
    );
  }
  if (code === '28P01' || code === '28000') {
    return new ServiceUnreachableError(`PostgreSQL at ${where} refused the credentials in DATABASE_URL.`);
  }
  return err instanceof Error ? err : new Error(String(err));
}
