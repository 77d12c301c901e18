/**
 * Reconciliation to the tiyn: from the facts (captures, statements, payouts, табель meals,
 * payment orders) to totals per window × shop and per school-month, and the list of differences
 * with the events behind each. Nothing is absorbed: a total that does not close is a difference.
 *
 *   per closed window and shop:  Σ captured on its statements = Σ settled = Σ paid + Σ pending + Σ failed + Σ unissued
 *   per school-month:            meals recorded = meals on payment orders (once the табель is final);
 *                                Σ ordered amounts = meals × contract price of each order
 *   every purchase and meal:     on exactly one statement or order
 */
import { sum, times, type Tiyn } from '../shared/money';
import type { PayableKind } from './events';

export interface CaptureFact {
  readonly holdId: string;
  readonly shopId: string;
  readonly capturedAt: string;
  readonly capturedTiyn: Tiyn;
  readonly position: string;
}
export interface StatementFact {
  readonly statementId: string;
  readonly shopId: string;
  readonly windowId: string;
  readonly payoutTiyn: Tiyn;
  readonly lines: readonly { readonly holdId: string; readonly capturedTiyn: Tiyn }[];
}
export interface WindowFact {
  readonly windowId: string;
  readonly cutPosition: string;
  readonly end: string;
}
export interface PayoutFact {
  readonly payableId: string;
  readonly kind: PayableKind;
  readonly attempts: readonly { readonly endToEndId: string; readonly amountTiyn: Tiyn; readonly status: 'issued' | 'confirmed' | 'failed' }[];
}
export interface MealMonthFact {
  readonly schoolId: string;
  readonly month: string;
  readonly mealsRecorded: number;
  /** Whether the табель of the month is final (payment orders are due). */
  readonly final: boolean;
}
export interface PaymentOrderFact {
  readonly orderId: string;
  readonly schoolId: string;
  readonly month: string;
  readonly meals: number;
  readonly mealPriceTiyn: Tiyn;
  readonly amountTiyn: Tiyn;
}

export interface Difference {
  readonly kind:
    | 'purchase_on_two_statements'
    | 'statement_line_mismatch'
    | 'statement_total_mismatch'
    | 'purchase_missed_by_window'
    | 'paid_more_than_once'
    | 'paid_amount_mismatch'
    | 'meals_not_ordered'
    | 'meals_ordered_twice'
    | 'order_amount_mismatch';
  readonly detail: string;
  /** The ids behind it: hold ids, statement ids, payable ids, order ids. */
  readonly refs: readonly string[];
}

export interface MoneyState {
  readonly amountTiyn: Tiyn;
  readonly paidTiyn: Tiyn;
  readonly pendingTiyn: Tiyn;
  readonly failedTiyn: Tiyn;
  readonly unissuedTiyn: Tiyn;
}
export interface ShopWindowLine extends MoneyState {
  readonly windowId: string;
  readonly shopId: string;
  readonly statementId: string;
  readonly purchases: number;
}
export interface SchoolMonthLine extends MoneyState {
  readonly schoolId: string;
  readonly month: string;
  readonly mealsRecorded: number;
  readonly mealsOrdered: number;
  readonly orders: number;
}
export interface Reconciliation {
  readonly shops: readonly ShopWindowLine[];
  readonly schools: readonly SchoolMonthLine[];
  readonly totals: {
    readonly capturedTiyn: Tiyn;
    readonly settledTiyn: Tiyn;
    readonly unsettledTiyn: Tiyn;
    readonly orderedTiyn: Tiyn;
    readonly paidTiyn: Tiyn;
    readonly pendingTiyn: Tiyn;
    readonly failedTiyn: Tiyn;
    readonly unissuedTiyn: Tiyn;
  };
  readonly differences: readonly Difference[];
  readonly balanced: boolean;
}

