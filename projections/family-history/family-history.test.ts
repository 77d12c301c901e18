import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventStore } from '../../adapters/eventstore/port';
import { item, projectFresh, readModelDatabase } from '../../test/projections/harness';
import { FAMILY, foodMonth, foodMonthEnd, meal, mealsStart } from '../../test/projections/fixtures';
import { generateHistory } from '../../test/projections/history';
import { streams } from '../../domain/events';
import { familyHistory } from './queries';
import { familyAsOf } from './as-of';

describe('family history', () => {
  let db: Awaited<ReturnType<typeof readModelDatabase>>;
  let store: EventStore;
  beforeAll(async () => {
    db = await readModelDatabase();
    const orphan = item(
      streams.meals('pupil-1', '2025-2026'),
      { type: 'MealVoucherExpired', data: { voucherId: 'mv-1', at: '2026-05-31T19:00:00.000Z' } },
      '2026-05-31T19:00:00.000Z',
    );
    ({ store } = await projectFresh(db.pool, [...mealsStart(), meal('2025-10-06'), ...foodMonth(), ...foodMonthEnd(), orphan]));
  });
  afterAll(async () => db?.drop());

  it('indexes every event touching the family, in log order', async () => {
    const history = await familyHistory(db.pool, FAMILY);
    expect(history.map((h) => h.type)).toEqual([
      'ListRowAccepted',
      'ConsentCaseOpened',
      'SmsRequested',
      'SmsSent',
      'ConsentGiven',
      'MealVoucherIssued',
      'MealVoucherActivated',
      'MealServed',
      'FoodVouchersIssued',
      'FoodVoucherActivated',
      'FoodPurchaseAuthorized',
      'FoodPurchaseCaptured',
      'FoodPurchaseAuthorized',
      'FoodPurchaseVoided',
      'FoodVouchersLapsed',
      // No familyId on it: found through the stream's owner.
      'MealVoucherExpired',
    ]);
    const positions = history.map((h) => h.position);
    expect([...positions].sort((a, b) => (a < b ? -1 : 1))).toEqual(positions);
    expect(history[0]).toMatchObject({ stream: 'list-nobd-L1', recordedAt: '2025-10-01T04:00:00.000Z' });
    // Rejected rows of the same list belong to nobody here; pages continue after a position.
    expect(await familyHistory(db.pool, FAMILY, { after: positions[13]!, limit: 1 })).toHaveLength(1);
  });

  it('answers "as of" an instant from the event log: before and after a purchase, and after the lapse', async () => {
    const before = await familyAsOf(db.pool, store, FAMILY, '2026-01-07T09:59:59.000Z');
    expect(before.vouchers.find((v) => v.voucherId === 'fv-a')).toMatchObject({ status: 'active', heldTiyn: 0, spentTiyn: 0, availableTiyn: 432_500 });
    const held = await familyAsOf(db.pool, store, FAMILY, '2026-01-07T10:00:00.000Z');
    expect(held.vouchers.find((v) => v.voucherId === 'fv-a')).toMatchObject({ heldTiyn: 160_000, availableTiyn: 272_500 });
    const afterCapture = await familyAsOf(db.pool, store, FAMILY, '2026-01-08T00:00:00.000Z');
    expect(afterCapture.vouchers.find((v) => v.voucherId === 'fv-a')).toMatchObject({ heldTiyn: 0, spentTiyn: 100_000, availableTiyn: 332_500 });
    const end = await familyAsOf(db.pool, store, FAMILY, '2026-12-31T00:00:00.000Z');
    expect(end.vouchers.map((v) => [v.voucherId, v.status, v.lapsedTiyn, v.meals])).toEqual([
      ['fv-a', 'lapsed', 332_500, 0],
      ['fv-b', 'lapsed', 432_500, 0],
      ['mv-1', 'expired', 0, 1],
    ]);
    // The deciders' own fold agrees.
    expect(end.foodWallets[0]!.state.status).toBe('Closed');
    expect(end.mealVouchers[0]!.state.status).toBe('Expired');
    const nothing = await familyAsOf(db.pool, store, FAMILY, '2025-01-01T00:00:00.000Z');
    expect(nothing).toMatchObject({ events: 0, vouchers: [], lastPosition: null });
  });

  it('folds random generated families through the deciders without breaking their invariants', async () => {
    const items = [...generateHistory({ seed: 99, pupils: 20, familyMonths: 40, cohortSize: 10 })];
    const { store: s } = await projectFresh(db.pool, items);
    const families = [...new Set(items.map((i) => i.event.metadata.familyId).filter((f): f is string => typeof f === 'string'))].slice(0, 40);
    for (const f of families) {
      const asOf = await familyAsOf(db.pool, s, f, '2027-01-01T00:00:00.000Z');
      for (const v of asOf.vouchers) expect(v.issuedTiyn).toBe(v.spentTiyn + v.heldTiyn + v.lapsedTiyn + v.availableTiyn);
    }
  });
});
