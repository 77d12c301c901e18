import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryEventStore } from '../adapters/eventstore/memory';
import { backlogAfter, createPostgresEventStore } from '../adapters/eventstore/postgres';
import type { EventStore } from '../adapters/eventstore/port';
import { VirtualClock } from '../adapters/clock/clock';
import { eachEvent, sql, type Projection } from './projection';
import { createRunner, projectionMigrations } from './runner';
import { balanceViolations } from './balances/queries';
import { generateHistory, type HistoryItem } from '../test/projections/history';
import { appendAll, ledgerProjections as allProjections, readModelDatabase, snapshot, tablesOf } from '../test/projections/harness';
import { meal, mealsStart } from '../test/projections/fixtures';

type Db = Awaited<ReturnType<typeof readModelDatabase>>;
const TABLES = tablesOf(allProjections);
const quiet = { onError: () => undefined };

/** Thousands of events across both programs (the generator follows the deciders' rules). */
const LONG = { seed: 20260305, pupils: 250, familyMonths: 350, mealDaysPerPupil: 12, cohortSize: 40 };

describe('projection runner', () => {
  let db: Db;
  beforeAll(async () => (db = await readModelDatabase()));
  afterAll(async () => db?.drop());

  const reset = async () => {
    for (const t of TABLES) await db.pool.query(`truncate ${t}`);
    await db.pool.query('truncate projection_checkpoints');
  };

  describe('given a long random history in the memory store', () => {
    let store: EventStore;
    let head: bigint;
    let events: number;
    beforeAll(async () => {
      store = createMemoryEventStore();
      const items = [...generateHistory(LONG)];
      events = items.length;
      head = await appendAll(store, items);
    });

    it('the history is long and covers both programs', () => {
      expect(events).toBeGreaterThan(5000);
    });

    it('run twice, same rows: a second runner from zero after a reset gives equal rows', async () => {
      await reset();
      const first = createRunner({ pool: db.pool, store, projections: allProjections, batchSize: 250, ...quiet });
      await first.catchUp();
      await first.stop();
      const once = await snapshot(db.pool, TABLES);
      await reset();
      const second = createRunner({ pool: db.pool, store, projections: allProjections, batchSize: 1000, ...quiet });
      await second.catchUp();
      await second.waitUntilCaughtUp(head, 1000);
      await second.stop();
      expect(await snapshot(db.pool, TABLES)).toEqual(once);
      expect(once.tabel_meals!.length).toBeGreaterThan(1000);
      expect(await balanceViolations(db.pool)).toEqual({ vouchers: 0, familyMonths: 0 });
    });

    it('batch size does not matter: event-by-event apply equals set-based batches', async () => {
      await reset();
      const part = createMemoryEventStore();
      await appendAll(part, generateHistory({ ...LONG, pupils: 60, familyMonths: 80 }));
      const big = createRunner({ pool: db.pool, store: part, projections: allProjections, batchSize: 5000, ...quiet });
      await big.catchUp();
      await big.stop();
      const batched = await snapshot(db.pool, TABLES);
      await reset();
      // Each event's own SQL, one statement list per event, instead of the set-based batch.
      const oneByOne = allProjections.map((p): Projection => ({ ...p, apply: (events) => events.flatMap((e) => p.apply([e])) }));
      const slow = createRunner({ pool: db.pool, store: part, projections: oneByOne, batchSize: 333, ...quiet });
      await slow.catchUp();
      await slow.stop();
      expect(await snapshot(db.pool, TABLES)).toEqual(batched);
    });
  });

  describe('rebuild equals live', () => {
    it('a rebuild started while live traffic is appended ends equal to the live model and to a fresh replay', async () => {
      await reset();
      const store = createMemoryEventStore();
      const items = [...generateHistory({ ...LONG, seed: 77 })];
      const half = Math.floor(items.length / 2);
      const live = createRunner({ pool: db.pool, store, projections: allProjections, batchSize: 64, pollIntervalMs: 5, ...quiet });
      await live.start();
      await appendAll(store, items.slice(0, half));
      // Traffic keeps coming in small appends while every model is rebuilt from zero.
      const traffic = (async () => {
        for (let i = half; i < items.length; i += 25) {
          await appendAll(store, items.slice(i, i + 25));
          live.poke();
          await new Promise((r) => setImmediate(r));
        }
      })();
      const rebuilt = await live.rebuild();
      await traffic;
      expect(rebuilt.map((r) => r.name).sort()).toEqual(allProjections.map((p) => p.name).sort());
      const head = await store.headPosition();
      await live.waitUntilCaughtUp(head, 20_000);
      await live.stop();
      const afterRebuild = await snapshot(db.pool, TABLES);

      const fresh = await readModelDatabase();
      try {
        const replay = createRunner({ pool: fresh.pool, store, projections: allProjections, batchSize: 5000, ...quiet });
        await replay.catchUp();
        await replay.stop();
        expect(afterRebuild).toEqual(await snapshot(fresh.pool, TABLES));
      } finally {
        await fresh.drop();
      }
      expect(await balanceViolations(db.pool)).toEqual({ vouchers: 0, familyMonths: 0 });
      // No shadow schema is left behind.
      const { rows } = await db.pool.query("select nspname from pg_namespace where nspname like 'rebuild_%'");
      expect(rows).toEqual([]);
    });

    it('rebuilding one model leaves the others where they are', async () => {
      await reset();
      const store = createMemoryEventStore();
      const head = await appendAll(store, generateHistory({ ...LONG, seed: 5, pupils: 40, familyMonths: 40 }));
      const runner = createRunner({ pool: db.pool, store, projections: allProjections, ...quiet });
      await runner.catchUp();
      const before = await snapshot(db.pool, TABLES);
      const [result] = await runner.rebuild('tabel');
      expect(result).toMatchObject({ name: 'tabel', position: head });
      expect(await snapshot(db.pool, TABLES)).toEqual(before);
      await expect(runner.rebuild('no_such_model')).rejects.toThrow(/no projection named no_such_model/);
      await runner.stop();
    });
  });

  describe("append-only tables indexed after a rebuild's load", () => {
    it('a key written twice in the log keeps its first row, as live does (the rebuild deduplicates, then indexes)', async () => {
      await reset();
      const store = createMemoryEventStore();
      const first = meal('2025-10-07');
      const again = meal('2025-10-08', 60);
      // The same device record (device, seq) again later in the log, with other values: live ignores it.
      const repeat = {
        ...again,
        event: {
          ...again.event,
          id: '00000000-0000-4000-8000-0000000000ff',
          data: { ...(again.event.data as object), seq: (first.event.data as { seq: number }).seq },
        },
      };
      const head = await appendAll(store, [...mealsStart(), first, again, repeat]);
      // Batches of one: the repeat reaches the shadow table (a batch drops repeated keys itself).
      const runner = createRunner({ pool: db.pool, store, projections: allProjections, batchSize: 1, rebuildBatchSize: 1, ...quiet });
      await runner.catchUp();
      const live = await snapshot(db.pool, TABLES);
      expect(live.tabel_meals).toHaveLength(2);
      const rebuilt = await runner.rebuild();
      expect(rebuilt.map((r) => r.position)).toEqual(allProjections.map(() => head));
      expect(await snapshot(db.pool, TABLES)).toEqual(live);
      await runner.stop();
    });
  });

  describe('crash between apply and commit', () => {
    /** A counter model: one row per event type, +1 per event. Double counting would show. */
    const counter: Projection = {
      name: 'event_counter',
      canHandle: allProjections.find((p) => p.name === 'family_history')!.canHandle,
      migrations: [{ id: '0299_event_counter', sql: 'create table event_counter (type text primary key, n integer not null)' }],
      tables: ['event_counter'],
      apply: eachEvent((e) => [sql('insert into event_counter values ($1, 1) on conflict (type) do update set n = event_counter.n + 1', e.type)]),
    };
    /** The same model, but the transaction fails after its SQL ran, before the checkpoint and commit. */
    const failingAt = (position: bigint): Projection => ({
      ...counter,
      apply: eachEvent((e) => [...counter.apply([e]), ...(e.position === position ? [sql('select 1 / 0')] : [])]),
    });

    it('restarts without double counting', async () => {
      const cdb = await freshWith([counter]);
      try {
        const store = createMemoryEventStore();
        const items = [...generateHistory({ seed: 9, pupils: 30, familyMonths: 30 })];
        await appendAll(store, items);
        const all = await store.readAll({ maxCount: 1_000_000 });
        const poison = all[Math.floor(all.length * 0.6)]!.position;
        const errors: unknown[] = [];
        const crashing = createRunner({ pool: cdb.pool, store, projections: [failingAt(poison)], batchSize: 50, onError: (_n, e) => errors.push(e) });
        await crashing.catchUp();
        await crashing.stop();
        expect(String(errors[0])).toMatch(/division by zero/);
        const { rows: cp } = await cdb.pool.query<{ position: bigint }>("select position from projection_checkpoints where name = 'event_counter'");
        expect(cp[0]!.position).toBeLessThan(poison);
        const { rows: partial } = await cdb.pool.query<{ n: bigint }>('select coalesce(sum(n), 0)::bigint as n from event_counter');
        expect(Number(partial[0]!.n)).toBe(all.filter((e) => e.position <= cp[0]!.position).length);

        const restarted = createRunner({ pool: cdb.pool, store, projections: [counter], batchSize: 50, ...quiet });
        await restarted.catchUp();
        await restarted.stop();
        const { rows } = await cdb.pool.query<{ type: string; n: number }>('select type, n from event_counter');
        const expected = new Map<string, number>();
        for (const e of all) expected.set(e.type, (expected.get(e.type) ?? 0) + 1);
        expect(Object.fromEntries(rows.map((r) => [r.type, r.n]))).toEqual(Object.fromEntries(expected));
      } finally {
        await cdb.drop();
      }
    });

    it('a killed connection mid-batch rolls the batch back, and the restart counts each event once', async () => {
      const cdb = await freshWith([counter]);
      try {
        const store = createMemoryEventStore();
        await appendAll(store, generateHistory({ seed: 10, pupils: 20, familyMonths: 20 }));
        const total = (await store.readAll({ maxCount: 1_000_000 })).length;
        let killed = false;
        // The backend of the applying transaction is terminated from outside, after the SQL ran.
        const killer: Projection = {
          ...counter,
          apply: (es) => [...counter.apply(es), ...(killed ? [] : ((killed = true), [sql('select pg_terminate_backend(pg_backend_pid())')]))],
        };
        const crashing = createRunner({ pool: cdb.pool, store, projections: [killer], batchSize: 100, ...quiet });
        await crashing.catchUp();
        await crashing.stop();
        const restarted = createRunner({ pool: cdb.pool, store, projections: [counter], batchSize: 100, ...quiet });
        await restarted.catchUp();
        await restarted.stop();
        const { rows } = await cdb.pool.query<{ n: bigint }>('select sum(n)::bigint as n from event_counter');
        expect(killed).toBe(true);
        expect(Number(rows[0]!.n)).toBe(total);
      } finally {
        await cdb.drop();
      }
    });
  });

  describe('one process per projection', () => {
    it('a second runner owns nothing while the first holds the locks, and takes over after it stops', async () => {
      await reset();
      const store = createMemoryEventStore();
      await appendAll(store, generateHistory({ seed: 11, pupils: 10, familyMonths: 10 }));
      const a = createRunner({ pool: db.pool, store, projections: allProjections, ...quiet });
      const b = createRunner({ pool: db.pool, store, projections: allProjections, ...quiet });
      await a.catchUp();
      expect(await b.catchUp()).toBe(0);
      expect(b.owned()).toEqual([]);
      expect(a.owned().sort()).toEqual(allProjections.map((p) => p.name).sort());
      await a.stop();
      const c = createRunner({ pool: db.pool, store, projections: allProjections, ...quiet });
      await c.catchUp();
      expect(c.owned().length).toBe(allProjections.length);
      await c.stop();
      await b.stop();
    });
  });

  describe('lag', () => {
    it('reports events and seconds behind, then zero once caught up', async () => {
      await reset();
      const store = createMemoryEventStore();
      const items: HistoryItem[] = [...generateHistory({ seed: 12, pupils: 5, familyMonths: 5 })];
      const head = await appendAll(store, items);
      const newest = Math.max(...items.map((i) => Date.parse(i.event.metadata.recordedAt)));
      const clock = new VirtualClock(new Date(newest + 3_600_000));
      const runner = createRunner({ pool: db.pool, store, projections: allProjections, clock, ...quiet });
      const before = await runner.lag();
      expect(before.every((l) => l.lagEvents === items.length && l.lagSeconds >= 3600)).toBe(true);
      await runner.catchUp();
      await runner.waitUntilCaughtUp(head, 1000);
      expect((await runner.lag()).every((l) => l.lagEvents === 0 && l.lagSeconds === 0 && l.position === head)).toBe(true);
      await runner.stop();
    });

    it('counts the backlog in Postgres as reading it would: events (capped), seconds, then zero once caught up', async () => {
      // Its own database: the events it appends must not reach the other tests' Postgres store.
      const own = await freshWith(allProjections);
      const store = createPostgresEventStore(own.pool);
      const items: HistoryItem[] = [...generateHistory({ seed: 15, pupils: 5, familyMonths: 5 })];
      const head = await appendAll(store, items);
      const newest = Math.max(...items.map((i) => Date.parse(i.event.metadata.recordedAt)));
      const clock = new VirtualClock(new Date(newest + 3_600_000));
      const counted = createRunner({
        pool: own.pool,
        store,
        projections: allProjections,
        clock,
        backlog: (after, limit) => backlogAfter(own.pool, after, limit),
        ...quiet,
      });
      const read = createRunner({ pool: own.pool, store, projections: allProjections, clock, ...quiet });
      // The visibility horizon is cluster-wide: another test's open transaction may hide the newest events for a moment.
      await expect.poll(async () => (await backlogAfter(own.pool, 0n, 10_000)).events, { timeout: 10_000 }).toBe(items.length);
      const before = await counted.lag();
      expect(before).toEqual(await read.lag());
      expect(before.every((l) => l.lagEvents === items.length && l.lagSeconds >= 3600)).toBe(true);
      const capped = await backlogAfter(own.pool, 0n, 3);
      expect(capped.events).toBe(3);
      expect(capped.oldestRecordedAt).toBe((await store.readAll({ maxCount: 1 }))[0]!.metadata.recordedAt);
      await counted.catchUp();
      await counted.waitUntilCaughtUp(head, 1000);
      expect((await counted.lag()).every((l) => l.lagEvents === 0 && l.lagSeconds === 0 && l.position === head)).toBe(true);
      await counted.stop();
      await read.stop();
      await store.close();
      await own.drop();
    });

    it('moves the checkpoints of the models a batch gives nothing to write together, in one statement', async () => {
      await reset();
      const store = createMemoryEventStore();
      const items = [...generateHistory({ seed: 16, pupils: 4, familyMonths: 4 })];
      const head = await appendAll(store, items);
      const statements: string[] = [];
      const counted = new Proxy(db.pool, {
        get: (target, prop, receiver) =>
          prop === 'query'
            ? (config: string | { name?: string; text?: string }, ...rest: unknown[]) => (
                statements.push(typeof config === 'string' ? config : (config.name ?? config.text ?? '')),
                (target.query as (...a: unknown[]) => unknown)(config, ...rest)
              )
            : Reflect.get(target, prop, receiver),
      }) as typeof db.pool;
      const handledBy = (name: string) => allProjections.find((p) => p.name === name)!.canHandle as readonly string[];
      const idle = allProjections.filter((p) => !items.some((i) => handledBy(p.name).includes(i.event.type)));
      expect(idle.length).toBeGreaterThan(1);
      // One batch of everything: every model's checkpoint reaches the head; the idle ones in one statement.
      const runner = createRunner({ pool: counted, store, projections: allProjections, batchSize: items.length + 1, ...quiet });
      await runner.catchUp();
      expect(statements.filter((s) => s === 'swl_checkpoints_move_idle')).toHaveLength(1);
      expect((await runner.lag()).every((l) => l.position === head)).toBe(true);
      await runner.stop();
    });

    it('catches up then follows live appends after poke()', async () => {
      await reset();
      const store = createMemoryEventStore();
      const items = [...generateHistory({ seed: 13, pupils: 20, familyMonths: 20 })];
      await appendAll(store, items.slice(0, 100));
      const runner = createRunner({ pool: db.pool, store, projections: allProjections, pollIntervalMs: 60_000, ...quiet });
      await runner.start();
      const head = await appendAll(store, items.slice(100));
      runner.poke();
      await runner.waitUntilCaughtUp(head, 5000);
      await runner.stop();
    });
  });

  describe('live appends arriving one by one', () => {
    /** A projection that only records the size of each batch it is given. */
    const counting = (types: readonly string[], batches: number[]): Projection => ({
      name: 'counting',
      canHandle: types as Projection['canHandle'],
      migrations: [],
      tables: [],
      apply: (events) => (batches.push(events.length), []),
    });
    const trickle = async (liveGatherMs: number) => {
      await db.pool.query(`delete from projection_checkpoints where name = 'counting'`);
      const store = createMemoryEventStore();
      const items = [...generateHistory({ seed: 15, pupils: 4, familyMonths: 4 })].slice(0, 40);
      const batches: number[] = [];
      const runner = createRunner({
        pool: db.pool,
        store,
        projections: [counting([...new Set(items.map((i) => i.event.type))], batches)],
        pollIntervalMs: 60_000,
        liveGatherMs,
        ...quiet,
      });
      await runner.start();
      let head = 0n;
      for (const item of items) {
        head = await appendAll(store, [item]);
        runner.poke(); // as every append through the system does
        await new Promise((ok) => setTimeout(ok, 2));
      }
      await runner.waitUntilCaughtUp(head, 5000);
      await runner.stop();
      expect(batches.reduce((a, b) => a + b, 0)).toBe(items.length);
      return batches.length;
    };

    it('are gathered into a few batches, not one transaction per append', async () => {
      const gathered = await trickle(200);
      const eager = await trickle(0);
      expect(gathered).toBeLessThanOrEqual(4);
      expect(eager).toBeGreaterThan(gathered * 3);
    });
  });

  describe('with the Postgres event store', () => {
    it('projects the same rows as with the memory store', async () => {
      const history = [...generateHistory({ seed: 14, pupils: 30, familyMonths: 30 })];
      await reset();
      const memory = createMemoryEventStore();
      await appendAll(memory, history);
      const m = createRunner({ pool: db.pool, store: memory, projections: allProjections, ...quiet });
      await m.catchUp();
      await m.stop();
      const fromMemory = await snapshotWithoutPositions(db);
      await reset();
      const pgStore = createPostgresEventStore(db.pool);
      const head = await appendAll(pgStore, history);
      const p = createRunner({ pool: db.pool, store: pgStore, projections: allProjections, ...quiet });
      await p.catchUp();
      await p.waitUntilCaughtUp(head, 1000);
      await p.stop();
      await pgStore.close();
      expect(await snapshotWithoutPositions(db)).toEqual(fromMemory);
    });
  });
});

async function freshWith(projections: readonly Projection[]) {
  const { coreMigrations } = await import('../adapters/postgres/migrate');
  const { freshDatabase } = await import('../test/pg');
  return freshDatabase([...coreMigrations(), ...projectionMigrations(projections)]);
}

/** Positions differ between adapters; everything else must not. */
async function snapshotWithoutPositions(db: Db) {
  const snap = await snapshot(db.pool, TABLES);
  for (const rows of Object.values(snap)) for (const row of rows as Record<string, unknown>[]) delete row.position;
  for (const [t, rows] of Object.entries(snap))
    snap[t] = (rows as unknown[])
      .map((r) => JSON.stringify(r))
      .sort()
      .map((s) => JSON.parse(s) as unknown);
  return snap;
}
