/**
 * Money out's read model: every capture, void and expiry of a shop with the statement it is on
 * (none yet: it waits for the next window), the windows, statements, canteen payment orders,
 * payout attempts and batches. The settlement service reads its candidates here (captures not on
 * a statement), and reconciliation reads its facts here.
 */
import type { LedgerEventType } from '../../domain/events';
import { foodStream } from '../shared/events';
import type { Projection, Recorded, Sql } from '../projection';
import { col, InsertRows, Rows } from '../shared/batch-sql';
import { roundsByKey } from '../shared/rounds';
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

/** The batch's first-write-wins rows per table (`on conflict do nothing`, keys first). */
function insertRows() {
  return {
    captures: new InsertRows(
      'settlement_captures',
      [
        col('shop_id', 'text'),
        col('hold_id', 'text'),
        col('family_id', 'text'),
        col('captured_at', 'timestamptz'),
        col('captured_tiyn', 'bigint'),
        col('position', 'bigint'),
        col('items', 'jsonb'),
      ],
      2,
    ),
    releases: new InsertRows(
      'settlement_releases',
      [
        col('shop_id', 'text'),
        col('hold_id', 'text'),
        col('kind', 'text'),
        col('at', 'timestamptz'),
        col('released_tiyn', 'bigint'),
        col('position', 'bigint'),
      ],
      2,
    ),
    windows: new InsertRows(
      'settlement_windows',
      [
        col('window_id', 'text'),
        col('closed_at', 'timestamptz'),
        col('closed_by', 'text'),
        col('cut_position', 'bigint'),
        col('purchases', 'bigint'),
        col('captured_tiyn', 'bigint'),
        col('late_purchases', 'bigint'),
        col('position', 'bigint'),
      ],
      1,
    ),
    statements: new InsertRows(
      'settlement_statements',
      [
        col('statement_id', 'text'),
        col('shop_id', 'text'),
        col('window_id', 'text'),
        col('purchases', 'bigint'),
        col('captured_tiyn', 'bigint'),
        col('payout_tiyn', 'bigint'),
        col('releases', 'jsonb'),
        col('issued_at', 'timestamptz'),
        col('position', 'bigint'),
      ],
      1,
    ),
    orders: new InsertRows(
      'payment_orders',
      [
        col('order_id', 'text'),
        col('school_id', 'text'),
        col('month', 'text'),
        col('sequence', 'bigint'),
        col('supplementary', 'boolean'),
        col('meals', 'bigint'),
        col('meal_price_tiyn', 'bigint'),
        col('amount_tiyn', 'bigint'),
        col('payee', 'jsonb'),
        col('issued_at', 'timestamptz'),
        col('position', 'bigint'),
      ],
      1,
    ),
    batches: new InsertRows(
      'payout_batches',
      [
        col('batch_id', 'text'),
        col('message_id', 'text'),
        col('purpose', 'text'),
        col('reference', 'text'),
        col('payments', 'bigint'),
        col('total_tiyn', 'bigint'),
        col('created_at', 'timestamptz'),
        col('batch', 'jsonb'),
      ],
      1,
    ),
  };
}

const CLAIM = [col('statement_id', 'text'), col('shop_id', 'text'), col('hold_id', 'text'), col('position', 'bigint')];

/**
 * A statement claims its holds' captures (or releases) that were written before it and not claimed
 * yet: the first statement in the log to name one wins, as the live update's `statement_id is null` did.
 */
function claimSql(table: string, claims: Rows): Sql[] {
  return claims.toSql(
    (source) =>
      `update ${table} t set statement_id = f.statement_id
       from (select distinct on (c.shop_id, c.hold_id) c.shop_id, c.hold_id, s.statement_id from ${source('s')}
             join ${table} c on c.shop_id = s.shop_id and c.hold_id = s.hold_id and c.statement_id is null and c.position < s.position
             order by c.shop_id, c.hold_id, s.position) f
       where t.shop_id = f.shop_id and t.hold_id = f.hold_id`,
  );
}

