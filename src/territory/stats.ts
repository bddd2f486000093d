// What the operator's console reads: the funnel week by week, people by département, the messages
// that need a human, and people to act on. Read-only SQL, one named query per function.
import type { Db } from '../db/client.js';

export interface FunnelWeek {
  /** Monday of the week, "2026-11-02", in the configured time zone. */
  week: string;
  registered: number;
  confirmed: number;
  /** Distinct people who received at least one proposal that week. */
  proposed: number;
  /** Distinct people in an introduction both sides accepted that week. */
  met: number;
}

/**
 * The funnel in people, week by week (last `weeks` weeks, the current one included). Erased
 * people still count: their row stays as an anonymous tombstone with its dates.
 */
export async function funnelByWeek(db: Db, timeZone: string, weeks = 12): Promise<FunnelWeek[]> {
  // One range scan per step (each on its date index), grouped by local week; weeks with nothing
  // come from the series. Cheaper than a sub-query per week and step.
  return db<FunnelWeek[]>`
    with series as (
      select generate_series(
        date_trunc('week', now() at time zone ${timeZone}) - make_interval(weeks => ${weeks - 1}),
        date_trunc('week', now() at time zone ${timeZone}),
        interval '1 week') as w
    ),
    since as (select (min(w) at time zone ${timeZone}) as t from series),
    registered as (
      select date_trunc('week', p.created_at at time zone ${timeZone}) as w, count(*)::int as n
      from people p, since where p.created_at >= since.t group by 1
    ),
    confirmed as (
      select date_trunc('week', p.confirmed_at at time zone ${timeZone}) as w, count(*)::int as n
      from people p, since where p.confirmed_at >= since.t group by 1
    ),
    proposed as (
      select w, count(distinct x)::int as n from (
        select date_trunc('week', i.created_at at time zone ${timeZone}) as w, unnest(array[i.person_a, i.person_b]) as x
        from introductions i, since where i.created_at >= since.t) q
      group by w
    ),
    met as (
      select w, count(distinct x)::int as n from (
        select date_trunc('week', i.closed_at at time zone ${timeZone}) as w, unnest(array[i.person_a, i.person_b]) as x
        from introductions i, since where i.status = 'accepted' and i.closed_at >= since.t) q
      group by w
    )
    select to_char(s.w, 'YYYY-MM-DD') as week,
      coalesce(r.n, 0) as registered, coalesce(c.n, 0) as confirmed, coalesce(pr.n, 0) as proposed, coalesce(m.n, 0) as met
    from series s
    left join registered r on r.w = s.w
    left join confirmed c on c.w = s.w
    left join proposed pr on pr.w = s.w
    left join met m on m.w = s.w
    order by s.w`;
}

export interface Totals {
  people: number;
  active: number;
  pending: number;
  paused: number;
  unsubscribed: number;
  erased: number;
  introductions: number;
  meetings: number;
}

export async function totals(db: Db): Promise<Totals> {
  const [p] = await db`
    select count(*)::int as people,
      count(*) filter (where status = 'active')::int as active,
      count(*) filter (where status = 'pending')::int as pending,
      count(*) filter (where status = 'active' and paused_until > now())::int as paused,
      count(*) filter (where status = 'unsubscribed')::int as unsubscribed,
      count(*) filter (where status = 'erased')::int as erased
    from people`;
  const [i] = await db`
    select count(*)::int as introductions, count(*) filter (where status = 'accepted')::int as meetings from introductions`;
  return { ...(p as unknown as Omit<Totals, 'introductions' | 'meetings'>), introductions: i!.introductions as number, meetings: i!.meetings as number };
}

export interface DepartementCount {
  /** '' for people whose place we do not know. */
  departement: string;
  active: number;
  pending: number;
}

export async function peopleByDepartement(db: Db): Promise<DepartementCount[]> {
  return db<DepartementCount[]>`
    select coalesce(f.departement, '') as departement,
      count(*) filter (where p.status = 'active')::int as active,
      count(*) filter (where p.status = 'pending')::int as pending
    from people p join profiles f on f.person_id = p.id
    where p.status in ('active', 'pending')
    group by 1
    order by 1`;
}

export interface InboundForOperator {
  id: number;
  received_at: Date;
  from_address: string | null;
  channel: string;
  status: string;
  kind: string | null;
  reason: string | null;
  outcome: string | null;
  error: string | null;
  person_id: number | null;
}

