/**
 * The live runner: catch-up then live. Projections at the same checkpoint share one read of each
 * batch (the next batch is read while the current one is applied); when caught up the runner polls
 * every `pollIntervalMs`, or at once after `poke()`.
 *
 * One process per projection: a session advisory lock per projection elects who applies it; each
 * batch also re-reads its checkpoint `for update`, so even two runners that both believed they
 * owned it could not apply a batch twice.
 *
 * A projection that cannot apply an event halts alone (halt.ts): its batch is applied again event
 * by event, up to the event that fails; the checkpoint stays just before it, the event and the
 * error are kept on its checkpoint row (for /v1/ops/projections, /metrics and /health), and it
 * retries with a growing delay. Every other projection goes on.
 */
import DataLoader from 'dataloader';
import type { EventStore, RecordedEvent } from '../../adapters/eventstore/port';
import type { Pool, PoolClient } from '../../adapters/postgres/pool';
import type { Clock } from '../../adapters/clock/clock';
import type { Projection, Sql } from '../projection';
import { drive, type Sink, type StatementsFor } from './batch';
import { clearHalt, haltOf, ProjectionHalted, ProjectionHaltedError, recordHalt, type Halt } from './halt';
import { inTx, run } from './transaction';

/** After a failed batch a projection waits this long before it tries again (others go on); doubled per failure in a row. */
export const RETRY_DELAY_MS = 1000;
/** The longest wait between two tries of a halted projection. */
export const MAX_RETRY_DELAY_MS = 30_000;
/** How often a runner tries to take the locks of projections another process holds. */
export const LOCK_RETRY_MS = 5000;
/** `lag()` counts at most this many unapplied events (it reports the cap when further behind). */
export const LAG_SCAN_LIMIT = 10_000;
export const DEFAULT_WAIT_TIMEOUT_MS = 30_000;
/** How often waitUntilCaughtUp re-reads the checkpoints when no batch of this process wakes it. */
export const WAIT_POLL_MS = 10;
/** Advisory-lock namespace of live projections (first int of the two-int key). */
const PROJECTION_LOCK = 7_117_200;

export interface ProjectionLag {
  readonly name: string;
  readonly position: bigint;
  /** Events in `$all` after the checkpoint (capped at LAG_SCAN_LIMIT). */
  readonly lagEvents: number;
  /** Age of the oldest unapplied event (0 when caught up). */
  readonly lagSeconds: number;
  /** Set while the projection cannot apply the event after its checkpoint. */
  readonly halt?: Halt;
}

/**
 * How many events (at most `limit`) follow `after` in `$all`, and when the first of them was
 * recorded: what `lag()` reports. The Postgres store counts them in one statement (backlogAfter);
 * `backlogByReading` reads them, for any store.
 */
export type BacklogScan = (after: bigint, limit: number) => Promise<{ readonly events: number; readonly oldestRecordedAt?: string }>;

export function backlogByReading(store: EventStore): BacklogScan {
  return async (after, limit) => {
    const pending = await store.readAll({ after, maxCount: limit });
    const oldest = pending[0]?.metadata.recordedAt;
    return { events: pending.length, ...(oldest === undefined ? {} : { oldestRecordedAt: oldest }) };
  };
}

export interface LiveDeps {
  readonly pool: Pool;
  readonly store: EventStore;
  readonly projections: ReadonlyMap<string, Projection>;
  readonly batchSize: number;
  readonly pollIntervalMs: number;
  readonly liveGatherMs: number;
  /** First wait after a failed batch (RETRY_DELAY_MS in production). */
  readonly retryDelayMs: number;
  readonly clock: Clock;
  readonly onError: (projection: string, error: unknown) => void;
  readonly statementsFor: StatementsFor;
  readonly backlog: BacklogScan;
}

