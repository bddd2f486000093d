-- What a shard needs to search candidates exactly as one process would over the whole round:
-- each term's document frequency after vectors are pruned to their strongest terms (the
-- "too common to search with" rule counts those), how many people have words, and the largest
-- radius (how far people who said "anywhere" look). Computed once by the round's parent.
alter table round_term_stats
  add column pruned_df       integer[],
  add column documents       integer,
  add column max_radius_km   double precision;
