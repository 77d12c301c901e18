/**
 * A projection that cannot apply an event halts alone and loudly: the checkpoint stops right
 * before that event, the event and the error are on its checkpoint row, every other projection
 * goes on, a waiter for it is told at once (not after a timeout), and once the cause is fixed
 * the next try applies the event and clears the halt.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresEventStore } from '../../adapters/eventstore/postgres';
import type { EventStore, NewEvent } from '../../adapters/eventstore/port';
import { coreMigrations } from '../../adapters/postgres/migrate';
import { freshDatabase } from '../../test/pg';
import type { LedgerEventType } from '../../domain/events';
import { StoredEventInvalid } from '../../adapters/eventstore/ledger-events';
import { eachEvent, sql, type Projection } from '../projection';
import { createRunner, projectionMigrations, ProjectionHalted, ProjectionHaltedError } from './index';

/**
 * Counts events per type; refuses (in SQL, as a narrow column would) a tick whose n is `poison`.
 * A tick is a catalogue event (the runner parses every event it hands a projection): an SmsFailed
 * whose attempt is n.
 */
const counter = (name: string, poison?: { n: number }, type: LedgerEventType = 'SmsFailed'): Projection => ({
  name,
  canHandle: [type],
  migrations: [{ id: `0299_${name}`, sql: `create table ${name} (type text primary key, n integer not null)` }],
  tables: [name],
  apply: eachEvent((event) => {
    const n = event.type === 'SmsFailed' ? event.data.attempt : 0;
    const value = poison && n === poison.n ? 2 ** 40 : 1; // 2^40 does not fit the integer column
    return [sql(`insert into ${name} values ($1, $2::bigint) on conflict (type) do update set n = ${name}.n + 1`, event.type, value)];
  }),
});

const metadata = (n: number) => ({
  commandId: `c-${n}`,
  correlationId: `c-${n}`,
  causationId: `c-${n}`,
  actor: { role: 'test', id: 'test' },
  recordedAt: '2026-03-02T04:00:00.000Z',
});
const eventId = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const tick = (n: number): NewEvent => ({
  id: eventId(n),
  type: 'SmsFailed',
  data: { caseId: 'case-1', messageId: `m-${n}`, failedAt: '2026-03-02T04:00:00.000Z', reason: 'tick', attempt: n, willRetry: true },
  metadata: metadata(n),
});
const sent = (n: number): NewEvent => ({
  id: eventId(n),
  type: 'SmsSent',
  data: { caseId: 'case-1', messageId: `m-${n}`, sentAt: '2026-03-02T04:00:00.000Z' },
  metadata: metadata(n),
});

