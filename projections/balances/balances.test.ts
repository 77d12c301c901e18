import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { projectFresh, readModelDatabase } from '../../test/projections/harness';
import { FAMILY, FOOD_MONTH, foodMonth, foodMonthEnd } from '../../test/projections/fixtures';
import { generateHistory } from '../../test/projections/history';
import { balanceViolations, familyMonthBalance, shopDays, voucherBalances } from './queries';

describe('balances', () => {
  let db: Awaited<ReturnType<typeof readModelDatabase>>;
  beforeAll(async () => (db = await readModelDatabase()));
  afterAll(async () => db?.drop());

  describe('given issue, activation, a partial capture and an open hold', () => {
    beforeAll(async () => projectFresh(db.pool, foodMonth()));

    it('holds, spends and releases per voucher', async () => {
      const [a, b] = await voucherBalances(db.pool, FAMILY, FOOD_MONTH);
      expect(a).toMatchObject({
        voucherId: 'fv-a',
        issuedTiyn: 432_500,
        activatedTiyn: 432_500,
        heldTiyn: 50_000,
        spentTiyn: 100_000,
        lapsedTiyn: 0,
        availableTiyn: 282_500,
      });
      expect(b).toMatchObject({
        voucherId: 'fv-b',
        issuedTiyn: 432_500,
        activatedTiyn: 0,
        heldTiyn: 0,
        spentTiyn: 0,
        availableTiyn: 432_500,
        activatedAt: null,
      });
    });

    it('sums the family-month', async () => {
      expect(await familyMonthBalance(db.pool, FAMILY, FOOD_MONTH)).toEqual({
        familyId: FAMILY,
        month: FOOD_MONTH,
        city: 'kokshetau',
        vouchers: 2,
        issuedTiyn: 865_000,
        activatedTiyn: 432_500,
        heldTiyn: 50_000,
        spentTiyn: 100_000,
        lapsedTiyn: 0,
        availableTiyn: 715_000,
      });
    });

    it('gives the shop its captured amount on the local day of capture', async () => {
      expect(await shopDays(db.pool, 'shop-1', '2026-01-01', '2026-01-31')).toEqual([
        { shopId: 'shop-1', day: '2026-01-08', capturedTiyn: 100_000, purchases: 1 },
      ]);
    });
  });

  describe('given the month end', () => {
    beforeAll(async () => projectFresh(db.pool, [...foodMonth(), ...foodMonthEnd()]));

    it('lapses what was not activated and what was left', async () => {
      const [a, b] = await voucherBalances(db.pool, FAMILY, FOOD_MONTH);
      expect(a).toMatchObject({ heldTiyn: 0, spentTiyn: 100_000, lapsedTiyn: 332_500, availableTiyn: 0 });
      expect(b).toMatchObject({ lapsedTiyn: 432_500, availableTiyn: 0 });
      expect(await familyMonthBalance(db.pool, FAMILY, FOOD_MONTH)).toMatchObject({ heldTiyn: 0, spentTiyn: 100_000, lapsedTiyn: 765_000, availableTiyn: 0 });
    });
  });

  it('issued = spent + held + lapsed + available on every row, at every prefix of random histories', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 1, max: 100 }), async (seed, cutPercent) => {
        const items = [...generateHistory({ seed, pupils: 0, familyMonths: 25, cohortSize: 10 })];
        await projectFresh(db.pool, items.slice(0, Math.ceil((items.length * cutPercent) / 100)));
        expect(await balanceViolations(db.pool)).toEqual({ vouchers: 0, familyMonths: 0 });
        const { rows } = await db.pool.query('select count(*)::int as n from balances_vouchers where held_tiyn < 0 or available_tiyn < 0');
        expect(rows[0].n).toBe(0);
      }),
      { numRuns: 8 },
    );
  });
});
