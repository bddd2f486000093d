// Repository: outbound_messages (the outbox).
import type { Db } from './client.js';

export interface OutboundRow {
  id: number;
  idempotency_key: string;
  message_id: string;
  person_id: number | null;
  to_address: string;
  template: string;
  subject: string;
  html: string;
  text_body: string;
  headers: Record<string, string>;
  status: 'queued' | 'sending' | 'sent' | 'held' | 'failed' | 'suppressed';
  attempts: number;
  last_error: string | null;
  created_at: Date;
  sent_at: Date | null;
}

export interface NewOutbound {
  idempotencyKey: string;
  messageId: string;
  personId: number | null;
  to: string;
  template: string;
  subject: string;
  html: string;
  text: string;
  headers: Record<string, string>;
}

/** Inserts the message unless one with the same key exists; returns the id either way. */
export async function insertOutbound(db: Db, m: NewOutbound): Promise<{ id: number; created: boolean }> {
  const inserted = await db`
    insert into outbound_messages (idempotency_key, message_id, person_id, to_address, template, subject, html, text_body, headers)
    values (${m.idempotencyKey}, ${m.messageId}, ${m.personId}, ${m.to}, ${m.template}, ${m.subject}, ${m.html}, ${m.text}, ${db.json(m.headers)})
    on conflict (idempotency_key) do nothing
    returning id`;
  if (inserted.length > 0) return { id: inserted[0]!.id as number, created: true };
  const existing = await db`select id from outbound_messages where idempotency_key = ${m.idempotencyKey}`;
  return { id: existing[0]!.id as number, created: false };
}

export async function getOutbound(db: Db, id: number): Promise<OutboundRow | undefined> {
  const rows = await db<OutboundRow[]>`select * from outbound_messages where id = ${id}`;
  return rows[0];
}

/** Claims a message for delivery; returns false when it was already delivered or held. */
export async function claimOutboundForSending(db: Db, id: number): Promise<OutboundRow | undefined> {
  const rows = await db<OutboundRow[]>`
    update outbound_messages set status = 'sending', attempts = attempts + 1
    where id = ${id} and status in ('queued', 'sending', 'failed')
    returning *`;
  return rows[0];
}

export async function markOutbound(db: Db, id: number, status: 'sent' | 'held' | 'failed' | 'suppressed', error?: string): Promise<void> {
  await db`
    update outbound_messages
    set status = ${status}, last_error = ${error ?? null},
        sent_at = case when ${status} = 'sent' then now() else sent_at end
    where id = ${id}`;
}

/** Messages written but never handed to a send job (a crash between commit and enqueue). */
export async function listStaleQueuedOutbound(db: Db, olderThanSeconds: number, limit = 1000): Promise<number[]> {
  const rows = await db`
    select id from outbound_messages
    where status in ('queued', 'sending') and created_at < now() - make_interval(secs => ${olderThanSeconds})
    order by id limit ${limit}`;
  return rows.map((r) => r.id as number);
}

export async function listOutbox(db: Db, limit = 200): Promise<OutboundRow[]> {
  return db<OutboundRow[]>`select * from outbound_messages order by created_at desc, id desc limit ${limit}`;
}

/** True when this Message-ID is one of ours (loop detection, replies in a thread). */
export async function findOutboundByMessageId(db: Db, messageId: string): Promise<OutboundRow | undefined> {
  const rows = await db<OutboundRow[]>`select * from outbound_messages where message_id = ${messageId}`;
  return rows[0];
}
