/**
 * The concurrency proof for the Postgres adapter: many writers, one subscriber on `$all`, and the
 * subscriber must see every committed event exactly once, in position order. Plus the test of the
 * test: a naive reader (`position > $after order by position`, no transaction visibility) is shown
 * to skip an event whose transaction commits late, in a fixed two-transaction schedule.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { freshDatabase } from '../../test/pg';
import type { Pool } from '../postgres/pool';
import { freshStream, newEvent } from './contract';
import { WrongExpectedVersionError, type EventStore, type ExpectedVersion, type NewEvent, type RecordedEvent } from './port';
import { appendStatement, createPostgresEventStore } from './postgres';

const WRITERS = 8;
const EVENTS_PER_WRITER = 600;
const SHARED_STREAMS = 3;
/** Conflicts on shared streams are expected; a writer that keeps losing this often is a bug. */
const MAX_CONFLICT_RETRIES = 200;
const SUBSCRIBER_DEADLINE_MS = 15_000;
/** The whole workload: a 2-core machine running several suites at once has taken 78 s (the default is 60 s). */
const WORKLOAD_TIMEOUT_MS = 180_000;
const SEED = 20_250_901;

/** Deterministic writer choices (the interleaving is up to Postgres; the workload is not). */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => (state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0) >>> 8;
}

interface Workload {
  readonly committed: Set<string>;
  readonly conflicts: number;
}

/** Appends with an exact expected version, learning the actual version from each conflict. */
async function appendRetrying(store: EventStore, known: Map<string, bigint | undefined>, writes: { stream: string; events: NewEvent[] }[]) {
  for (let attempt = 0; ; attempt++) {
    const expected = (stream: string): ExpectedVersion => known.get(stream) ?? 'no_stream';
    try {
      const results = await store.appendMany(writes.map((w) => ({ ...w, expectedVersion: expected(w.stream) })));
      writes.forEach((w, i) => known.set(w.stream, results[i]!.nextExpectedVersion));
      return attempt;
    } catch (error) {
      if (!(error instanceof WrongExpectedVersionError) || attempt >= MAX_CONFLICT_RETRIES) throw error;
      known.set(error.stream, error.actual);
    }
  }
}

async function writer(store: EventStore, index: number, shared: readonly string[], committed: Set<string>): Promise<number> {
  const random = lcg(SEED + index);
  const own = [freshStream(`own-${index}`), freshStream(`own-${index}`)];
  const known = new Map<string, bigint | undefined>();
  let conflicts = 0;
  for (let written = 0; written < EVENTS_PER_WRITER;) {
    const size = 1 + (random() % 4);
    const batch = () => Array.from({ length: size }, (_, k) => newEvent('LoadApplied', { writer: index, seq: written + k }));
    const target = shared[random() % shared.length]!;
    const choice = random() % 10;
    let events: NewEvent[];
    if (choice < 3) {
      conflicts += await appendRetrying(store, known, [{ stream: own[random() % 2]!, events: (events = batch()) }]);
    } else if (choice < 6) {
      conflicts += await appendRetrying(store, known, [{ stream: target, events: (events = batch()) }]);
    } else if (choice < 8) {
      await store.append(target, (events = batch()), 'any');
    } else {
      const first = batch();
      const second = batch();
      events = [...first, ...second];
      conflicts += await appendRetrying(store, known, [
        { stream: own[0]!, events: first },
        { stream: target, events: second },
      ]);
    }
    for (const e of events) committed.add(e.id);
    written += events.length;
  }
  return conflicts;
}

async function runWorkload(store: EventStore): Promise<Workload> {
  const shared = Array.from({ length: SHARED_STREAMS }, () => freshStream('shared'));
  const committed = new Set<string>();
  const conflicts = await Promise.all(Array.from({ length: WRITERS }, (_, i) => writer(store, i, shared, committed)));
  return { committed, conflicts: conflicts.reduce((a, b) => a + b, 0) };
}

/** Reads like the store would without transaction visibility: the design this test must rule out. */
function naiveReader(pool: Pool) {
  let after = 0n;
  const seen: string[] = [];
  return {
    seen,
    async poll(): Promise<number> {
      const { rows } = await pool.query('select position, id from events where position > $1 order by position limit 1000', [after]);
      for (const row of rows) seen.push(row.id);
      if (rows.length > 0) after = BigInt(rows.at(-1)!.position);
      return rows.length;
    },
  };
}

async function collectUntilClosed(iterator: AsyncIterator<RecordedEvent>, into: RecordedEvent[]): Promise<void> {
  for (let next = await iterator.next(); !next.done; next = await iterator.next()) into.push(next.value);
}

