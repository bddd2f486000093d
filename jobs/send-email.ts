// Delivers one outbox message. Payload: { outboundId } only. Idempotent: a message already
// sent or held is not delivered again; a suppressed address (hard bounce, unsubscribed,
// erased) is never written to.
import type { Job } from 'bullmq';
import type { AppContext } from '../src/context.js';
import { claimOutboundForSending, markOutbound } from '../src/db/outbound.js';
import { JOBS, QUEUES } from '../src/queue/names.js';
import type { JobDefinition } from '../src/queue/registry.js';

export interface SendEmailData {
  outboundId: number;
}

async function process(job: Job<SendEmailData>, ctx: AppContext): Promise<string> {
  const { outboundId } = job.data;
  const row = await claimOutboundForSending(ctx.sql, outboundId);
  if (!row) return 'already-done';
  const suppressed = await ctx.sql`
    select 1 from people
    where email = ${row.to_address} and (bounced_at is not null or status = 'erased')`;
  if (suppressed.length > 0) {
    await markOutbound(ctx.sql, row.id, 'suppressed');
    return 'suppressed';
  }
  if (!ctx.transport) {
    await markOutbound(ctx.sql, row.id, 'held');
    return 'held';
  }
  const { 'Reply-To': replyTo, 'In-Reply-To': inReplyTo, References: references, ...headers } = row.headers;
  const [local, domain] = ctx.config.mailFromAddress.split('@');
  try {
    await ctx.transport.sendMail({
      from: ctx.config.mailFrom,
      to: row.to_address,
      replyTo: replyTo ?? ctx.config.replyTo,
      subject: row.subject,
      html: row.html,
      text: row.text_body,
      messageId: row.message_id,
      inReplyTo,
      references,
      headers: { ...headers, 'X-Maillage-Id': String(row.id) },
      // VERP: a bounce comes back to bounce+<id>@ and names the message it is about.
      envelope: { from: `${local}+b-${row.id}@${domain}`, to: row.to_address },
    });
  } catch (err) {
    const message = (err as Error).message;
    const permanent = /^5\d\d/.test(String((err as { responseCode?: number }).responseCode ?? ''));
    await markOutbound(ctx.sql, row.id, 'failed', message.slice(0, 500));
    if (permanent) return 'failed-permanently';
    throw err;
  }
  await markOutbound(ctx.sql, row.id, 'sent');
  return 'sent';
}

export const sendEmailJob: JobDefinition<SendEmailData> = {
  name: JOBS.sendEmail,
  queue: QUEUES.mail,
  concurrency: 8,
  process,
};
