import { inject } from 'vitest';
import pg from 'pg';
import { createPool, type Pool } from '../adapters/postgres/pool';
import { migrate, coreMigrations, type Migration } from '../adapters/postgres/migrate';

let counter = 0;

/**
 * A fresh, migrated database on the run's test server, for one test file (or one test).
 * Returns its pool; `drop()` closes it and removes the database.
 */
export async function freshDatabase(
  migrations: readonly Migration[] = coreMigrations(),
  poolSize = 10,
): Promise<{ pool: Pool; url: string; drop: () => Promise<void> }> {
  const adminUrl = inject('databaseUrl');
  const name = `t_${process.pid}_${Date.now().toString(36)}_${counter++}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const pool = createPool(url.toString(), poolSize);
  await migrate(pool, migrations);
  return {
    pool,
    url: url.toString(),
    drop: async () => {
      await pool.end();
      const again = new pg.Client({ connectionString: adminUrl });
      await again.connect();
      await again.query(`drop database if exists ${name} with (force)`);
      await again.end();
    },
  };
}
