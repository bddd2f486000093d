// Delivers one outbox message. Payload: { outboundId } only. Idempotent: a message already
// sent or held is not delivered again; a suppressed address (hard bounce, unsubscribed,
// erased) is never written to.
import type { Job } from 'bullmq';
import type { AppContext } from '../src/context.js';
import { markBounced } from '../src/control.js';
import { markOutbound, type OutboundRow } from '../src/db/outbound.js';
import { ERASURE_TEMPLATE } from '../src/introductions/templates.js';
import { grouped, onePerPool } from '../src/queue/group-commit.js';
import { buildRawMessage } from '../src/mail/mime.js';
import { JOBS, QUEUES } from '../src/queue/names.js';
import type { JobDefinition } from '../src/queue/registry.js';

export interface SendEmailData {
  outboundId: number;
}

async function process(job: Job<SendEmailData>, ctx: AppContext): Promise<string> {
  const { outboundId } = job.data;
  const row = await groupsOf(ctx).claim(outboundId);
  if (!row) return 'already-done';
  // A message may go to several people at once (the meeting email): each suppressed address
  // is dropped, and the message is suppressed only when nobody is left.
  const recipients = splitRecipients(row.to_address);
  const suppressed = new Set(row.suppressed);
  const deliverTo = recipients.filter((a) => !suppressed.has(a.toLowerCase()));
  if (deliverTo.length === 0) {
    await markOutbound(ctx.sql, row.id, 'suppressed');
    await forgetErasureNotice(ctx, row);
    return 'suppressed';
  }
  if (!ctx.transport) {
    await markOutbound(ctx.sql, row.id, 'held');
    return 'held';
  }
  const { 'Reply-To': replyTo, 'In-Reply-To': inReplyTo, References: references, ...headers } = row.headers;
  const [local, domain] = ctx.config.mailFromAddress.split('@');
  // VERP: a bounce comes back to bounce+<id>@ and names the message it is about.
  const envelope = { from: `${local}+b-${row.id}@${domain}`, to: deliverTo };
  const message = {
    from: ctx.config.mailFrom,
    // Everyone sees every address in To (Reply-All ready); only the others get it delivered.
    to: recipients,
    replyTo: replyTo ?? ctx.config.replyTo,
    subject: row.subject,
    html: row.html,
    text: row.text_body,
    messageId: row.message_id,
    inReplyTo,
    references,
    headers: { ...headers, 'X-Maillage-Id': String(row.id) },
  };
  let info: { rejected?: (string | { address: string })[] };
  try {
    // Built here (src/mail/mime.ts: half the CPU of nodemailer's composer), signed and
    // delivered by nodemailer; the composer remains for what the builder declines.
    const raw = buildRawMessage(message);
    info = raw
      ? await ctx.transport.sendMail({ envelope, raw })
      : await ctx.transport.sendMail({ ...message, envelope, textEncoding: 'quoted-printable' });
  } catch (err) {
    const message = (err as Error).message;
    const permanent = /^5\d\d/.test(String((err as { responseCode?: number }).responseCode ?? ''));
    if (permanent) {
      // The server refused these recipients for good (5xx to RCPT TO): a hard bounce at send
      // time, so the address is suppressed like one reported later by a bounce message.
      const rejected = (err as { rejected?: unknown }).rejected;
      if (Array.isArray(rejected)) {
        for (const address of rejected) {
          if (typeof address === 'string') await markBounced(ctx.sql, address.toLowerCase(), { status: 'smtp-rejected' });
        }
      }
    }
    await markOutbound(ctx.sql, row.id, 'failed', message.slice(0, 500));
    if (permanent) {
      await forgetErasureNotice(ctx, row);
      return 'failed-permanently';
    }
    throw err;
  }
  // Some recipients refused, others accepted (the meeting email): the refused are hard bounces.
  for (const address of info.rejected ?? []) {
    const value = typeof address === 'string' ? address : address.address;
    await markBounced(ctx.sql, value.toLowerCase(), { status: 'smtp-rejected' });
  }
  // Awaited: the job is done (and the message will not be sent again) only once this commits.
  // A group that failed (a dropped connection) is retried for this message alone before the job
  // fails, since a failed job sends its message again.
  await groupsOf(ctx).markSent(row.id).catch(() => markOutbound(ctx.sql, row.id, 'sent'));
  await forgetErasureNotice(ctx, row);
  return 'sent';
}

type ClaimedRow = OutboundRow & { suppressed: string[] };
interface Groups {
  claim: (id: number) => Promise<ClaimedRow | undefined>;
  markSent: (id: number) => Promise<void>;
}

/**
 * The claims and "sent" marks of the send jobs running at the same time, one statement each per
 * group (src/queue/group-commit.ts): one commit for many messages, one pair per database pool.
 */
const groupsOf = onePerPool((ctx): Groups => ({
  claim: grouped((ids: number[]) => claimWithSuppressed(ctx, ids)),
  markSent: grouped(async (ids: number[]) => {
    await ctx.sql`update outbound_messages set status = 'sent', last_error = null, sent_at = now() where id = any(${ids}::bigint[])`;
    return ids.map(() => undefined);
  }),
}));

/**
 * Claims the messages (queued/sending/failed → sending) and, in the same round trip, lists the
 * recipients of each that must not be written to (hard bounce, erased). One result per id, in
 * order; undefined when the message is already sent, held or gone. An id given twice is claimed
 * once: only its first caller gets the row.
 */
async function claimWithSuppressed(ctx: AppContext, ids: number[]): Promise<(ClaimedRow | undefined)[]> {
  const rows = await ctx.sql<ClaimedRow[]>`
    with claimed as (
      update outbound_messages set status = 'sending', attempts = attempts + 1
      where id = any(${ids}::bigint[]) and status in ('queued', 'sending', 'failed')
      returning *)
    select claimed.*, array(
      select lower(p.email::text) from people p
      where p.email = any(string_to_array(replace(claimed.to_address, ' ', ''), ',')::citext[])
        and (p.bounced_at is not null or p.status = 'erased')) as suppressed
    from claimed`;
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.map((id) => {
    const row = byId.get(id);
    byId.delete(id);
    return row;
  });
}

export function splitRecipients(toAddress: string): string[] {
  return toAddress.split(',').map((a) => a.trim()).filter(Boolean);
}

/**
 * The erasure confirmation is the only place an erased address still lives: once its fate is
 * known (sent, or refused for good) the row goes, so the address disappears from the outbox too.
 */
async function forgetErasureNotice(ctx: AppContext, row: { id: number; template: string }): Promise<void> {
  if (row.template === ERASURE_TEMPLATE) await ctx.sql`delete from outbound_messages where id = ${row.id}`;
}

export const sendEmailJob: JobDefinition<SendEmailData> = {
  name: JOBS.sendEmail,
  queue: QUEUES.mail,
  // More jobs than SMTP connections (nodemailer's pool, 5 unless SMTP_URL says maxConnections):
  // while some wait on PostgreSQL or Redis, the others keep every connection busy; the extra
  // ones wait in the pool's queue. The BullMQ limiter, when set, holds whatever this is.
  concurrency: 32,
  process,
};
