-- The event store's one table (see adapters/eventstore/postgres.ts).
--
-- position = (id of the writing transaction << 16) + index of the event in that transaction.
-- Transaction ids (xid8) only grow, so a reader that returns only events of transactions older
-- than every transaction still running (pg_snapshot_xmin) sees a prefix of the log that can never
-- gain an earlier event later: no skipped late commits, and positions stay strictly increasing
-- in read order. No sequence is needed, so writers never contend on one.
--
-- Two indexes only (each one costs every append): the primary key serves $all in order, the
-- unique (stream, stream_version) key serves readStream and is the optimistic-concurrency check.
-- Event ids are checked per stream through that same index (they are not globally unique).
create table events (
  position       bigint primary key,
  stream         text   not null,
  stream_version bigint not null,
  id             uuid   not null,
  type           text   not null,
  data           jsonb  not null,
  metadata       jsonb  not null,
  constraint events_stream_version_key unique (stream, stream_version),
  constraint events_stream_version_not_negative check (stream_version >= 0)
);
