/**
 * `npm run bench:eventstore`: the Postgres event store beside raw Postgres, measured in the same
 * run on the same server. The raw baseline writes the same rows (same columns and indexes, a
 * bigserial position) with plain prepared INSERTs and no checks; the store adds the expected-version
 * guard, idempotency and commit-safe positions — and, since issue 19, the hash chain's chainer, whose
 * work for a round's events counts in that round. Rounds alternate raw/store so both see the same
 * table sizes and machine noise. One JSON line per case: {case, value, unit, baseline, ratio}.
 */
import { randomUUID } from 'node:crypto';
import type { Pool } from '../adapters/postgres/pool';
import { createPostgresEventStore } from '../adapters/eventstore/postgres';
import type { EventStore, NewEvent } from '../adapters/eventstore/port';
import { report, reportPairs, startBenchDatabase, throughput } from './lib';
import { systemClock } from '../adapters/clock/clock';
import { createChainer, type Chainer } from '../adapters/evidence/chainer';
import { verifyChain } from '../adapters/evidence/verify';

/** Length of a measured round and rounds per side (alternating who goes first): ~2 minutes in all. */
const ROUND_MS = 1_200;
const ROUNDS = 8;
const READ_ROUNDS = 8;
/** Events per timed read round (the whole log is read once, untimed, to check the count). */
const READ_TIMED_EVENTS = 100_000;
const BATCH_SIZE = 100;
const READ_BATCH = 1_000;
const BENCH_CHAIN_INTERVAL_MS = 200;
/** `npm run bench:eventstore -- --no-chain`: the store without its chainer, to compare runs before and after the chain. */
const NO_CHAIN_FLAG = '--no-chain';

const RAW_DDL = `
  create table raw_events (
    position bigserial primary key, stream text not null, stream_version bigint not null, id uuid not null,
    type text not null, data jsonb not null, metadata jsonb not null, unique (stream, stream_version))`;
