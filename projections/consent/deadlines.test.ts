/**
 * The deadlines read model applied as set-based batches (what the live runner does under load)
 * leaves the same rows as event-by-event apply, including the orders the deciders never write.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryEventStore } from '../../adapters/eventstore/memory';
import type { Projection } from '../projection';
import { createRunner } from '../runner';
import { appendAll, item, readModelDatabase, snapshot } from '../../test/projections/harness';
import type { HistoryItem } from '../../test/projections/history';
import { deadlinesProjection, dueDeadlines } from './deadlines';
import { createMemoryConsentReads } from './reads';
import { holdDeadlineId } from '../../domain/vouchers/food-wallet';

const AT = '2026-03-10T06:00:00.000Z';
const scheduled = (stream: string, deadlineId: string, dueAt: string): HistoryItem =>
  item(stream, { type: 'DeadlineScheduled', data: { deadlineId, kind: 'food_hold_expiry', dueAt, stream } }, AT);
const fired = (stream: string, deadlineId: string, firedAt: string): HistoryItem =>
  item(stream, { type: 'DeadlineFired', data: { deadlineId, kind: 'food_hold_expiry', firedAt } }, AT);
const holdScheduled = (stream: string, holdId: string) => scheduled(stream, holdDeadlineId(holdId), '2026-03-10T06:15:00.000Z');
const voided = (stream: string, holdId: string, at: string): HistoryItem =>
  item(stream, { type: 'FoodPurchaseVoided', data: { holdId, shopId: 'shop-1', releasedTiyn: 1_000, reason: 'shop_voided', at } }, AT);
const captured = (stream: string, holdId: string, capturedAt: string): HistoryItem =>
  item(
    stream,
    {
      type: 'FoodPurchaseCaptured',
      data: { holdId, shopId: 'shop-1', lines: [], capturedTiyn: 1_000, releasedTiyn: 0, allocations: [], paymentStatus: 'paid', capturedAt },
    },
    AT,
  );

const caseStream = (family: string) => `consent-food-${family}-2026-03`;
const reminder = (family: string): HistoryItem =>
  item(
    caseStream(family),
    { type: 'DeadlineScheduled', data: { deadlineId: 'reminder-1', kind: 'consent_reminder', dueAt: '2026-03-10T04:00:00.000Z', stream: caseStream(family) } },
    AT,
  );
const consented = (family: string): HistoryItem =>
  item(
    caseStream(family),
    { type: 'ConsentGiven', data: { caseId: caseStream(family), byPersonId: 'p-1', at: '2026-03-06T04:00:00.000Z' } },
    '2026-03-06T04:00:00.000Z',
  );

describe('deadlines read model in batches', () => {
  let db: Awaited<ReturnType<typeof readModelDatabase>>;
  beforeAll(async () => (db = await readModelDatabase([deadlinesProjection])));
  afterAll(async () => db?.drop());

  async function project(items: readonly HistoryItem[], projection: Projection, batchSize: number) {
    await db.pool.query('truncate deadlines');
    await db.pool.query('truncate projection_checkpoints');
    const store = createMemoryEventStore();
    await appendAll(store, items);
    const runner = createRunner({ pool: db.pool, store, projections: [projection], batchSize, onError: () => undefined });
    await runner.catchUp();
    await runner.stop();
    return snapshot(db.pool, ['deadlines']);
  }
  const oneByOne: Projection = { ...deadlinesProjection, apply: (events) => events.flatMap((e) => deadlinesProjection.apply([e])) };

  it.each([
    [
      'schedules, a repeated schedule (the first wins) and a firing',
      [
        scheduled('food-a', 'h1', '2026-03-10T06:15:00.000Z'),
        scheduled('food-b', 'h1', '2026-03-10T06:20:00.000Z'),
        scheduled('food-a', 'h1', '2026-03-10T09:00:00.000Z'),
        fired('food-a', 'h1', '2026-03-10T06:15:00.000Z'),
      ],
    ],
    [
      'a deadline fired twice (the last firing time stays)',
      [
        scheduled('food-a', 'h2', '2026-03-10T06:15:00.000Z'),
        fired('food-a', 'h2', '2026-03-10T06:15:00.000Z'),
        fired('food-a', 'h2', '2026-03-10T06:16:00.000Z'),
      ],
    ],
    [
      'holds settled (captured, voided) before their expiry, and one left open',
      [
        holdScheduled('food-f', 'H1'),
        holdScheduled('food-f', 'H2'),
        holdScheduled('food-f', 'H3'),
        captured('food-f', 'H1', '2026-03-10T06:01:00.000Z'),
        voided('food-f', 'H2', '2026-03-10T06:02:00.000Z'),
      ],
    ],
    [
      'a settlement before its schedule in the same batch (the settlement changes nothing)',
      [captured('food-g', 'H9', '2026-03-10T06:01:00.000Z'), holdScheduled('food-g', 'H9')],
    ],
    ['consent cases ended (the reminder is moot) and one still open', [reminder('fam-a'), reminder('fam-b'), consented('fam-a')]],
    [
      'a case ended before a deadline of its stream is scheduled in the same batch (that one stays)',
      [
        reminder('fam-c'),
        consented('fam-c'),
        item(
          caseStream('fam-c'),
          {
            type: 'DeadlineScheduled',
            data: { deadlineId: 'late-1', kind: 'consent_timeout', dueAt: '2026-03-31T19:00:00.000Z', stream: caseStream('fam-c') },
          },
          AT,
        ),
      ],
    ],
    [
      'a case ended, then its reminder fired anyway (the scheduler read the model before the ending)',
      [
        reminder('fam-f'),
        consented('fam-f'),
        item(
          caseStream('fam-f'),
          { type: 'DeadlineFired', data: { deadlineId: 'reminder-1', kind: 'consent_reminder', firedAt: '2026-03-10T04:00:00.000Z' } },
          AT,
        ),
      ],
    ],
    [
      'a firing before its schedule in the same batch (the firing changes nothing)',
      [
        fired('food-c', 'h3', '2026-03-10T06:10:00.000Z'),
        scheduled('food-c', 'h3', '2026-03-10T06:15:00.000Z'),
        scheduled('food-d', 'h3', '2026-03-10T06:15:00.000Z'),
      ],
    ],
  ])('%s: one batch leaves the rows that event-by-event apply leaves', async (_name, items) => {
    const batched = await project(items, deadlinesProjection, 1000);
    const single = await project(items, oneByOne, 1);
    expect(batched).toEqual(single);
    expect(batched.deadlines!.length).toBeGreaterThan(0);
  });

  it('given a schedule and its firing in one batch, then the row is fired with the firing time', async () => {
    const rows = await project(
      [scheduled('food-e', 'h4', '2026-03-10T06:15:00.000Z'), fired('food-e', 'h4', '2026-03-10T06:15:30.000Z')],
      deadlinesProjection,
      1000,
    );
    expect(rows.deadlines).toEqual([
      {
        stream: 'food-e',
        deadline_id: 'h4',
        kind: 'food_hold_expiry',
        due_at: '2026-03-10T06:15:00.000Z',
        fired: true,
        fired_at: '2026-03-10T06:15:30.000Z',
        settled_at: null,
      },
    ]);
  });

  it.each([
    [
      'a case that ended before its reminder fell due: only the open case’s reminder',
      [reminder('fam-d'), reminder('fam-e'), consented('fam-d')],
      '2026-03-11T00:00:00.000Z',
      [`${caseStream('fam-e')}/reminder-1`],
    ],
    [
      'holds settled (captured, voided) before they fall due: only the open hold’s expiry',
      [
        holdScheduled('food-h', 'H1'),
        holdScheduled('food-h', 'H2'),
        holdScheduled('food-h', 'H3'),
        captured('food-h', 'H1', '2026-03-10T06:01:00.000Z'),
        voided('food-h', 'H2', '2026-03-10T06:02:00.000Z'),
      ],
      '2026-03-10T07:00:00.000Z',
      [`food-h/${holdDeadlineId('H3')}`],
    ],
  ])('given %s is offered to the scheduler (Postgres and memory alike)', async (_name, items, now, expected) => {
    await project(items, deadlinesProjection, 1000);
    const due = await dueDeadlines(db.pool, now, 10);
    expect(due.map((d) => `${d.stream}/${d.deadlineId}`)).toEqual(expected);
    const store = createMemoryEventStore();
    await appendAll(store, items);
    expect(await createMemoryConsentReads(store).dueDeadlines(now, 10)).toEqual(due);
  });
});
