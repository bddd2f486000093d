// Writing an email = rendering it and inserting it into the outbox with an idempotency key.
// Delivery is a separate job (jobId from the outbox id), so a retry of the caller writes
// nothing twice and a retry of the send never delivers a message already marked sent.
import { randomUUID } from 'node:crypto';
import type { AppContext } from '../context.js';
import type { Db } from '../db/client.js';
import { insertOutbound, type NewOutbound } from '../db/outbound.js';
import { doneWithin } from '../queue/deadline.js';
import { JOBS } from '../queue/names.js';
import { listUnsubscribeHeaders } from './links.js';
import type { RenderedEmail, TemplateVars } from './templates.js';

export interface EmailRequest {
  /** Unique per logical message, e.g. `confirm:42:<nonce>`: writing it twice is a no-op. */
  key: string;
  personId: number | null;
  /** One address, or several separated by ", " (one message seen by all, e.g. the meeting email). */
  to: string;
  template: string;
  vars: TemplateVars;
  /** A reply in the person's thread. */
  inReplyTo?: string | null;
  references?: string[];
  /** 'auto-replied' for answers to a message, 'auto-generated' otherwise (RFC 3834). */
  autoSubmitted?: 'auto-generated' | 'auto-replied';
  replyTo?: string;
  extraHeaders?: Record<string, string>;
}

type MailContext = Pick<AppContext, 'config' | 'templates'>;

export function defaultFooter(ctx: MailContext): { footerHtml: string; footerText: string } {
  const url = ctx.config.publicUrl;
  return {
    footerHtml: `Vous recevez ce message parce que vous vous êtes inscrit·e sur <a href="${url}">maillage</a>, le service de mise en relation pour les projets collectifs écologiques. Pour toute question, répondez simplement à ce message.`,
    footerText: `—\nVous recevez ce message parce que vous vous êtes inscrit·e sur maillage (${url}). Pour toute question, répondez simplement à ce message.`,
  };
}

/**
 * Renders a message and the headers it will carry, without storing it. Pure: the render
 * benchmark times exactly this.
 */
export function composeEmail(ctx: MailContext, req: EmailRequest): { rendered: RenderedEmail; headers: Record<string, string> } {
  // Object.assign rather than spreads: in V8 (Node 20) `{ ...a, ...b }` with a proposal's ~17
  // keys takes a slow path (~15 µs against ~0.3 µs) unless a plain property comes first; this
  // form does not depend on that.
  const vars: TemplateVars = Object.assign({ preview: '' }, defaultFooter(ctx), req.vars);
  const rendered = ctx.templates.render(req.template, vars);
  const headers: Record<string, string> = {
    'Auto-Submitted': req.autoSubmitted ?? 'auto-generated',
    // Ask Exchange/Outlook not to answer our mail with out-of-office notices.
    'X-Auto-Response-Suppress': 'OOF, AutoReply',
    'X-Maillage-Template': req.template,
    ...req.extraHeaders,
  };
  if (req.inReplyTo) {
    headers['In-Reply-To'] = req.inReplyTo;
    headers['References'] = [...(req.references ?? []), req.inReplyTo].filter((v, i, a) => a.indexOf(v) === i).join(' ');
  }
  if (req.replyTo) headers['Reply-To'] = req.replyTo;
  // Every mail to one known person offers RFC 8058 one-click unsubscribe. A message to several
  // people (the meeting email) sets its own: one person's link must not unsubscribe the other.
  if (req.personId !== null && !headers['List-Unsubscribe']) Object.assign(headers, listUnsubscribeHeaders(ctx.config, req.personId));
  return { rendered, headers };
}

/** The outbox row for a message, rendered: what writeEmail inserts (the intake inserts a batch's at once). */
export function outboundFor(ctx: MailContext, req: EmailRequest): NewOutbound {
  const { rendered, headers } = composeEmail(ctx, req);
  return {
    idempotencyKey: req.key,
    messageId: `<${randomUUID()}@${ctx.config.mailDomain}>`,
    personId: req.personId,
    to: req.to,
    template: req.template,
    subject: rendered.subject,
    html: rendered.html,
    text: rendered.text,
    headers,
  };
}

/** Renders and stores the message; call enqueueSend with the id once the transaction commits. */
export async function writeEmail(db: Db, ctx: MailContext, req: EmailRequest): Promise<{ id: number; created: boolean }> {
  return insertOutbound(db, outboundFor(ctx, req));
}

function sendJobOptions(outboundId: number) {
  return {
    jobId: `send-${outboundId}`,
    attempts: 8,
    backoff: { type: 'exponential', delay: 5_000 },
    removeOnComplete: { age: 7 * 24 * 3600, count: 10_000 },
    removeOnFail: { age: 30 * 24 * 3600 },
  };
}

/**
 * Queues the send job of an email already committed to the outbox. False when Redis did not take
 * it within a short wait: the email stays in the outbox and sweep-outbox queues it later.
 */
export async function enqueueSend(ctx: Pick<AppContext, 'queues'>, outboundId: number): Promise<boolean> {
  return doneWithin(ctx.queues.mail.add(JOBS.sendEmail, { outboundId }, sendJobOptions(outboundId)));
}

/** Several at once: one round trip to Redis (the intake queues a batch's answers together). */
export async function enqueueSends(ctx: Pick<AppContext, 'queues'>, outboundIds: number[]): Promise<boolean> {
  if (outboundIds.length === 0) return true;
  return doneWithin(ctx.queues.mail.addBulk(outboundIds.map((outboundId) => ({ name: JOBS.sendEmail, data: { outboundId }, opts: sendJobOptions(outboundId) }))));
}

/** Write then enqueue, for callers outside a transaction. */
export async function sendEmail(ctx: AppContext, req: EmailRequest): Promise<number> {
  const { id } = await writeEmail(ctx.sql, ctx, req);
  await enqueueSend(ctx, id);
  return id;
}
