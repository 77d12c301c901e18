/**
 * The hash chain against the real embedded Postgres: the chainer binds every committed event
 * exactly once, whole transactions per block, while writers keep appending; the verifier accepts
 * the untouched log and names the first altered, deleted, inserted and reordered event when
 * someone with the database's keys edits it directly; signed checkpoints expose a rewrite of the
 * chain itself.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { freshDatabase } from '../../test/pg';
import { tamper, testSigner } from '../../test/evidence';
import { freshStream, newEvent } from '../eventstore/contract';
import { createPostgresEventStore } from '../eventstore/postgres';
import type { EventStore } from '../eventstore/port';
import { VirtualClock } from '../clock/clock';
import { createChainer, type Chainer } from './chainer';
import { verifyChain, type VerifyReport } from './verify';

const signer = testSigner();
const verify = (pool: Ledger['pool'], from?: bigint | 'latest') =>
  verifyChain(pool, { publicKeys: [signer.publicKeyPem], ...(from !== undefined ? { fromCheckpoint: from } : {}) });

interface Ledger {
  readonly pool: Awaited<ReturnType<typeof freshDatabase>>['pool'];
  readonly store: EventStore;
  readonly chainer: Chainer;
  readonly clock: VirtualClock;
  /** Positions of the events appended, in order. */
  readonly positions: bigint[];
}

const opened: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of opened.splice(0)) await close();
});

/** A database with `count` events over a few streams, some appended together, chained in blocks of `blockEvents`. */
async function ledger(count = 24, blockEvents = 7): Promise<Ledger> {
  const db = await freshDatabase();
  const store = createPostgresEventStore(db.pool);
  const clock = new VirtualClock('2026-03-02T04:00:00.000Z');
  const chainer = createChainer({ pool: db.pool, clock, signer, maxBlockEvents: blockEvents });
  opened.push(async () => {
    await chainer.stop();
    await store.close();
    await db.drop();
  });
  const streams = [freshStream('family'), freshStream('shop'), freshStream('list')];
  for (let n = 0; n < count;) {
    const size = n % 5 === 0 ? 3 : 1;
    await store.append(
      streams[n % streams.length]!,
      Array.from({ length: size }, (_, k) => newEvent('Happened', { n: n + k, note: 'Әлеуметтік әмиян "квота" \\ ok', amountTiyn: 1_000 * (n + k) })),
    );
    n += size;
    if (n % 9 === 0) await chainer.catchUp();
  }
  await chainer.catchUp();
  const { rows } = await db.pool.query<{ position: bigint }>('select position from events order by position');
  return { pool: db.pool, store, chainer, clock, positions: rows.map((r) => BigInt(r.position)) };
}

const first = (report: VerifyReport) => report.problems[0];

