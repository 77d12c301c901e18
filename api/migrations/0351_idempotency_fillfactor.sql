-- A key's row is written twice: claimed (no answer yet), then updated with the answer moments
-- later. Room left on each page lets that update stay on the page without touching the indexes
-- (a HOT update); how often it does is in docs/SIMULATION.md ("Issue 12 hardening").
alter table api_idempotency set (fillfactor = 70);
