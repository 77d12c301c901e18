import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { foodDailyProjection } from './food-activity';
import { readModelDatabase } from '../../test/projections/harness';
import { assertAnySplitMatchesReference, batchesAgainstReference, recordedEvents } from '../../test/projections/equivalence';
import { applyOne as referenceApply } from '../../test/projections/reference/food-daily';

type Db = Awaited<ReturnType<typeof readModelDatabase>>;
const IGNORED = { food_daily_wallets: ['position'], food_daily_vouchers: ['position'] };

/** Two family-month streams with two vouchers each; issues, activations and purchases in any order (also ones the deciders never write). */
const STREAMS = ['food-f1-2025-09', 'food-f2-2025-09'];
const voucherOf = (s: number, v: number) => `v${s}${v}`;
const at = (minute: number) => new Date(Date.UTC(2025, 8, 1, 18) + minute * 60_000).toISOString();

const issued = fc.record({ s: fc.integer({ min: 0, max: 1 }), city: fc.constantFrom('astana', 'pavlodar') }).map(({ s, city }) => ({
  stream: STREAMS[s]!,
  type: 'FoodVouchersIssued',
  data: { city, vouchers: [0, 1].map((v) => ({ voucherId: voucherOf(s, v), amountTiyn: 1000 * (v + 1), memberPersonId: `p${v}` })) },
  metadata: { familyId: `f${s}` },
}));
const activated = fc
  .record({ s: fc.integer({ min: 0, max: 1 }), v: fc.integer({ min: 0, max: 1 }), m: fc.integer({ min: 0, max: 600 }) })
  .map(({ s, v, m }) => ({
    stream: STREAMS[s]!,
    type: 'FoodVoucherActivated',
    data: { voucherId: voucherOf(s, v), activatedAt: at(m) },
    metadata: { familyId: `f${s}` },
  }));
const line = fc.record({
  eligible: fc.boolean(),
  category: fc.option(fc.constantFrom('bread', 'milk'), { nil: undefined }),
  unit: fc.constantFrom('kg', 'pcs'),
  quantity: fc.integer({ min: 1, max: 5 }),
  lineTiyn: fc.integer({ min: 1, max: 9999 }),
});
const captured = fc
  .record({ s: fc.integer({ min: 0, max: 1 }), m: fc.integer({ min: 0, max: 600 }), lines: fc.array(line, { maxLength: 3 }), hold: fc.nat(99) })
  .map(({ s, m, lines, hold }) => ({
    stream: STREAMS[s]!,
    type: 'FoodPurchaseCaptured',
    data: { shopId: 'shop-1', holdId: `h${hold}`, capturedTiyn: lines.reduce((a, l) => a + l.lineTiyn, 0), capturedAt: at(m), lines },
    metadata: { familyId: `f${s}` },
  }));

describe('food_daily a batch at a time', () => {
  let db: Db;
  beforeAll(async () => (db = await readModelDatabase([foodDailyProjection])));
  afterAll(async () => db?.drop());

  it('any split into batches leaves the rows event-by-event SQL leaves', async () => {
    await assertAnySplitMatchesReference(db.pool, foodDailyProjection, referenceApply, fc.oneof(issued, activated, captured), {
      minLength: 4,
      maxBatch: 10,
      ignored: IGNORED,
    });
  });

  it('an activation or purchase before its wallet is issued is not counted, in one batch as event by event', async () => {
    const [issue, activate, buy] = [fc.sample(issued, 1)[0]!, fc.sample(activated, 1)[0]!, fc.sample(captured, 1)[0]!];
    const s = STREAMS.indexOf(issue.stream);
    const early = [
      { ...activate, stream: issue.stream, data: { ...activate.data, voucherId: voucherOf(s, 0) } },
      { ...buy, stream: issue.stream },
      issue,
      { ...activate, stream: issue.stream, data: { ...activate.data, voucherId: voucherOf(s, 1) } },
    ];
    const { expected, actual } = await batchesAgainstReference(db.pool, foodDailyProjection, referenceApply, recordedEvents(early), [10], IGNORED);
    expect(actual).toEqual(expected);
    expect(actual.food_daily_activity).toHaveLength(1);
  });
});