/** The batch's statements: the rows, then the statements' claims, then the payouts (in rounds: each payout's events in order). */
function apply(events: readonly Recorded[]): Sql[] {
  const rows = insertRows();
  const captureClaims = new Rows(CLAIM);
  const releaseClaims = new Rows(CLAIM);
  const payoutEvents: Recorded[] = [];
  for (const event of events) {
    const e = event;
    const position = event.position.toString();
    switch (e.type) {
      case 'FoodPurchaseCaptured': {
        const familyId = familyOf(event) ?? foodStream(event.stream)?.familyId ?? '';
        const items = e.data.lines.map((l) => ({ sku: l.sku, name: l.name, lineTiyn: l.lineTiyn, eligible: l.eligible }));
        rows.captures.add([e.data.shopId, e.data.holdId, familyId, e.data.capturedAt, e.data.capturedTiyn, position, JSON.stringify(items)]);
        break;
      }
      case 'FoodPurchaseVoided':
      case 'FoodHoldExpired':
        rows.releases.add([e.data.shopId, e.data.holdId, e.type === 'FoodPurchaseVoided' ? 'voided' : 'expired', e.data.at, e.data.releasedTiyn, position]);
        break;
      case 'SettlementWindowClosed': {
        const d = e.data;
        rows.windows.add([d.windowId, d.closedAt, d.closedBy, d.cutPosition, d.purchases, d.capturedTiyn, d.latePurchases, position]);
        break;
      }
      case 'ShopStatementIssued': {
        const d = e.data;
        rows.statements.add([d.statementId, d.shopId, d.windowId, d.purchases, d.capturedTiyn, d.payoutTiyn, JSON.stringify(d.releases), d.issuedAt, position]);
        for (const line of d.lines) captureClaims.add([d.statementId, d.shopId, line.holdId, position]);
        for (const release of d.releases) releaseClaims.add([d.statementId, d.shopId, release.holdId, position]);
        break;
      }
      case 'CanteenPaymentOrderIssued': {
        const d = e.data;
        rows.orders.add([
          d.orderId,
          d.schoolId,
          d.month,
          d.sequence,
          d.supplementary,
          d.meals,
          d.mealPriceTiyn,
          d.amountTiyn,
          JSON.stringify(d.payee),
          d.issuedAt,
          position,
        ]);
        break;
      }
      case 'PayoutBatchCreated': {
        const d = e.data;
        rows.batches.add([d.batchId, d.messageId, d.purpose, d.reference, d.payments.length, d.totalTiyn, d.createdAt, JSON.stringify(d)]);
        break;
      }
      case 'PayoutIssued':
      case 'PayoutConfirmed':
      case 'PayoutFailed':
        payoutEvents.push(event);
        break;
      default:
        break;
    }
  }
  return [
    ...Object.values(rows).flatMap((r) => r.toSql()),
    ...claimSql('settlement_captures', captureClaims),
    ...claimSql('settlement_releases', releaseClaims),
    ...roundsByKey(payoutEvents, (e) => {
      const d = e.data as { payableId: string; attempt: number };
      return `${d.payableId}\u0000${d.attempt}`;
    }).flatMap(payoutRoundSql),
  ];
}

/** One round of payout events (no payout attempt twice in a round). */
function payoutRoundSql(round: readonly Recorded[]): Sql[] {
  const issued = new Rows([
    col('payable_id', 'text'),
    col('attempt', 'bigint'),
    col('end_to_end_id', 'text'),
    col('kind', 'text'),
    col('batch_id', 'text'),
    col('amount_tiyn', 'bigint'),
    col('payee', 'jsonb'),
    col('issued_at', 'timestamptz'),
  ]);
  const confirmed = new Rows([col('payable_id', 'text'), col('attempt', 'bigint'), col('result_at', 'timestamptz'), col('bank_reference', 'text')]);
  const failed = new Rows([col('payable_id', 'text'), col('attempt', 'bigint'), col('result_at', 'timestamptz'), col('reason', 'text')]);
  for (const e of round) {
    if (e.type === 'PayoutIssued') {
      const d = e.data;
      issued.add([d.payableId, d.attempt, d.endToEndId, d.kind, d.batchId, d.amountTiyn, JSON.stringify(d.payee), d.issuedAt]);
    } else if (e.type === 'PayoutConfirmed') confirmed.add([e.data.payableId, e.data.attempt, e.data.bookedAt, e.data.bankReference]);
    else if (e.type === 'PayoutFailed') failed.add([e.data.payableId, e.data.attempt, e.data.failedAt, e.data.reason]);
  }
  return [
    ...issued.toSql(
      (source) => `insert into payouts (${issued.names}, status) select *, 'issued' from ${source('p')} on conflict (payable_id, attempt) do nothing`,
    ),
    ...confirmed.toSql(
      (source) =>
        `update payouts p set status = 'confirmed', result_at = u.result_at, bank_reference = u.bank_reference from ${source('u')}
         where p.payable_id = u.payable_id and p.attempt = u.attempt`,
    ),
    ...failed.toSql(
      (source) =>
        `update payouts p set status = 'failed', result_at = u.result_at, reason = u.reason from ${source('u')} where p.payable_id = u.payable_id and p.attempt = u.attempt`,
    ),
  ];
}

export const settlementProjection: Projection = {
  name: SETTLEMENT,
  canHandle: handled,
  migrations: [{ id: '0800_settlement', sql: ddl }],
  tables: ['settlement_captures', 'settlement_releases', 'settlement_windows', 'settlement_statements', 'payment_orders', 'payouts', 'payout_batches'],
  apply,
};