export interface LiveRunner {
  start(): Promise<void>;
  stop(): Promise<void>;
  poke(): void;
  catchUp(): Promise<number>;
  lag(): Promise<ProjectionLag[]>;
  halts(): Promise<Halt[]>;
  waitUntilCaughtUp(position: bigint, timeoutMs?: number, models?: readonly string[]): Promise<void>;
  owned(): string[];
  /** A rebuild swapped `name` in at `position`: its live sink continues from there. */
  swapped(name: string, position: bigint): void;
}

export function createLiveRunner(deps: LiveDeps): LiveRunner {
  const { pool, store, projections, batchSize, pollIntervalMs, liveGatherMs, retryDelayMs, clock, onError, statementsFor, backlog } = deps;
  const checkpoints = new Map<string, bigint>();
  const retryAt = new Map<string, number>();
  /** Failed tries in a row per projection (the retry delay doubles with each). */
  const failuresInRow = new Map<string, number>();
  let lockClient: PoolClient | undefined;
  let lockLost: (() => void) | undefined;
  let lastLockAttempt = -Infinity;
  let running = false;
  let loop: Promise<void> | undefined;
  /** Ends the live loop's wait: `soft` (an append) only ends the idle poll, not a gathering pause. */
  let wake: ((soft: boolean) => void) | undefined;
  let pass: Promise<number> | undefined;

  /**
   * Most models have nothing to write for most live batches (a POS pair's events concern a few of
   * them): their checkpoints move without a transaction each (begin, lock, update, commit), all
   * those of one turn in one statement. Each move is guarded by the position it starts from, as the
   * lock guards a batch with writes; undefined: moved, else where the checkpoint stands instead.
   */
  const idleMoves = new DataLoader<{ name: string; from: bigint; to: bigint }, bigint | undefined>((moves) => moveCheckpoints(pool, moves), {
    cache: false,
    batchScheduleFn: (run) => setImmediate(run),
  });

  /** Waiters in waitUntilCaughtUp, woken when a live batch of this process commits. */
  const progressWaiters = new Set<() => void>();

  /**
   * Applies `statements` and moves the checkpoint from `sink.position` to `last` in one
   * transaction; false when the checkpoint had moved elsewhere (a rebuild swapped the model in).
   */
  const commit = async (sink: Sink, statements: () => readonly Sql[], last: bigint): Promise<boolean> => {
    const p = sink.projection;
    const sql = statements();
    const moved =
      sql.length === 0
        ? await idleMoves.load({ name: p.name, from: sink.position, to: last })
        : await inTx(pool, async (client) => {
            const { rows } = await client.query<{ position: bigint }>('select position from projection_checkpoints where name = $1 for update', [p.name]);
            const stored = rows[0]?.position ?? 0n;
            if (stored !== sink.position) return stored;
            await run(client, sql);
            await client.query(`update projection_checkpoints set position = $2, updated_at = now(), ${clearHalt} where name = $1`, [p.name, last]);
            return undefined;
          });
    if (moved !== undefined) {
      checkpoints.set(p.name, moved);
      return false;
    }
    sink.position = last;
    checkpoints.set(p.name, last);
    failuresInRow.delete(p.name);
    for (const wakeWaiter of progressWaiters) wakeWaiter();
    progressWaiters.clear();
    return true;
  };

  /**
   * After a failed batch: the same events one transaction each, so the model gets as far as it can
   * and the failure is pinned on one event (a ProjectionHalted). Only failures take this path.
   */
  const commitOneByOne = async (sink: Sink, events: readonly RecordedEvent[], last: bigint): Promise<boolean> => {
    for (const event of events) {
      let applied: boolean;
      try {
        applied = await commit(sink, () => statementsFor(sink.projection, [event]), event.position);
      } catch (error) {
        throw new ProjectionHalted(sink.projection.name, event, error);
      }
      if (!applied) return false;
    }
    return sink.position === last || commit(sink, () => [], last);
  };

  const liveSink = (p: Projection, position: bigint): Sink => ({
    projection: p,
    position,
    async write(events, last) {
      try {
        return await commit(this, () => statementsFor(p, events), last);
      } catch {
        return commitOneByOne(
          this,
          events.filter((e) => handles(p, e)),
          last,
        );
      }
    },
  });

  const handles = (p: Projection, event: RecordedEvent): boolean => p.canHandle.includes(event.type as never);

  const backOff = (sink: Sink, error: unknown) => {
    const name = sink.projection.name;
    const failures = (failuresInRow.get(name) ?? 0) + 1;
    failuresInRow.set(name, failures);
    retryAt.set(name, performance.now() + Math.min(retryDelayMs * 2 ** (failures - 1), MAX_RETRY_DELAY_MS));
    onError(name, error);
    if (error instanceof ProjectionHalted) void recordHalt(pool, error, clock.now()).catch(() => undefined);
  };

  const acquireLocks = async (): Promise<void> => {
    if (lockClient && performance.now() - lastLockAttempt < LOCK_RETRY_MS) return;
    lastLockAttempt = performance.now();
    if (!lockClient) {
      const client = await pool.connect();
      const lost = () => {
        // The session (and with it every lock) is gone: stop applying until locks are retaken.
        client.off('error', lost);
        if (lockClient === client) lockClient = undefined;
        lockLost = undefined;
        checkpoints.clear();
        client.release(true);
      };
      client.on('error', lost);
      lockClient = client;
      lockLost = lost;
    }
    for (const p of projections.values()) {
      if (checkpoints.has(p.name)) continue;
      const { rows } = await lockClient.query<{ ok: boolean }>('select pg_try_advisory_lock($1, hashtext($2)) as ok', [PROJECTION_LOCK, p.name]);
      if (!rows[0]?.ok) continue;
      checkpoints.set(p.name, await loadCheckpoint(pool, p.name));
    }
  };

  /** One pass: every owned projection applies all it can see now; groups share reads. */
  const runPass = async (): Promise<number> => {
    await acquireLocks();
    const now = performance.now();
    const groups = new Map<bigint, Sink[]>();
    for (const [name, position] of checkpoints) {
      if ((retryAt.get(name) ?? 0) > now) continue;
      const group = groups.get(position) ?? [];
      group.push(liveSink(projections.get(name)!, position));
      groups.set(position, group);
    }
    let applied = 0;
    for (const [position, sinks] of groups) applied += await drive(store, sinks, position, batchSize, backOff);
    return applied;
  };

  /** Passes never overlap: callers share the pass in flight. */
  const onePass = (): Promise<number> => {
    if (!pass) pass = runPass().finally(() => (pass = undefined));
    return pass;
  };

  const liveLoop = async (): Promise<void> => {
    while (running) {
      let applied = 0;
      try {
        applied = await onePass();
      } catch (error) {
        onError('*', error);
      }
      if (!running || applied >= batchSize || (applied > 0 && liveGatherMs === 0)) continue;
      const gathering = applied > 0;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, gathering ? liveGatherMs : pollIntervalMs);
        wake = (soft) => {
          if (soft && gathering) return;
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  };

  /** Each projection's checkpoint and, when halted, its halt (read from the checkpoint rows, so every process sees them). */
  const positions = async (names: readonly string[]): Promise<Map<string, { position: bigint; halt?: Halt }>> => {
    const { rows } = await pool.query('select * from projection_checkpoints where name = any($1::text[])', [names]);
    const out = new Map<string, { position: bigint; halt?: Halt }>(names.map((n) => [n, { position: 0n }]));
    for (const row of rows) {
      const halt = haltOf(row);
      out.set(row.name, { position: row.position, ...(halt ? { halt } : {}) });
    }
    return out;
  };

  return {
    async start() {
      if (running) return;
      running = true;
      loop = liveLoop();
    },
    async stop() {
      running = false;
      wake?.(false);
      await loop;
      await pass?.catch(() => undefined);
      loop = undefined;
      if (lockClient) {
        const client = lockClient;
        lockClient = undefined;
        if (lockLost) client.off('error', lockLost);
        lockLost = undefined;
        await client.query('select pg_advisory_unlock_all()').catch(() => undefined);
        client.release();
      }
      checkpoints.clear();
    },
    poke() {
      wake?.(true);
    },
    async catchUp() {
      let total = 0;
      for (;;) {
        const applied = await onePass();
        total += applied;
        if (applied === 0) return total;
      }
    },
    async lag() {
      const names = [...projections.keys()];
      const at = await positions(names);
      const scans = new Map<bigint, ReturnType<BacklogScan>>();
      const out: ProjectionLag[] = [];
      for (const name of names) {
        const { position, halt } = at.get(name)!;
        if (!scans.has(position)) scans.set(position, backlog(position, LAG_SCAN_LIMIT));
        const pending = await scans.get(position)!;
        const oldest = pending.oldestRecordedAt;
        const lagSeconds = oldest ? Math.max(0, (clock.now().getTime() - Date.parse(oldest)) / 1000) : 0;
        out.push({ name, position, lagEvents: pending.events, lagSeconds, ...(halt ? { halt } : {}) });
      }
      return out;
    },
    async halts() {
      const at = await positions([...projections.keys()]);
      return [...at.values()].flatMap((checkpoint) => (checkpoint.halt ? [checkpoint.halt] : []));
    },
    async waitUntilCaughtUp(position, timeoutMs = DEFAULT_WAIT_TIMEOUT_MS, models = [...projections.keys()]) {
      const names = [...models];
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const at = await positions(names);
        const behind = names.filter((n) => at.get(n)!.position < position);
        if (behind.length === 0) return;
        // A halted model will not get there by waiting: say so now, not after the timeout.
        const halted = behind.filter((n) => at.get(n)!.halt);
        if (halted.length > 0) throw new ProjectionHaltedError(halted.map((n) => at.get(n)!.halt!));
        if (performance.now() > deadline) {
          throw new Error(`waitUntilCaughtUp(${position}): still behind after ${timeoutMs} ms: ${behind.join(', ')}`);
        }
        wake?.(false);
        // Checked again when a model of this process commits a batch, or after a short poll (another
        // process may hold the model): a waiter at every tick of a simulation must not sleep on a timer.
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            progressWaiters.delete(done);
            resolve();
          };
          const timer = setTimeout(done, WAIT_POLL_MS);
          progressWaiters.add(done);
        });
      }
    },
    owned: () => [...checkpoints.keys()],
    swapped(name, position) {
      // A live sink of this process re-reads the checkpoint on its next batch and sees the move.
      if (checkpoints.has(name)) checkpoints.set(name, position);
      failuresInRow.delete(name);
      retryAt.delete(name);
    },
  };
}

