import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { settlementProjection } from './projection';
import { readModelDatabase } from '../../test/projections/harness';
import { assertAnySplitMatchesReference, batchesAgainstReference, recordedEvents } from '../../test/projections/equivalence';
import { applyOne as referenceApply } from '../../test/projections/reference/settlement';

type Db = Awaited<ReturnType<typeof readModelDatabase>>;

/**
 * Two shops, four holds, three statements, two payouts of two attempts; captures, releases, statements
 * and payout results in any order (a statement before its captures, a hold named by two statements,
 * a result before its payout).
 */
const shop = fc.constantFrom('s1', 's2');
const hold = fc.constantFrom('h1', 'h2', 'h3', 'h4');
const payout = fc.record({ payableId: fc.constantFrom('p1', 'p2'), attempt: fc.constantFrom(1, 2) });
const at = '2025-09-02T10:00:00.000Z';
const events = fc.oneof(
  fc.record({ shop, hold, tiyn: fc.integer({ min: 1, max: 9999 }) }).map(({ shop, hold, tiyn }) => ({
    stream: 'food-f1-2025-09',
    type: 'FoodPurchaseCaptured',
    data: { shopId: shop, holdId: hold, capturedAt: at, capturedTiyn: tiyn, lines: [{ sku: 'bread', name: 'Bread', lineTiyn: tiyn, eligible: true }] },
    metadata: { familyId: 'f1' },
  })),
  fc.record({ shop, hold, t: fc.constantFrom('FoodPurchaseVoided', 'FoodHoldExpired') }).map(({ shop, hold, t }) => ({
    stream: 'food-f1-2025-09',
    type: t,
    data: { shopId: shop, holdId: hold, at, releasedTiyn: 100 },
  })),
  fc
    .record({ shop, id: fc.constantFrom('st1', 'st2', 'st3'), lines: fc.subarray(['h1', 'h2', 'h3', 'h4']), releases: fc.subarray(['h1', 'h2', 'h3', 'h4']) })
    .map(({ shop, id, lines, releases }) => ({
      stream: `settlement-${shop}`,
      type: 'ShopStatementIssued',
      data: {
        statementId: id,
        shopId: shop,
        windowId: 'w1',
        purchases: lines.length,
        capturedTiyn: 0,
        payoutTiyn: 0,
        lines: lines.map((holdId) => ({ holdId })),
        releases: releases.map((holdId) => ({ holdId })),
        issuedAt: at,
      },
    })),
  payout.map(({ payableId, attempt }) => ({
    stream: 'payouts',
    type: 'PayoutIssued',
    data: { payableId, attempt, endToEndId: `${payableId}-${attempt}`, kind: 'shop', batchId: 'b1', amountTiyn: 500, payee: { name: 'x' }, issuedAt: at },
  })),
  fc.record({ p: payout, ok: fc.boolean() }).map(({ p, ok }) => ({
    stream: 'payouts',
    type: ok ? 'PayoutConfirmed' : 'PayoutFailed',
    data: ok ? { ...p, bookedAt: at, bankReference: 'ref' } : { ...p, failedAt: at, reason: 'closed_account' },
  })),
);

describe('settlement a batch at a time', () => {
  let db: Db;
  beforeAll(async () => (db = await readModelDatabase([settlementProjection])));
  afterAll(async () => db?.drop());

  it('any split into batches leaves the rows event-by-event SQL leaves', async () => {
    await assertAnySplitMatchesReference(db.pool, settlementProjection, referenceApply, events, { minLength: 3 });
  });

  it('a hold named by two statements in one batch stays on the first, as event by event', async () => {
    const [capture] = fc.sample(
      events.filter((e) => e.type === 'FoodPurchaseCaptured'),
      1,
    );
    const d = capture!.data as { shopId: string; holdId: string };
    const statement = (statementId: string) => ({
      stream: `settlement-${d.shopId}`,
      type: 'ShopStatementIssued',
      data: {
        statementId,
        shopId: d.shopId,
        windowId: 'w1',
        purchases: 1,
        capturedTiyn: 0,
        payoutTiyn: 0,
        lines: [{ holdId: d.holdId }],
        releases: [],
        issuedAt: at,
      },
    });
    const list = recordedEvents([capture!, statement('st1'), statement('st2')]);
    const { expected, actual } = await batchesAgainstReference(db.pool, settlementProjection, referenceApply, list, [3]);
    expect(actual).toEqual(expected);
    expect(actual.settlement_captures).toEqual([expect.objectContaining({ statement_id: 'st1' })]);
  });
});
