// Loading what a round needs from PostgreSQL, fast: one query over the eligible people, only the
// columns matching reads, arrays flattened to strings by PostgreSQL (splitting one string in JS
// is several times cheaper than postgres.js parsing a text[] literal per row).
import type { Db } from '../db/client.js';
import type { IdPairs, MatchInput } from '../match/index.js';
import { isRole } from '../vocabulary.js';

/**
 * Who may be proposed this round: active, confirmed, consented, not bounced, not paused (or the
 * pause is over), with a profile. Unsubscribed and erased people are not 'active'. `asOf` (a
 * sharded round's start) leaves out people confirmed after it, so the shards and the merge,
 * loading at different moments, see the same population (people leaving only ever shrink it).
 * Kept as one fragment so the round, the shards, the report and the benchmark floor agree.
 */
export function eligibleWhere(db: Db, asOf?: Date) {
  return db`p.status = 'active'
      and p.confirmed_at is not null
      and p.consent_at is not null
      and p.bounced_at is null
      and (p.paused_until is null or p.paused_until <= now())
      ${asOf ? db`and p.confirmed_at <= ${asOf}` : db``}`;
}

export function eligibleFrom(db: Db, asOf?: Date) {
  return db`from people p join profiles f on f.person_id = p.id where ${eligibleWhere(db, asOf)}`;
}

/** A geographic window (with the rule of rowBelongsToShard): people located inside it, plus
 * everyone who said "anywhere", plus (when asked) people without a location. */
export interface LoadWindow {
  south: number;
  north: number;
  west: number;
  east: number;
  withUnlocated: boolean;
}

// Unit separator: never inside a stem or a slug (analyse() keeps letters and digits only).
const SEP = '\u001f';

type RawRow = [id: number, role: string | null, categories: string, lat: number | null, lon: number | null, radius: number | null, terms: string, counts: string, waiting: number];

function toInput(r: RawRow): MatchInput {
  const terms = r[6].length > 0 ? r[6].split(SEP) : [];
  const counts = r[7].length > 0 ? r[7].split(',').map(Number) : [];
  return {
    id: r[0],
    role: r[1] !== null && isRole(r[1]) ? r[1] : null,
    categories: r[2].length > 0 ? r[2].split(SEP) : [],
    lat: r[3],
    lon: r[4],
    radiusKm: r[5],
    terms,
    counts,
    waitingSince: r[8],
  };
}

/**
 * The eligible people as matching inputs, in no particular order (buildPopulation orders them;
 * sorting 100,000 wide rows here would cost PostgreSQL an on-disk sort). Descriptions come apart
 * (loadEligibleDescriptions), on another connection at the same time.
 */
export async function loadEligibleProfiles(db: Db, window?: LoadWindow, asOf?: Date): Promise<MatchInput[]> {
  const where = window
    ? db`and (f.radius_km is null
              or (f.lat >= ${window.south} and f.lat < ${window.north} and f.lon >= ${window.west} and f.lon < ${window.east})
              ${window.withUnlocated ? db`or f.lat is null or f.lon is null` : db``})`
    : db``;
  const out: MatchInput[] = [];
  // Converted as rows arrive: the splitting overlaps with PostgreSQL still sending the rest.
  await db`
    select p.id, f.role, array_to_string(f.categories, ${SEP}), f.lat, f.lon, f.radius_km,
           array_to_string(f.terms, ${SEP}), array_to_string(f.term_counts, ','),
           (extract(epoch from p.waiting_since) * 1000)::float8
    ${eligibleFrom(db, asOf)} ${where}`
    .values()
    .forEach((row) => {
      out.push(toInput(row as unknown as RawRow));
    });
  return out;
}

/**
 * Every pair ever proposed (any status): never proposed again, declined or not. After a year of
 * weekly rounds there are millions: they are read with COPY, as text, straight into two columns
 * (a row object each would cost seconds and hundreds of megabytes).
 */
export async function loadExcludedPairs(db: Db): Promise<IdPairs> {
  const stream = await db`copy (select person_a, person_b from introductions) to stdout`.readable();
  const columns = new PairColumns();
  // Text format: "<person_a>\t<person_b>\n" per row; ids are positive integers.
  let value = 0;
  let first = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    for (let k = 0; k < chunk.length; k++) {
      const c = chunk[k]!;
      if (c >= 48 && c <= 57) value = value * 10 + (c - 48);
      else if (c === 9) {
        first = value;
        value = 0;
      } else if (c === 10) {
        columns.push(first, value);
        value = 0;
      }
    }
  }
  return columns.done();
}

/** Two growing Float64Array columns. */
class PairColumns {
  private a = new Float64Array(1024);
  private b = new Float64Array(1024);
  private length = 0;

  push(x: number, y: number): void {
    if (this.length === this.a.length) {
      const a = new Float64Array(this.a.length * 2);
      const b = new Float64Array(this.b.length * 2);
      a.set(this.a);
      b.set(this.b);
      this.a = a;
      this.b = b;
    }
    this.a[this.length] = x;
    this.b[this.length] = y;
    this.length++;
  }

  done(): IdPairs {
    return { a: this.a.slice(0, this.length), b: this.b.slice(0, this.length) };
  }
}

/** Descriptions of every eligible person, read alongside the profiles (another connection). */
export async function loadEligibleDescriptions(db: Db, asOf?: Date): Promise<Map<number, string>> {
  const map = new Map<number, string>();
  await db`select p.id, f.description ${eligibleFrom(db, asOf)}`.values().forEach((row) => {
    map.set(row[0] as number, row[1] as string);
  });
  return map;
}

/** Descriptions of the given people (those in selected pairs), for explanations. */
export async function loadDescriptions(db: Db, ids: readonly number[]): Promise<Map<number, string>> {
  const map = new Map<number, string>();
  const CHUNK = 20_000;
  for (let k = 0; k < ids.length; k += CHUNK) {
    const chunk = ids.slice(k, k + CHUNK);
    const rows = (await db`
      select person_id, description from profiles where person_id = any(${db.array(chunk as number[])}::bigint[])`.values()) as unknown as [number, string][];
    for (const [id, description] of rows) map.set(id, description);
  }
  return map;
}
