import { describe, expect, it } from 'vitest';
import { given, meta } from '../../test/given';
import type { Payee } from './events';
import { endToEndIdOf, payoutDecider, payoutStatus, type IssuePayout, type RecordPayoutResult } from './payout';
import { paymentOrderDecider, tabelFinalFrom, type IssuePaymentOrder } from './payment-order';
import { planStatements, settlementWindowDecider, type CaptureCandidate, type CloseSettlementWindow } from './window';

const SHOP: Payee = { name: 'ТОО Магазин', bin: '123456789012', iban: 'KZ86125KZT5004100100', bic: 'KCJBKZKX' };

const capture = (holdId: string, shopId: string, capturedAt: string, capturedTiyn: number, position: number): CaptureCandidate => ({
  holdId,
  shopId,
  familyId: `fam-${holdId}`,
  capturedAt,
  capturedTiyn,
  position: String(position),
  items: [{ sku: '4870000000001', name: 'Молоко', lineTiyn: capturedTiyn, eligible: true }],
});

const close = (windowId: string, now: string, captures: CaptureCandidate[], previousWindowClosed = true): CloseSettlementWindow => ({
  type: 'CloseSettlementWindow',
  data: { windowId, closedBy: 'schedule', cutPosition: '100', previousWindowClosed, captures, releases: [] },
  metadata: meta(now),
});

describe('settlement window', () => {
  // 2026-03-10 in Almaty (UTC+5) runs from 2026-03-09T19:00Z to 2026-03-10T19:00Z.
  const today = capture('h1', 'shop-a', '2026-03-10T10:00:00.000Z', 150_000, 10);
  const lateFromYesterday = capture('h0', 'shop-a', '2026-03-09T10:00:00.000Z', 50_000, 12);
  const otherShop = capture('h2', 'shop-b', '2026-03-10T18:59:59.000Z', 70_000, 11);
  const tomorrow = capture('h3', 'shop-a', '2026-03-10T19:00:00.000Z', 99_000, 13);

  it('turns the captures of its day and the late ones of earlier days into one statement per shop', () => {
    const { closed, statements } = planStatements(close('2026-03-10', '2026-03-10T19:05:00.000Z', [today, lateFromYesterday, otherShop, tomorrow]));
    expect(closed.data).toMatchObject({
      windowId: '2026-03-10',
      purchases: 3,
      capturedTiyn: 270_000,
      latePurchases: 1,
      statementIds: ['st-shop-a-2026-03-10', 'st-shop-b-2026-03-10'],
    });
    expect(statements.map((s) => [s.data.shopId, s.data.lines.map((l) => l.holdId), s.data.payoutTiyn])).toEqual([
      ['shop-a', ['h1', 'h0'], 200_000],
      ['shop-b', ['h2'], 70_000],
    ]);
  });

  it('leaves a capture of the next day for the next window', () => {
    const { statements } = planStatements(close('2026-03-10', '2026-03-10T19:05:00.000Z', [tomorrow]));
    expect(statements).toEqual([]);
  });

  it('closes once', () => {
    const history = given(settlementWindowDecider)
      .when(close('2026-03-10', '2026-03-10T19:05:00.000Z', [today]))
      .events();
    given(settlementWindowDecider, history)
      .when(close('2026-03-10', '2026-03-11T19:05:00.000Z', []))
      .thenFails('settlement_window_closed');
  });

  it('does not close a day that has not begun, and closes days in order', () => {
    given(settlementWindowDecider)
      .when(close('2026-03-11', '2026-03-10T18:59:59.000Z', []))
      .thenFails('settlement_window_not_started');
    given(settlementWindowDecider)
      .when(close('2026-03-11', '2026-03-11T19:00:00.000Z', [], false))
      .thenFails('settlement_previous_window_open');
  });

  it('may close early on the day itself (an operator): what comes later that day is late for the next', () => {
    const [closed] = given(settlementWindowDecider)
      .when(close('2026-03-10', '2026-03-10T12:00:00.000Z', [today]))
      .events();
    expect(closed!.data.capturedTiyn).toBe(150_000);
  });
});

const issue = (amountTiyn: number, batchId = 'b1', now = '2026-03-11T04:00:00.000Z'): IssuePayout => ({
  type: 'IssuePayout',
  data: { payableId: 'st-shop-a-2026-03-10', kind: 'shop_statement', amountTiyn, payee: SHOP, batchId },
  metadata: meta(now, `issue-${batchId}`),
});
const result = (attempt: number, status: 'booked' | 'rejected', amountTiyn = 200_000, importId = 'imp-1'): RecordPayoutResult => ({
  type: 'RecordPayoutResult',
  data: {
    endToEndId: endToEndIdOf('st-shop-a-2026-03-10', attempt),
    status,
    amountTiyn,
    bankReference: 'BANK-1',
    reason: 'AC04 closed account',
    at: '2026-03-11T09:00:00.000Z',
    importId,
  },
  metadata: meta('2026-03-11T10:00:00.000Z', `result-${importId}-${attempt}`),
});

