import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pool } from './pool';

/** One versioned schema change. Ids sort in apply order: `0001_events`, `0100_read_models`. */
export interface Migration {
  readonly id: string;
  readonly sql: string;
}

/** Reads `NNNN_name.sql` files from a folder, in name order. */
export function sqlMigrationsIn(dir: string): Migration[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .sort()
    .map((file) => ({ id: file.replace(/\.sql$/, ''), sql: readFileSync(join(dir, file), 'utf8') }));
}

/** The event store's own schema. Read models add theirs (see projections/). */
export const coreMigrations = (): Migration[] => sqlMigrationsIn(join(import.meta.dirname, 'migrations'));

/** Any lock id works as long as every process uses the same one. */
const MIGRATION_LOCK = 7_117_001;

/**
 * Applies the migrations not yet applied, each in its own transaction, in id order.
 * Safe when several processes start at once: they queue on an advisory lock.
 */
export async function migrate(pool: Pool, migrations: readonly Migration[]): Promise<string[]> {
  const ordered = [...migrations].sort((a, b) => a.id.localeCompare(b.id));
  const seen = new Set<string>();
  for (const m of ordered) {
    if (seen.has(m.id)) throw new Error(`migration id ${m.id} is defined twice`);
    seen.add(m.id);
  }
  const client = await pool.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await client.query('create table if not exists schema_migrations (id text primary key, applied_at timestamptz not null default now())');
    const done = new Set((await client.query<{ id: string }>('select id from schema_migrations')).rows.map((r) => r.id));
    const applied: string[] = [];
    for (const migration of ordered) {
      if (done.has(migration.id)) continue;
      await client.query('begin');
      try {
        await client.query(migration.sql);
        await client.query('insert into schema_migrations (id) values ($1)', [migration.id]);
        await client.query('commit');
      } catch (error) {
        await client.query('rollback');
        throw new Error(`migration ${migration.id} failed: ${(error as Error).message}`, { cause: error });
      }
      applied.push(migration.id);
    }
    return applied;
  } finally {
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    client.release();
  }
}
