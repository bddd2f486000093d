// Recording an answer to a proposal — from a link (the POST behind it) or from a reply — and,
// when both sides said yes, writing the one meeting email that gives each their addresses.
// A decline or a silence is never told to the other side: whatever the other answered, the
// page after "oui" reads the same until both have said yes.
import type { AppContext } from '../context.js';
import type { Db } from '../db/client.js';
import { recordEvent } from '../db/events.js';
import { answerUrl } from '../mail/links.js';
import { defaultFooter, enqueueSend, writeEmail } from '../mail/outbox.js';
import { verifyToken, type TokenError } from '../mail/tokens.js';
import { escapeHtml } from '../web/html.js';
import {
  answerDeadline,
  answerOf,
  firstName,
  getIntroduction,
  getParty,
  isAnswerable,
  lockIntroduction,
  otherSide,
  personOn,
  placeOf,
  shorten,
  sideOf,
  type AnswerValue,
  type IntroductionRow,
  type Party,
  type Side,
} from './model.js';
import { TEMPLATES } from './templates.js';

type Ctx = Pick<AppContext, 'config' | 'templates'>;

export type AnswerSource = 'link' | 'email';

/** What a page needs to say about an introduction, from one person's point of view. */
export interface AnswerView {
  introductionId: number;
  personId: number;
  side: Side;
  /** How the other person is named: their first name, never their address. */
  otherName: string;
  otherPlace: string | null;
  /** This person's answer so far. The other side's answer is deliberately absent. */
  current: AnswerValue | null;
  /** open: answers taken · met: both said yes, meeting email sent · closed: too late. */
  situation: 'open' | 'met' | 'closed';
  deadline: Date;
}

export type LinkCheck =
  | { state: 'invalid'; error: TokenError | 'unknown' }
  | { state: 'ready'; answer: AnswerValue; view: AnswerView };

export type AnswerResult =
  | { state: 'recorded'; answer: AnswerValue; previous: AnswerValue | null; meeting: boolean; view: AnswerView }
  | { state: 'unchanged'; answer: AnswerValue; view: AnswerView }
  | { state: 'met'; view: AnswerView }
  | { state: 'closed'; view: AnswerView }
  | { state: 'unknown' };

function isAnswer(value: unknown): value is AnswerValue {
  return value === 'accepted' || value === 'declined';
}

function viewOf(ctx: Ctx, intro: IntroductionRow, side: Side, other: Party | undefined, now = new Date()): AnswerView {
  return {
    introductionId: intro.id,
    personId: personOn(intro, side),
    side,
    otherName: firstName(other?.name),
    otherPlace: other ? placeOf(other) : null,
    current: answerOf(intro, side),
    situation: intro.status === 'accepted' ? 'met' : isAnswerable(intro, ctx.config, now) ? 'open' : 'closed',
    deadline: answerDeadline(intro, ctx.config),
  };
}

/** For the GET page: reads the link and the introduction, changes nothing. */
export async function checkAnswerLink(ctx: Ctx & Pick<AppContext, 'sql'>, token: unknown): Promise<LinkCheck> {
  const verified = verifyToken(ctx.config.secret, token, 'answer');
  if (!verified.ok) return { state: 'invalid', error: verified.error };
  const { p: personId, i: introductionId, a: answer } = verified.payload;
  if (!Number.isSafeInteger(introductionId) || !isAnswer(answer)) return { state: 'invalid', error: 'tampered' };
  const intro = await getIntroduction(ctx.sql, introductionId!);
  const side = intro ? sideOf(intro, personId) : null;
  if (!intro || !side) return { state: 'invalid', error: 'unknown' };
  const [me, other] = await Promise.all([getParty(ctx.sql, personId), getParty(ctx.sql, personOn(intro, otherSide(side)))]);
  if (!me || me.status === 'erased') return { state: 'invalid', error: 'unknown' };
  return { state: 'ready', answer, view: viewOf(ctx, intro, side, other) };
}

