/**
 * `food_daily`: what the food programme's daily report to the service provider is made of (seed
 * 004 p. 28: "ежедневно предоставляется отчетность об активизации ваучеров и о предоставлении
 * Услуги") — every voucher activation and every paid purchase, by local day (Asia/Almaty) and
 * pilot city, and the socially significant goods sold. Append-only rows keyed by log position,
 * plus the links a later event needs (a wallet's city, a voucher's amount).
 */
import type { Projection, Recorded, Sql } from '../projection';
import { col, InsertRows, Rows } from '../shared/batch-sql';
import { localDay } from '../shared/events';
import { UNCATEGORISED } from '../outcomes/projection';

export const FOOD_DAILY = 'food_daily';

const ddl = `
create table food_daily_wallets (stream text primary key, city text not null);
create table food_daily_vouchers (voucher_id text primary key, amount_tiyn bigint not null);
create table food_daily_activity (
  position    bigint not null,
  seq         integer not null,
  day         date not null,
  city        text not null,
  kind        text not null,
  family_id   text not null,
  voucher_id  text,
  shop_id     text,
  hold_id     text,
  amount_tiyn bigint not null,
  at          timestamptz not null,
  primary key (position, seq)
);
create index food_daily_activity_day on food_daily_activity (day, city);
create table food_daily_goods (
  day         date not null,
  city        text not null,
  category    text not null,
  unit        text not null,
  quantity    bigint not null default 0,
  amount_tiyn bigint not null default 0,
  primary key (day, city, category, unit)
);
`;

/**
 * The links remember the log position of the event that wrote them, so that a batch's activations
 * and purchases join them as they stood when each happened (a batch is written at once, links first).
 */
const linkPositions = `
alter table food_daily_wallets add column position bigint not null default 0;
alter table food_daily_vouchers add column position bigint not null default 0;
`;

/** A batch's rows per table, the links first-write-wins (pure). */
export function foldFoodDaily(events: readonly Recorded[]) {
  const wallets = new InsertRows('food_daily_wallets', [col('stream', 'text'), col('city', 'text'), col('position', 'bigint')], 1);
  const vouchers = new InsertRows('food_daily_vouchers', [col('voucher_id', 'text'), col('amount_tiyn', 'bigint'), col('position', 'bigint')], 1);
  const activations = new Rows(ACTIVATION_COLUMNS);
  const purchases = new Rows(PURCHASE_COLUMNS);
  const goods = new Rows(GOODS_COLUMNS);
  for (const event of events) {
    const e = event;
    const position = event.position.toString();
    switch (e.type) {
      case 'FoodVouchersIssued':
        wallets.add([event.stream, e.data.city, position]);
        for (const v of e.data.vouchers) vouchers.add([v.voucherId, v.amountTiyn, position]);
        break;
      case 'FoodVoucherActivated':
        activations.add([position, localDay(e.data.activatedAt), String(event.metadata.familyId ?? ''), e.data.voucherId, e.data.activatedAt, event.stream]);
        break;
      case 'FoodPurchaseCaptured': {
        const day = localDay(e.data.capturedAt);
        const familyId = String(event.metadata.familyId ?? '');
        purchases.add([position, day, familyId, e.data.shopId, e.data.holdId, e.data.capturedTiyn, e.data.capturedAt, event.stream]);
        for (const line of e.data.lines) {
          if (line.eligible) goods.add([day, event.stream, line.category ?? UNCATEGORISED, line.unit, line.quantity, line.lineTiyn, position]);
        }
        break;
      }
      default:
        break;
    }
  }
  return { wallets, vouchers, activations, purchases, goods };
}

const ACTIVATION_COLUMNS = [
  col('position', 'bigint'),
  col('day', 'date'),
  col('family_id', 'text'),
  col('voucher_id', 'text'),
  col('at', 'timestamptz'),
  col('stream', 'text'),
];
const PURCHASE_COLUMNS = [
  col('position', 'bigint'),
  col('day', 'date'),
  col('family_id', 'text'),
  col('shop_id', 'text'),
  col('hold_id', 'text'),
  col('amount_tiyn', 'bigint'),
  col('at', 'timestamptz'),
  col('stream', 'text'),
];
const GOODS_COLUMNS = [
  col('day', 'date'),
  col('stream', 'text'),
  col('category', 'text'),
  col('unit', 'text'),
  col('quantity', 'bigint'),
  col('amount_tiyn', 'bigint'),
  col('position', 'bigint'),
];

/** A batch's statements: links, then the activity and goods that join them as of each event. */
function apply(events: readonly Recorded[]): Sql[] {
  const { wallets, vouchers, activations, purchases, goods } = foldFoodDaily(events);
  return [
    ...wallets.toSql(),
    ...vouchers.toSql(),
    ...activations.toSql(
      (source) =>
        `insert into food_daily_activity (position, seq, day, city, kind, family_id, voucher_id, amount_tiyn, at)
         select a.position, 0, a.day, w.city, 'activation', a.family_id, a.voucher_id, v.amount_tiyn, a.at from ${source('a')}
         join food_daily_wallets w on w.stream = a.stream and w.position <= a.position
         join food_daily_vouchers v on v.voucher_id = a.voucher_id and v.position <= a.position
         on conflict do nothing`,
    ),
    ...purchases.toSql(
      (source) =>
        `insert into food_daily_activity (position, seq, day, city, kind, family_id, shop_id, hold_id, amount_tiyn, at)
         select p.position, 0, p.day, w.city, 'purchase', p.family_id, p.shop_id, p.hold_id, p.amount_tiyn, p.at from ${source('p')}
         join food_daily_wallets w on w.stream = p.stream and w.position <= p.position
         on conflict do nothing`,
    ),
    // Sums commute: the batch's lines add up per (day, city, category, unit) before the upsert.
    ...goods.toSql(
      (source) =>
        `insert into food_daily_goods (day, city, category, unit, quantity, amount_tiyn)
         select g.day, w.city, g.category, g.unit, sum(g.quantity), sum(g.amount_tiyn) from ${source('g')}
         join food_daily_wallets w on w.stream = g.stream and w.position <= g.position
         group by g.day, w.city, g.category, g.unit
         on conflict (day, city, category, unit) do update set quantity = food_daily_goods.quantity + excluded.quantity, amount_tiyn = food_daily_goods.amount_tiyn + excluded.amount_tiyn`,
    ),
  ];
}

export const foodDailyProjection: Projection = {
  name: FOOD_DAILY,
  canHandle: ['FoodVouchersIssued', 'FoodVoucherActivated', 'FoodPurchaseCaptured'],
  migrations: [
    { id: '0530_food_daily', sql: ddl },
    { id: '0871_food_daily_link_positions', sql: linkPositions },
  ],
  tables: ['food_daily_wallets', 'food_daily_vouchers', 'food_daily_activity', 'food_daily_goods'],
  apply,
};