export interface ReconcileInput {
  readonly captures: readonly CaptureFact[];
  readonly windows: readonly WindowFact[];
  readonly statements: readonly StatementFact[];
  readonly payouts: readonly PayoutFact[];
  readonly mealMonths: readonly MealMonthFact[];
  readonly orders: readonly PaymentOrderFact[];
}

export function reconcile(input: ReconcileInput): Reconciliation {
  const differences: Difference[] = [];
  const payouts = new Map(input.payouts.map((p) => [p.payableId, p]));
  const settledHolds = checkStatements(input, differences);
  checkWindows(input, settledHolds, differences);
  const shops = input.statements.map((s): ShopWindowLine => ({
    windowId: s.windowId,
    shopId: s.shopId,
    statementId: s.statementId,
    purchases: s.lines.length,
    ...moneyOf(s.statementId, s.payoutTiyn, payouts.get(s.statementId), differences),
  }));
  const schools = schoolLines(input, payouts, differences);
  const capturedTiyn = sum(input.captures.map((c) => c.capturedTiyn));
  const settledTiyn = sum(input.captures.filter((c) => settledHolds.has(c.holdId)).map((c) => c.capturedTiyn));
  const all = [...shops, ...schools];
  return {
    shops,
    schools,
    totals: {
      capturedTiyn,
      settledTiyn,
      unsettledTiyn: capturedTiyn - settledTiyn,
      orderedTiyn: sum(schools.map((s) => s.amountTiyn)),
      paidTiyn: sum(all.map((l) => l.paidTiyn)),
      pendingTiyn: sum(all.map((l) => l.pendingTiyn)),
      failedTiyn: sum(all.map((l) => l.failedTiyn)),
      unissuedTiyn: sum(all.map((l) => l.unissuedTiyn)),
    },
    differences,
    balanced: differences.length === 0,
  };
}

/** Every statement line is a capture of its amount, on no other statement; the total is the lines' sum. */
function checkStatements(input: ReconcileInput, differences: Difference[]): Map<string, string> {
  const captures = new Map(input.captures.map((c) => [c.holdId, c]));
  const settled = new Map<string, string>();
  for (const statement of input.statements) {
    for (const line of statement.lines) {
      const earlier = settled.get(line.holdId);
      if (earlier !== undefined)
        differences.push({
          kind: 'purchase_on_two_statements',
          detail: `hold ${line.holdId} is on ${earlier} and ${statement.statementId}`,
          refs: [line.holdId, earlier, statement.statementId],
        });
      else settled.set(line.holdId, statement.statementId);
      const capture = captures.get(line.holdId);
      if (!capture || capture.capturedTiyn !== line.capturedTiyn || capture.shopId !== statement.shopId)
        differences.push({
          kind: 'statement_line_mismatch',
          detail: `${statement.statementId}: hold ${line.holdId} states ${line.capturedTiyn} tiyn, the capture ${capture ? `${capture.capturedTiyn} tiyn at ${capture.shopId}` : 'does not exist'}`,
          refs: [line.holdId, statement.statementId],
        });
    }
    const linesTiyn = sum(statement.lines.map((l) => l.capturedTiyn));
    if (linesTiyn !== statement.payoutTiyn)
      differences.push({
        kind: 'statement_total_mismatch',
        detail: `${statement.statementId}: lines ${linesTiyn} tiyn, payout ${statement.payoutTiyn}`,
        refs: [statement.statementId],
      });
  }
  return settled;
}

/** A capture in the log before a window's cut, of that window's day or earlier, must be on a statement. */
function checkWindows(input: ReconcileInput, settled: ReadonlyMap<string, string>, differences: Difference[]): void {
  for (const capture of input.captures) {
    if (settled.has(capture.holdId)) continue;
    const missedBy = input.windows.find((w) => BigInt(capture.position) <= BigInt(w.cutPosition) && Date.parse(capture.capturedAt) < Date.parse(w.end));
    if (missedBy)
      differences.push({
        kind: 'purchase_missed_by_window',
        detail: `hold ${capture.holdId} (${capture.capturedTiyn} tiyn, position ${capture.position}) was due on window ${missedBy.windowId}`,
        refs: [capture.holdId, missedBy.windowId],
      });
  }
}

