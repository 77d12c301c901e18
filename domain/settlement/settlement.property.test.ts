/**
 * Money out over seeded sequences: tills capture (some sync days late), windows close day by day,
 * payouts are issued, the paying agent books or rejects them (its files sometimes imported twice),
 * failed transfers are re-issued; canteens' meals arrive before and after the табель is final and
 * payment orders are issued. After every sequence: every captured tiyn is on exactly one
 * statement and paid exactly once or pending; no meal is on two orders; re-importing every
 * confirmation changes nothing; reconciliation has no difference.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays, addMonths, dayOfMonth, endOfDay, instantAt } from '../shared/calendar';
import { fold } from '../shared/decider';
import type { CommandMetadata } from '../shared/decider';
import { sum } from '../shared/money';
import type { CanteenPaymentOrderIssued, Payee, ShopStatementIssued } from './events';
import { payoutDecider, type PayoutEvent, type RecordPayoutResult } from './payout';
import { paymentOrderDecider, tabelFinalFrom } from './payment-order';
import { reconcile, type CaptureFact } from './reconcile';
import { planStatements, settlementWindowDecider, type CaptureCandidate } from './window';

const PAYEE: Payee = { name: 'Payee', bin: '123456789012', iban: 'KZ86125KZT5004100100', bic: 'KCJBKZKX' };
const FIRST_DAY = '2026-03-02';
const SHOPS = ['shop-a', 'shop-b', 'shop-c'];

type Op =
  | { kind: 'capture'; shop: number; amountTiyn: number; daysLate: number }
  | { kind: 'endDay' }
  | { kind: 'issuePayouts' }
  | { kind: 'importResults'; booked: boolean[]; twice: boolean }
  | { kind: 'meal'; school: number; ofPreviousMonth: boolean };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('capture' as const),
      shop: fc.nat(SHOPS.length - 1),
      amountTiyn: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 5_000_000 })),
      daysLate: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }) }),
    }),
  },
  { weight: 2, arbitrary: fc.constant({ kind: 'endDay' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'issuePayouts' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('importResults' as const), booked: fc.array(fc.boolean(), { maxLength: 12 }), twice: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('meal' as const), school: fc.nat(1), ofPreviousMonth: fc.boolean() }) },
);

let commandNo = 0;
const metaAt = (now: string): CommandMetadata => ({ commandId: `c${commandNo++}`, now, actor: { role: 'test', id: 'property' } });

/** The ledger of one sequence, with the read model's view (unsettled captures) kept beside it. */
class World {
  day = FIRST_DAY;
  position = 0;
  readonly captures: (CaptureCandidate & { settledOn?: string })[] = [];
  readonly statements: ShopStatementIssued[] = [];
  readonly windows: { windowId: string; cutPosition: string; end: string }[] = [];
  readonly payouts = new Map<string, PayoutEvent[]>();
  readonly results: RecordPayoutResult[] = [];
  readonly meals = new Map<string, { receivedAt: string }[]>();
  readonly orders = new Map<string, CanteenPaymentOrderIssued[]>();
  batch = 0;

  now(): string {
    return instantAt(this.day, '12:00');
  }

  capture(shop: number, amountTiyn: number, daysLate: number): void {
    const holdId = `h${this.captures.length}`;
    const capturedAt = instantAt(addDays(this.day, -daysLate), '10:00');
    this.position += 1;
    this.captures.push({ holdId, shopId: SHOPS[shop]!, familyId: 'f', capturedAt, capturedTiyn: amountTiyn, position: String(this.position), items: [] });
  }

  closeWindow(): void {
    const windowId = this.day;
    const cutPosition = String(this.position);
    const candidates = this.captures.filter((c) => c.settledOn === undefined);
    const command = {
      type: 'CloseSettlementWindow' as const,
      data: { windowId, closedBy: 'schedule' as const, cutPosition, previousWindowClosed: true, captures: candidates, releases: [] },
      metadata: metaAt(endOfDay(windowId)),
    };
    settlementWindowDecider.decide(command, settlementWindowDecider.initialState());
    const { statements } = planStatements(command);
    for (const statement of statements) {
      this.statements.push(statement);
      for (const line of statement.data.lines) this.captures.find((c) => c.holdId === line.holdId)!.settledOn = statement.data.statementId;
    }
    this.windows.push({ windowId, cutPosition, end: endOfDay(windowId) });
  }

