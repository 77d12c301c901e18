/**
 * The event log is append-only at the database level: the application role (what the service
 * connects as in production) may read and append events but is refused UPDATE, DELETE and
 * TRUNCATE by privileges; the owner and superusers, whom privileges do not stop, are refused by
 * the trigger. Against the run's real embedded Postgres.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../../test/pg';
import { applicationLogin, type ApplicationLogin } from '../../test/roles';
import { newEvent } from '../eventstore/contract';
import { createPostgresEventStore } from '../eventstore/postgres';
import { coreMigrations, type Migration } from './migrate';
import type { Pool } from './pool';
import { APPLICATION_ROLE, handOverToApplication } from './roles';

const READ_MODEL: Migration = { id: '0751_a_read_model', sql: 'create table a_read_model (k text primary key, n int not null)' };
const CHANGES = ['update events set type = $$Altered$$', 'delete from events', 'truncate events'] as const;
const PERMISSION_DENIED = '42501';

let db: Awaited<ReturnType<typeof freshDatabase>>;
let app: ApplicationLogin;

beforeAll(async () => {
  db = await freshDatabase([...coreMigrations(), READ_MODEL]);
  await handOverToApplication(db.pool);
  app = await applicationLogin(db.url);
  const store = createPostgresEventStore(app.pool);
  await store.append('evidence-1', [newEvent('Happened', { n: 1 }), newEvent('Happened', { n: 2 })], 'no_stream');
  await store.close();
});
afterAll(async () => {
  await app?.drop();
  await db?.drop();
});

const snapshot = async (pool: Pool) => (await pool.query('select position, stream, stream_version, type, data from events order by position')).rows;

describe('the application role', () => {
  it('appends and reads events', async () => {
    const store = createPostgresEventStore(app.pool);
    const appended = await store.append('evidence-2', [newEvent('Happened', { n: 3 })], 'no_stream');
    expect(appended.repeated).toBe(false);
    expect((await store.readStream('evidence-1')).map((e) => e.data)).toEqual([{ n: 1 }, { n: 2 }]);
    await store.close();
  });

  it.each(CHANGES)('is refused `%s` by privileges, and nothing changes', async (change) => {
    const before = await snapshot(db.pool);
    await expect(app.pool.query(change)).rejects.toMatchObject({ code: PERMISSION_DENIED });
    expect(await snapshot(db.pool)).toEqual(before);
  });

  it('owns the other tables (a rebuild replaces them) but not the evidence', async () => {
    const { rows } = await db.pool.query<{ relname: string; owner: string }>(
      `select relname, pg_get_userbyid(relowner) as owner from pg_class where relname in ('a_read_model', 'events', 'schema_migrations')`,
    );
    const owners = Object.fromEntries(rows.map((r) => [r.relname, r.owner]));
    expect(owners.a_read_model).toBe(APPLICATION_ROLE);
    expect(owners.events).not.toBe(APPLICATION_ROLE);
    expect(owners.schema_migrations).not.toBe(APPLICATION_ROLE);
    await app.pool.query(`insert into a_read_model values ('x', 1) on conflict (k) do update set n = a_read_model.n + 1`);
    await app.pool.query('truncate a_read_model');
  });

  it('may not take the trigger off or hand itself the table', async () => {
    await expect(app.pool.query('alter table events disable trigger events_append_only')).rejects.toMatchObject({ code: PERMISSION_DENIED });
    // A grant by a non-owner only warns "no privileges were granted": the update stays refused.
    await app.pool.query(`grant update on events to ${APPLICATION_ROLE}`);
    await expect(app.pool.query(CHANGES[0])).rejects.toMatchObject({ code: PERMISSION_DENIED });
  });
});

describe('the owner', () => {
  it.each(CHANGES)('is refused `%s` by the trigger, and nothing changes', async (change) => {
    const before = await snapshot(db.pool);
    await expect(db.pool.query(change)).rejects.toThrow(/events is append-only: (UPDATE|DELETE|TRUNCATE) refused/);
    expect(await snapshot(db.pool)).toEqual(before);
  });

  it('is refused even when no row matches (the trigger is per statement)', async () => {
    await expect(db.pool.query(`delete from events where stream = 'no-such-stream'`)).rejects.toThrow(/append-only/);
  });

  it('hands nothing over twice: a second pass finds every table already handed over', async () => {
    expect(await handOverToApplication(db.pool)).toEqual({ tables: [] });
  });

  it('hands nothing over when connected as the application itself', async () => {
    expect(await handOverToApplication(app.pool)).toBeUndefined();
  });
});
