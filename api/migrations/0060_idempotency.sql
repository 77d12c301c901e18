-- Idempotency-Key records of the API (api/idempotency.ts). One row per (client, key): the first
-- response to a write, replayed when the same client sends the same key and the same request
-- again; the same key with another request is refused (409). The hash covers method, route and
-- the validated input, so re-ordered JSON keys count as the same request.
create table api_idempotency (
  client        text        not null,
  key           text        not null,
  route         text        not null,
  request_hash  text        not null,
  status        integer     not null,
  content_type  text        not null,
  body          text        not null,
  created_at    timestamptz not null,
  primary key (client, key)
);
-- Old records are swept by age (see sweepIdempotency).
create index api_idempotency_created_at on api_idempotency (created_at);
