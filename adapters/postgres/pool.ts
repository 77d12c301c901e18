import pg from 'pg';
import { ConfigError } from '../config-error';

// int8 (bigint) columns come back as strings by default; positions are bigint in our code.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => BigInt(value));

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

/** Upper bound on connections per process; the bench and load tests stay under Postgres' max_connections. */
export const DEFAULT_POOL_SIZE = 20;

export function createPool(url: string, max = DEFAULT_POOL_SIZE): Pool {
  const pool = new pg.Pool({ connectionString: url, max, idleTimeoutMillis: 30_000 });
  // An idle client's error (server restart) must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}

/** Fails with an operator-readable message when the database cannot be reached. */
export async function connectOrExplain(url: string, max = DEFAULT_POOL_SIZE): Promise<Pool> {
  const pool = createPool(url, max);
  try {
    await pool.query('select 1');
    return pool;
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new ConfigError(
      `Cannot reach Postgres at ${redact(url)}: ${(error as Error).message}. ` +
        'Fix: check DATABASE_URL (host, port, user, password, database), or unset it to use the embedded Postgres.',
    );
  }
}

/**
 * Whether the server keeps acknowledged commits through a crash: fsync, full_page_writes on and
 * synchronous_commit not off. Read from the server, so an external DATABASE_URL is reported truly.
 */
export async function isDurable(pool: Pool): Promise<boolean> {
  const { rows } = await pool.query<{ durable: boolean }>(
    "select current_setting('fsync') = 'on' and current_setting('full_page_writes') = 'on' and current_setting('synchronous_commit') <> 'off' as durable",
  );
  return rows[0]?.durable === true;
}

export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable DATABASE_URL>';
  }
}
