-- Territory: local référent·es and their weekly digest, and what the operator's console marks as
-- handled.

-- A local relay who receives a weekly digest of their territory. Added by the operator
-- (`maillage referent add`), active only once they confirm by the link we email them. The
-- territory is a list of départements and/or communes (INSEE codes) and/or EPCI (SIREN), resolved
-- to communes at digest time with the offline gazetteer. A référent is not a `people` row: they
-- are not matched, and removing one deletes the row (their name and address go with it).
create table referents (
  id               bigserial primary key,
  email            citext not null unique,
  name             text not null,
  status           text not null default 'pending' check (status in ('pending', 'active', 'unsubscribed')),
  departements     text[] not null default '{}',
  commune_codes    text[] not null default '{}',
  epci_codes       text[] not null default '{}',
  -- single-use value embedded in the confirmation link
  confirm_nonce    text,
  confirmed_at     timestamptz,
  unsubscribed_at  timestamptz,
  created_at       timestamptz not null default now(),
  -- an empty territory would make an empty digest forever: refused here as in the CLI
  check (cardinality(departements) + cardinality(commune_codes) + cardinality(epci_codes) > 0)
);

-- One row per référent and week the digest job looked at: sent, or nothing to say. Makes the job
-- idempotent (a retry, or a second run the same week, writes nothing twice) and tells the console
-- when each référent last heard from us. Counts only, no personal data.
create table referent_digests (
  referent_id  bigint not null references referents(id) on delete cascade,
  week         text not null,
  sent         boolean not null,
  outbound_id  bigint,
  counts       jsonb not null default '{}',
  created_at   timestamptz not null default now(),
  primary key (referent_id, week)
);

-- The console's "messages that need a human" list: what the operator has dealt with leaves it.
alter table inbound_messages add column operator_handled_at timestamptz;
alter table outbound_messages add column operator_handled_at timestamptz;
create index outbound_messages_failed_idx on outbound_messages (created_at desc) where status = 'failed';

-- The digest and the console's week-by-week funnel read people and introductions by date and place.
create index people_created_idx on people (created_at);
create index people_confirmed_idx on people (confirmed_at);
create index people_network_idx on people (network_id) where network_id is not null;
create index profiles_commune_code_idx on profiles (commune_code);
create index introductions_created_idx on introductions (created_at);
create index introductions_accepted_closed_idx on introductions (closed_at) where status = 'accepted';
