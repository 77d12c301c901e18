import { afterAll, beforeAll, describe, it } from 'vitest';
import fc from 'fast-check';
import { listIntakeProjection } from './projection';
import { readModelDatabase } from '../../test/projections/harness';
import { assertAnySplitMatchesReference } from '../../test/projections/equivalence';
import { applyOne as referenceApply } from '../../test/projections/reference/list-intake';

type Db = Awaited<ReturnType<typeof readModelDatabase>>;

/** Two lists of each source; receipts, rows and processing in any order (rows before their list's receipt, a list received twice). */
const list = fc.record({ source: fc.constantFrom('sdu', 'nobd'), listId: fc.constantFrom('A', 'B') });
const events = fc.oneof(
  fc.record({ l: list, rows: fc.integer({ min: 1, max: 9 }) }).map(({ l, rows }) => ({
    stream: `list-${l.source}-${l.listId}`,
    type: 'EligibilityListReceived',
    data: {
      source: l.source,
      listId: l.listId,
      program: l.source === 'sdu' ? 'food-vouchers' : 'school-meals',
      month: '2025-09',
      rowCount: rows,
      receivedAt: '2025-09-01T04:00:00.000Z',
    },
  })),
  fc.record({ l: list, t: fc.constantFrom('ListRowAccepted', 'ListRowAccepted', 'ListRowRejected', 'EligibilityListProcessed') }).map(({ l, t }) => ({
    stream: `list-${l.source}-${l.listId}`,
    type: t,
    data: { listId: l.listId },
  })),
);

describe('list intake a batch at a time', () => {
  let db: Db;
  beforeAll(async () => (db = await readModelDatabase([listIntakeProjection])));
  afterAll(async () => db?.drop());

  it('any split into batches leaves the rows event-by-event SQL leaves', async () => {
    await assertAnySplitMatchesReference(db.pool, listIntakeProjection, referenceApply, events, { minLength: 3 });
  });
});
