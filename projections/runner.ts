/**
 * The projection runner: reads `$all` from each projection's checkpoint and applies the events'
 * SQL and the new checkpoint in ONE Postgres transaction, so a crash between the two can neither
 * lose nor double-count an event. Works with any EventStore adapter; read models are always in
 * Postgres.
 *
 * - Catch-up then live: projections at the same checkpoint share one read of each batch (the next
 *   batch is read while the current one is applied); when caught up the runner polls every
 *   `pollIntervalMs`, or at once after `poke()`.
 * - One process per projection: a session advisory lock per projection elects who applies it;
 *   each batch also re-reads its checkpoint `for update`, so even two runners that both believed
 *   they owned it could not apply a batch twice.
 * - `rebuild(...names)`: replays models from zero into shadow tables (a schema per model, tables
 *   created `like` the live ones; projections write unqualified table names and the batch runs
 *   with that schema first on the search_path) while the live model keeps serving and updating;
 *   then, in one transaction holding the checkpoint row, the shadow catches up to the live
 *   checkpoint and replaces the live tables. Other projections never stop.
 *
 * Projection SQL must therefore name tables unqualified, name conflict targets by columns
 * (`on conflict (a, b)`), and avoid foreign keys between read-model tables.
 */
import type { EventStore, RecordedEvent } from '../adapters/eventstore/port';
import type { Pool, PoolClient } from '../adapters/postgres/pool';
import type { Migration } from '../adapters/postgres/migrate';
import { systemClock, type Clock } from '../adapters/clock/clock';
import type { Projection, Recorded, Sql } from './projection';
import { nobdDailyProjection } from './nobd-daily/projection';
import { tabelProjection } from './tabel/projection';
import { balancesProjection } from './balances/projection';
import { outcomesProjection } from './outcomes/projection';
import { familyHistoryProjection } from './family-history/projection';

/** Events per batch while live or catching up. */
export const DEFAULT_BATCH_SIZE = 1000;
/**
 * Events per batch during a rebuild: bigger batches, fewer statements per event and more rows
 * written once (a row created and updated in one batch is one insert). 10 000 measured ~10% less
 * CPU than 5 000 over a 300k-event replay; with PIPELINE_DEPTH peak RSS stays well under 500 MB.
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
/** Batches read ahead of the slowest model's writes (each model writes on its own connection). */
export const PIPELINE_DEPTH = 2;
/** After a failed batch a projection waits this long before it tries again (others go on). */
export const RETRY_DELAY_MS = 1000;
/** How often a runner tries to take the locks of projections another process holds. */
export const LOCK_RETRY_MS = 5000;
/** `lag()` counts at most this many unapplied events (it reports the cap when further behind). */
export const LAG_SCAN_LIMIT = 10_000;
export const DEFAULT_WAIT_TIMEOUT_MS = 30_000;
/** How often waitUntilCaughtUp re-reads the checkpoints when no batch of this process wakes it. */
export const WAIT_POLL_MS = 10;
/** Advisory-lock namespaces (first int of the two-int key). */
const PROJECTION_LOCK = 7_117_200;
const REBUILD_LOCK = 7_117_201;

export const checkpointMigration: Migration = {
  id: '0200_projection_checkpoints',
  sql: `create table projection_checkpoints (
  name       text primary key,
  position   bigint not null default 0,
  updated_at timestamptz not null default now()
);`,
};

/** The read models this folder owns; composition adds others (e.g. projections/consent/). */
export const allProjections: readonly Projection[] = [
  nobdDailyProjection,
  tabelProjection,
  balancesProjection,
  outcomesProjection,
  familyHistoryProjection,
];

/** The checkpoint table and every projection's DDL, for `migrate()`. */
export function projectionMigrations(projections: readonly Projection[] = allProjections): Migration[] {
  return [checkpointMigration, ...projections.flatMap((p) => p.migrations)];
}

export const migrations: readonly Migration[] = projectionMigrations(allProjections);

export interface RunnerOptions {
  readonly pool: Pool;
  readonly store: EventStore;
  readonly projections: readonly Projection[];
  readonly batchSize?: number;
  readonly rebuildBatchSize?: number;
  readonly pollIntervalMs?: number;
  /** See DEFAULT_LIVE_GATHER_MS; 0 runs the next pass at once. */
  readonly liveGatherMs?: number;
  /** For `lagSeconds` only. */
  readonly clock?: Clock;
  /** A batch failed (the projection retries after RETRY_DELAY_MS). Default: console.error. */
  readonly onError?: (projection: string, error: unknown) => void;
}

