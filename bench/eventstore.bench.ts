/**
 * `npm run bench:eventstore`: the Postgres event store beside raw Postgres, measured in the same
 * run on the same server. The raw baseline writes the same rows (same columns and indexes, a
 * bigserial position) with plain prepared INSERTs and no checks; the store adds the expected-version
 * guard, idempotency and commit-safe positions. Rounds alternate raw/store so both see the same
 * table sizes and machine noise. One JSON line per case: {case, value, unit, baseline, ratio}.
 */
import { randomUUID } from 'node:crypto';
import type { Pool } from '../adapters/postgres/pool';
import { createPostgresEventStore } from '../adapters/eventstore/postgres';
import type { EventStore, NewEvent } from '../adapters/eventstore/port';
import { reportPairs, startBenchDatabase, throughput } from './lib';

/** Length of a measured round and rounds per side (alternating who goes first): ~2 minutes in all. */
const ROUND_MS = 1_200;
const ROUNDS = 8;
const READ_ROUNDS = 8;
/** Events per timed read round (the whole log is read once, untimed, to check the count). */
const READ_TIMED_EVENTS = 100_000;
const BATCH_SIZE = 100;
const READ_BATCH = 1_000;

const RAW_DDL = `
  create table raw_events (
    position bigserial primary key, stream text not null, stream_version bigint not null, id uuid not null,
    type text not null, data jsonb not null, metadata jsonb not null, unique (stream, stream_version))`;
const RAW_INSERT_ONE =
  'insert into raw_events (stream, stream_version, id, type, data, metadata) values ($1, $2, $3::uuid, $4, $5::jsonb, $6::jsonb)';
const RAW_INSERT_BATCH =
  'insert into raw_events (stream, stream_version, id, type, data, metadata) ' +
  'select $1, $2::bigint + e.ord - 1, e.id, e.type, e.data, e.metadata ' +
  'from unnest($3::uuid[], $4::text[], $5::jsonb[], $6::jsonb[]) with ordinality as e(id, type, data, metadata, ord)';
const RAW_READ = 'select position, stream, stream_version, id, type, data, metadata from raw_events where position > $1 order by position limit $2';

/** ~300 bytes of JSON, shaped like a voucher purchase. */
function payload(n: number): NewEvent {
  return {
    id: randomUUID(),
    type: 'PurchaseRecorded',
    data: {
      voucherId: `voucher-${n % 9973}`,
      shopId: 'shop-almaty-00042',
      amountTiyn: 125_000 + n,
      items: [
        { sku: 'milk-1l', category: 'dairy', qty: 2, priceTiyn: 45_000 },
        { sku: 'bread-500g', category: 'bakery', qty: 1, priceTiyn: 35_000 },
      ],
      note: 'Әлеуметтік әмиян — покупка по ваучеру',
      seq: n,
    },
    metadata: {
      commandId: `cmd-${n}`,
      correlationId: `cmd-${n}`,
      causationId: `cmd-${n}`,
      actor: { role: 'shop', id: 'shop-almaty-00042' },
      recordedAt: '2025-09-01T08:00:00.000Z',
    },
  };
}

interface Side {
  /** Writes `count` events to the worker's own stream; returns how many it wrote. */
  write(worker: number, count: number): Promise<number>;
}

/**
 * `existing`: each worker appends to its own stream with the exact expected version (the command
 * path's usual write). `new`: each append starts a new stream with `no_stream`.
 */
type StreamMode = 'existing' | 'new';

function storeSide(store: EventStore, run: string, mode: StreamMode): Side {
  const versions = new Map<number, bigint>();
  let n = 0;
  return {
    async write(worker, count) {
      const stream = mode === 'new' ? `bench-${run}-${worker}-${n}` : `bench-${run}-${worker}`;
      const current = mode === 'new' ? undefined : versions.get(worker);
      const events = Array.from({ length: count }, () => payload(n++));
      const result = await store.append(stream, events, current === undefined ? 'no_stream' : current);
      versions.set(worker, result.nextExpectedVersion);
      return count;
    },
  };
}

function rawSide(pool: Pool, run: string, mode: StreamMode): Side {
  const versions = new Map<number, number>();
  let n = 0;
  return {
    async write(worker, count) {
      const stream = mode === 'new' ? `raw-${run}-${worker}-${n}` : `raw-${run}-${worker}`;
      const version = mode === 'new' ? 0 : (versions.get(worker) ?? 0);
      const events = Array.from({ length: count }, () => payload(n++));
      if (count === 1) {
        const e = events[0]!;
        await pool.query({ name: 'raw_one', text: RAW_INSERT_ONE, values: [stream, version, e.id, e.type, JSON.stringify(e.data), JSON.stringify(e.metadata)] });
      } else {
        const values = [stream, version, events.map((e) => e.id), events.map((e) => e.type), events.map((e) => JSON.stringify(e.data)), events.map((e) => JSON.stringify(e.metadata))];
        await pool.query({ name: 'raw_batch', text: RAW_INSERT_BATCH, values });
      }
      versions.set(worker, version + count);
      return count;
    },
  };
}