  endDay(): void {
    this.closeWindow();
    this.day = addDays(this.day, 1);
    this.issueOrders();
  }

  payables(): { payableId: string; kind: 'shop_statement' | 'canteen_order'; amountTiyn: number }[] {
    return [
      ...this.statements
        .filter((s) => s.data.payoutTiyn > 0)
        .map((s) => ({ payableId: s.data.statementId, kind: 'shop_statement' as const, amountTiyn: s.data.payoutTiyn })),
      ...[...this.orders.values()].flat().map((o) => ({ payableId: o.data.orderId, kind: 'canteen_order' as const, amountTiyn: o.data.amountTiyn })),
    ];
  }

  issuePayouts(): void {
    const batchId = `b${this.batch++}`;
    for (const payable of this.payables()) {
      const history = this.payouts.get(payable.payableId) ?? [];
      const state = fold(payoutDecider, history);
      const last = state.attempts.at(-1);
      if (state.attempts.some((a) => a.status === 'confirmed') || last?.status === 'issued') continue;
      const events = payoutDecider.decide({ type: 'IssuePayout', data: { ...payable, payee: PAYEE, batchId }, metadata: metaAt(this.now()) }, state);
      this.payouts.set(payable.payableId, [...history, ...events]);
    }
  }

  importResults(booked: boolean[], twice: boolean): void {
    const open = [...this.payouts.entries()].flatMap(([payableId, events]) =>
      fold(payoutDecider, events)
        .attempts.filter((a) => a.status === 'issued')
        .map((a) => ({ payableId, attempt: a })),
    );
    const file = open.slice(0, booked.length).map(({ payableId, attempt }, i): [string, RecordPayoutResult] => [
      payableId,
      {
        type: 'RecordPayoutResult',
        data: {
          endToEndId: attempt.endToEndId,
          status: booked[i] ? 'booked' : 'rejected',
          amountTiyn: attempt.amountTiyn,
          bankReference: 'R',
          reason: 'AC04',
          at: this.now(),
          importId: `i${this.batch}`,
        },
        metadata: metaAt(this.now()),
      },
    ]);
    for (let round = 0; round < (twice ? 2 : 1); round++)
      for (const [payableId, result] of file) {
        const history = this.payouts.get(payableId)!;
        const events = payoutDecider.decide(result, fold(payoutDecider, history));
        if (round === 1) expect(events).toEqual([]);
        this.payouts.set(payableId, [...history, ...events]);
        this.results.push(result);
      }
  }

  meal(school: number, ofPreviousMonth: boolean): void {
    const key = `school-${school}|${addMonths(this.day.slice(0, 7), ofPreviousMonth ? -1 : 0)}`;
    // A meal of an earlier month synced today: late for its табель when today is past the 5th.
    this.meals.set(key, [...(this.meals.get(key) ?? []), { receivedAt: this.now() }]);
  }

  issueOrders(): void {
    for (const [key, meals] of this.meals) {
      const [schoolId, month] = key.split('|') as [string, string];
      const finalFrom = tabelFinalFrom(month);
      if (Date.parse(this.now()) < Date.parse(finalFrom)) continue;
      const onSheet = meals.filter((m) => Date.parse(m.receivedAt) < Date.parse(finalFrom)).length;
      const history = this.orders.get(key) ?? [];
      const events = paymentOrderDecider.decide(
        {
          type: 'IssuePaymentOrder',
          data: { schoolId, month, mealsOnFinalTabel: onSheet, lateMeals: meals.length - onSheet, mealPriceTiyn: 95_000, payee: PAYEE },
          metadata: metaAt(this.now()),
        },
        fold(paymentOrderDecider, history),
      );
      fold(paymentOrderDecider, [...history, ...events]);
      this.orders.set(key, [...history, ...events]);
    }
  }
}

