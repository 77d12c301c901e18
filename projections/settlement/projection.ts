/**
 * Money out's read model: every capture, void and expiry of a shop with the statement it is on
 * (none yet: it waits for the next window), the windows, statements, canteen payment orders,
 * payout attempts and batches. The settlement service reads its candidates here (captures not on
 * a statement), and reconciliation reads its facts here.
 */
import type { LedgerEventType } from '../../domain/events';
import { foodStream } from '../shared/events';
import { eachEvent, sql, type Projection, type Recorded, type Sql } from '../projection';
import { familyOf } from '../shared/events';

export const SETTLEMENT = 'settlement';

const ddl = `
create table settlement_captures (
  shop_id       text not null,
  hold_id       text not null,
  family_id     text not null,
  captured_at   timestamptz not null,
  captured_tiyn bigint not null,
  position      bigint not null,
  items         jsonb not null,
  statement_id  text,
  primary key (shop_id, hold_id)
);
create index settlement_captures_open on settlement_captures (captured_at) where statement_id is null;
create index settlement_captures_statement on settlement_captures (statement_id);
create table settlement_releases (
  shop_id       text not null,
  hold_id       text not null,
  kind          text not null,
  at            timestamptz not null,
  released_tiyn bigint not null,
  position      bigint not null,
  statement_id  text,
  primary key (shop_id, hold_id)
);
create index settlement_releases_open on settlement_releases (at) where statement_id is null;
create table settlement_windows (
  window_id       text primary key,
  closed_at       timestamptz not null,
  closed_by       text not null,
  cut_position    bigint not null,
  purchases       bigint not null,
  captured_tiyn   bigint not null,
  late_purchases  bigint not null,
  position        bigint not null
);
create table settlement_statements (
  statement_id  text primary key,
  shop_id       text not null,
  window_id     text not null,
  purchases     bigint not null,
  captured_tiyn bigint not null,
  payout_tiyn   bigint not null,
  releases      jsonb not null,
  issued_at     timestamptz not null,
  position      bigint not null
);
create index settlement_statements_shop on settlement_statements (shop_id, window_id);
create table payment_orders (
  order_id        text primary key,
  school_id       text not null,
  month           text not null,
  sequence        bigint not null,
  supplementary   boolean not null,
  meals           bigint not null,
  meal_price_tiyn bigint not null,
  amount_tiyn     bigint not null,
  payee           jsonb not null,
  issued_at       timestamptz not null,
  position        bigint not null
);
create index payment_orders_school_month on payment_orders (school_id, month);
create table payouts (
  payable_id      text not null,
  attempt         bigint not null,
  end_to_end_id   text not null unique,
  kind            text not null,
  batch_id        text not null,
  amount_tiyn     bigint not null,
  payee           jsonb not null,
  status          text not null,
  issued_at       timestamptz not null,
  result_at       timestamptz,
  bank_reference  text,
  reason          text,
  primary key (payable_id, attempt)
);
create index payouts_batch on payouts (batch_id);
create table payout_batches (
  batch_id    text primary key,
  message_id  text not null,
  purpose     text not null,
  reference   text not null,
  payments    bigint not null,
  total_tiyn  bigint not null,
  created_at  timestamptz not null,
  batch       jsonb not null
);
`;

const handled: LedgerEventType[] = [
  'FoodPurchaseCaptured',
  'FoodPurchaseVoided',
  'FoodHoldExpired',
  'SettlementWindowClosed',
  'ShopStatementIssued',
  'CanteenPaymentOrderIssued',
  'PayoutIssued',
  'PayoutConfirmed',
  'PayoutFailed',
  'PayoutBatchCreated',
];

