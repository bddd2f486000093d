// Proposals nobody answers: one reminder at day REMINDER_AFTER_DAYS (4), then a silent close at
// day PROPOSAL_EXPIRY_DAYS (7). Silent for both sides: nobody is told the other said nothing,
// and nobody is told the other said no. That is also why the reminder goes to whoever has not
// answered even when the other side declined: its absence would tell them.
import type { AppContext } from '../context.js';
import { recordEvent } from '../db/events.js';
import { enqueueSend, writeEmail } from '../mail/outbox.js';
import { answerLinks } from './answers.js';
import { replyAddressFor } from './reply-target.js';
import { answerDeadline, firstName, getParty, otherSide, personOn, placeOf, type IntroductionRow, type Side } from './model.js';
import { frenchDate, personalFooter, TEMPLATES, ERASURE_TEMPLATE } from './templates.js';

const BATCH = 500;
const DAY_MS = 86_400_000;
/** An erasure confirmation that could not be delivered in this time is dropped with its address. */
const ERASURE_NOTICE_MAX_AGE_DAYS = 3;

export interface ExpiryReport {
  reminded: number;
  remindersWritten: number;
  expired: number;
  erasureNoticesPurged: number;
}

export async function runIntroductionExpiry(ctx: AppContext, now = new Date()): Promise<ExpiryReport> {
  const report: ExpiryReport = { reminded: 0, remindersWritten: 0, expired: 0, erasureNoticesPurged: 0 };
  if (ctx.config.reminderAfterDays > 0 && ctx.config.reminderAfterDays < ctx.config.proposalExpiryDays) {
    for (;;) {
      const batch = await remindBatch(ctx, now);
      report.reminded += batch.introductions;
      report.remindersWritten += batch.outboundIds.length;
      for (const id of batch.outboundIds) await enqueueSend(ctx, id);
      if (batch.introductions < BATCH) break;
    }
  }
  report.expired = await expireDue(ctx, now);
  const purged = await ctx.sql`
    delete from outbound_messages
    where template = ${ERASURE_TEMPLATE} and created_at < ${new Date(now.getTime() - ERASURE_NOTICE_MAX_AGE_DAYS * DAY_MS)}
    returning id`;
  report.erasureNoticesPurged = purged.length;
  return report;
}

async function remindBatch(ctx: AppContext, now: Date): Promise<{ introductions: number; outboundIds: number[] }> {
  const remindBefore = new Date(now.getTime() - ctx.config.reminderAfterDays * DAY_MS);
  const openAfter = new Date(now.getTime() - ctx.config.proposalExpiryDays * DAY_MS);
  return ctx.sql.begin(async (tx) => {
    // skip locked: two workers running the job at once share the work instead of doubling it.
    const intros = await tx<IntroductionRow[]>`
      select * from introductions
      where status in ('proposed', 'declined') and reminded_at is null
        and created_at <= ${remindBefore} and created_at > ${openAfter}
        and (answer_a is null or answer_b is null)
      order by id
      limit ${BATCH}
      for update skip locked`;
    const outboundIds: number[] = [];
    for (const intro of intros) {
      for (const side of ['a', 'b'] as Side[]) {
        if ((side === 'a' ? intro.answer_a : intro.answer_b) !== null) continue;
        // Only people we may still write to: active, reachable, not on a pause they asked for.
        const reachable = await tx`
          select 1 from people where id = ${personOn(intro, side)} and status = 'active' and email is not null
            and bounced_at is null and (paused_until is null or paused_until <= ${now})`;
        const me = reachable.length > 0 ? await getParty(tx, personOn(intro, side)) : undefined;
        if (!me?.email) continue;
        const other = await getParty(tx, personOn(intro, otherSide(side)));
        const otherName = firstName(other?.name);
        const otherPlace = other ? placeOf(other) : null;
        const mail = await writeEmail(tx, ctx, {
          key: `reminder:${intro.id}:${me.id}`,
          personId: me.id,
          to: me.email,
          template: TEMPLATES.reminder,
          // Replying "oui" to the reminder answers, like replying to the proposal.
          replyTo: replyAddressFor(ctx, intro.id, me.id),
          vars: {
            preview: `Notre proposition de rencontrer ${otherName} reste ouverte quelques jours`,
            name: firstName(me.name),
            otherName,
            otherWho: otherPlace ? `${otherName}, à ${otherPlace}` : otherName,
            explanation: intro.explanation.trim() || 'Vos projets et vos envies nous ont semblé faits pour se rencontrer.',
            deadline: frenchDate(answerDeadline(intro, ctx.config)),
            ...answerLinks(ctx, intro.id, me.id),
            ...personalFooter(ctx.config, me.id),
          },
        });
        if (mail.created) outboundIds.push(mail.id);
      }
      await tx`update introductions set reminded_at = ${now} where id = ${intro.id}`;
      await recordEvent(tx, 'introduction.reminded', null, { introductionId: intro.id });
    }
    return { introductions: intros.length, outboundIds };
  });
}

async function expireDue(ctx: AppContext, now: Date): Promise<number> {
  const cutoff = new Date(now.getTime() - ctx.config.proposalExpiryDays * DAY_MS);
  let total = 0;
  for (;;) {
    const expired = await ctx.sql.begin(async (tx) => {
      const rows = await tx<{ id: number; round_id: number | null }[]>`
        update introductions set status = 'expired', closed_at = ${now}
        where id in (
          select id from introductions
          where status = 'proposed' and created_at <= ${cutoff}
          order by id limit ${BATCH}
          for update skip locked)
        returning id, round_id`;
      for (const row of rows) await recordEvent(tx, 'introduction.expired', null, { introductionId: row.id, roundId: row.round_id });
      return rows.length;
    });
    total += expired;
    if (expired < BATCH) return total;
  }
}
