-- Email intake: what was done with each inbound message, which ones the operator should read,
-- and the once-a-day limit on answers that are not registrations.

-- What applying the message did ("profile-created", "unsubscribed", "ignored: auto-reply"…),
-- for the operator and for `maillage ingest --wait`; `kind` and `reason` say what it was.
alter table inbound_messages add column outcome text;
-- Messages a person wrote that no rule could act on (a question, a command from an unknown
-- address, a message too big to read): kept for the operator to read and answer.
alter table inbound_messages add column for_operator boolean not null default false;
create index inbound_messages_for_operator_idx on inbound_messages (received_at desc) where for_operator;
-- The sweep looks for messages stored but not processed after a while.
create index inbound_messages_stored_idx on inbound_messages (received_at) where status = 'stored';

-- At most one answer per address, reason and day for everything that is not a registration
-- (a message too large, a question, a command from an unknown address): a sender whose client
-- repeats itself, or a loop with a robot that sets no Auto-Submitted header, gets one answer.
-- The address is kept only as a sha256, so this table holds no personal data. `count` serves
-- the daily cap on all answers to one address (key "<sha256>:all:<day>").
create table inbound_reply_limits (
  key         text primary key,
  count       integer not null default 1,
  created_at  timestamptz not null default now()
);
create index inbound_reply_limits_created_idx on inbound_reply_limits (created_at);
