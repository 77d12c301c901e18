import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { item, projectFresh, readModelDatabase, snapshot } from '../../test/projections/harness';
import { mealsStart } from '../../test/projections/fixtures';
import { streams } from '../../domain/events';
import { createRunner } from '../runner';
import { listIntakeProjection } from './projection';
import { listsSince, recentLists } from './queries';

const processed = item(
  streams.list('nobd', 'L1'),
  { type: 'EligibilityListProcessed', data: { listId: 'L1', accepted: 1, rejected: 2 } },
  '2025-10-01T20:31:00.000Z',
);
const foodList = [
  item(
    streams.list('sdu', 'S1'),
    {
      type: 'EligibilityListReceived',
      data: { listId: 'S1', source: 'sdu', program: 'food-vouchers', month: '2025-10', rowCount: 2, contentHash: 'h', receivedAt: '2025-10-02T04:00:00.000Z' },
    },
    '2025-10-02T04:00:00.000Z',
  ),
];

describe('list intake', () => {
  let db: Awaited<ReturnType<typeof readModelDatabase>>;
  beforeAll(async () => {
    db = await readModelDatabase([listIntakeProjection]);
  });
  afterAll(async () => db?.drop());

  it('keeps each list with its rows decided so far, and when it was processed', async () => {
    await projectFresh(db.pool, [...mealsStart(), processed, ...foodList], [listIntakeProjection]);
    expect(await recentLists(db.pool, 10)).toEqual([
      {
        source: 'sdu',
        listId: 'S1',
        program: 'food-vouchers',
        month: '2025-10',
        rowCount: 2,
        accepted: 0,
        rejected: 0,
        receivedAt: '2025-10-02T04:00:00.000Z',
      },
      {
        source: 'nobd',
        listId: 'L1',
        program: 'school-meals',
        month: '2025-10',
        schoolId: 'school-7',
        rowCount: 3,
        accepted: 1,
        rejected: 2,
        receivedAt: '2025-10-01T04:00:00.000Z',
        processedAt: '2025-10-01T20:31:00.000Z',
      },
    ]);
    expect(await listsSince(db.pool, '2025-10-01T12:00:00.000Z')).toEqual({ received: 1, unprocessed: 1, rows: 2, rejectedRows: 0 });
  });

  it('rebuilt from the log equals the live model', async () => {
    const { store } = await projectFresh(db.pool, [...mealsStart(), processed, ...foodList], [listIntakeProjection]);
    const live = await snapshot(db.pool, listIntakeProjection.tables);
    const runner = createRunner({ pool: db.pool, store, projections: [listIntakeProjection] });
    await runner.rebuild(listIntakeProjection.name);
    await runner.stop();
    expect(await snapshot(db.pool, listIntakeProjection.tables)).toEqual(live);
  });
});
