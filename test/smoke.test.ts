import { describe, expect, it } from 'vitest';
import { freshDatabase } from './pg';
import { coreMigrations } from '../adapters/postgres/migrate';

describe('the test Postgres', () => {
  it('is a real server with the core migrations applied', async () => {
    const db = await freshDatabase();
    const { rows } = await db.pool.query<{ server_version: string }>('show server_version');
    expect(Number(rows[0]!.server_version.split('.')[0])).toBeGreaterThanOrEqual(15);
    const applied = await db.pool.query<{ id: string }>('select id from schema_migrations order by id');
    expect(applied.rows.map((r) => r.id)).toEqual(coreMigrations().map((m) => m.id));
    await db.drop();
  });
});
