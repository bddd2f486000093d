-- maillage: the initial schema. People and their project profile, inbound mail (raw kept),
-- the outbox, the append-only event log, and the weekly rounds with their introductions.
create extension if not exists citext;

-- A partner network whose bulletin or form brought people in (e.g. a repair-café federation).
create table networks (
  id          serial primary key,
  slug        text not null unique check (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  name        text not null,
  created_at  timestamptz not null default now()
);

-- A person who registered. After an erasure the row stays as an anonymous tombstone
-- (email and name null) so that counts and the event log keep their meaning.
create table people (
  id                   bigserial primary key,
  email                citext unique,
  name                 text,
  status               text not null default 'pending'
                       check (status in ('pending', 'active', 'unsubscribed', 'erased')),
  source               text not null check (source in ('form', 'email', 'import', 'admin')),
  network_id           int references networks(id) on delete set null,
  -- consent to be introduced to other people, and to be listed in référents' digests
  consent_at           timestamptz,
  visible_to_referents boolean not null default false,
  confirmed_at         timestamptz,
  -- single-use value embedded in confirmation links: a used or superseded link no longer works
  confirm_nonce        text,
  -- a profile change waiting for confirmation by link (form re-registration of an active person)
  pending_update       jsonb,
  paused_until         timestamptz,
  unsubscribed_at      timestamptz,
  bounced_at           timestamptz,
  erased_at            timestamptz,
  -- when this person last received a proposal (or registered): the longest waiting come first
  waiting_since        timestamptz not null default now(),
  created_at           timestamptz not null default now(),
  updated_at           timestamptz not null default now()
);
create index people_status_idx on people (status);

-- What a person carries or looks for. `terms`/`term_counts` are the analysed description
-- (stems and their counts), computed at intake so a weekly round never re-tokenises.
create table profiles (
  person_id     bigint primary key references people(id) on delete cascade,
  role          text check (role in ('porteur', 'rejoindre', 'ressource')),
  categories    text[] not null default '{}',
  description   text not null default '',
  postcode      text,
  commune       text,
  commune_code  text,
  departement   text,
  lat           double precision,
  lon           double precision,
  -- how far the person would go; null means anywhere
  radius_km     integer check (radius_km is null or radius_km between 1 and 2000),
  terms         text[] not null default '{}',
  term_counts   integer[] not null default '{}',
  updated_at    timestamptz not null default now()
);
create index profiles_departement_idx on profiles (departement);

-- Every inbound email, stored before anything else looks at it.
create table inbound_messages (
  id            bigserial primary key,
  -- Message-ID when present, else sha256 of the raw bytes: the same message is stored once
  dedupe_key    text not null unique,
  message_id    text,
  sha256        text not null,
  channel       text not null check (channel in ('imap', 'webhook', 'smtp', 'cli', 'test')),
  network_id    int references networks(id) on delete set null,
  from_address  citext,
  raw           bytea not null,
  raw_size      integer not null,
  truncated     boolean not null default false,
  status        text not null default 'stored' check (status in ('stored', 'processed', 'failed')),
  kind          text,
  reason        text,
  person_id     bigint references people(id) on delete set null,
  attempts      integer not null default 0,
  error         text,
  received_at   timestamptz not null default now(),
  processed_at  timestamptz
);
create index inbound_messages_status_idx on inbound_messages (status) where status <> 'processed';
create index inbound_messages_from_idx on inbound_messages (from_address);
create index inbound_messages_person_idx on inbound_messages (person_id);

-- The outbox: every email we send is written here first, with a key that makes a second
-- write of the same message a no-op; a send job then delivers it and records the outcome.
create table outbound_messages (
  id               bigserial primary key,
  idempotency_key  text not null unique,
  message_id       text not null unique,
  person_id        bigint references people(id) on delete set null,
  to_address       text not null,
  template         text not null,
  subject          text not null,
  html             text not null,
  text_body        text not null,
  headers          jsonb not null default '{}',
  status           text not null default 'queued'
                   check (status in ('queued', 'sending', 'sent', 'held', 'failed', 'suppressed')),
  attempts         integer not null default 0,
  last_error       text,
  created_at       timestamptz not null default now(),
  sent_at          timestamptz
);
create index outbound_messages_created_idx on outbound_messages (created_at desc);
create index outbound_messages_person_idx on outbound_messages (person_id);
create index outbound_messages_pending_idx on outbound_messages (status) where status in ('queued', 'sending');

-- Append-only: what happened, when, to which internal id. Never personal data in `data`.
create table events (
  id         bigserial primary key,
  at         timestamptz not null default now(),
  type       text not null,
  person_id  bigint,
  data       jsonb not null default '{}'
);
create index events_type_at_idx on events (type, at);
create index events_person_idx on events (person_id);

create function events_are_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'events is append-only';
end $$;
create trigger events_no_update before update or delete on events
  for each statement execute function events_are_append_only();

-- One weekly matching round (or a manual one), with its report.
create table rounds (
  id           bigserial primary key,
  trigger      text not null check (trigger in ('schedule', 'manual')),
  status       text not null default 'running' check (status in ('running', 'done', 'failed')),
  started_at   timestamptz not null default now(),
  finished_at  timestamptz,
  report       jsonb
);

-- A proposal that two people meet. person_a < person_b and the unique pair mean the same two
-- people are never proposed to each other twice, whatever the order.
create table introductions (
  id             bigserial primary key,
  round_id       bigint references rounds(id) on delete set null,
  person_a       bigint not null references people(id),
  person_b       bigint not null references people(id),
  score          real not null,
  distance_km    real,
  explanation    text not null,
  shared_words   text[] not null default '{}',
  status         text not null default 'proposed'
                 check (status in ('proposed', 'accepted', 'declined', 'expired')),
  answer_a       text check (answer_a in ('accepted', 'declined')),
  answer_b       text check (answer_b in ('accepted', 'declined')),
  answered_a_at  timestamptz,
  answered_b_at  timestamptz,
  reminded_at    timestamptz,
  closed_at      timestamptz,
  created_at     timestamptz not null default now(),
  check (person_a < person_b),
  unique (person_a, person_b)
);
create index introductions_person_b_idx on introductions (person_b);
create index introductions_open_idx on introductions (status) where status = 'proposed';
