/**
 * The event-by-event SQL `food_daily` had before it was written a batch at a time
 * (projections/daily-reports/food-activity.ts), kept as the reference its equivalence test compares
 * against. Its links carry no position (the column's default, 0): the test compares every other column.
 */
import type { Recorded, Sql } from '../../../projections/projection';
import { sql } from '../../../projections/projection';
import { localDay } from '../../../projections/shared/events';
import { UNCATEGORISED } from '../../../projections/outcomes/projection';

export function applyOne(event: Recorded): Sql[] {
  const e = event;
  switch (e.type) {
    case 'FoodVouchersIssued':
      return [
        sql('insert into food_daily_wallets (stream, city) values ($1, $2) on conflict (stream) do nothing', event.stream, e.data.city),
        sql(
          'insert into food_daily_vouchers (voucher_id, amount_tiyn) select * from unnest($1::text[], $2::bigint[]) on conflict (voucher_id) do nothing',
          e.data.vouchers.map((v) => v.voucherId),
          e.data.vouchers.map((v) => v.amountTiyn),
        ),
      ];
    case 'FoodVoucherActivated':
      return [
        sql(
          `insert into food_daily_activity (position, seq, day, city, kind, family_id, voucher_id, amount_tiyn, at)
           select $1, 0, $2, w.city, 'activation', $3, $4, v.amount_tiyn, $5 from food_daily_wallets w, food_daily_vouchers v
           where w.stream = $6 and v.voucher_id = $4 on conflict do nothing`,
          event.position,
          localDay(e.data.activatedAt),
          String(event.metadata.familyId ?? ''),
          e.data.voucherId,
          e.data.activatedAt,
          event.stream,
        ),
      ];
    case 'FoodPurchaseCaptured': {
      const day = localDay(e.data.capturedAt);
      const goods = new Map<string, { category: string; unit: string; quantity: number; amount: number }>();
      for (const line of e.data.lines) {
        if (!line.eligible) continue;
        const key = `${line.category ?? UNCATEGORISED}\u0000${line.unit}`;
        const g = goods.get(key) ?? { category: line.category ?? UNCATEGORISED, unit: line.unit, quantity: 0, amount: 0 };
        g.quantity += line.quantity;
        g.amount += line.lineTiyn;
        goods.set(key, g);
      }
      const rows = [...goods.values()];
      return [
        sql(
          `insert into food_daily_activity (position, seq, day, city, kind, family_id, shop_id, hold_id, amount_tiyn, at)
           select $1, 0, $2, w.city, 'purchase', $3, $4, $5, $6, $7 from food_daily_wallets w where w.stream = $8 on conflict do nothing`,
          event.position,
          day,
          String(event.metadata.familyId ?? ''),
          e.data.shopId,
          e.data.holdId,
          e.data.capturedTiyn,
          e.data.capturedAt,
          event.stream,
        ),
        ...(rows.length === 0
          ? []
          : [
              sql(
                `insert into food_daily_goods (day, city, category, unit, quantity, amount_tiyn)
                 select $1, w.city, g.category, g.unit, g.quantity, g.amount from food_daily_wallets w,
                   unnest($2::text[], $3::text[], $4::bigint[], $5::bigint[]) as g(category, unit, quantity, amount) where w.stream = $6
                 on conflict (day, city, category, unit) do update set quantity = food_daily_goods.quantity + excluded.quantity, amount_tiyn = food_daily_goods.amount_tiyn + excluded.amount_tiyn`,
                day,
                rows.map((r) => r.category),
                rows.map((r) => r.unit),
                rows.map((r) => r.quantity),
                rows.map((r) => r.amount),
                event.stream,
              ),
            ]),
      ];
    }
    default:
      return [];
  }
}
