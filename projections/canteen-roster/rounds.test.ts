import { afterAll, beforeAll, describe, it } from 'vitest';
import fc from 'fast-check';
import { canteenRosterProjection } from './projection';
import { readModelDatabase } from '../../test/projections/harness';
import { assertAnySplitMatchesReference } from '../../test/projections/equivalence';
import { applyOne as referenceApply } from '../../test/projections/reference/canteen-roster';

type Db = Awaited<ReturnType<typeof readModelDatabase>>;

/** Three vouchers, two schools; every roster event in any order (also ones the deciders never write: a transfer to the same school, an activation before the issue). */
const voucher = fc.constantFrom('v1', 'v2', 'v3');
const school = fc.constantFrom('s1', 's2');
const stream = (v: string) => `meals-${v}-2025-2026`;
const events = fc.oneof(
  fc.record({ v: voucher, s: school }).map(({ v, s }) => ({
    stream: stream(v),
    type: 'MealVoucherIssued',
    data: { voucherId: v, schoolId: s, pupilId: `p-${v}`, validFrom: '2025-09-01', validUntil: '2026-05-31' },
  })),
  fc
    .record({ v: voucher, t: fc.constantFrom('MealVoucherActivated', 'MealVoucherExpired') })
    .map(({ v, t }) => ({ stream: stream(v), type: t, data: { voucherId: v } })),
  fc.record({ v: voucher, s: school, m: fc.constantFrom('2025-10', '2025-11') }).map(({ v, s, m }) => ({
    stream: stream(v),
    type: 'MealVoucherSuspended',
    data: { voucherId: v, schoolId: s, month: m },
  })),
  fc
    .record({ v: voucher, s: school })
    .map(({ v, s }) => ({ stream: stream(v), type: 'MealVoucherListed', data: { voucherId: v, schoolId: s, month: '2025-11' } })),
  fc.record({ v: voucher, from: school, to: school }).map(({ v, from, to }) => ({
    stream: stream(v),
    type: 'MealVoucherTransferred',
    data: { voucherId: v, fromSchoolId: from, toSchoolId: to },
  })),
);

describe('canteen roster in rounds', () => {
  let db: Db;
  beforeAll(async () => (db = await readModelDatabase([canteenRosterProjection])));
  afterAll(async () => db?.drop());

  it('any split into batches leaves the rows event-by-event SQL leaves', async () => {
    await assertAnySplitMatchesReference(db.pool, canteenRosterProjection, referenceApply, events, { minLength: 4 });
  });
});
