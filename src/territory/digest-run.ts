// Writing a référent's weekly digest: gather the week's facts for their territory (SQL), build the
// email (digest.ts, pure), write it to the outbox once per référent and week.
//
// Decisions, documented in docs/ARCHITECTURE.md:
// - The week covered is the 7 days before the run. The job runs weekly (DIGEST_CRON, Monday 08:00
//   Paris time by default); the ISO week of the run (in ROUND_TZ) is the idempotency key, so a
//   retry or a second run the same week writes nothing twice.
// - "New people" are people confirmed (active) during the week, not mere pending registrations.
// - "Still unmatched after three rounds" is read from round_unmatched, which each round fills
//   with everyone it found no partner for: a person listed in each of the last three completed
//   rounds got no proposal in any of them. Exact, and cheap to read.
// - A week with nothing new and nobody waiting sends no email ("rien de neuf" every week teaches
//   people to ignore the digest); the confirmation email says so, and the console shows the
//   week as looked at.
import type { AppContext } from '../context.js';
import { VISIBLE_EVENT } from '../control.js';
import type { Db } from '../db/client.js';
import { recordEvent } from '../db/events.js';
import { findDigest, getReferent, recordDigest, type ReferentRow } from '../db/referents.js';
import { loadGazetteer } from '../geo/index.js';
import { displayName } from '../round/proposal.js';
import { enqueueSend, writeEmail } from '../mail/outbox.js';
import { buildDigest, DIGEST_MAX_LISTED, type Digest, type DigestFacts, type DigestPerson } from './digest.js';
import { referentFooter, referentListUnsubscribeHeaders } from './referents.js';
import { isEmptyTerritory, resolveTerritory, territoryLabel, type Territory } from './territory.js';

const WEEK_MS = 7 * 86_400_000;