const RAW_INSERT_ONE = 'insert into raw_events (stream, stream_version, id, type, data, metadata) values ($1, $2, $3::uuid, $4, $5::jsonb, $6::jsonb)';
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
        await pool.query({
          name: 'raw_one',
          text: RAW_INSERT_ONE,
          values: [stream, version, e.id, e.type, JSON.stringify(e.data), JSON.stringify(e.metadata)],
        });
      } else {
        const values = [
          stream,
          version,
          events.map((e) => e.id),
          events.map((e) => e.type),
          events.map((e) => JSON.stringify(e.data)),
          events.map((e) => JSON.stringify(e.metadata)),
        ];
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
async function pairedRounds<T extends { rate: number }>(
  rounds: number,
  measure: (side: 'store' | 'raw', round: number) => Promise<T>,
): Promise<{ pairs: Pair[]; results: { store: T[]; raw: T[] } }> {
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

/**
 * A store round as the service runs it: the hash chain's chainer on its own timer while the writers
 * append, and the round's clock stopped only once the chain has caught up with every event written
 * in it, so the chain's whole cost counts against the store (docs/EVIDENCE.md).
 */
async function chainedThroughput(
  chainer: Chainer | undefined,
  workers: number,
  step: (worker: number) => Promise<number>,
): Promise<{ rate: number; events: number }> {
  if (!chainer) return throughput(workers, ROUND_MS, step);
  chainer.start();
  const written = await throughput(workers, ROUND_MS, step);
  const caughtUpFrom = performance.now();
  await chainer.stop();
  await chainer.catchUp();
  const seconds = written.events / written.rate + (performance.now() - caughtUpFrom) / 1000;
  return { rate: written.events / seconds, events: written.events };
}

async function appendCase(
  pool: Pool,
  store: EventStore,
  chainer: Chainer | undefined,
  name: string,
  workers: number,
  perAppend: number,
  mode: StreamMode,
  committed: Totals,
) {
  const { pairs, results } = await pairedRounds(ROUNDS, (side, round) => {
    const writer = side === 'raw' ? rawSide(pool, `${name}-${round}`, mode) : storeSide(store, `${name}-${round}`, mode);
    const step = (w: number) => writer.write(w, perAppend);
    return side === 'raw' ? throughput(workers, ROUND_MS, step) : chainedThroughput(chainer, workers, step);
  });
  committed.raw += results.raw.reduce((n, r) => n + r.events, 0);
  committed.store += results.store.reduce((n, r) => n + r.events, 0);
  return reportPairs(name, 'events/s', pairs);
}

/**
 * What the hash chain costs a single writer: the store with its chainer (as in every case above)
 * beside the store without one, paired rounds in the same run. The chain's target: < 10 % more
 * time per append, a ratio ≥ 0.9.
 */
async function chainCostCase(store: EventStore, chainer: Chainer, committed: Totals) {
  const name = 'append 1 event, 1 writer, with the hash chain (baseline: the store without it)';
  const { pairs, results } = await pairedRounds(ROUNDS, (side, round) => {
    const writer = storeSide(store, `chain-cost-${side}-${round}`, 'existing');
    const step = (w: number) => writer.write(w, 1);
    return side === 'raw' ? throughput(1, ROUND_MS, step) : chainedThroughput(chainer, 1, step);
  });
  committed.store += [...results.raw, ...results.store].reduce((n, r) => n + r.events, 0);
  // The unchained rounds' events are chained now, untimed, so that the verification below sees them all.
  await chainer.catchUp();
  return reportPairs(name, 'events/s', pairs);
}

/** The verifier recomputing the whole chain (every leaf in JavaScript), beside reading $all raw; fails loudly unless every event verifies. */
async function verifyCase(pool: Pool, committed: Totals) {
  const rawFrom = performance.now();
  const raw = await timedRead(Number.POSITIVE_INFINITY, (after) => rawRead(pool, after));
  const rawRate = raw.events / ((performance.now() - rawFrom) / 1000);
  const started = performance.now();
  const verified = await verifyChain(pool, { publicKeys: [] });
  const rate = verified.eventsVerified / ((performance.now() - started) / 1000);
  if (!verified.ok || verified.eventsVerified !== committed.store)
    throw new Error(`the chain verified ${verified.eventsVerified} of ${committed.store} events: ${JSON.stringify(verified.problems[0])}`);
  return report('verify the hash chain from the start (baseline: raw read of $all)', rate, 'events/s', rawRate);
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
  // The service's chainer runs every 5 s; a round is 1.2 s, so at that interval nearly all of a
  // round's chaining would fall into its catch-up tail, run after the writers instead of beside
  // them as it does in steady state. Every 200 ms it runs beside them, as it would over a long run.
  const chainer = process.argv.includes(NO_CHAIN_FLAG) ? undefined : createChainer({ pool: db.pool, clock: systemClock, intervalMs: BENCH_CHAIN_INTERVAL_MS });
  if (!chainer) console.error(`${NO_CHAIN_FLAG}: the store runs without its chainer (the append path as before issue 19)`);
  try {
    await db.pool.query(RAW_DDL);
    const committed: Totals = { store: 0, raw: 0 };
    await appendCase(db.pool, store, chainer, 'append 1 event, 1 writer', 1, 1, 'existing', committed);
    await appendCase(db.pool, store, chainer, 'append 1 event, 16 writers', 16, 1, 'existing', committed);
    await appendCase(db.pool, store, chainer, 'append 1 event to a new stream, 16 writers', 16, 1, 'new', committed);
    await appendCase(db.pool, store, chainer, `append ${BATCH_SIZE} events, 16 writers`, 16, BATCH_SIZE, 'existing', committed);
    if (chainer) await chainCostCase(store, chainer, committed);
    await readCase(db.pool, store, committed);
    if (chainer) await verifyCase(db.pool, committed);
  } finally {
    await chainer?.stop();
    await store.close();
    await db.stop();
  }
}

await main();