/**
 * Moves checkpoints from where their models stood to where they stand now, in one statement, each
 * only if it still stands where the caller left it. Not waiting for the disk, as a batch's
 * transaction does not (transaction.ts): a move lost in a crash is made again.
 */
async function moveCheckpoints(pool: Pool, moves: readonly { name: string; from: bigint; to: bigint }[]): Promise<(bigint | undefined)[]> {
  const { rows } = await pool.query<{ names: string[] }>({
    name: 'swl_checkpoints_move_idle',
    text: `with moved as (
             update projection_checkpoints c set position = m.to_position, updated_at = now(), ${clearHalt}
             from unnest($1::text[], $2::bigint[], $3::bigint[]) as m(name, from_position, to_position)
             where c.name = m.name and c.position = m.from_position
             returning c.name
           )
           select set_config('synchronous_commit', 'off', true) as settings, array(select name from moved) as names`,
    values: [moves.map((m) => m.name), moves.map((m) => m.from), moves.map((m) => m.to)],
  });
  const moved = new Set(rows[0]!.names);
  return Promise.all(moves.map(async (m) => (moved.has(m.name) ? undefined : await loadCheckpoint(pool, m.name))));
}

async function loadCheckpoint(pool: Pool, name: string): Promise<bigint> {
  await pool.query('insert into projection_checkpoints (name, position) values ($1, 0) on conflict do nothing', [name]);
  const { rows } = await pool.query<{ position: bigint }>('select position from projection_checkpoints where name = $1', [name]);
  return rows[0]!.position;
}