describe('a projection that cannot apply an event', () => {
  const poison = { n: 7 };
  const fragile = counter('fragile_counter', poison);
  const sturdy = counter('sturdy_counter');
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let store: EventStore;
  beforeAll(async () => {
    db = await freshDatabase([...coreMigrations(), ...projectionMigrations([fragile, sturdy])]);
    store = createPostgresEventStore(db.pool);
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  it('halts alone just before that event, says which and why, and resumes once the cause is fixed', async () => {
    for (let n = 1; n <= 12; n++) await store.append(`ticks-${n}`, [tick(n)], 'no_stream');
    const all = await store.readAll();
    const bad = all.find((e) => (e.data as { attempt: number }).attempt === poison.n)!;
    const head = all.at(-1)!.position;
    const errors: unknown[] = [];
    const runner = createRunner({
      pool: db.pool,
      store,
      projections: [fragile, sturdy],
      batchSize: 100,
      retryDelayMs: 1,
      onError: (_name, error) => errors.push(error),
    });
    await runner.catchUp();

    // The other model went to the head; the fragile one applied every event before the bad one.
    await runner.waitUntilCaughtUp(head, 5_000, ['sturdy_counter']);
    const rows = async (table: string) => (await db.pool.query<{ n: number }>(`select n from ${table}`)).rows[0]?.n;
    expect(await rows('sturdy_counter')).toBe(12);
    expect(await rows('fragile_counter')).toBe(poison.n - 1);

    // Loudly: the error names the event; the checkpoint row and lag() carry it.
    expect(errors[0]).toBeInstanceOf(ProjectionHalted);
    expect((errors[0] as ProjectionHalted).event.id).toBe(bad.id);
    const [halt] = await runner.halts();
    expect(halt).toMatchObject({ projection: 'fragile_counter', eventId: bad.id, eventPosition: bad.position, eventType: 'SmsFailed', errorCode: '22003' });
    expect(halt!.error).toMatch(/out of range/);
    const lag = await runner.lag();
    const fragileLag = lag.find((l) => l.name === 'fragile_counter')!;
    expect(fragileLag.position).toBeLessThan(bad.position);
    expect(fragileLag.halt?.eventId).toBe(bad.id);
    expect(lag.find((l) => l.name === 'sturdy_counter')!.halt).toBeUndefined();

    // A waiter for the halted model is told at once, with the event, instead of timing out.
    const started = performance.now();
    await expect(runner.waitUntilCaughtUp(head, 30_000)).rejects.toBeInstanceOf(ProjectionHaltedError);
    expect(performance.now() - started).toBeLessThan(5_000);

    // The cause is fixed (here: the column made wide enough); the next try applies the event and clears the halt.
    await db.pool.query('alter table fragile_counter alter column n type bigint');
    await new Promise((ok) => setTimeout(ok, 20));
    await runner.catchUp();
    await runner.waitUntilCaughtUp(head, 5_000);
    expect(await runner.halts()).toEqual([]);
    expect(Number(await rows('fragile_counter'))).toBe(12);
    await runner.stop();
  });
});

describe('a stored event that does not parse (a bug that wrote it, or corruption)', () => {
  const failures = counter('failed_sms', undefined, 'SmsFailed');
  const deliveries = counter('sent_sms', undefined, 'SmsSent');
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let store: EventStore;
  beforeAll(async () => {
    db = await freshDatabase([...coreMigrations(), ...projectionMigrations([failures, deliveries])]);
    store = createPostgresEventStore(db.pool);
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  it('halts only the models that handle its type, just before it, naming the event, its position and the zod path', async () => {
    await store.append('sms-1', [tick(1), sent(2)], 'no_stream');
    // Written past every decider, as a bug or a hand edit would: attempt is text, the schema says a count.
    const corrupt: NewEvent = { ...tick(3), data: { ...(tick(3).data as object), attempt: 'three' } };
    await store.append('sms-2', [corrupt, sent(4)], 'no_stream');
    await store.append('sms-3', [tick(5), sent(6)], 'no_stream');
    const all = await store.readAll();
    const bad = all.find((e) => e.id === corrupt.id)!;
    const errors: unknown[] = [];
    const runner = createRunner({
      pool: db.pool,
      store,
      projections: [failures, deliveries],
      batchSize: 100,
      retryDelayMs: 1,
      onError: (_name, error) => errors.push(error),
    });
    await runner.catchUp();
    await runner.waitUntilCaughtUp(all.at(-1)!.position, 5_000, ['sent_sms']);
    const rows = async (table: string) => (await db.pool.query<{ n: number }>(`select n from ${table}`)).rows[0]?.n;
    expect(await rows('sent_sms')).toBe(3);
    expect(await rows('failed_sms')).toBe(1);

    const halted = errors[0] as ProjectionHalted;
    expect(halted).toBeInstanceOf(ProjectionHalted);
    expect(halted.cause).toBeInstanceOf(StoredEventInvalid);
    expect((halted.cause as StoredEventInvalid).issues).toEqual([{ path: 'data.attempt', message: expect.stringMatching(/number/) }]);
    const [halt] = await runner.halts();
    expect(halt).toMatchObject({
      projection: 'failed_sms',
      eventId: bad.id,
      eventPosition: bad.position,
      eventType: 'SmsFailed',
      errorCode: 'stored_event_invalid',
    });
    expect(halt!.error).toContain(`stored event ${bad.id} (position ${bad.position}, stream sms-2 version 0, type SmsFailed) does not parse: data.attempt:`);
    await runner.stop();
  });
});
