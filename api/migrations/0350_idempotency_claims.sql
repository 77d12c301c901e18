-- A request with an Idempotency-Key claims its key before it runs (api/idempotency.ts): the claim
-- is a row without an answer yet (status null), so a concurrent request with the same key, in this
-- process or another, finds it and waits for the answer (same request) or is refused (another
-- request), as it would one after the other. claimed_at (the database's clock, not the service's
-- virtual one) tells a claim left by a process that died from one still running.
alter table api_idempotency
  alter column status drop not null,
  alter column content_type drop not null,
  alter column body drop not null,
  add column claimed_at timestamptz,
  add constraint api_idempotency_answer_whole check ((status is null) = (body is null) and (status is null) = (content_type is null));
