/**
 * The event-by-event SQL money out's read model had before it was written a batch at a time
 * (projections/settlement/projection.ts), kept as the reference its equivalence test compares against.
 */
import { foodStream, familyOf } from '../../../projections/shared/events';
import { sql, type Recorded, type Sql } from '../../../projections/projection';

export function applyOne(event: Recorded): Sql[] {
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
