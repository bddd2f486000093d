-- Which people a référent's digest names (first name, commune, their words), by id only: when one
-- of them erases their data, erasePerson (src/control.ts) finds the stored digests that mention
-- them. Empty for a digest that names nobody, and for those written before this migration (they
-- did not record it). GIN: erasure asks "person_ids contains this id".
alter table referent_digests add column person_ids bigint[] not null default '{}';
create index referent_digests_person_ids_idx on referent_digests using gin (person_ids);