function apply(event: Recorded): Sql[] {
  const e = event;
  const position = event.position.toString();
  switch (e.type) {
    case 'FoodPurchaseCaptured': {
      const familyId = familyOf(event) ?? foodStream(event.stream)?.familyId ?? '';
      const items = e.data.lines.map((l) => ({ sku: l.sku, name: l.name, lineTiyn: l.lineTiyn, eligible: l.eligible }));
      return [
        sql(
          `insert into settlement_captures (hold_id, shop_id, family_id, captured_at, captured_tiyn, position, items)
           values ($1, $2, $3, $4, $5, $6, $7) on conflict (shop_id, hold_id) do nothing`,
          e.data.holdId,
          e.data.shopId,
          familyId,
          e.data.capturedAt,
          e.data.capturedTiyn,
          position,
          JSON.stringify(items),
        ),
      ];
    }
    case 'FoodPurchaseVoided':
    case 'FoodHoldExpired': {
      const kind = e.type === 'FoodPurchaseVoided' ? 'voided' : 'expired';
      return [
        sql(
          `insert into settlement_releases (hold_id, shop_id, kind, at, released_tiyn, position) values ($1, $2, $3, $4, $5, $6) on conflict (shop_id, hold_id) do nothing`,
          e.data.holdId,
          e.data.shopId,
          kind,
          e.data.at,
          e.data.releasedTiyn,
          position,
        ),
      ];
    }
    case 'SettlementWindowClosed':
      return [
        sql(
          `insert into settlement_windows (window_id, closed_at, closed_by, cut_position, purchases, captured_tiyn, late_purchases, position)
           values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (window_id) do nothing`,
          e.data.windowId,
          e.data.closedAt,
          e.data.closedBy,
          e.data.cutPosition,
          e.data.purchases,
          e.data.capturedTiyn,
          e.data.latePurchases,
          position,
        ),
      ];
    case 'ShopStatementIssued': {
      const holds = e.data.lines.map((l) => l.holdId);
      const releases = e.data.releases.map((r) => r.holdId);
      return [
        sql(
          `insert into settlement_statements (statement_id, shop_id, window_id, purchases, captured_tiyn, payout_tiyn, releases, issued_at, position)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9) on conflict (statement_id) do nothing`,
          e.data.statementId,
          e.data.shopId,
          e.data.windowId,
          e.data.purchases,
          e.data.capturedTiyn,
          e.data.payoutTiyn,
          JSON.stringify(e.data.releases),
          e.data.issuedAt,
          position,
        ),
        sql(
          `update settlement_captures set statement_id = $1 where shop_id = $2 and hold_id = any($3::text[]) and statement_id is null`,
          e.data.statementId,
          e.data.shopId,
          holds,
        ),
        sql(
          `update settlement_releases set statement_id = $1 where shop_id = $2 and hold_id = any($3::text[]) and statement_id is null`,
          e.data.statementId,
          e.data.shopId,
          releases,
        ),
      ];
    }
    case 'CanteenPaymentOrderIssued':
      return [
        sql(
          `insert into payment_orders (order_id, school_id, month, sequence, supplementary, meals, meal_price_tiyn, amount_tiyn, payee, issued_at, position)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) on conflict (order_id) do nothing`,
          e.data.orderId,
          e.data.schoolId,
          e.data.month,
          e.data.sequence,
          e.data.supplementary,
          e.data.meals,
          e.data.mealPriceTiyn,
          e.data.amountTiyn,
          JSON.stringify(e.data.payee),
          e.data.issuedAt,
          position,
        ),
      ];
    case 'PayoutIssued':
      return [
        sql(
          `insert into payouts (payable_id, attempt, end_to_end_id, kind, batch_id, amount_tiyn, payee, status, issued_at)
           values ($1, $2, $3, $4, $5, $6, $7, 'issued', $8) on conflict (payable_id, attempt) do nothing`,
          e.data.payableId,
          e.data.attempt,
          e.data.endToEndId,
          e.data.kind,
          e.data.batchId,
          e.data.amountTiyn,
          JSON.stringify(e.data.payee),
          e.data.issuedAt,
        ),
      ];
    case 'PayoutConfirmed':
      return [
        sql(
          `update payouts set status = 'confirmed', result_at = $3, bank_reference = $4 where payable_id = $1 and attempt = $2`,
          e.data.payableId,
          e.data.attempt,
          e.data.bookedAt,
          e.data.bankReference,
        ),
      ];
    case 'PayoutFailed':
      return [
        sql(
          `update payouts set status = 'failed', result_at = $3, reason = $4 where payable_id = $1 and attempt = $2`,
          e.data.payableId,
          e.data.attempt,
          e.data.failedAt,
          e.data.reason,
        ),
      ];
    case 'PayoutBatchCreated':
      return [
        sql(
          `insert into payout_batches (batch_id, message_id, purpose, reference, payments, total_tiyn, created_at, batch)
           values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (batch_id) do nothing`,
          e.data.batchId,
          e.data.messageId,
          e.data.purpose,
          e.data.reference,
          e.data.payments.length,
          e.data.totalTiyn,
          e.data.createdAt,
          JSON.stringify(e.data),
        ),
      ];
    default:
      return [];
  }
}

export const settlementProjection: Projection = {
  name: SETTLEMENT,
  canHandle: handled,
  migrations: [{ id: '0800_settlement', sql: ddl }],
  tables: ['settlement_captures', 'settlement_releases', 'settlement_windows', 'settlement_statements', 'payment_orders', 'payouts', 'payout_batches'],
  apply: eachEvent(apply),
};