describe('payout of a payable', () => {
  const issued = given(payoutDecider).when(issue(200_000)).events();

  it('issues the first attempt with an ISO 20022 end-to-end id of at most 35 characters', () => {
    expect(issued[0]!.data).toMatchObject({ attempt: 1, amountTiyn: 200_000, batchId: 'b1' });
    const id = (issued[0]!.data as { endToEndId: string }).endToEndId;
    expect(id.length).toBeLessThanOrEqual(35);
    expect(id).toBe(endToEndIdOf('st-shop-a-2026-03-10', 1));
  });

  it('is paid once: a confirmation recorded twice changes nothing', () => {
    const confirmed = given(payoutDecider, issued).when(result(1, 'booked')).events();
    expect(confirmed.map((e) => e.type)).toEqual(['PayoutConfirmed']);
    given(payoutDecider, [...issued, ...confirmed])
      .when(result(1, 'booked', 200_000, 'imp-2'))
      .then([]);
    given(payoutDecider, [...issued, ...confirmed])
      .when(issue(200_000, 'b2'))
      .thenFails('payout_already_confirmed');
    expect(payoutStatus(given(payoutDecider, [...issued, ...confirmed]).state())).toBe('paid');
  });

  it('re-issues a failed transfer as a new attempt for the same amount, never while one is open', () => {
    given(payoutDecider, issued).when(issue(200_000, 'b2')).thenFails('payout_pending');
    const failed = given(payoutDecider, issued).when(result(1, 'rejected')).events();
    expect(payoutStatus(given(payoutDecider, [...issued, ...failed]).state())).toBe('failed');
    given(payoutDecider, [...issued, ...failed])
      .when(issue(199_999, 'b2'))
      .thenFails('payout_amount_changed');
    const again = given(payoutDecider, [...issued, ...failed])
      .when(issue(200_000, 'b2'))
      .events();
    expect(again[0]!.data).toMatchObject({ attempt: 2, batchId: 'b2' });
  });

  it('refuses a result that contradicts one recorded, an unknown reference and another amount', () => {
    const failed = given(payoutDecider, issued).when(result(1, 'rejected')).events();
    given(payoutDecider, [...issued, ...failed])
      .when(result(1, 'booked'))
      .thenFails('payout_result_conflict');
    given(payoutDecider, issued).when(result(7, 'booked')).thenFails('payout_unknown_reference');
    given(payoutDecider, issued)
      .when(result(1, 'booked', 100))
      .thenFails('payout_amount_mismatch');
    given(payoutDecider).when(result(1, 'booked')).thenFails('payout_unknown_reference');
  });

  it('does not pay nothing', () => {
    given(payoutDecider).when(issue(0)).thenFails('payout_amount_not_positive');
  });
});

const order = (now: string, mealsOnFinalTabel: number, lateMeals: number, mealPriceTiyn: number | null = 95_000): IssuePaymentOrder => ({
  type: 'IssuePaymentOrder',
  data: { schoolId: 'school-1', month: '2026-03', mealsOnFinalTabel, lateMeals, ...(mealPriceTiyn === null ? {} : { mealPriceTiyn, payee: SHOP }) },
  metadata: meta(now),
});

describe('canteen payment order', () => {
  const final = tabelFinalFrom('2026-03');

  it('is due from the 5th of the next month (local midnight)', () => {
    expect(final).toBe('2026-04-04T19:00:00.000Z');
    given(paymentOrderDecider)
      .when(order('2026-04-04T18:59:59.000Z', 400, 0))
      .thenFails('tabel_not_final');
  });

  it('pays the final табель at the contract price, then late meals by a supplementary order', () => {
    const first = given(paymentOrderDecider)
      .when(order(final, 400, 0))
      .events();
    expect(first.map((e) => [e.data.sequence, e.data.supplementary, e.data.meals, e.data.amountTiyn])).toEqual([[1, false, 400, 38_000_000]]);
    given(paymentOrderDecider, first)
      .when(order('2026-04-06T00:00:00.000Z', 400, 0))
      .then([]);
    const second = given(paymentOrderDecider, first)
      .when(order('2026-04-07T00:00:00.000Z', 400, 3))
      .events();
    expect(second.map((e) => [e.data.orderId, e.data.supplementary, e.data.meals, e.data.mealsOrderedTotal])).toEqual([
      ['po-school-1-2026-03-2', true, 3, 403],
    ]);
  });

  it('states late meals already there at the first run as a supplement of their own', () => {
    const events = given(paymentOrderDecider)
      .when(order(final, 400, 2))
      .events();
    expect(events.map((e) => [e.data.sequence, e.data.supplementary, e.data.meals])).toEqual([
      [1, false, 400],
      [2, true, 2],
    ]);
  });

  it('needs the contract price from the registry', () => {
    given(paymentOrderDecider)
      .when(order(final, 400, 0, null))
      .thenFails('payment_order_price_missing');
  });
});
