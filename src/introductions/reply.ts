// Answering a proposal by email. The intake calls handleIntroReply from its apply step, inside
// its transaction, for a message sent to a per-introduction reply address (kind intro_reply) or
// whose In-Reply-To names a proposal we sent. The body is already trimmed of quotes and
// signature. A clear yes or no is recorded exactly like a click; anything else is kept for the
// operator and the person is told, with the buttons again.
import type { AppContext } from '../context.js';
import type { Db } from '../db/client.js';
import { recordEvent } from '../db/events.js';
import { findOutboundByMessageId } from '../db/outbound.js';
import { writeEmail } from '../mail/outbox.js';
import { escapeHtml } from '../web/html.js';
import { answerLinks, applyAnswer, type AnswerResult } from './answers.js';
import { firstName, getIntroduction, getParty, otherSide, personOn, sideOf } from './model.js';
import { replyAddressFor, resolveReplyTag } from './reply-target.js';
import { frenchDate, personalFooter, TEMPLATES } from './templates.js';
import { understandAnswer } from './understand-answer.js';

type Ctx = Pick<AppContext, 'config' | 'templates'>;

export interface IntroReplyInput {
  /** inbound_messages.id of the reply (kept; flagged for the operator when not understood). */
  inboundId: number;
  /** The person the sender address belongs to, when known. */
  personId: number | null;
  /** Plus-tag of the address the reply was sent to ("r-…"), when there was one. */
  replyTag: string | null;
  /** The Message-ID the reply answers, when the client kept it. */
  inReplyTo: string | null;
  /** The person's own words: quote and signature already removed. */
  body: string;
}

export interface IntroReplyResult {
  /** For inbound_messages.outcome. */
  outcome:
    | 'answer-accepted'
    | 'answer-declined'
    | 'answer-unchanged'
    | 'meeting-sent'
    | 'too-late'
    | 'already-met'
    | 'not-understood'
    | 'unknown-introduction';
  introductionId: number | null;
  /** True when a person on the team should read the message. */
  forOperator: boolean;
  /** Outbox ids to enqueue once the caller's transaction has committed. */
  outboundIds: number[];
}

/** Our own emails about one introduction and one person carry this key prefix and ids. */
const OWN_KEY = /^(?:proposal|reminder|not-understood|answer-received):(\d+):(\d+)(?::|$)/;

/**
 * Which introduction and which side a reply is about. The reply tag is signed, so it is enough
 * on its own (people answer from another address of theirs). A bare In-Reply-To only counts
 * when the sender is the person the message was sent to.
 */
async function resolveTarget(tx: Db, ctx: Ctx, input: IntroReplyInput): Promise<{ introductionId: number; personId: number } | null> {
  if (input.replyTag) {
    const tagged = await resolveReplyTag(tx, ctx, input.replyTag);
    if (tagged) return tagged;
  }
  if (input.inReplyTo && input.personId !== null) {
    const ids = input.inReplyTo.match(/<[^<>\s]+>/g) ?? [input.inReplyTo.trim()];
    for (const id of ids) {
      const sent = await findOutboundByMessageId(tx, id);
      const m = sent ? OWN_KEY.exec(sent.idempotency_key) : null;
      if (m && Number(m[2]) === input.personId) return { introductionId: Number(m[1]), personId: input.personId };
    }
  }
  return null;
}