interface Totals {
  store: number;
  raw: number;
}

type Pair = { value: number; baseline: number };

/** Runs `measure` for both sides ROUNDS times, alternating which goes first so neither always meets the larger table. */
async function pairedRounds<T extends { rate: number }>(rounds: number, measure: (side: 'store' | 'raw', round: number) => Promise<T>): Promise<{ pairs: Pair[]; results: { store: T[]; raw: T[] } }> {
  const pairs: Pair[] = [];
  const results = { store: [] as T[], raw: [] as T[] };
  for (let round = 0; round < rounds; round++) {
    const first = round % 2 === 0 ? 'raw' : 'store';
    const a = await measure(first, round);
    const b = await measure(first === 'raw' ? 'store' : 'raw', round);
    const [raw, store] = first === 'raw' ? [a, b] : [b, a];
    results.raw.push(raw);
    results.store.push(store);
    pairs.push({ value: store.rate, baseline: raw.rate });
  }
  return { pairs, results };
}

async function appendCase(pool: Pool, store: EventStore, name: string, workers: number, perAppend: number, mode: StreamMode, committed: Totals) {
  const { pairs, results } = await pairedRounds(ROUNDS, (side, round) => {
    const writer = side === 'raw' ? rawSide(pool, `${name}-${round}`, mode) : storeSide(store, `${name}-${round}`, mode);
    return throughput(workers, ROUND_MS, (w) => writer.write(w, perAppend));
  });
  committed.raw += results.raw.reduce((n, r) => n + r.events, 0);
  committed.store += results.store.reduce((n, r) => n + r.events, 0);
  return reportPairs(name, 'events/s', pairs);
}

/**
 * First reads each whole log once and fails loudly if the count differs from what was committed
 * (a skipping reader would show here); then times reads of the first READ_TIMED_EVENTS of each,
 * in alternating rounds.
 */
async function readCase(pool: Pool, store: EventStore, committed: Totals) {
  const readRaw = (limit: number) => timedRead(limit, (after) => rawRead(pool, after));
  const readStore = (limit: number) => timedRead(limit, (after) => store.readAll({ after, maxCount: READ_BATCH }));
  assertCount('raw', await readRaw(Number.POSITIVE_INFINITY), committed.raw);
  assertCount('store', await readStore(Number.POSITIVE_INFINITY), committed.store);
  const limit = Math.min(READ_TIMED_EVENTS, committed.raw, committed.store);
  const { pairs } = await pairedRounds(READ_ROUNDS, async (side) => (side === 'raw' ? readRaw(limit) : readStore(limit)));
  return reportPairs('read $all in order', 'events/s', pairs);
}

function assertCount(side: string, read: { events: number }, committed: number): void {
  if (read.events !== committed) throw new Error(`${side}: read ${read.events} events, committed ${committed}: a reader skipped or invented events`);
}

async function rawRead(pool: Pool, after: bigint): Promise<{ position: bigint }[]> {
  // The pool parses int8 as bigint already (adapters/postgres/pool.ts): rows are used as they come.
  const { rows } = await pool.query<{ position: bigint }>({ name: 'raw_read', text: RAW_READ, values: [after, READ_BATCH] });
  return rows;
}

/** Reads in position order until the end or `limit` events; checks the order as it goes. */
async function timedRead(limit: number, read: (after: bigint) => Promise<{ position: bigint }[]>): Promise<{ rate: number; events: number }> {
  const started = performance.now();
  let events = 0;
  let last = 0n;
  while (events < limit) {
    const batch = await read(last);
    if (batch.length === 0) break;
    for (const e of batch) {
      if (e.position <= last) throw new Error(`read out of order at position ${e.position}`);
      last = e.position;
    }
    events += batch.length;
  }
  return { rate: events / ((performance.now() - started) / 1000), events };
}

async function main(): Promise<void> {
  const db = await startBenchDatabase();
  const store = createPostgresEventStore(db.pool);
  try {
    await db.pool.query(RAW_DDL);
    const committed: Totals = { store: 0, raw: 0 };
    await appendCase(db.pool, store, 'append 1 event, 1 writer', 1, 1, 'existing', committed);
    await appendCase(db.pool, store, 'append 1 event, 16 writers', 16, 1, 'existing', committed);
    await appendCase(db.pool, store, 'append 1 event to a new stream, 16 writers', 16, 1, 'new', committed);
    await appendCase(db.pool, store, `append ${BATCH_SIZE} events, 16 writers`, 16, BATCH_SIZE, 'existing', committed);
    await readCase(db.pool, store, committed);
  } finally {
    await store.close();
    await db.stop();
  }
}

await main();