/** "2026-W45": the ISO week of `date` as the calendar reads in `timeZone`. */
export function isoWeek(date: Date, timeZone = 'Europe/Paris'): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(date);
  const get = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  const day = new Date(Date.UTC(get('year'), get('month') - 1, get('day')));
  const weekday = day.getUTCDay() || 7;
  day.setUTCDate(day.getUTCDate() + 4 - weekday);
  const yearStart = Date.UTC(day.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((day.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${day.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

export function territoryOf(r: Pick<ReferentRow, 'departements' | 'commune_codes' | 'epci_codes'>): Territory {
  return { departements: r.departements, communeCodes: r.commune_codes, epciCodes: r.epci_codes };
}

interface PersonRowForDigest {
  id: number;
  name: string | null;
  commune: string | null;
  departement: string | null;
  role: string | null;
  categories: string[];
  description: string;
  reason?: string | null;
}

function asPerson(r: PersonRowForDigest): DigestPerson {
  return {
    id: r.id, name: r.name, commune: r.commune, departement: r.departement, role: r.role, categories: r.categories,
    description: r.description, reason: r.reason ?? null,
  };
}

/** Everything the digest says about a territory over [from, to). Read-only. */
export async function gatherDigestFacts(
  db: Db,
  area: { departements: string[]; communeCodes: string[] },
  from: Date,
  to: Date,
): Promise<Omit<DigestFacts, 'referentName' | 'territory' | 'from' | 'to'>> {
  const deps = db.array(area.departements);
  const communes = db.array(area.communeCodes);
  const inArea = (alias: string) =>
    db`(${db(alias)}.departement = any(${deps}::text[]) or ${db(alias)}.commune_code = any(${communes}::text[]))`;
  const limit = DIGEST_MAX_LISTED + 1;

  // New to the référent: confirmed this week, or registered earlier and agreed this week to be
  // shown (most people registering by email are asked after their registration, by the link of
  // their acknowledgement: src/web/routes/control.ts, /visible). Those are counted as new too,
  // only while they agree (nobody is counted twice, nor as "did not wish to appear").
  const confirmedThisWeek = db`p.confirmed_at >= ${from} and p.confirmed_at < ${to}`;
  const agreedThisWeek = db`p.visible_to_referents and p.id in (
    select person_id from events where type = ${VISIBLE_EVENT} and at >= ${from} and at < ${to})`;
  const newPeople = await db<PersonRowForDigest[]>`
    select p.id, p.name, f.commune, f.departement, f.role, f.categories, f.description
    from people p join profiles f on f.person_id = p.id
    where p.status = 'active' and p.visible_to_referents
      and (${confirmedThisWeek} or ${agreedThisWeek}) and ${inArea('f')}
    order by p.confirmed_at, p.id
    limit ${limit}`;
  const [newCounts] = await db`
    select count(*)::int as total, count(*) filter (where p.visible_to_referents)::int as visible
    from people p join profiles f on f.person_id = p.id
    where p.status = 'active' and (${confirmedThisWeek} or ${agreedThisWeek}) and ${inArea('f')}`;

  // Two index-backed range scans (created_at; closed_at of accepted), each side's place joined.
  const touches = db`left join profiles fa on fa.person_id = i.person_a left join profiles fb on fb.person_id = i.person_b`;
  const [activity] = await db`
    select
      (select count(*)::int from introductions i ${touches}
        where i.created_at >= ${from} and i.created_at < ${to} and (${inArea('fa')} or ${inArea('fb')})) as introductions,
      (select count(*)::int from introductions i ${touches}
        where i.status = 'accepted' and i.closed_at >= ${from} and i.closed_at < ${to} and (${inArea('fa')} or ${inArea('fb')})) as meetings`;

  const lastRounds = await db`select id from rounds where status = 'done' order by finished_at desc, id desc limit 3`;
  const roundIds = lastRounds.map((r) => r.id as number);
  let unmatched: PersonRowForDigest[] = [];
  let unmatchedTotal = 0;
  let unmatchedShown = 0;
  if (roundIds.length === 3) {
    const waiting = db`
      select ru.person_id, count(*) as rounds, (array_agg(ru.reason order by ru.round_id desc))[1] as reason
      from round_unmatched ru
      where ru.round_id = any(${db.array(roundIds)}::bigint[])
      group by ru.person_id
      having count(*) = 3`;
    unmatched = await db<PersonRowForDigest[]>`
      select p.id, p.name, f.commune, f.departement, f.role, f.categories, f.description, w.reason
      from (${waiting}) w
      join people p on p.id = w.person_id join profiles f on f.person_id = p.id
      where p.status = 'active' and p.visible_to_referents and ${inArea('f')}
      order by p.waiting_since, p.id
      limit ${limit}`;
    const [counts] = await db`
      select count(*)::int as total, count(*) filter (where p.visible_to_referents)::int as visible
      from (${waiting}) w
      join people p on p.id = w.person_id join profiles f on f.person_id = p.id
      where p.status = 'active' and ${inArea('f')}`;
    unmatchedTotal = counts!.total as number;
    unmatchedShown = counts!.visible as number;
  }
  const [rounds] = await db`select count(*)::int as n from rounds where status = 'done'`;

  return {
    newPeople: padTo(newPeople.map(asPerson), newCounts!.visible as number),
    newTotal: newCounts!.total as number,
    introductions: activity!.introductions as number,
    meetings: activity!.meetings as number,
    unmatched: padTo(unmatched.map(asPerson), unmatchedShown),
    unmatchedTotal,
    roundsDone: rounds!.n as number,
  };
}

/**
 * The list is read with a limit; the digest only needs to know how many more there were, which
 * it counts as "people the email has no room for". Placeholders carry no data and are never shown.
 */
function padTo(list: DigestPerson[], count: number): DigestPerson[] {
  const out = list.slice(0, DIGEST_MAX_LISTED);
  while (out.length < count) out.push({ name: null, commune: null, departement: null, role: null, categories: [], description: '' });
  return out;
}

export async function buildReferentDigest(ctx: Pick<AppContext, 'sql'>, referent: ReferentRow, now: Date): Promise<{ digest: Digest; territory: string } | null> {
  const gaz = loadGazetteer();
  const t = territoryOf(referent);
  const area = resolveTerritory(t, gaz);
  if (isEmptyTerritory(t) || (area.departements.length === 0 && area.communeCodes.length === 0)) return null;
  const from = new Date(now.getTime() - WEEK_MS);
  const facts = await gatherDigestFacts(ctx.sql, area, from, now);
  const territory = territoryLabel(t, gaz);
  return { digest: buildDigest({ referentName: referent.name, territory, from, to: now, ...facts }), territory };
}

export type DigestOutcome =
  | { state: 'sent'; outboundId: number; week: string }
  | { state: 'nothing-new'; week: string }
  | { state: 'already-done'; week: string }
  | { state: 'skipped'; reason: 'unknown' | 'not-active' | 'empty-territory' };

/** Writes this week's digest for one référent (at most once per ISO week). */
export async function sendReferentDigest(ctx: AppContext, referentId: number, now = new Date()): Promise<DigestOutcome> {
  const referent = await getReferent(ctx.sql, referentId);
  if (!referent) return { state: 'skipped', reason: 'unknown' };
  if (referent.status !== 'active') return { state: 'skipped', reason: 'not-active' };
  const week = isoWeek(now, ctx.config.roundTz);
  if (await findDigest(ctx.sql, referent.id, week)) return { state: 'already-done', week };
  const built = await buildReferentDigest(ctx, referent, now);
  if (!built) {
    ctx.log.warn({ referentId }, 'référent territory resolves to no commune: no digest');
    return { state: 'skipped', reason: 'empty-territory' };
  }
  const { digest, territory } = built;
  const counts = digest.counts as unknown as Record<string, number>;
  const outcome = await ctx.sql.begin(async (tx): Promise<DigestOutcome> => {
    // Lock the week: two runs at once (a retry racing the original) write one digest.
    await tx`select pg_advisory_xact_lock(${7_204_140}::int, ${referent.id}::int)`;
    if (await findDigest(tx, referent.id, week)) return { state: 'already-done', week };
    if (digest.empty) {
      await recordDigest(tx, { referentId: referent.id, week, sent: false, outboundId: null, counts, personIds: [] });
      return { state: 'nothing-new', week };
    }
    const mail = await writeEmail(tx, ctx, {
      key: `referent-digest:${referent.id}:${week}`,
      personId: null,
      to: referent.email,
      template: 'referent-digest',
      vars: {
        preview: digest.subject,
        subjectLine: digest.subject,
        name: displayName(referent.name) ?? referent.name,
        territory,
        digestHtml: digest.html,
        digestText: digest.text,
        ...referentFooter(ctx, referent.id),
      },
      extraHeaders: referentListUnsubscribeHeaders(ctx, referent.id),
    });
    await recordDigest(tx, { referentId: referent.id, week, sent: true, outboundId: mail.id, counts, personIds: digest.personIds });
    await recordEvent(tx, 'referent.digest', null, { referentId: referent.id, week, ...counts });
    return { state: 'sent', outboundId: mail.id, week };
  });
  if (outcome.state === 'sent') await enqueueSend(ctx, outcome.outboundId);
  return outcome;
}