/** The POST behind an answer link. */
export async function answerFromLink(ctx: AppContext, token: unknown): Promise<AnswerResult | { state: 'invalid'; error: TokenError }> {
  const verified = verifyToken(ctx.config.secret, token, 'answer');
  if (!verified.ok) return { state: 'invalid', error: verified.error };
  const { p: personId, i: introductionId, a: answer } = verified.payload;
  if (!Number.isSafeInteger(introductionId) || !isAnswer(answer)) return { state: 'invalid', error: 'tampered' };
  return (await alreadySettled(ctx, introductionId!, personId, answer)) ?? recordAnswer(ctx, { introductionId: introductionId!, personId, answer, source: 'link' });
}

/**
 * A repeated POST (a second click, a page reloaded, a scanner replaying the form) finds its
 * answer already recorded, or the introduction met or closed: that is known from plain reads,
 * without the transaction that would lock the introduction and wait for a commit. Whatever
 * else is in doubt (a first answer, a change of mind, an erased person) goes to recordAnswer.
 */
async function alreadySettled(ctx: AppContext, introductionId: number, personId: number, answer: AnswerValue): Promise<AnswerResult | null> {
  const intro = await getIntroduction(ctx.sql, introductionId);
  const side = intro ? sideOf(intro, personId) : null;
  if (!intro || !side) return null;
  if (intro.status !== 'accepted' && isAnswerable(intro, ctx.config) && answerOf(intro, side) !== answer) return null;
  const [me, other] = await Promise.all([getParty(ctx.sql, personId), getParty(ctx.sql, personOn(intro, otherSide(side)))]);
  if (!me || me.status === 'erased') return null;
  const view = viewOf(ctx, intro, side, other);
  if (view.situation === 'met') return { state: 'met', view };
  if (view.situation === 'closed') return { state: 'closed', view };
  return { state: 'unchanged', answer, view };
}

/** Records an answer in its own transaction, then hands the emails it wrote to the send queue. */
export async function recordAnswer(
  ctx: AppContext,
  input: { introductionId: number; personId: number; answer: AnswerValue; source: AnswerSource },
): Promise<AnswerResult> {
  const { result, outboundIds } = await ctx.sql.begin((tx) => applyAnswer(tx, ctx, input));
  for (const id of outboundIds) await enqueueSend(ctx, id);
  return result;
}

/**
 * Applies one answer inside the caller's transaction (the reply handler runs it in the intake
 * transaction). Returns the outbox ids to enqueue once that transaction has committed.
 */
export async function applyAnswer(
  tx: Db,
  ctx: Ctx,
  input: { introductionId: number; personId: number; answer: AnswerValue; source: AnswerSource },
  now = new Date(),
): Promise<{ result: AnswerResult; outboundIds: number[] }> {
  const intro = await lockIntroduction(tx, input.introductionId);
  const side = intro ? sideOf(intro, input.personId) : null;
  if (!intro || !side) return { result: { state: 'unknown' }, outboundIds: [] };
  const me = await getParty(tx, input.personId);
  if (!me || me.status === 'erased') return { result: { state: 'unknown' }, outboundIds: [] };
  const other = await getParty(tx, personOn(intro, otherSide(side)));
  const view = viewOf(ctx, intro, side, other, now);
  if (view.situation === 'met') return { result: { state: 'met', view }, outboundIds: [] };
  if (view.situation === 'closed') return { result: { state: 'closed', view }, outboundIds: [] };
  const previous = answerOf(intro, side);
  if (previous === input.answer) return { result: { state: 'unchanged', answer: input.answer, view }, outboundIds: [] };

  const answerA = side === 'a' ? input.answer : intro.answer_a;
  const answerB = side === 'b' ? input.answer : intro.answer_b;
  const status = answerA === 'accepted' && answerB === 'accepted' ? 'accepted' : answerA === 'declined' || answerB === 'declined' ? 'declined' : 'proposed';
  const [updated] = await tx<IntroductionRow[]>`
    update introductions set
      answer_a = ${answerA}, answer_b = ${answerB},
      answered_a_at = case when ${side} = 'a' then ${now} else answered_a_at end,
      answered_b_at = case when ${side} = 'b' then ${now} else answered_b_at end,
      status = ${status},
      -- declined closes the introduction for matching; a change of mind back to yes reopens it
      closed_at = case when ${status} = 'proposed' then null else coalesce(closed_at, ${now}) end
    where id = ${intro.id}
    returning *`;
  await recordEvent(tx, 'introduction.answered', input.personId, {
    introductionId: intro.id,
    answer: input.answer,
    source: input.source,
    changed: previous !== null,
  });

  const outboundIds: number[] = [];
  if (status === 'accepted') {
    const partyA = side === 'a' ? me : other;
    const partyB = side === 'b' ? me : other;
    // Both sides are active (leaving closes their proposals), so both have an address.
    if (partyA?.email && partyB?.email) {
      const mail = await writeMeetingEmail(tx, ctx, updated!, partyA, partyB);
      if (mail.created) outboundIds.push(mail.id);
    }
    await recordEvent(tx, 'introduction.accepted', null, { introductionId: intro.id, roundId: intro.round_id });
  }
  return {
    result: { state: 'recorded', answer: input.answer, previous, meeting: status === 'accepted', view: { ...view, current: input.answer, situation: status === 'accepted' ? 'met' : 'open' } },
    outboundIds,
  };
}