function moneyOf(payableId: string, amountTiyn: Tiyn, payout: PayoutFact | undefined, differences: Difference[]): MoneyState {
  const attempts = payout?.attempts ?? [];
  const confirmed = attempts.filter((a) => a.status === 'confirmed');
  if (confirmed.length > 1)
    differences.push({
      kind: 'paid_more_than_once',
      detail: `${payableId} has ${confirmed.length} confirmed transfers`,
      refs: [payableId, ...confirmed.map((a) => a.endToEndId)],
    });
  for (const a of attempts)
    if (a.amountTiyn !== amountTiyn)
      differences.push({
        kind: 'paid_amount_mismatch',
        detail: `${payableId}: owes ${amountTiyn} tiyn, transfer ${a.endToEndId} is for ${a.amountTiyn}`,
        refs: [payableId, a.endToEndId],
      });
  const last = attempts.at(-1);
  const state = confirmed.length > 0 ? 'paid' : last?.status === 'issued' ? 'pending' : last?.status === 'failed' ? 'failed' : 'unissued';
  const zero = { paidTiyn: 0, pendingTiyn: 0, failedTiyn: 0, unissuedTiyn: 0 };
  return { amountTiyn, ...zero, [`${state}Tiyn`]: amountTiyn };
}

function schoolLines(input: ReconcileInput, payouts: ReadonlyMap<string, PayoutFact>, differences: Difference[]): SchoolMonthLine[] {
  const key = (schoolId: string, month: string) => `${schoolId}|${month}`;
  const months = new Map(input.mealMonths.map((m) => [key(m.schoolId, m.month), m]));
  const orders = new Map<string, PaymentOrderFact[]>();
  for (const order of input.orders) orders.set(key(order.schoolId, order.month), [...(orders.get(key(order.schoolId, order.month)) ?? []), order]);
  const keys = [...new Set([...months.keys(), ...orders.keys()])].sort();
  return keys.map((k) => {
    const month = months.get(k);
    const own = orders.get(k) ?? [];
    const [schoolId, monthId] = k.split('|') as [string, string];
    const mealsOrdered = own.reduce((n, o) => n + o.meals, 0);
    const mealsRecorded = month?.mealsRecorded ?? 0;
    for (const o of own)
      if (times(o.mealPriceTiyn, o.meals) !== o.amountTiyn)
        differences.push({
          kind: 'order_amount_mismatch',
          detail: `${o.orderId}: ${o.meals} meals × ${o.mealPriceTiyn} ≠ ${o.amountTiyn} tiyn`,
          refs: [o.orderId],
        });
    if (mealsOrdered > mealsRecorded)
      differences.push({
        kind: 'meals_ordered_twice',
        detail: `${schoolId} ${monthId}: ${mealsOrdered} meals ordered, ${mealsRecorded} recorded`,
        refs: own.map((o) => o.orderId),
      });
    if (month?.final && mealsOrdered < mealsRecorded)
      differences.push({
        kind: 'meals_not_ordered',
        detail: `${schoolId} ${monthId}: ${mealsRecorded - mealsOrdered} meals of a final табель are on no payment order`,
        refs: [k, ...own.map((o) => o.orderId)],
      });
    const money = own.map((o) => moneyOf(o.orderId, o.amountTiyn, payouts.get(o.orderId), differences));
    return {
      schoolId,
      month: monthId,
      mealsRecorded,
      mealsOrdered,
      orders: own.length,
      amountTiyn: sum(money.map((m) => m.amountTiyn)),
      paidTiyn: sum(money.map((m) => m.paidTiyn)),
      pendingTiyn: sum(money.map((m) => m.pendingTiyn)),
      failedTiyn: sum(money.map((m) => m.failedTiyn)),
      unissuedTiyn: sum(money.map((m) => m.unissuedTiyn)),
    };
  });
}