describe('money out, over seeded sequences', () => {
  it('pays every captured tiyn exactly once or keeps it pending, and every meal on one order', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120 }), (ops) => {
        const world = new World();
        for (const o of ops) {
          if (o.kind === 'capture') world.capture(o.shop, o.amountTiyn, o.daysLate);
          else if (o.kind === 'endDay') world.endDay();
          else if (o.kind === 'issuePayouts') world.issuePayouts();
          else if (o.kind === 'importResults') world.importResults(o.booked, o.twice);
          else world.meal(o.school, o.ofPreviousMonth);
        }
        // Flush: every late capture reaches a window; past the 5th every табель is final.
        const flushUntil = addDays(dayOfMonth(addMonths(world.day.slice(0, 7), 1), 5), 1);
        world.endDay();
        while (world.day < flushUntil) world.endDay();

        const onStatements = world.statements.flatMap((s) => s.data.lines.map((l) => l.holdId));
        expect(new Set(onStatements).size).toBe(onStatements.length);
        expect(onStatements.sort()).toEqual(world.captures.map((c) => c.holdId).sort());
        expect(sum(world.statements.map((s) => s.data.payoutTiyn))).toBe(sum(world.captures.map((c) => c.capturedTiyn)));

        for (const [key, orders] of world.orders) expect(orders.reduce((n, o) => n + o.data.meals, 0)).toBe(world.meals.get(key)!.length);

        for (const events of world.payouts.values())
          expect(fold(payoutDecider, events).attempts.filter((a) => a.status === 'confirmed').length).toBeLessThanOrEqual(1);
        for (const result of world.results) {
          const history = [...world.payouts.values()].find((events) =>
            fold(payoutDecider, events).attempts.some((a) => a.endToEndId === result.data.endToEndId),
          )!;
          expect(payoutDecider.decide(result, fold(payoutDecider, history))).toEqual([]);
        }

        const facts: CaptureFact[] = world.captures;
        const report = reconcile({
          captures: facts,
          windows: world.windows,
          statements: world.statements.map((s) => s.data),
          payouts: [...world.payouts.entries()].map(([payableId, events]) => ({
            payableId,
            kind: payableId.startsWith('st-') ? ('shop_statement' as const) : ('canteen_order' as const),
            attempts: fold(payoutDecider, events).attempts,
          })),
          mealMonths: [...world.meals.entries()].map(([key, meals]) => ({
            schoolId: key.split('|')[0]!,
            month: key.split('|')[1]!,
            mealsRecorded: meals.length,
            final: true,
          })),
          orders: [...world.orders.values()].flat().map((o) => o.data),
        });
        expect(report.differences).toEqual([]);
        const payable = sum(world.payables().map((p) => p.amountTiyn));
        expect(report.totals.paidTiyn + report.totals.pendingTiyn + report.totals.failedTiyn + report.totals.unissuedTiyn).toBe(payable);
        expect(report.totals.unsettledTiyn).toBe(0);
      }),
      { numRuns: 1_000, seed: 20_261_204 },
    );
  });

  it('finds a purchase put on two statements, and one a window missed', () => {
    const capture = { holdId: 'h1', shopId: 'shop-a', capturedAt: '2026-03-02T05:00:00.000Z', capturedTiyn: 100, position: '5' };
    const statement = (statementId: string) => ({
      statementId,
      shopId: 'shop-a',
      windowId: '2026-03-02',
      payoutTiyn: 100,
      lines: [{ holdId: 'h1', capturedTiyn: 100 }],
    });
    const twice = reconcile({ captures: [capture], windows: [], statements: [statement('st-1'), statement('st-2')], payouts: [], mealMonths: [], orders: [] });
    expect(twice.differences.map((d) => d.kind)).toEqual(['purchase_on_two_statements']);
    const missed = reconcile({
      captures: [capture],
      windows: [{ windowId: '2026-03-02', cutPosition: '9', end: endOfDay('2026-03-02') }],
      statements: [],
      payouts: [],
      mealMonths: [],
      orders: [],
    });
    expect(missed.differences.map((d) => d.kind)).toEqual(['purchase_missed_by_window']);
    expect(missed.balanced).toBe(false);
  });
});
