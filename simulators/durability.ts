/**
 * Durable by default: the load test, simulations and benchmarks run Postgres with its durable
 * defaults (fsync, synchronous_commit, full_page_writes on), so their figures are those of a
 * deployment that keeps acknowledged payments. `--fast-unsafe` (or PG_DURABLE=0) turns them off for
 * quick local runs; every output says which it was.
 */
import { durableFromEnvironment } from '../adapters/postgres/embedded';
import { createPool, isDurable } from '../adapters/postgres/pool';

export const FAST_UNSAFE_FLAG = '--fast-unsafe';

/** Applies `--fast-unsafe` to this process and its children (PG_DURABLE=0); returns whether servers started from now on are durable. */
export function applyDurabilityFlag(argv: readonly string[]): boolean {
  if (argv.includes(FAST_UNSAFE_FLAG)) process.env.PG_DURABLE = '0';
  return durableFromEnvironment();
}

/** What the server at `url` really does (an external DATABASE_URL included). */
export async function durabilityOf(url: string): Promise<boolean> {
  const pool = createPool(url, 1);
  try {
    return await isDurable(pool);
  } finally {
    await pool.end();
  }
}

export function durabilityNote(durable: boolean): string {
  return durable
    ? 'Postgres: durable (fsync, synchronous_commit and full_page_writes on, its defaults)'
    : "Postgres: FAST-UNSAFE (fsync, synchronous_commit and full_page_writes off by --fast-unsafe / PG_DURABLE=0): a crash can lose acknowledged writes, so these figures are not a deployment's";
}