/** Inbound messages no rule could act on (a question, an unclear answer, an unreadable message). */
export async function inboundForOperator(db: Db, limit = 100): Promise<InboundForOperator[]> {
  return db<InboundForOperator[]>`
    select id, received_at, from_address, channel, status, kind, reason, outcome, error, person_id
    from inbound_messages
    where (for_operator or status = 'failed') and operator_handled_at is null
    order by received_at desc, id desc
    limit ${limit}`;
}

export async function getInboundRaw(db: Db, id: number): Promise<{ id: number; raw: Buffer; from_address: string | null; received_at: Date; kind: string | null; outcome: string | null } | undefined> {
  const rows = await db<{ id: number; raw: Buffer; from_address: string | null; received_at: Date; kind: string | null; outcome: string | null }[]>`
    select id, raw, from_address, received_at, kind, outcome from inbound_messages where id = ${id}`;
  return rows[0];
}

export interface FailedOutbound {
  id: number;
  created_at: Date;
  to_address: string;
  template: string;
  subject: string;
  attempts: number;
  last_error: string | null;
}

export async function failedOutbound(db: Db, limit = 100): Promise<FailedOutbound[]> {
  return db<FailedOutbound[]>`
    select id, created_at, to_address, template, subject, attempts, last_error
    from outbound_messages
    where status = 'failed' and operator_handled_at is null
    order by created_at desc, id desc
    limit ${limit}`;
}

export async function countNeedsHuman(db: Db): Promise<{ inbound: number; outbound: number }> {
  const [r] = await db`
    select
      (select count(*)::int from inbound_messages where (for_operator or status = 'failed') and operator_handled_at is null) as inbound,
      (select count(*)::int from outbound_messages where status = 'failed' and operator_handled_at is null) as outbound`;
  return { inbound: r!.inbound as number, outbound: r!.outbound as number };
}

export async function markInboundHandled(db: Db, id: number): Promise<boolean> {
  const rows = await db`update inbound_messages set operator_handled_at = now() where id = ${id} and operator_handled_at is null returning id`;
  return rows.length > 0;
}

export async function markOutboundHandled(db: Db, id: number): Promise<boolean> {
  const rows = await db`update outbound_messages set operator_handled_at = now() where id = ${id} and operator_handled_at is null returning id`;
  return rows.length > 0;
}

export interface PersonForConsole {
  id: number;
  email: string | null;
  name: string | null;
  status: 'pending' | 'active' | 'unsubscribed' | 'erased';
  source: string;
  network: string | null;
  visible_to_referents: boolean;
  created_at: Date;
  confirmed_at: Date | null;
  paused_until: Date | null;
  bounced_at: Date | null;
  commune: string | null;
  departement: string | null;
  role: string | null;
  description: string | null;
  introductions: number;
  meetings: number;
}

const PERSON_COLUMNS = (db: Db) => db`
  p.id, p.email, p.name, p.status, p.source, n.name as network, p.visible_to_referents, p.created_at, p.confirmed_at,
  p.paused_until, p.bounced_at, f.commune, f.departement, f.role, f.description,
  (select count(*)::int from introductions i where i.person_a = p.id or i.person_b = p.id) as introductions,
  (select count(*)::int from introductions i where (i.person_a = p.id or i.person_b = p.id) and i.status = 'accepted') as meetings`;

export async function getPersonForConsole(db: Db, id: number): Promise<PersonForConsole | undefined> {
  const rows = await db<PersonForConsole[]>`
    select ${PERSON_COLUMNS(db)}
    from people p left join profiles f on f.person_id = p.id left join networks n on n.id = p.network_id
    where p.id = ${id}`;
  return rows[0];
}

/** By id ("42" or "#42"), exact address, or a part of a name or an address. */
export async function searchPeople(db: Db, query: string, limit = 50): Promise<PersonForConsole[]> {
  const q = query.trim();
  const id = /^#?(\d{1,15})$/.exec(q);
  const like = `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return db<PersonForConsole[]>`
    select ${PERSON_COLUMNS(db)}
    from people p left join profiles f on f.person_id = p.id left join networks n on n.id = p.network_id
    where ${q === '' ? db`true` : id ? db`p.id = ${Number(id[1])}` : db`(p.email ilike ${like} or p.name ilike ${like})`}
    order by p.created_at desc, p.id desc
    limit ${limit}`;
}