function descriptionHtml(text: string): string {
  return escapeHtml(text).replace(/\n/g, '<br>');
}

/**
 * The meeting email: one message to both, each address in To, Reply-To set to both so that
 * "Répondre" as well as "Répondre à tous" reaches the other person and not maillage. Written
 * once (key meeting:<id>). It carries no personal unsubscribe link (whoever receives it could
 * use it): List-Unsubscribe is the mailto form, and the footer says how to stop.
 */
export async function writeMeetingEmail(
  tx: Db,
  ctx: Ctx,
  intro: IntroductionRow,
  a: Party,
  b: Party,
): Promise<{ id: number; created: boolean }> {
  const nameA = firstName(a.name);
  const nameB = firstName(b.name);
  const who = (name: string, party: Party) => (placeOf(party) ? `${name}, à ${placeOf(party)}` : name);
  const descA = shorten(a.description, 500);
  const descB = shorten(b.description, 500);
  const explanation = intro.explanation.trim() || 'Vos projets et vos envies nous ont semblé faits pour se rencontrer.';
  const footer = defaultFooter(ctx);
  const stop = `Pour faire une pause ou vous désinscrire, utilisez les liens en bas de nos autres e-mails, ou écrivez STOP à ${ctx.config.replyTo}.`;
  return writeEmail(tx, ctx, {
    key: `meeting:${intro.id}`,
    personId: null,
    to: `${a.email}, ${b.email}`,
    replyTo: `${a.email}, ${b.email}`,
    template: TEMPLATES.meeting,
    extraHeaders: { 'List-Unsubscribe': `<mailto:${ctx.config.replyTo}?subject=STOP>` },
    vars: {
      preview: `${nameA} et ${nameB} : répondez à tous pour faire connaissance`,
      nameA,
      nameB,
      whoA: who(nameA, a),
      whoB: who(nameB, b),
      emailA: a.email,
      emailB: b.email,
      explanation,
      descriptionAHtml: descriptionHtml(descA),
      descriptionBHtml: descriptionHtml(descB),
      descriptionAText: descA,
      descriptionBText: descB,
      footerHtml: `${escapeHtml(stop)}<br>${footer.footerHtml}`,
      footerText: `${footer.footerText}\n${stop}`,
    },
  });
}

/** Accept and decline links for one person, for the emails that offer the buttons again. */
export function answerLinks(ctx: Pick<AppContext, 'config'>, introductionId: number, personId: number): { acceptUrl: string; declineUrl: string } {
  return {
    acceptUrl: answerUrl(ctx.config, introductionId, personId, 'accepted'),
    declineUrl: answerUrl(ctx.config, introductionId, personId, 'declined'),
  };
}
