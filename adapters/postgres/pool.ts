import pg from 'pg';
import { ConfigError } from '../config-error';
import { isQueryReadTimeout } from './failures';

// int8 (bigint) columns come back as strings by default; positions are bigint in our code.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => BigInt(value));

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

/** Upper bound on connections per process; the bench and load tests stay under Postgres' max_connections. */
export const DEFAULT_POOL_SIZE = 20;

/**
 * How long the service waits for Postgres, so that a sick database fails requests fast (503) instead
 * of hanging them. Each is sent in the connection's startup packet or kept by the client: no round
 * trip is added to any request. 0 turns one off.
 */
export interface PoolTimeouts {
  /** Server side: a statement running longer is cancelled (a slow or locked database). */
  readonly statementMs: number;
  /** Client side: no answer at all in this long (a frozen server) fails the query and drops its connection. */
  readonly queryMs: number;
  /** Waiting for a free pooled connection, or for a new one to be accepted. */
  readonly connectMs: number;
  /** Server side: a session idle inside a transaction this long is ended (its locks released). */
  readonly idleInTransactionMs: number;
}

export interface PoolOptions {
  readonly timeouts?: PoolTimeouts;
  /** Sees every failed query (readiness keeps the last disk-full or read-only error). */
  readonly onQueryError?: (error: unknown) => void;
}

export function createPool(url: string, max = DEFAULT_POOL_SIZE, options: PoolOptions = {}): Pool {
  const t = options.timeouts;
  const pool = new pg.Pool({
    connectionString: url,
    max,
    idleTimeoutMillis: 30_000,
    Client: guardedClient(options.onQueryError),
    ...(t?.statementMs ? { statement_timeout: t.statementMs } : {}),
    ...(t?.queryMs ? { query_timeout: t.queryMs } : {}),
    ...(t?.connectMs ? { connectionTimeoutMillis: t.connectMs } : {}),
    ...(t?.idleInTransactionMs ? { idle_in_transaction_session_timeout: t.idleInTransactionMs } : {}),
  });
  // An idle client's error (server restart) must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}

/**
 * pg.Client with two habits. A connection that breaks while checked out (server killed or
 * restarted) fails its queries but never throws an unhandled 'error' event into the process. A query
 * that got no answer in `query_timeout` drops its connection: otherwise the connection went back to
 * the pool with the unanswered query still at its head, and every later query on it waited too.
 */
function guardedClient(onQueryError: ((error: unknown) => void) | undefined): typeof pg.Client {
  return class GuardedClient extends pg.Client {
    constructor(config?: string | pg.ClientConfig) {
      super(config);
      this.on('error', () => undefined);
      const query = this.query.bind(this) as (...args: unknown[]) => unknown;
      const failed = (error: unknown) => {
        if (isQueryReadTimeout(error)) (this as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
        onQueryError?.(error);
      };
      this.query = ((...args: unknown[]) => {
        const last = args.length - 1;
        const callback = args[last];
        if (typeof callback === 'function') {
          args[last] = (error: unknown, result: unknown) => {
            if (error) failed(error);
            (callback as (e: unknown, r: unknown) => void)(error, result);
          };
          return query(...args);
        }
        const result = query(...args);
        // Attached before the caller's own handlers run, so the connection is gone before they release it.
        if (result instanceof Promise) result.then(undefined, failed);
        return result;
      }) as typeof this.query;
    }
  };
}

/** Fails with an operator-readable message when the database cannot be reached. */
export async function connectOrExplain(url: string, max = DEFAULT_POOL_SIZE, options: PoolOptions = {}): Promise<Pool> {
  const pool = createPool(url, max, options);
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