describe('the chainer', () => {
  it('chains every committed event once, in blocks of whole transactions, and the verifier agrees', async () => {
    const l = await ledger(40, 7);
    const report = await verify(l.pool);
    expect(report).toMatchObject({ ok: true, eventsVerified: 40, eventsNotYetChained: 0, problems: [] });
    const { rows } = await l.pool.query<{ positions: string[] }>('select positions from event_chain order by seq');
    const chained = rows.flatMap((r) => r.positions.map(BigInt));
    expect(chained).toEqual(l.positions);
    // No transaction is split across blocks (positions share the transaction id in their high bits).
    const transactionsPerBlock = rows.map((r) => new Set(r.positions.map((p) => BigInt(p) >> 16n)));
    const seen = new Set<bigint>();
    for (const block of transactionsPerBlock)
      for (const tx of block) {
        expect(seen.has(tx)).toBe(false);
        seen.add(tx);
      }
  });

  it('puts a transaction larger than a block into one block', async () => {
    const l = await ledger(3, 4);
    await l.store.append(
      freshStream('canteen'),
      Array.from({ length: 10 }, (_, n) => newEvent('MealServed', { n })),
    );
    await l.chainer.catchUp();
    const { rows } = await l.pool.query<{ event_count: number }>('select event_count from event_chain order by seq desc limit 1');
    expect(rows[0]!.event_count).toBe(10);
    expect(await verify(l.pool)).toMatchObject({ ok: true, eventsVerified: 13 });
  });

  it('keeps up with writers appending side by side, missing and doubling nothing', async () => {
    const l = await ledger(1, 50);
    const writers = Array.from({ length: 8 }, async (_, w) => {
      const stream = freshStream(`writer-${w}`);
      for (let n = 0; n < 40; n++) await l.store.append(stream, [newEvent('Happened', { w, n })], n === 0 ? 'no_stream' : BigInt(n - 1));
    });
    const chaining = (async () => {
      for (let i = 0; i < 20; i++) await l.chainer.catchUp();
    })();
    await Promise.all([...writers, chaining]);
    await l.chainer.catchUp();
    const { rows } = await l.pool.query<{ n: number }>('select count(*)::int as n from events');
    expect(rows[0]!.n).toBe(3 + 8 * 40);
    expect(await verify(l.pool)).toMatchObject({ ok: true, eventsVerified: 3 + 8 * 40, eventsNotYetChained: 0 });
  });

  it('counts events committed after the head as not yet chained, not as problems', async () => {
    const l = await ledger(5);
    await l.store.append(freshStream('late'), [newEvent('Happened', { late: true })]);
    expect(await verify(l.pool)).toMatchObject({ ok: true, eventsVerified: 5, eventsNotYetChained: 1 });
  });
});

describe('the verifier, after someone edits the log directly in Postgres', () => {
  it('names an event of which one byte changed', async () => {
    const l = await ledger();
    const target = l.positions[10]!;
    await tamper(l.pool, `update events set data = replace(data::text, '"n": 10', '"n": 11')::jsonb where position = $1`, [target]);
    const report = await verify(l.pool);
    expect(report.ok).toBe(false);
    expect(first(report)).toMatchObject({ kind: 'event_altered', position: target.toString() });
    expect(report.problems).toHaveLength(1);
  });

  it('names an event whose metadata (who, when) changed', async () => {
    const l = await ledger();
    const target = l.positions[3]!;
    await tamper(l.pool, `update events set metadata = jsonb_set(metadata, '{recordedAt}', '"2026-01-01T00:00:00.000Z"') where position = $1`, [target]);
    expect(first(await verify(l.pool))).toMatchObject({ kind: 'event_altered', position: target.toString() });
  });

  it('names a deleted event', async () => {
    const l = await ledger();
    const target = l.positions[7]!;
    await tamper(l.pool, 'delete from events where position = $1', [target]);
    expect(first(await verify(l.pool))).toMatchObject({ kind: 'event_missing', position: target.toString() });
  });

  it('names an inserted event', async () => {
    const l = await ledger();
    const inside = l.positions[12]! + 100n;
    await tamper(
      l.pool,
      `insert into events (position, stream, stream_version, id, type, data, metadata)
       select $1, stream, stream_version + 1000, gen_random_uuid(), 'Happened', '{"forged": true}', metadata from events where position = $2`,
      [inside, l.positions[12]],
    );
    expect(first(await verify(l.pool))).toMatchObject({ kind: 'event_inserted', position: inside.toString() });
  });

  it('names reordered events (two swapped positions)', async () => {
    const l = await ledger();
    const [a, b] = [l.positions[0]!, l.positions[1]!]; // one transaction: one block
    await tamper(l.pool, 'update events set position = -1 where position = $1; ', [a]);
    await tamper(l.pool, 'update events set position = $1 where position = $2', [a, b]);
    await tamper(l.pool, 'update events set position = $1 where position = -1', [b]);
    const report = await verify(l.pool);
    expect(first(report)).toMatchObject({ kind: 'event_altered', position: a.toString() });
    expect(first(report)!.detail).toContain(`chained at position ${b}`);
  });

  it('names an event whose stream version changed', async () => {
    const l = await ledger();
    const target = l.positions.at(-1)!;
    await tamper(l.pool, 'update events set stream_version = stream_version + 100 where position = $1', [target]);
    expect(first(await verify(l.pool))).toMatchObject({ kind: 'event_altered', position: target.toString() });
  });
});

