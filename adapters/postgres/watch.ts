/**
 * What readiness needs to know about the database beyond "it answers": whether it takes writes and
 * whether its disk has room. Learnt three ways: a probe (`checkDatabase`: reachable within its own
 * timeout, not a standby, not read-only), the free space of the embedded server's data directory
 * (statfs), and the errors real queries met lately (a disk-full or read-only error marks the
 * database unwritable for a while, which also covers an external server whose disk we cannot see).
 */
import { statfs } from 'node:fs/promises';
import type { Pool } from './pool';
import { databaseFailureOf } from './failures';

export interface DatabaseHealth {
  readonly reachable: boolean;
  readonly writable: boolean;
  /** 'unknown': an external server's disk that no query has found full. */
  readonly disk: 'ok' | 'full' | 'unknown';
  /** Free space of the embedded server's data directory, when it is ours to see. */
  readonly diskFreeMb?: number;
  /** Why not ready, in words an operator can act on (empty when all is well). */
  readonly problems: readonly string[];
}

export interface DatabaseWatch {
  /** Hand every failed query here (createPool's onQueryError). */
  observe(error: unknown): void;
  check(pool: Pool, timeoutMs: number): Promise<DatabaseHealth>;
}

/** A disk-full or read-only error keeps the database unwritable in readiness this long after it was seen. */
export const FAILURE_MEMORY_MS = 30_000;

export function createDatabaseWatch(options: { dataDir?: string; minFreeMb: number; now?: () => number }): DatabaseWatch {
  const now = options.now ?? (() => performance.now());
  let storageFullAt: number | undefined;
  let readOnlyAt: number | undefined;
  const recent = (at: number | undefined) => at !== undefined && now() - at < FAILURE_MEMORY_MS;

  async function freeMb(): Promise<number | undefined> {
    if (!options.dataDir) return undefined;
    const stats = await statfs(options.dataDir).catch(() => undefined);
    return stats ? Math.floor((stats.bavail * stats.bsize) / (1024 * 1024)) : undefined;
  }

  return {
    observe(error) {
      const failure = databaseFailureOf(error);
      if (failure === 'storage_full') storageFullAt = now();
      else if (failure === 'read_only') readOnlyAt = now();
    },
    async check(pool, timeoutMs) {
      const problems: string[] = [];
      const probe = await withTimeout(
        pool.query<{ standby: boolean; read_only: boolean }>(
          "select pg_is_in_recovery() as standby, current_setting('transaction_read_only') = 'on' as read_only",
        ),
        timeoutMs,
      ).then(
        (result) => (result === undefined ? ('timeout' as const) : result.rows[0]!),
        (error: unknown) => error as Error,
      );
      const reachable = probe !== 'timeout' && !(probe instanceof Error);
      if (probe === 'timeout') problems.push(`Postgres did not answer within ${timeoutMs} ms (frozen or overloaded)`);
      else if (probe instanceof Error) problems.push(`Postgres cannot be reached (${databaseFailureOf(probe) ?? 'error'})`);
      const readOnly = reachable && (probe.standby || probe.read_only);
      if (readOnly) problems.push('Postgres refuses writes (a standby, or transaction_read_only is on)');
      else if (recent(readOnlyAt)) problems.push('a write was refused as read-only in the last 30 s');
      const free = await freeMb();
      const lowSpace = free !== undefined && free < options.minFreeMb;
      if (lowSpace) problems.push(`the data directory has ${free} MB free, under DISK_MIN_FREE_MB=${options.minFreeMb}: free space`);
      if (recent(storageFullAt)) problems.push('Postgres reported a full disk (53100) in the last 30 s: free space on its data directory');
      const full = lowSpace || recent(storageFullAt);
      return {
        reachable,
        writable: reachable && !readOnly && !recent(readOnlyAt) && !full,
        disk: full ? 'full' : free === undefined ? 'unknown' : 'ok',
        ...(free !== undefined ? { diskFreeMb: free } : {}),
        problems,
      };
    },
  };
}

/** The promise's value, or undefined when it takes longer than `ms` (it is left to settle on its own). */
async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
    promise.catch(() => undefined);
  }
}
