-- Outgoing emails are stored rendered (the outbox page shows them as sent, a resend is the same
-- bytes), about 15 kB each. PostgreSQL compresses such values with pglz by default, which costs
-- the intake and the round more CPU than anything else they write; lz4 compresses several times
-- faster for a few percent more space. Only on servers built with lz4 (PostgreSQL 14+ usually
-- are); elsewhere this changes nothing. Values already stored keep their compression.
do $$
begin
  if exists (select 1 from pg_settings where name = 'default_toast_compression' and 'lz4' = any(enumvals)) then
    alter table outbound_messages alter column html set compression lz4, alter column text_body set compression lz4;
  end if;
end
$$;