export interface ProjectionLag {
  readonly name: string;
  readonly position: bigint;
  /** Events in `$all` after the checkpoint (capped at LAG_SCAN_LIMIT). */
  readonly lagEvents: number;
  /** Age of the oldest unapplied event (0 when caught up). */
  readonly lagSeconds: number;
}

export interface RebuildResult {
  readonly name: string;
  readonly events: number;
  readonly position: bigint;
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
  /** Resolves when every projection's checkpoint is at or past `position`. */
  waitUntilCaughtUp(position: bigint, timeoutMs?: number): Promise<void>;
  /** Names of the projections this process holds the lock of. */
  owned(): string[];
}

/** Where a batch goes: the live model (with its checkpoint) or a rebuild's shadow. */
interface Sink {
  readonly projection: Projection;
  position: bigint;
  /** false: the sink no longer continues from `position` (checkpoint moved elsewhere). */
  write(events: readonly RecordedEvent[], last: bigint): Promise<boolean>;
}

type Queryable = Pick<PoolClient, 'query'>;

export function createRunner(options: RunnerOptions): Runner {
  const { pool, store } = options;
  const projections = new Map(options.projections.map((p) => [p.name, p]));
  if (projections.size !== options.projections.length) throw new Error('createRunner: projection names must be unique');
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const rebuildBatchSize = options.rebuildBatchSize ?? DEFAULT_REBUILD_BATCH_SIZE;
  const pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  const liveGatherMs = options.liveGatherMs ?? DEFAULT_LIVE_GATHER_MS;
  const clock = options.clock ?? systemClock;
  const onError = options.onError ?? ((name, error) => console.error(`projection ${name}:`, error));
  const handles = new Map(options.projections.map((p) => [p.name, new Set<string>(p.canHandle)]));

  const checkpoints = new Map<string, bigint>();
  const retryAt = new Map<string, number>();
  let lockClient: PoolClient | undefined;
  let lockLost: (() => void) | undefined;
  let lastLockAttempt = -Infinity;
  let running = false;
  let loop: Promise<void> | undefined;
  /** Ends the live loop's wait: `soft` (an append) only ends the idle poll, not a gathering pause. */
  let wake: ((soft: boolean) => void) | undefined;
  let pass: Promise<number> | undefined;

  const statementsFor = (p: Projection, events: readonly RecordedEvent[]): readonly Sql[] => {
    const handled = handles.get(p.name)!;
    const mine = events.filter((e) => handled.has(e.type)) as Recorded[];
    if (mine.length === 0) return [];
    return p.applyBatch ? p.applyBatch(mine) : mine.flatMap((e) => p.apply(e));
  };

  /** Waiters in waitUntilCaughtUp, woken when a live batch of this process commits. */
  const progressWaiters = new Set<() => void>();

  const liveSink = (p: Projection, position: bigint): Sink => ({
    projection: p,
    position,
    async write(events, last) {
      const statements = statementsFor(p, events);
      const moved = await inTx(pool, async (client) => {
        const { rows } = await client.query<{ position: bigint }>(
          'select position from projection_checkpoints where name = $1 for update',
          [p.name],
        );
        const stored = rows[0]?.position ?? 0n;
        if (stored !== this.position) return stored;
        await run(client, statements);
        await client.query('update projection_checkpoints set position = $2, updated_at = now() where name = $1', [p.name, last]);
        return undefined;
      });
      if (moved !== undefined) {
        checkpoints.set(p.name, moved);
        return false;
      }
      this.position = last;
      checkpoints.set(p.name, last);
      for (const wakeWaiter of progressWaiters) wakeWaiter();
      progressWaiters.clear();
      return true;
    },
  });

  /**
   * Reads batches from `after` into every sink. Each sink writes the batches in order on its own
   * connection at its own pace; reading goes on while they write, at most PIPELINE_DEPTH batches
   * ahead of the slowest sink (memory stays flat). A sink that fails or returns false is dropped.
   */
  const drive = async (
    sinks: Sink[],
    after: bigint,
    size: number,
    failed: (sink: Sink, error: unknown) => void,
    until?: bigint,
  ): Promise<number> => {
    const active = new Set(sinks);
    const tails = new Map<Sink, Promise<void>>(sinks.map((s) => [s, Promise.resolve()]));
    /** Per batch in flight: settles when every sink is done with it. */
    const inFlight: Promise<unknown>[] = [];
    const write = (sink: Sink, events: readonly RecordedEvent[], last: bigint) => async () => {
      if (!active.has(sink)) return;
      try {
        if (!(await sink.write(events, last))) active.delete(sink);
      } catch (error) {
        active.delete(sink);
        failed(sink, error);
      }
    };
    const read = (from: bigint) => {
      const batch = store.readAll({ after: from, maxCount: size });
      batch.catch(() => undefined); // awaited below; a prefetch nobody awaits must not crash the process
      return batch;
    };
    let applied = 0;
    let next = read(after);
    try {
      while (active.size > 0) {
        let events = await next;
        const full = events.length === size;
        if (until !== undefined) events = events.filter((e) => e.position <= until);
        if (events.length === 0) break;
        const last = events[events.length - 1]!.position;
        const more = full && (until === undefined || last < until);
        const writes = [...active].map((sink) => {
          const tail = tails.get(sink)!.then(write(sink, events, last));
          tails.set(sink, tail);
          return tail;
        });
        inFlight.push(Promise.all(writes));
        applied += events.length;
        if (!more) break;
        if (inFlight.length >= PIPELINE_DEPTH) await inFlight.shift();
        next = read(last);
      }
    } finally {
      await Promise.all(tails.values());
    }
    return applied;
  };

  const backOff = (sink: Sink, error: unknown) => {
    retryAt.set(sink.projection.name, performance.now() + RETRY_DELAY_MS);
    onError(sink.projection.name, error);
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

  const owned = () => [...checkpoints.keys()];

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
    for (const [position, sinks] of groups) applied += await drive(sinks, position, batchSize, backOff);
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

  const positions = async (names: readonly string[]): Promise<Map<string, bigint>> => {
    const { rows } = await pool.query<{ name: string; position: bigint }>(
      'select name, position from projection_checkpoints where name = any($1::text[])',
      [names],
    );
    const out = new Map<string, bigint>(names.map((n) => [n, 0n]));
    for (const r of rows) out.set(r.name, r.position);
    return out;
  };

  const rebuildMany = async (names: string[]): Promise<RebuildResult[]> => {
    const chosen = names.length ? names : [...projections.keys()];
    const targets = chosen.map((name) => {
      const p = projections.get(name);
      if (!p) throw new Error(`rebuild: no projection named ${name} (known: ${[...projections.keys()].join(', ')})`);
      return p;
    });
    const client = await pool.connect();
    const locked: string[] = [];
    try {
      for (const p of targets) {
        const { rows } = await client.query<{ ok: boolean }>('select pg_try_advisory_lock($1, hashtext($2)) as ok', [REBUILD_LOCK, p.name]);
        if (!rows[0]?.ok) throw new Error(`rebuild: ${p.name} is being rebuilt by another process`);
        locked.push(p.name);
      }
      const liveSchema = (await client.query<{ s: string }>('select current_schema() as s')).rows[0]!.s;
      const shadows = targets.map((p) => shadowSink(p, liveSchema));
      for (const s of shadows) await createShadow(pool, s.schema, liveSchema, s.projection);
      const failures = new Map<string, unknown>();
      const applied = await drive(shadows, 0n, rebuildBatchSize, (sink, error) => failures.set(sink.projection.name, error));
      // Indexes and WAL of the models are built side by side (one connection each); swaps one by one.
      const finished = await Promise.allSettled(
        shadows.map(async (s) => {
          if (failures.has(s.projection.name)) throw failures.get(s.projection.name);
          await finishShadow(pool, s.schema, liveSchema, s.projection);
        }),
      );
      const results: RebuildResult[] = [];
      for (const [i, s] of shadows.entries()) {
        const outcome = finished[i]!;
        if (outcome.status === 'rejected') {
          if (!failures.has(s.projection.name)) failures.set(s.projection.name, outcome.reason);
          await pool.query(`drop schema if exists ${s.schema} cascade`);
          continue;
        }
        const position = await swapIn(s, liveSchema);
        results.push({ name: s.projection.name, events: applied, position });
      }
      if (failures.size) {
        const [name, error] = [...failures][0]!;
        throw new Error(`rebuild failed for ${[...failures.keys()].join(', ')} (live models untouched): ${name}: ${(error as Error).message}`);
      }
      return results;
    } finally {
      for (const name of locked) await client.query('select pg_advisory_unlock($1, hashtext($2))', [REBUILD_LOCK, name]).catch(() => undefined);
      client.release();
    }
  };

  interface ShadowSink extends Sink {
    readonly schema: string;
  }

  const shadowSink = (p: Projection, liveSchema: string): ShadowSink => {
    const schema = `rebuild_${p.name.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}`;
    return {
      projection: p,
      position: 0n,
      schema,
      async write(events, last) {
        const statements = statementsFor(p, events);
        await inTx(pool, async (client) => {
          await client.query(`set local search_path to ${schema}, ${liveSchema}`);
          await run(client, statements);
        });
        this.position = last;
        return true;
      },
    };
  };

  /**
   * Holds the live checkpoint row, brings the shadow up to it, and puts the shadow tables in the
   * live tables' place — one transaction, so readers see the old model or the new, never a mix.
   */
  const swapIn = async (s: ShadowSink, liveSchema: string): Promise<bigint> => {
    const p = s.projection;
    await pool.query('insert into projection_checkpoints (name, position) values ($1, 0) on conflict do nothing', [p.name]);
    const position = await inTx(pool, async (client) => {
      const live = (await client.query<{ position: bigint }>('select position from projection_checkpoints where name = $1 for update', [p.name])).rows[0]!.position;
      await client.query(`set local search_path to ${s.schema}, ${liveSchema}`);
      let at = s.position;
      while (at < live) {
        const events = (await store.readAll({ after: at, maxCount: rebuildBatchSize })).filter((e) => e.position <= live);
        if (events.length === 0) break;
        await run(client, statementsFor(p, events));
        at = events[events.length - 1]!.position;
      }
      const final = at > live ? at : live;
      for (const table of p.tables) {
        await client.query(`drop table ${liveSchema}.${table}`);
        await client.query(`alter table ${s.schema}.${table} set schema ${liveSchema}`);
      }
      await client.query(`drop schema ${s.schema}`);
      await client.query('update projection_checkpoints set position = $2, updated_at = now() where name = $1', [p.name, final]);
      return final;
    });
    // A live sink of this process re-reads the checkpoint on its next batch and sees the move.
    if (checkpoints.has(p.name)) checkpoints.set(p.name, position);
    return position;
  };

  const runner: Runner = {
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
    rebuild: (...names) => rebuildMany(names),
    async lag() {
      const names = [...projections.keys()];
      const at = await positions(names);
      const scans = new Map<bigint, Promise<RecordedEvent[]>>();
      const out: ProjectionLag[] = [];
      for (const name of names) {
        const position = at.get(name)!;
        if (!scans.has(position)) scans.set(position, store.readAll({ after: position, maxCount: LAG_SCAN_LIMIT }));
        const pending = await scans.get(position)!;
        const oldest = pending[0]?.metadata.recordedAt;
        const lagSeconds = oldest ? Math.max(0, (clock.now().getTime() - Date.parse(oldest)) / 1000) : 0;
        out.push({ name, position, lagEvents: pending.length, lagSeconds });
      }
      return out;
    },
    async waitUntilCaughtUp(position, timeoutMs = DEFAULT_WAIT_TIMEOUT_MS) {
      const names = [...projections.keys()];
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const at = await positions(names);
        const behind = names.filter((n) => at.get(n)! < position);
        if (behind.length === 0) return;
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
    owned,
  };
  return runner;
}

async function loadCheckpoint(pool: Pool, name: string): Promise<bigint> {
  await pool.query('insert into projection_checkpoints (name, position) values ($1, 0) on conflict do nothing', [name]);
  const { rows } = await pool.query<{ position: bigint }>('select position from projection_checkpoints where name = $1', [name]);
  return rows[0]!.position;
}

/**
 * Shadow tables are built UNLOGGED with only their unique indexes (the upserts' arbiters): a
 * replay writes no WAL row by row and maintains no secondary index. `finishShadow` adds the rest
 * and makes the tables logged (one bulk pass each) before the swap.
 */
async function createShadow(pool: Pool, schema: string, liveSchema: string, p: Projection): Promise<void> {
  // A shadow left by a crashed rebuild is thrown away: a rebuild always starts from zero.
  await pool.query(`drop schema if exists ${schema} cascade`);
  await pool.query(`create schema ${schema}`);
  const appendOnly = new Set(p.appendOnlyTables ?? []);
  for (const table of p.tables) {
    await pool.query(`create unlogged table ${schema}.${table} (like ${liveSchema}.${table} including all excluding indexes)`);
    // Append-only tables get even their unique indexes after the load (finishShadow).
    if (appendOnly.has(table)) continue;
    for (const index of await indexesOf(pool, liveSchema, table)) {
      if (index.unique) await addIndex(pool, index, liveSchema, schema, table);
    }
  }
}

async function finishShadow(pool: Pool, schema: string, liveSchema: string, p: Projection): Promise<void> {
  const appendOnly = new Set(p.appendOnlyTables ?? []);
  for (const table of p.tables) {
    // SET LOGGED rewrites the table and rebuilds its indexes: the indexes still missing come after.
    await pool.query(`alter table ${schema}.${table} set logged`);
    const indexes = await indexesOf(pool, liveSchema, table);
    if (appendOnly.has(table)) {
      for (const index of indexes.filter((i) => i.unique)) await addUniqueAfterLoad(pool, index, liveSchema, schema, table);
    }
    for (const index of indexes) {
      if (!index.unique) await addIndex(pool, index, liveSchema, schema, table);
    }
  }
}

async function addIndex(pool: Pool, index: IndexInfo, liveSchema: string, schema: string, table: string): Promise<void> {
  await pool.query(onSchema(index.definition, liveSchema, schema, table));
  if (index.primary) await pool.query(`alter table ${schema}.${table} add constraint ${index.name} primary key using index ${index.name}`);
}

const UNIQUE_VIOLATION = '23505';

/**
 * A unique index on an append-only table loaded without it. A key written twice in the log (the
 * live model kept the first write and ignored the rest) fails the build; then every row but the
 * lowest-position one per key is deleted and the index built again.
 */
async function addUniqueAfterLoad(pool: Pool, index: IndexInfo, liveSchema: string, schema: string, table: string): Promise<void> {
  try {
    await addIndex(pool, index, liveSchema, schema, table);
    return;
  } catch (error) {
    if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
  }
  if (index.columns.length === 0) throw new Error(`rebuild: ${table}: cannot deduplicate on ${index.definition}`);
  const keys = index.columns.map((c) => `"${c}"`).join(', ');
  await pool.query(
    `delete from ${schema}.${table} t using (select ctid from (select ctid, row_number() over (partition by ${keys} order by position) as n ` +
      `from ${schema}.${table}) r where n > 1) d where t.ctid = d.ctid`,
  );
  await addIndex(pool, index, liveSchema, schema, table);
}

interface IndexInfo {
  readonly name: string;
  readonly definition: string;
  readonly unique: boolean;
  readonly primary: boolean;
  /** Key columns in index order (null for an expression). */
  readonly columns: readonly string[];
}

async function indexesOf(pool: Pool, schema: string, table: string): Promise<IndexInfo[]> {
  const { rows } = await pool.query<IndexInfo>(
    'select c.relname as name, pg_get_indexdef(i.indexrelid) as definition, i.indisunique as unique, i.indisprimary as primary, ' +
      'array(select a.attname::text from unnest(i.indkey) with ordinality k(attnum, ord) join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum order by k.ord) as columns ' +
      'from pg_index i join pg_class c on c.oid = i.indexrelid join pg_class t on t.oid = i.indrelid join pg_namespace n on n.oid = t.relnamespace ' +
      'where n.nspname = $1 and t.relname = $2 order by c.relname',
    [schema, table],
  );
  return rows;
}

/** `CREATE … INDEX name ON live.table …` → the same index on the shadow's table. */
function onSchema(definition: string, liveSchema: string, schema: string, table: string): string {
  const from = ` ON ${liveSchema}.${table} `;
  if (!definition.includes(from)) throw new Error(`rebuild: unexpected index definition ${definition}`);
  return definition.replace(from, ` ON ${schema}.${table} `);
}

async function run(client: Queryable, statements: readonly Sql[]): Promise<void> {
  for (const s of statements) await client.query(s.text, s.values as unknown[]);
}

/**
 * A transaction for projection writes. `synchronous_commit = off` is safe here: a commit lost in a
 * server crash loses the read-model rows and their checkpoint together, and they are re-applied.
 */
async function inTx<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  guard(client);
  let broken = false;
  try {
    // One round trip (simple protocol, two statements): every live batch of every model opens one.
    await client.query('begin; set local synchronous_commit = off');
    const result = await work(client);
    await client.query('commit');
    return result;
  } catch (error) {
    await client.query('rollback').catch(() => (broken = true));
    throw error;
  } finally {
    // A connection that cannot even roll back is dropped, not returned to the pool.
    client.release(broken);
  }
}

const guarded = new WeakSet<PoolClient>();
/** A checked-out client whose server connection dies emits 'error'; the failing query reports it. */
function guard(client: PoolClient): void {
  if (guarded.has(client)) return;
  guarded.add(client);
  client.on('error', () => undefined);
}