describe('checkpoints', () => {
  it('are signed once per day and verify', async () => {
    const l = await ledger();
    const made = await l.chainer.checkpoint('2026-03-01');
    expect(made?.fields).toMatchObject({
      kind: 'swl.checkpoint.v1',
      seq: '1',
      day: '2026-03-01',
      eventCount: '24',
      lastPosition: l.positions.at(-1)!.toString(),
    });
    expect(await l.chainer.checkpoint('2026-03-01')).toBeUndefined();
    expect(await verify(l.pool)).toMatchObject({ ok: true, checkpointsVerified: 1 });
  });

  it('are made by the running chainer for the day that ended, also when nothing happened', async () => {
    const l = await ledger(3);
    l.chainer.start();
    await l.chainer.stop();
    l.clock.set('2026-03-04T04:00:00.000Z');
    l.chainer.start();
    await l.chainer.stop();
    const { rows } = await l.pool.query<{ day: string }>('select day from chain_checkpoints order by seq');
    expect(rows.map((r) => r.day)).toEqual(['2026-03-01', '2026-03-03']);
    expect(await verify(l.pool)).toMatchObject({ ok: true, checkpointsVerified: 2 });
  });

  it('expose a chain rewritten after an event was changed (leaves, roots and hashes recomputed)', async () => {
    const l = await ledger(24, 7);
    await l.chainer.checkpoint('2026-03-01');
    const target = l.positions[2]!;
    // A forger changes an event, throws away the blocks from there on and lets the chainer chain again.
    await tamper(l.pool, `update events set data = '{"n": 999}' where position = $1`, [target]);
    await tamper(l.pool, 'delete from event_chain where last_position >= $1', [target]);
    await l.chainer.catchUp();
    const report = await verify(l.pool);
    expect(first(report)).toMatchObject({ kind: 'checkpoint_mismatch', checkpointSeq: '1' });
  });

  it('expose removed blocks', async () => {
    const l = await ledger(24, 7);
    await l.chainer.checkpoint('2026-03-01');
    await tamper(l.pool, 'delete from event_chain where seq = (select max(seq) from event_chain)');
    const report = await verify(l.pool);
    expect(report.problems.map((p) => p.kind)).toContain('checkpoint_mismatch');
  });

  it('whose payload was edited fail their signature', async () => {
    const l = await ledger(5);
    await l.chainer.checkpoint('2026-03-01');
    await tamper(l.pool, `update chain_checkpoints set payload = replace(payload, '"eventCount":"5"', '"eventCount":"6"')`);
    expect(first(await verify(l.pool))).toMatchObject({ kind: 'checkpoint_signature', checkpointSeq: '1' });
  });

  it('let verification start at a checkpoint: what came before is taken on its signature', async () => {
    const l = await ledger(10, 3);
    await l.chainer.checkpoint('2026-03-01');
    for (let n = 0; n < 5; n++) await l.store.append(freshStream('after'), [newEvent('Happened', { n })]);
    await l.chainer.catchUp();
    expect(await verify(l.pool, 'latest')).toMatchObject({ ok: true, eventsVerified: 5, from: { checkpointSeq: '1', day: '2026-03-01' } });
    const { rows } = await l.pool.query<{ position: bigint }>('select max(position) as position from events');
    await tamper(l.pool, `update events set type = 'Forged' where position = $1`, [rows[0]!.position]);
    expect(first(await verify(l.pool, 1n))).toMatchObject({ kind: 'event_altered', position: String(rows[0]!.position) });
  });
});