describe('postgres event store under concurrent writers', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let store: EventStore;

  beforeAll(async () => {
    db = await freshDatabase(undefined, WRITERS + 6);
    store = createPostgresEventStore(db.pool, { pollIntervalMs: 50 });
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  it(
    'delivers every committed event exactly once, in position order, to a subscriber on $all',
    async () => {
      const head = await store.headPosition();
      const subscription = store.subscribe({ after: head });
      const iterator = subscription[Symbol.asyncIterator]();
      const received: RecordedEvent[] = [];
      const collecting = collectUntilClosed(iterator, received);
      const naive = naiveReader(db.pool);
      let writing = true;
      const naivePolling = (async () => {
        while (writing) if ((await naive.poll()) === 0) await new Promise((r) => setTimeout(r, 1));
      })();

      const { committed, conflicts } = await runWorkload(store);
      writing = false;
      await naivePolling;
      while ((await naive.poll()) > 0);
      await eventually(
        async () => received.length,
        (n) => n >= committed.size,
        SUBSCRIBER_DEADLINE_MS,
      );
      // A duplicate or a stray event would be right behind; give it the time of a few polls to arrive.
      await new Promise((r) => setTimeout(r, 200));
      await subscription.close();
      await collecting;

      expect(committed.size).toBeGreaterThanOrEqual(WRITERS * EVENTS_PER_WRITER);
      expect(received).toHaveLength(committed.size);
      expect(new Set(received.map((e) => e.id))).toEqual(committed);
      for (let i = 1; i < received.length; i++) expect(received[i]!.position > received[i - 1]!.position).toBe(true);
      assertDenseStreams(received);
      const naiveMissed = [...committed].filter((id) => !new Set(naive.seen).has(id)).length;
      // The test of the test, on the same workload: without the visibility horizon, late commits are lost
      // (usually hundreds per run here). How many depends on scheduling — on a loaded machine it can be
      // none — so it is reported, not asserted; the fixed schedule of the next test shows it deterministically.
      console.info(`concurrency proof: ${committed.size} events, ${conflicts} conflicts retried; a naive reader polling alongside missed ${naiveMissed}`);
    },
    WORKLOAD_TIMEOUT_MS,
  );

  it('does not skip an event whose transaction commits after a later one (a naive reader does)', async () => {
    const head = await store.headPosition();
    const [slow, fast] = [freshStream('slow'), freshStream('fast')];
    const late = newEvent('LateCommit', { n: 1 });
    const early = newEvent('EarlyCommit', { n: 2 });
    const naiveAfter = head;

    // Transaction A writes first (lower xid, lower position) but stays open.
    const a = new pg.Client({ connectionString: db.url });
    await a.connect();
    try {
      await a.query('begin');
      await a.query(appendStatement('no_stream'), [slow, 0, late.id, late.type, JSON.stringify(late.data), JSON.stringify(late.metadata)]);
      // Transaction B writes after it and commits first.
      await store.append(fast, [early], 'no_stream');

      const naiveFirst = await naiveRead(db.pool, naiveAfter);
      expect(naiveFirst.map((r) => r.id)).toEqual([early.id]);
      expect(await store.readAll({ after: head })).toEqual([]);

      await a.query('commit');
      const naiveSecond = await naiveRead(db.pool, naiveFirst.at(-1)!.position);
      expect(naiveSecond).toEqual([]); // the naive reader has moved past A's event for good
      // Other test files share this server; one of their open transactions may hold the horizon back briefly.
      const real = await eventually(
        () => store.readAll({ after: head }),
        (events) => events.length >= 2,
      );
      expect(real.map((e) => e.id)).toEqual([late.id, early.id]);
    } finally {
      await a.end();
    }
  });
  it('waits for its own appends made before a read, not for those made while it waits', async () => {
    const head = await store.headPosition();
    const [blocked, mine, later] = [freshStream('blocked'), freshStream('mine'), freshStream('later')];
    const [x, e1, y, e2] = [newEvent('HeldBack', { n: 1 }), newEvent('Mine', { n: 2 }), newEvent('HeldLater', { n: 3 }), newEvent('MineLater', { n: 4 })];
    const a = new pg.Client({ connectionString: db.url });
    const c = new pg.Client({ connectionString: db.url });
    await Promise.all([a.connect(), c.connect()]);
    try {
      // A holds the horizon below this store's own event E1: a read must wait for it.
      await a.query('begin');
      await a.query(appendStatement('no_stream'), [blocked, 0, x.id, x.type, JSON.stringify(x.data), JSON.stringify(x.metadata)]);
      await store.append(mine, [e1], 'no_stream');
      const reading = store.readAll({ after: head });
      // While it waits, C opens and the store appends E2 behind it: E2 stays invisible while C is open.
      await c.query('begin');
      await c.query(appendStatement('no_stream'), [later, 0, y.id, y.type, JSON.stringify(y.data), JSON.stringify(y.metadata)]);
      await store.append(later + '-own', [e2], 'no_stream');
      await a.query('commit');
      // The read ends once E1 (its target when called) is visible, although E2 is still held back.
      const read = await Promise.race([reading, new Promise<'still waiting'>((ok) => setTimeout(() => ok('still waiting'), 2_500))]);
      expect(read === 'still waiting' ? read : read.map((e) => e.id)).toEqual([x.id, e1.id]);
    } finally {
      await c.query('rollback').catch(() => undefined);
      await Promise.all([a.end(), c.end()]);
    }
  });
});

async function naiveRead(pool: Pool, after: bigint): Promise<{ id: string; position: bigint }[]> {
  const { rows } = await pool.query('select id, position from events where position > $1 order by position', [after]);
  return rows.map((r) => ({ id: r.id, position: BigInt(r.position) }));
}

function assertDenseStreams(events: readonly RecordedEvent[]): void {
  const next = new Map<string, bigint>();
  for (const e of events) {
    // Within one stream, $all order is version order with no holes: the only gaps are between transactions' positions.
    expect(e.streamVersion).toBe(next.get(e.stream) ?? 0n);
    next.set(e.stream, e.streamVersion + 1n);
  }
}

const EVENTUALLY_TIMEOUT_MS = 5_000;

async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = EVENTUALLY_TIMEOUT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 20));
  }
}
