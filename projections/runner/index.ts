/**
 * The projection runner: reads `$all` from each projection's checkpoint and applies the events'
 * SQL and the new checkpoint in ONE Postgres transaction, so a crash between the two can neither
 * lose nor double-count an event. Works with any EventStore adapter; read models are always in
 * Postgres. Its parts, a file per job: live.ts (catch-up then live, one owner per projection,
 * lag, waiting), rebuild.ts (replay into shadow tables, then swap), batch.ts (the read-ahead
 * pipeline both share), transaction.ts (one transaction per batch).
 *
 * Projection SQL must name tables unqualified (a rebuild runs it with the shadow's schema first on
 * the search_path), name conflict targets by columns (`on conflict (a, b)`), and avoid foreign
 * keys between read-model tables.
 */
import type { EventStore } from '../../adapters/eventstore/port';
import { createLogger, type Logger } from '../../adapters/log/logger';
import { logProjectionFailure } from './log';
import type { Pool } from '../../adapters/postgres/pool';
import type { Migration } from '../../adapters/postgres/migrate';
import { systemClock, type Clock } from '../../adapters/clock/clock';
import type { Projection } from '../projection';
import { statementsOf } from './batch';
import { backlogByReading, createLiveRunner, RETRY_DELAY_MS, type BacklogScan, type ProjectionLag } from './live';
import { rebuildModels, type RebuildResult } from './rebuild';
import { haltMigration, type Halt } from './halt';

export { PIPELINE_DEPTH } from './batch';
export { DEFAULT_WAIT_TIMEOUT_MS, LAG_SCAN_LIMIT, LOCK_RETRY_MS, MAX_RETRY_DELAY_MS, RETRY_DELAY_MS, WAIT_POLL_MS, type ProjectionLag } from './live';
export type { RebuildResult } from './rebuild';
export { logProjectionFailure } from './log';
export { ProjectionHalted, ProjectionHaltedError, type Halt } from './halt';

/** Events per batch while live or catching up. */
export const DEFAULT_BATCH_SIZE = 1000;
/**
 * Events per batch during a rebuild: bigger batches, fewer statements per event and more rows
 * written once (a row created and updated in one batch is one insert), while PIPELINE_DEPTH keeps
 * the peak RSS bounded (bench:projections rebuild_events_per_s and rebuild_peak_rss_mb; docs/SIMULATION.md).
 */
export const DEFAULT_REBUILD_BATCH_SIZE = 10_000;
export const DEFAULT_POLL_INTERVAL_MS = 200;
/**
 * While live, a pass that found events is followed by the next one no sooner than this: appends
 * (each pokes the runner) gather into one batch per model instead of one small transaction per
 * model per poke. Under a POS load that cut the runner's transactions several-fold for ≤ this
 * much more lag. A reader waiting in `waitUntilCaughtUp` does not wait for it.
 */
export const DEFAULT_LIVE_GATHER_MS = 50;

export const checkpointMigration: Migration = {
  id: '0200_projection_checkpoints',
  sql: `create table projection_checkpoints (
  name       text primary key,
  position   bigint not null default 0,
  updated_at timestamptz not null default now()
);`,
};

/** The checkpoint table and every projection's DDL, for `migrate()`. */
export function projectionMigrations(projections: readonly Projection[]): Migration[] {
  return [checkpointMigration, haltMigration, ...projections.flatMap((p) => p.migrations)];
}

export interface RunnerOptions {
  readonly pool: Pool;
  readonly store: EventStore;
  readonly projections: readonly Projection[];
  readonly batchSize?: number;
  readonly rebuildBatchSize?: number;
  readonly pollIntervalMs?: number;
  /** See DEFAULT_LIVE_GATHER_MS; 0 runs the next pass at once. */
  readonly liveGatherMs?: number;
  /** First wait after a failed batch; default RETRY_DELAY_MS. */
  readonly retryDelayMs?: number;
  /** For `lagSeconds` and the time a halt began. */
  readonly clock?: Clock;
  /**
   * A batch failed (the projection retries after RETRY_DELAY_MS, doubling up to MAX_RETRY_DELAY_MS);
   * a ProjectionHalted when one event fails even alone. Default: logged by logProjectionFailure on stderr.
   */
  readonly onError?: (projection: string, error: unknown) => void;
  /** How `lag()` counts the events after a checkpoint; default: reading them (backlogByReading). */
  readonly backlog?: BacklogScan;
}

export interface Runner {
  /** Catch-up then live, in the background. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** New events were appended: look now instead of at the next poll. */
  poke(): void;
  /** Applies everything visible now for the projections this runner owns, then returns. */
  catchUp(): Promise<number>;
  rebuild(...names: string[]): Promise<RebuildResult[]>;
  lag(): Promise<ProjectionLag[]>;
  /** The halted projections (cheap: the checkpoint rows only), for /health. */
  halts(): Promise<Halt[]>;
  /**
   * Resolves when the checkpoints of `models` (default: every projection) are at or past
   * `position`; rejects at once with a ProjectionHaltedError when one of them is halted short of it.
   */
  waitUntilCaughtUp(position: bigint, timeoutMs?: number, models?: readonly string[]): Promise<void>;
  /** Names of the projections this process holds the lock of. */
  owned(): string[];
}

export function createRunner(options: RunnerOptions): Runner {
  const { pool, store } = options;
  let defaultLogger: Logger | undefined;
  const projections = new Map(options.projections.map((p) => [p.name, p]));
  if (projections.size !== options.projections.length) throw new Error('createRunner: projection names must be unique');
  const statementsFor = statementsOf(options.projections);
  const live = createLiveRunner({
    pool,
    store,
    projections,
    statementsFor,
    batchSize: options.batchSize ?? DEFAULT_BATCH_SIZE,
    pollIntervalMs: options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
    liveGatherMs: options.liveGatherMs ?? DEFAULT_LIVE_GATHER_MS,
    retryDelayMs: options.retryDelayMs ?? RETRY_DELAY_MS,
    clock: options.clock ?? systemClock,
    onError: options.onError ?? ((name, error) => logProjectionFailure((defaultLogger ??= createLogger()), name, error)),
    backlog: options.backlog ?? backlogByReading(store),
  });
  const rebuildDeps = {
    pool,
    store,
    projections,
    statementsFor,
    batchSize: options.rebuildBatchSize ?? DEFAULT_REBUILD_BATCH_SIZE,
    swapped: live.swapped,
  };
  return {
    start: live.start,
    stop: live.stop,
    poke: live.poke,
    catchUp: live.catchUp,
    rebuild: (...names) => rebuildModels(rebuildDeps, names),
    lag: live.lag,
    halts: live.halts,
    waitUntilCaughtUp: live.waitUntilCaughtUp,
    owned: live.owned,
  };
}
