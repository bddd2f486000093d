-- Introductions after the proposal: the follow-up two weeks after a meeting.
-- (Replies to a proposal that are neither a yes nor a no are flagged for the operator on
-- inbound_messages.for_operator, from 010, with an introduction.reply_unclear event.)

-- When the "Avez-vous pu échanger ?" emails were written (at most once per introduction).
alter table introductions add column followup_sent_at timestamptz;
-- The follow-up job looks for meetings (accepted) older than two weeks without a follow-up.
create index introductions_followup_due_idx on introductions (closed_at)
  where status = 'accepted' and followup_sent_at is null;
