// Two weeks after a meeting email: "Avez-vous pu échanger ?", one click per answer. Answers
// are events (introduction.followup, data { introductionId, answer }), the raw material for
// later rounds: see docs/ARCHITECTURE.md, "Follow-up answers".
import type { AppContext } from '../context.js';
import { recordEvent } from '../db/events.js';
import { followupUrl } from '../mail/links.js';
import { enqueueSend, writeEmail } from '../mail/outbox.js';
import { verifyToken, type TokenError } from '../mail/tokens.js';
import { firstName, getIntroduction, getParty, otherSide, personOn, sideOf, type IntroductionRow, type Side } from './model.js';
import { personalFooter, TEMPLATES } from './templates.js';

export const FOLLOWUP_ANSWERS = ['met', 'not-yet', 'no'] as const;
export type FollowupAnswer = (typeof FOLLOWUP_ANSWERS)[number];

const BATCH = 500;

function isFollowupAnswer(value: unknown): value is FollowupAnswer {
  return (FOLLOWUP_ANSWERS as readonly unknown[]).includes(value);
}

/** Writes the follow-up emails of every meeting old enough; returns how many were written. */
export async function sendDueFollowups(ctx: AppContext, now = new Date()): Promise<number> {
  if (ctx.config.followupAfterDays <= 0) return 0;
  const cutoff = new Date(now.getTime() - ctx.config.followupAfterDays * 86_400_000);
  let written = 0;
  for (;;) {
    const batch = await ctx.sql.begin(async (tx) => {
      const intros = await tx<IntroductionRow[]>`
        select * from introductions
        where status = 'accepted' and followup_sent_at is null and closed_at <= ${cutoff}
        order by id limit ${BATCH}
        for update skip locked`;
      const ids: number[] = [];
      for (const intro of intros) {
        for (const side of ['a', 'b'] as Side[]) {
          const me = await getParty(tx, personOn(intro, side));
          if (!me?.email || me.status !== 'active') continue;
          const other = await getParty(tx, personOn(intro, otherSide(side)));
          const link = (answer: FollowupAnswer) => followupUrl(ctx.config, intro.id, me.id, answer);
          const mail = await writeEmail(tx, ctx, {
            key: `followup:${intro.id}:${me.id}`,
            personId: me.id,
            to: me.email,
            template: TEMPLATES.followup,
            vars: {
              preview: 'Un clic pour nous dire comment ça s’est passé',
              name: firstName(me.name),
              otherName: firstName(other?.name),
              metUrl: link('met'),
              notYetUrl: link('not-yet'),
              noUrl: link('no'),
              ...personalFooter(ctx.config, me.id),
            },
          });
          if (mail.created) ids.push(mail.id);
        }
        await tx`update introductions set followup_sent_at = ${now} where id = ${intro.id}`;
      }
      return { count: intros.length, ids };
    });
    for (const id of batch.ids) await enqueueSend(ctx, id);
    written += batch.ids.length;
    if (batch.count < BATCH) return written;
  }
}

export type FollowupCheck =
  | { state: 'invalid'; error: TokenError | 'unknown' }
  | { state: 'ready'; introductionId: number; personId: number; answer: FollowupAnswer; otherName: string; previous: FollowupAnswer | null };

/** For the GET page: reads the link, changes nothing. */
export async function checkFollowupLink(ctx: Pick<AppContext, 'config' | 'sql'>, token: unknown): Promise<FollowupCheck> {
  const verified = verifyToken(ctx.config.secret, token, 'followup');
  if (!verified.ok) return { state: 'invalid', error: verified.error };
  const { p: personId, i: introductionId, a: answer } = verified.payload;
  if (!Number.isSafeInteger(introductionId) || !isFollowupAnswer(answer)) return { state: 'invalid', error: 'tampered' };
  const intro = await getIntroduction(ctx.sql, introductionId!);
  const side = intro ? sideOf(intro, personId) : null;
  if (!intro || !side || intro.status !== 'accepted') return { state: 'invalid', error: 'unknown' };
  const me = await getParty(ctx.sql, personId);
  if (!me || me.status === 'erased') return { state: 'invalid', error: 'unknown' };
  const other = await getParty(ctx.sql, personOn(intro, otherSide(side)));
  return { state: 'ready', introductionId: intro.id, personId, answer, otherName: firstName(other?.name), previous: await lastFollowup(ctx.sql, intro.id, personId) };
}

async function lastFollowup(db: AppContext['sql'], introductionId: number, personId: number): Promise<FollowupAnswer | null> {
  const rows = await db`
    select data->>'answer' as answer from events
    where type = 'introduction.followup' and person_id = ${personId} and (data->>'introductionId')::bigint = ${introductionId}
    order by id desc limit 1`;
  const answer = rows[0]?.answer;
  return isFollowupAnswer(answer) ? answer : null;
}

/** The POST: records the answer once (the same answer twice is one event). */
export async function recordFollowup(ctx: Pick<AppContext, 'config' | 'sql'>, token: unknown): Promise<FollowupCheck & { recorded?: boolean }> {
  const check = await checkFollowupLink(ctx, token);
  if (check.state !== 'ready') return check;
  if (check.previous === check.answer) return { ...check, recorded: false };
  await recordEvent(ctx.sql, 'introduction.followup', check.personId, { introductionId: check.introductionId, answer: check.answer });
  return { ...check, recorded: true };
}
