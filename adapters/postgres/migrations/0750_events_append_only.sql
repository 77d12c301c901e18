-- The event log is append-only at the database level (issue 19; docs/EVIDENCE.md).
--
-- Two locks, for two kinds of caller:
-- 1. Privileges. The service connects, in production, as a member of the group role `swl_app`
--    (adapters/postgres/roles.ts), which may SELECT and INSERT events and nothing else: no UPDATE,
--    DELETE, TRUNCATE, REFERENCES or TRIGGER. The role is cluster-wide, so it is created once and
--    every later database (tests make one per file, concurrently) only finds it.
-- 2. A trigger, for the tables' owner and superusers, whom privileges do not stop: every UPDATE,
--    DELETE and TRUNCATE of events is refused. It is statement-level, so it costs an INSERT
--    nothing, and it fires even when no row matches. An owner can still disable it (ALTER TABLE …
--    DISABLE TRIGGER, session_replication_role = replica): what such a person changes, the hash
--    chain (0751_event_chain.sql) exposes.
do $$
begin
  create role swl_app nologin;
exception when duplicate_object or unique_violation then
  null; -- made by an earlier database on this server, or by a concurrent migration
end $$;

create function swl_refuse_change() returns trigger language plpgsql as $$
begin
  raise exception '% is append-only: % refused', tg_table_name, tg_op
    using errcode = 'P0001', hint = 'Events are never changed; a correction is a new event.';
end
$$;

create trigger events_append_only before update or delete or truncate on events
  for each statement execute function swl_refuse_change();

revoke all on events from public;
grant select, insert on events to swl_app;
