-- The weekly round as a job: one round at a time, crash-safe, optionally split into shards that
-- several worker processes score in parallel.

-- Which job runs the round, whether it is still alive, and whether its send jobs were enqueued.
alter table rounds
  add column mode          text not null default 'single' check (mode in ('single', 'sharded')),
  add column job_id        text,
  -- touched by every job working on the round; a running round whose heartbeat is old was
  -- interrupted (crash, kill -9) and no longer blocks the next one
  add column heartbeat_at  timestamptz not null default now(),
  -- set once every send-proposal job of the round is in the queue; a round committed but not
  -- fanned out (crash in between) is fanned out again by the next round job
  add column fanned_out_at timestamptz,
  add column error         text;

-- At most one running round, whoever starts it (scheduler, CLI, a second machine): the second
-- insert fails instead of two rounds proposing overlapping pairs.
create unique index rounds_one_running_idx on rounds ((true)) where status = 'running';
create index rounds_started_idx on rounds (started_at desc);

create index introductions_round_idx on introductions (round_id);

-- Document frequencies of the round's population, computed once by the parent and read by every
-- shard so that a score never depends on the shard that computed it. Deleted when the round ends.
create table round_term_stats (
  round_id        bigint primary key references rounds(id) on delete cascade,
  document_count  integer not null,
  terms           text[] not null,
  df              integer[] not null
);

-- One shard of a sharded round: its geographic bounds, then its scored candidate pairs (ids and
-- scores only, packed as float64 columns) and per-person counts. Deleted when the round ends.
create table round_shards (
  round_id     bigint not null references rounds(id) on delete cascade,
  shard        integer not null,
  bounds       jsonb not null,
  overlap_km   double precision not null,
  status       text not null default 'pending' check (status in ('pending', 'done')),
  pair_count   integer,
  pairs        bytea,
  stats        bytea,
  work         jsonb,
  warnings     text[] not null default '{}',
  finished_at  timestamptz,
  primary key (round_id, shard)
);

-- Who got no proposal in a round, and why (reason codes of src/match/round.ts): ids only, so the
-- person's page and the référent·es can say "pas de proposition cette semaine, parce que…".
create table round_unmatched (
  round_id   bigint not null references rounds(id) on delete cascade,
  person_id  bigint not null references people(id) on delete cascade,
  reason     text not null,
  primary key (round_id, person_id)
);
create index round_unmatched_person_idx on round_unmatched (person_id);
