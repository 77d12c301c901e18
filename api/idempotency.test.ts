import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../adapters/clock/clock';
import { coreMigrations } from '../adapters/postgres/migrate';
import { freshDatabase } from '../test/pg';
import { apiMigrations, IDEMPOTENCY_TTL_SECONDS, sweepIdempotency } from './idempotency';

let db: Awaited<ReturnType<typeof freshDatabase>>;
beforeAll(async () => {
  db = await freshDatabase([...coreMigrations(), ...apiMigrations()]);
});
afterAll(async () => db.drop());

const insert = (key: string, createdAt: string) =>
  db.pool.query(
    `insert into api_idempotency (client, key, route, request_hash, status, content_type, body, created_at)
     values ('merchant:shop-1', $1, 'POST /v1/shop/holds', 'h', 201, 'application/json', '{}', $2)`,
    [key, createdAt],
  );

describe('idempotency records', () => {
  it('are swept once older than their TTL; younger ones are kept for replays', async () => {
    const now = new Date('2026-03-20T00:00:00.000Z');
    const ttlMs = IDEMPOTENCY_TTL_SECONDS * 1000;
    await insert('old', new Date(now.getTime() - ttlMs - 1000).toISOString());
    await insert('young', new Date(now.getTime() - ttlMs + 1000).toISOString());
    expect(await sweepIdempotency(db.pool, new VirtualClock(now))).toBe(1);
    const { rows } = await db.pool.query<{ key: string }>('select key from api_idempotency order by key');
    expect(rows.map((r) => r.key)).toEqual(['young']);
  });
});