export async function handleIntroReply(tx: Db, ctx: Ctx, input: IntroReplyInput): Promise<IntroReplyResult> {
  const target = await resolveTarget(tx, ctx, input);
  const intro = target ? await getIntroduction(tx, target.introductionId) : undefined;
  const side = intro && target ? sideOf(intro, target.personId) : null;
  if (!target || !intro || !side) {
    await recordEvent(tx, 'introduction.reply_unmatched', input.personId, { inboundId: input.inboundId });
    await flagForOperator(tx, input.inboundId);
    return { outcome: 'unknown-introduction', introductionId: null, forOperator: true, outboundIds: [] };
  }
  const personId = target.personId;
  const me = await getParty(tx, personId);
  const other = await getParty(tx, personOn(intro, otherSide(side)));
  if (!me?.email || me.status === 'erased') {
    await flagForOperator(tx, input.inboundId);
    return { outcome: 'unknown-introduction', introductionId: intro.id, forOperator: true, outboundIds: [] };
  }
  const otherName = firstName(other?.name);
  const threading = await threadOf(tx, input.inboundId);
  const answer = understandAnswer(input.body);

  if (answer === null) {
    await recordEvent(tx, 'introduction.reply_unclear', personId, { introductionId: intro.id, inboundId: input.inboundId });
    await flagForOperator(tx, input.inboundId);
    const day = new Date().toISOString().slice(0, 10);
    const mail = await writeEmail(tx, ctx, {
      // At most one "not understood" a day per introduction and person: a loop with a robot
      // that slipped through the auto-reply checks gets one answer, not one per message.
      key: `not-understood:${intro.id}:${personId}:${day}`,
      personId,
      to: me.email,
      template: TEMPLATES.notUnderstood,
      autoSubmitted: 'auto-replied',
      replyTo: replyAddressFor(ctx, intro.id, personId),
      ...threading,
      vars: {
        preview: 'Un clic suffit pour répondre à la proposition',
        name: firstName(me.name),
        otherName,
        ...answerLinks(ctx, intro.id, personId),
        ...personalFooter(ctx.config, personId),
      },
    });
    return { outcome: 'not-understood', introductionId: intro.id, forOperator: true, outboundIds: mail.created ? [mail.id] : [] };
  }

  const { result, outboundIds } = await applyAnswer(tx, ctx, {
    introductionId: intro.id,
    personId,
    answer: answer === 'accept' ? 'accepted' : 'declined',
    source: 'email',
  });
  const outcome = outcomeOf(result);
  // The meeting email is the answer to a yes that completes the pair; everything else gets a
  // short acknowledgement in the thread, so nobody wonders whether their "oui" arrived.
  if (outcome !== 'meeting-sent' && outcome !== 'unknown-introduction') {
    const ack = acknowledgement(ctx, result, otherName, intro.id, personId);
    const mail = await writeEmail(tx, ctx, {
      key: `answer-received:${intro.id}:${personId}:${input.inboundId}`,
      personId,
      to: me.email,
      template: TEMPLATES.answerReceived,
      autoSubmitted: 'auto-replied',
      replyTo: replyAddressFor(ctx, intro.id, personId),
      ...threading,
      vars: {
        preview: ack.text.split('\n')[0]!,
        name: firstName(me.name),
        otherName,
        messageHtml: escapeHtml(ack.text).replace(/\n/g, '<br>'),
        messageText: ack.text,
        changeHtml: ack.change ? `${escapeHtml(ack.change.label)} <a href="${escapeHtml(ack.change.url)}">${escapeHtml(ack.change.action)}</a>` : '',
        changeText: ack.change ? `${ack.change.label} ${ack.change.action} : ${ack.change.url}` : '',
        ...personalFooter(ctx.config, personId),
      },
    });
    if (mail.created) outboundIds.push(mail.id);
  }
  return { outcome, introductionId: intro.id, forOperator: false, outboundIds };
}

function outcomeOf(result: AnswerResult): IntroReplyResult['outcome'] {
  switch (result.state) {
    case 'recorded':
      return result.meeting ? 'meeting-sent' : result.answer === 'accepted' ? 'answer-accepted' : 'answer-declined';
    case 'unchanged':
      return 'answer-unchanged';
    case 'met':
      return 'already-met';
    case 'closed':
      return 'too-late';
    case 'unknown':
      return 'unknown-introduction';
  }
}

function acknowledgement(
  ctx: Ctx,
  result: AnswerResult,
  otherName: string,
  introductionId: number,
  personId: number,
): { text: string; change: { label: string; action: string; url: string } | null } {
  const links = answerLinks({ config: ctx.config }, introductionId, personId);
  if (result.state === 'met') {
    return { text: `Vous êtes déjà en relation avec ${otherName} : vous avez tous les deux accepté, et nous vous avons envoyé un e-mail à tous les deux avec vos coordonnées. Répondez-y à tous pour faire connaissance.`, change: null };
  }
  if (result.state === 'closed') {
    return { text: `Merci pour votre réponse. Le délai pour répondre à la proposition de rencontrer ${otherName} est passé, et vous n'avez pas été mis en relation cette fois-ci.\nVous n'avez rien à faire : votre prochaine proposition arrivera comme d'habitude.`, change: null };
  }
  if (result.state !== 'recorded' && result.state !== 'unchanged') return { text: 'Merci pour votre message.', change: null };
  const until = frenchDate(result.view.deadline);
  if (result.answer === 'accepted') {
    return {
      text: `Merci, c'est noté : vous acceptez de rencontrer ${otherName}. Si ${otherName} accepte aussi, vous recevrez tous les deux un e-mail avec vos coordonnées.\nSinon, vous n'aurez rien à faire : votre prochaine proposition arrivera comme d'habitude.`,
      change: { label: `Vous avez changé d'avis ? Jusqu'au ${until} :`, action: 'non merci', url: links.declineUrl },
    };
  }
  return {
    text: `C'est noté : vous ne serez pas mis en relation avec ${otherName}, qui ne sera pas informé·e de votre réponse.\nVotre prochaine proposition arrivera comme d'habitude.`,
    change: { label: `Vous avez changé d'avis ? Jusqu'au ${until} :`, action: 'oui, mettez-nous en relation', url: links.acceptUrl },
  };
}

/** Our answer goes in the person's thread: In-Reply-To their message. */
async function threadOf(tx: Db, inboundId: number): Promise<{ inReplyTo?: string | null }> {
  const rows = await tx`select message_id from inbound_messages where id = ${inboundId}`;
  const messageId = rows[0]?.message_id as string | null | undefined;
  return messageId ? { inReplyTo: messageId } : {};
}

/** Keeps the message in the operator's list (inbound_messages.for_operator, from the intake). */
async function flagForOperator(tx: Db, inboundId: number): Promise<void> {
  await tx`update inbound_messages set for_operator = true where id = ${inboundId}`;
}
