/** A login role in the application role `swl_app`, as production connects, on the run's test server. */
import { inject } from 'vitest';
import pg from 'pg';
import { createPool, type Pool } from '../adapters/postgres/pool';
import { APPLICATION_ROLE } from '../adapters/postgres/roles';

let counter = 0;

export interface ApplicationLogin {
  /** A pool on `databaseUrl`'s database, connected as the new login role. */
  readonly pool: Pool;
  readonly role: string;
  /** Ends the pool and drops the role; what it owns in the database goes to the group role first. */
  drop(): Promise<void>;
}

export async function applicationLogin(databaseUrl: string, poolSize = 10): Promise<ApplicationLogin> {
  const role = `swl_test_app_${process.pid}_${counter++}`;
  const password = `pw_${role}`;
  await asAdmin(`create role ${role} login password '${password}' in role ${APPLICATION_ROLE}`);
  const url = new URL(databaseUrl);
  url.username = role;
  url.password = password;
  const pool = createPool(url.toString(), poolSize);
  return {
    pool,
    role,
    async drop() {
      await pool.end();
      // Tables a rebuild swapped in were created by this login; privileges granted to it go too.
      const database = new URL(databaseUrl).pathname.slice(1);
      await asAdmin(`reassign owned by ${role} to ${APPLICATION_ROLE}`, database);
      await asAdmin(`drop owned by ${role}`, database);
      await asAdmin(`drop role ${role}`);
    },
  };
}

async function asAdmin(sql: string, database?: string): Promise<void> {
  const url = new URL(inject('databaseUrl'));
  if (database) url.pathname = `/${database}`;
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}
