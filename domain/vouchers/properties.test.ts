/**
 * Property tests (fast-check, seeded) over long random command sequences for many families and
 * pupils, biased to edges: zero, the exact balance (and one tiyn more), the last second before a
 * deadline, the month end, the school-year end. After every step:
 *  - no balance term is negative and issued = spent + held + lapsed + available, per voucher and
 *    per family-month — computed independently from the events, and equal to the decider's state;
 *  - a hold settles exactly once and capture ≤ hold;
 *  - nothing is activated, authorized or captured after the month lapsed;
 *  - never two meals on one school day; no meal on an expired or not-yet-active voucher; a QR
 *    nonce buys one meal at most; with monthly lists (seed 002) naming the pupil, moving the
 *    voucher to another school, or leaving the pupil out: no meal in a month the pupil is suspended
 *    in, and only at the school the list put the voucher in;
 *  - replaying the events gives the same state;
 *  - with a trade-markup cap (seed 004 p. 12; some runs), a hold never exceeds its eligible line's
 *    cap, and a named discount above it is refused.
 * Runs: VOUCHER_PROPERTY_RUNS (default 1000); seed: VOUCHER_PROPERTY_SEED (default fixed).
 */
import fc from 'fast-check';
import { productCatalogueOf } from '../catalogue/catalogue';
import { withCheckDigit } from '../catalogue/gtin';
import { describe, expect, it } from 'vitest';
import type { FoodWalletEvent, MealVoucherEvent } from '../events';
import { FOOD_VOUCHERS, lineDiscountCapTiyn } from '../programs/food-vouchers';
import { SCHOOL_MEALS } from '../programs/school-meals';
import { mealDayRefusal } from '../programs/school-calendar';
import { addSeconds, localDate } from '../shared/calendar';
import type { CommandMetadata } from '../shared/decider';
import { fold } from '../shared/decider';
import { DomainError } from '../shared/errors';
import { createFoodWalletDecider, totalsOf, type BasketItem, type FoodWalletCommand, type FoodWalletState } from './food-wallet';
import { frozen } from '../shared/freeze';
import { mealVoucherId } from './ids';
import { mealVoucher, type MealVoucherCommand, type MealVoucherState } from './meal-voucher';

const RUNS = Number(process.env.VOUCHER_PROPERTY_RUNS ?? 1000);
const SEED = Number(process.env.VOUCHER_PROPERTY_SEED ?? 20260305);
const meta = (now: string, n: number): CommandMetadata => ({ commandId: `c${n}`, now, actor: { role: 'prop', id: 'prop' } });

/** Runs a decision; a DomainError is a legitimate refusal (no events, its code noted), anything else is a bug. */
function attempt<E>(run: () => E[], refusals?: Set<string>): E[] {
  try {
    return run();
  } catch (error) {
    if (error instanceof DomainError) {
      refusals?.add(error.code);
      return [];
    }
    throw error;
  }
}

// ── food wallet ───────────────────────────────────────────────────────────────────────────────
const MONTH = '2026-03';
const ISSUE_AT = '2026-03-05T04:00:00.000Z';
const MONTH_END = '2026-03-31T19:00:00.000Z';
const HOLD_TTL = FOOD_VOUCHERS.holdTtlSeconds;

type AmountKind = 'zero' | 'one' | 'exact' | 'exact_plus_one' | 'random';
/** The discount the shop names on the line: none (the whole line, up to the cap), half, exactly the cap, one tiyn over it. */
type DiscountKind = 'none' | 'half' | 'at_cap' | 'over_cap';
/** The program's trade-markup cap in a run: mostly none (the default), sometimes 15 %. */
const capArb = fc.constantFrom<number | null>(null, null, 15);
type FoodOp =
  | { op: 'activate'; fam: number; member: number }
  | { op: 'authorize'; fam: number; amount: AmountKind; random: number; reuseNonce: boolean; withIneligible: boolean; discount: DiscountKind }
  | { op: 'capture'; fam: number; hold: number; shrink: 'same' | 'less' | 'more' | 'zero'; paid: boolean; otherShop: boolean }
  | { op: 'void'; fam: number; hold: number }
  | { op: 'advance'; seconds: number }
  | { op: 'toMonthEnd'; offsetSeconds: number }
  | { op: 'fireDue' };

const famArb = fc.integer({ min: 0, max: 3 });
const foodOpArb: fc.Arbitrary<FoodOp> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('activate' as const), fam: famArb, member: fc.integer({ min: 0, max: 3 }) }) },
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant('authorize' as const),
      fam: famArb,
      amount: fc.constantFrom<AmountKind>('zero', 'one', 'exact', 'exact_plus_one', 'random'),
      random: fc.integer({ min: 1, max: 2_000_000 }),
      reuseNonce: fc.boolean(),
      withIneligible: fc.boolean(),
      discount: fc.constantFrom<DiscountKind>('none', 'none', 'half', 'at_cap', 'over_cap'),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('capture' as const),
      fam: famArb,
      hold: fc.nat(6),
      shrink: fc.constantFrom('same' as const, 'less' as const, 'more' as const, 'zero' as const),
      paid: fc.boolean(),
      otherShop: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('void' as const), fam: famArb, hold: fc.nat(6) }) },
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant('advance' as const), seconds: fc.constantFrom(0, 1, HOLD_TTL - 1, HOLD_TTL, HOLD_TTL + 1, 3600, 86_400 * 3) }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('toMonthEnd' as const), offsetSeconds: fc.constantFrom(-HOLD_TTL, -2, -1, 0, 1) }) },
  { weight: 3, arbitrary: fc.constant({ op: 'fireDue' as const }) },
);

interface Family {
  readonly familyId: string;
  state: FoodWalletState;
  events: FoodWalletEvent[];
  holdIds: string[];
  nonces: string[];
}

/** The product catalogue of these runs: milk is on the list, beer (no GTIN at all) is not. */
const MILK_GTIN = withCheckDigit('480000000001');
const CATALOGUE = productCatalogueOf(1, [{ gtin: MILK_GTIN.padStart(14, '0'), categoryId: 'milk' }]);
const milkItem = (tiyn: number): BasketItem => ({ sku: MILK_GTIN, name: 'milk', quantity: 1, unit: 'pcs', unitPriceTiyn: tiyn });
const beerItem: BasketItem = { sku: 'b', name: 'beer', quantity: 1, unit: 'pcs', unitPriceTiyn: 77_700 };

/** The ledger recomputed from events alone, independent of evolve. */
function ledgerFromEvents(events: readonly FoodWalletEvent[]) {
  const v = new Map<string, { issued: number; spent: number; held: number; lapsed: number }>();
  const holds = new Map<string, { allocations: Map<string, number>; held: number; settled: number; captured: number }>();
  let closed = false;
  const after: string[] = [];
  for (const e of events) {
    if (closed) after.push(e.type);
    switch (e.type) {
      case 'FoodVouchersIssued':
        for (const x of e.data.vouchers) v.set(x.voucherId, { issued: x.amountTiyn, spent: 0, held: 0, lapsed: 0 });
        break;
      case 'FoodPurchaseAuthorized':
        holds.set(e.data.holdId, {
          allocations: new Map(e.data.allocations.map((a) => [a.voucherId, a.amountTiyn])),
          held: e.data.heldTiyn,
          settled: 0,
          captured: 0,
        });
        for (const a of e.data.allocations) v.get(a.voucherId)!.held += a.amountTiyn;
        break;
      case 'FoodPurchaseCaptured': {
        const h = holds.get(e.data.holdId)!;
        h.settled++;
        h.captured = e.data.capturedTiyn;
        for (const [id, amount] of h.allocations) v.get(id)!.held -= amount;
        for (const a of e.data.allocations) v.get(a.voucherId)!.spent += a.amountTiyn;
        break;
      }
      case 'FoodPurchaseVoided':
      case 'FoodHoldExpired': {
        const h = holds.get(e.data.holdId)!;
        h.settled++;
        for (const [id, amount] of h.allocations) v.get(id)!.held -= amount;
        break;
      }
      case 'FoodVouchersLapsed':
        for (const l of e.data.lapses) v.get(l.voucherId)!.lapsed += l.notActivatedTiyn + l.unspentTiyn;
        closed = true;
        break;
      case 'FoodVoucherActivated':
      case 'DeadlineScheduled':
      case 'DeadlineFired':
        break;
    }
  }
  return { vouchers: v, holds, after };
}

function checkFamily(f: Family): void {
  const { vouchers, holds, after } = ledgerFromEvents(f.events);
  let issued = 0,
    spent = 0,
    held = 0,
    lapsed = 0;
  for (const [id, x] of vouchers) {
    const available = x.issued - x.spent - x.held - x.lapsed;
    expect(
      [x.spent, x.held, x.lapsed, available].every((t) => Number.isSafeInteger(t) && t >= 0),
      `voucher ${id} terms ≥ 0`,
    ).toBe(true);
    issued += x.issued;
    spent += x.spent;
    held += x.held;
    lapsed += x.lapsed;
  }
  const totals = totalsOf(f.state);
  expect(totals).toMatchObject({ issuedTiyn: issued, spentTiyn: spent, heldTiyn: held, lapsedTiyn: lapsed, availableTiyn: issued - spent - held - lapsed });
  for (const [id, h] of holds) {
    expect(h.settled, `hold ${id} settles at most once`).toBeLessThanOrEqual(1);
    expect(h.captured, `hold ${id}: capture ≤ hold`).toBeLessThanOrEqual(h.held);
  }
  // After the month lapsed (default: unspent lapses too), only deadline firings and hold expiries remain possible.
  expect(after.filter((t) => t !== 'DeadlineFired' && t !== 'FoodHoldExpired')).toEqual([]);
}

function runFood(ops: readonly FoodOp[], memberCounts: readonly number[], capPercent: number | null = null, refusals?: Set<string>): Family[] {
  const program = { ...FOOD_VOUCHERS, tradeMarkupCapPercent: capPercent };
  // Frozen states: a fold that mutates one fails (the command path keeps folded states per stream).
  const decider = frozen(createFoodWalletDecider(program));
  let now = ISSUE_AT;
  let n = 0;
  const families: Family[] = memberCounts.map((count, i) => {
    const familyId = `fam-${i}`;
    const issue: FoodWalletCommand = {
      type: 'IssueFoodVouchers',
      data: {
        familyId,
        month: MONTH,
        city: 'pavlodar',
        region: 'pavlodar',
        members: Array.from({ length: count }, (_, m) => `p${i}-${m}`),
        caseId: `case-${i}`,
      },
      metadata: meta(now, n++),
    };
    const events = decider.decide(issue, decider.initialState());
    return { familyId, state: fold(decider, events), events, holdIds: [], nonces: [] };
  });
  const apply = (f: Family, command: FoodWalletCommand): FoodWalletEvent[] => {
    const events = attempt(() => decider.decide(command, f.state), refusals);
    for (const e of events) f.state = decider.evolve(f.state, e);
    f.events.push(...events);
    return events;
  };
  for (const op of ops) {
    if (op.op === 'advance') now = addSeconds(now, op.seconds);
    else if (op.op === 'toMonthEnd') {
      const target = addSeconds(MONTH_END, op.offsetSeconds);
      if (target > now) now = target;
    } else if (op.op === 'fireDue') {
      for (const f of families) {
        if (f.state.status === 'None') continue;
        const due = Object.entries(f.state.deadlines)
          .filter(([, d]) => !d.fired && d.dueAt <= now)
          .sort((a, b) => (a[1].dueAt < b[1].dueAt ? -1 : 1));
        for (const [deadlineId, d] of due) apply(f, { type: 'FireDeadline', data: { deadlineId, kind: d.kind }, metadata: meta(now, n++) });
      }
    } else {
      const f = families[op.fam % families.length]!;
      const s = f.state;
      if (s.status === 'None') continue;
      if (op.op === 'activate') {
        const v = s.vouchers[op.member % s.vouchers.length]!;
        apply(f, { type: 'ActivateFoodVoucher', data: { voucherId: v.voucherId, familyId: f.familyId, byPersonId: 'head' }, metadata: meta(now, n++) });
      } else if (op.op === 'authorize') {
        const spendable = totalsOf(s).spendableTiyn;
        const amount = { zero: 0, one: 1, exact: spendable, exact_plus_one: spendable + 1, random: op.random }[op.amount];
        const cap = lineDiscountCapTiyn(amount, program);
        const discount = { none: undefined, half: Math.floor(amount / 2), at_cap: cap ?? amount, over_cap: (cap ?? amount) + 1 }[op.discount];
        const milk = amount > 0 ? [{ ...milkItem(amount), ...(discount !== undefined ? { discountTiyn: discount } : {}) }] : [];
        const items = [...milk, ...(op.withIneligible || amount === 0 ? [beerItem] : [])];
        const holdId = `h${n}`;
        const nonce = op.reuseNonce && f.nonces.length > 0 ? f.nonces[0]! : `nonce-${n}`;
        f.nonces.push(nonce);
        f.holdIds.push(holdId);
        const events = apply(f, {
          type: 'AuthorizePurchase',
          data: { holdId, shopId: 'shop', items, tokenNonce: nonce, tokenExpiresAt: addSeconds(now, 60), catalogue: CATALOGUE },
          metadata: meta(now, n++),
        });
        const authorized = events.find((e) => e.type === 'FoodPurchaseAuthorized');
        if (authorized && cap !== undefined) expect(authorized.data.eligibleTiyn, 'the hold stays within the line’s cap').toBeLessThanOrEqual(cap);
        if (discount !== undefined && discount > (cap ?? amount)) expect(events, 'a discount over the cap (or the line) is refused').toEqual([]);
      } else if (op.op === 'capture') {
        const holdId = f.holdIds[op.hold % Math.max(1, f.holdIds.length)] ?? 'none';
        const hold = s.holds.find((h) => h.holdId === holdId);
        const eligible = hold?.eligibleTiyn ?? 1;
        const finalAmount = { same: eligible, less: Math.floor(eligible / 2), more: eligible + 1, zero: 0 }[op.shrink];
        const items = finalAmount > 0 ? [milkItem(finalAmount)] : [beerItem];
        apply(f, {
          type: 'CapturePurchase',
          data: { holdId, shopId: op.otherShop ? 'other' : 'shop', paymentStatus: op.paid ? 'paid' : 'failed', items },
          metadata: meta(now, n++),
        });
      } else {
        const holdId = f.holdIds[op.hold % Math.max(1, f.holdIds.length)] ?? 'none';
        apply(f, { type: 'VoidPurchase', data: { holdId, shopId: 'shop' }, metadata: meta(now, n++) });
      }
    }
    for (const f of families) checkFamily(f);
  }
  for (const f of families) expect(fold(decider, f.events)).toEqual(f.state); // replay
  return families;
}

// ── meal voucher ──────────────────────────────────────────────────────────────────────────────
const YEAR = '2025-2026';
const YEAR_END = '2026-05-31T19:00:00.000Z';
/**
 * Days chosen to hit the edges: before the 2026 order is in force (20 Feb), its first school day
 * (23 Feb), a school day, a weekend, a holiday, the spring break, the last lesson day (25 May) and
 * the day after, the school year's last day and the first day of the summer.
 */
const DAYS = ['2026-02-20', '2026-02-23', '2026-03-06', '2026-03-07', '2026-03-09', '2026-03-19', '2026-05-25', '2026-05-26', '2026-05-31', '2026-06-01'];
/** Scans fall on a meal day more often than the edges (else a second meal the same day is rare). */
const MEAL_DAY_INDEXES = [1, 2, 6];
const scanDayArb = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...MEAL_DAY_INDEXES) }, { weight: 2, arbitrary: fc.nat(DAYS.length - 1) });
type MealOp =
  | { op: 'activate'; pupil: number; day: number }
  | {
      op: 'scan';
      pupil: number;
      day: number;
      time: string;
      qr: boolean;
      nonce: number;
      tokenEdge: -1 | 0 | 1;
      skew: 'none' | 'ahead_limit' | 'ahead_over' | 'offline_over';
      wrongSchool: boolean;
      resend: boolean;
    }
  | { op: 'toYearEnd'; offsetSeconds: number }
  | { op: 'fireExpiry'; pupil: number }
  /** A school's approved list of the month (seed 002): names the pupil where the voucher is, at another school, or not at all. */
  | { op: 'monthList'; pupil: number; day: number; named: 'same' | 'moved' | 'absent' };

const pupilArb = fc.integer({ min: 0, max: 2 });
const mealOpArb: fc.Arbitrary<MealOp> = fc.oneof(
  // Often on the first day (before the order is in force), so later scans meet every day's rule.
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('activate' as const),
      pupil: pupilArb,
      day: fc.oneof({ weight: 2, arbitrary: fc.constant(0) }, { weight: 3, arbitrary: fc.nat(DAYS.length - 1) }),
    }),
  },
  {
    weight: 8,
    arbitrary: fc.record({
      op: fc.constant('scan' as const),
      pupil: pupilArb,
      day: scanDayArb,
      time: fc.constantFrom('00:00', '08:30', '12:00', '23:59'),
      qr: fc.boolean(),
      nonce: fc.nat(3),
      tokenEdge: fc.constantFrom(-1 as const, 0 as const, 1 as const),
      skew: fc.constantFrom('none' as const, 'ahead_limit' as const, 'ahead_over' as const, 'offline_over' as const),
      wrongSchool: fc.boolean(),
      resend: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('toYearEnd' as const), offsetSeconds: fc.constantFrom(-1, 0, 1) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('fireExpiry' as const), pupil: pupilArb }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('monthList' as const),
      pupil: pupilArb,
      day: scanDayArb,
      named: fc.constantFrom('same' as const, 'moved' as const, 'absent' as const),
    }),
  },
);

interface Pupil {
  readonly pupilId: string;
  readonly grade: number;
  state: MealVoucherState;
  events: MealVoucherEvent[];
}

function checkPupil(p: Pupil): void {
  const servedDays = new Map<string, number>();
  const nonces = new Set<string>();
  let activatedAt: string | undefined;
  let expired = false;
  // The monthly lists, from the events alone: the voucher's school, and the months it is suspended in.
  let school = 'school';
  const suspended = new Set<string>();
  for (const e of p.events) {
    if (e.type === 'MealVoucherActivated') activatedAt = e.data.activatedAt;
    if (e.type === 'MealVoucherExpired') expired = true;
    if (e.type === 'MealVoucherTransferred') school = e.data.toSchoolId;
    if (e.type === 'MealVoucherSuspended') suspended.add(e.data.month);
    if (e.type === 'MealVoucherListed') suspended.delete(e.data.month);
    if (e.type !== 'MealServed') continue;
    expect(suspended.has(e.data.schoolDay.slice(0, 7)), 'no meal in a month whose approved list left the pupil out').toBe(false);
    expect(e.data.schoolId, 'a meal only at the school the month’s list put the voucher in').toBe(school);
    expect(expired, 'no meal on an expired voucher').toBe(false);
    expect(activatedAt !== undefined && e.data.scannedAt >= activatedAt, 'no meal before activation').toBe(true);
    servedDays.set(e.data.schoolDay, (servedDays.get(e.data.schoolDay) ?? 0) + 1);
    expect(servedDays.get(e.data.schoolDay), `one meal on ${e.data.schoolDay}`).toBeLessThanOrEqual(SCHOOL_MEALS.mealsPerSchoolDay);
    expect(mealDayRefusal(e.data.schoolDay, p.grade, SCHOOL_MEALS), 'no meal on a day without lessons or outside the order').toBeUndefined();
    if (e.data.tokenNonce !== undefined) {
      expect(nonces.has(e.data.tokenNonce), 'a QR nonce buys one meal').toBe(false);
      nonces.add(e.data.tokenNonce);
    }
  }
}

function runMeals(ops: readonly MealOp[]): Pupil[] {
  let n = 0;
  let clock = '2025-08-25T03:00:00.000Z';
  const pupils: Pupil[] = [0, 1, 2].map((i) => {
    const pupilId = `pupil-${i}`;
    const events = mealVoucher.decide(
      {
        type: 'IssueMealVoucher',
        data: {
          voucherId: mealVoucherId(pupilId, YEAR),
          pupilId,
          familyId: `fam-${i}`,
          schoolId: 'school',
          region: 'akmola',
          grade: 2 + i,
          category: 'asp_family',
          schoolYear: YEAR,
          caseId: `c${i}`,
          viaConsent: i > 0,
        },
        metadata: meta(clock, n++),
      },
      mealVoucher.initialState(),
    );
    return { pupilId, grade: 2 + i, state: fold(mealVoucher, events), events };
  });
  const apply = (p: Pupil, command: MealVoucherCommand) => {
    const events = attempt(() => mealVoucher.decide(command, p.state));
    for (const e of events) p.state = mealVoucher.evolve(p.state, e);
    p.events.push(...events);
  };
  let seq = 0;
  for (const op of ops) {
    if (op.op === 'toYearEnd') {
      const target = addSeconds(YEAR_END, op.offsetSeconds);
      if (target > clock) clock = target;
      continue;
    }
    const p = pupils[op.pupil]!;
    if (op.op === 'activate') {
      // Activation at 10:00 on one of the edge days: scans earlier that day find it not active yet.
      const at = new Date(`${DAYS[op.day]}T10:00:00+05:00`).toISOString();
      apply(p, {
        type: 'ActivateMealVoucher',
        data: { voucherId: mealVoucherId(p.pupilId, YEAR), familyId: `fam-${op.pupil}`, byPersonId: 'parent' },
        metadata: meta(at > clock ? at : clock, n++),
      });
    } else if (op.op === 'monthList') {
      const month = DAYS[op.day]!.slice(0, 7);
      const at = new Date(`${month}-01T06:00:00+05:00`).toISOString();
      const where = p.state.status === 'None' ? 'school' : p.state.schoolId;
      const listId = `list-${n}`;
      const command: MealVoucherCommand =
        op.named === 'absent'
          ? { type: 'SuspendMealVoucher', data: { month, listId, schoolId: where }, metadata: meta(at > clock ? at : clock, n++) }
          : {
              type: 'ListMealVoucher',
              data: { month, listId, rowNo: 1, schoolId: op.named === 'moved' ? (where === 'school' ? 'school-2' : 'school') : where, grade: p.grade },
              metadata: meta(at > clock ? at : clock, n++),
            };
      apply(p, command);
    } else if (op.op === 'fireExpiry') {
      apply(p, {
        type: 'FireDeadline',
        data: { deadlineId: `${mealVoucherId(p.pupilId, YEAR)}:expiry`, kind: 'meal_voucher_expiry' },
        metadata: meta(clock, n++),
      });
    } else {
      const scannedAt = new Date(`${DAYS[op.day]}T${op.time}:00+05:00`).toISOString();
      const receivedAt = {
        none: scannedAt,
        ahead_limit: addSeconds(scannedAt, -SCHOOL_MEALS.maxDeviceClockAheadSeconds),
        ahead_over: addSeconds(scannedAt, -SCHOOL_MEALS.maxDeviceClockAheadSeconds - 1),
        offline_over: addSeconds(scannedAt, SCHOOL_MEALS.maxOfflineAgeSeconds + 1),
      }[op.skew];
      if (!op.resend) seq++;
      const qr = op.qr ? { tokenNonce: `n${op.pupil}-${op.nonce}`, tokenExpiresAt: addSeconds(scannedAt, op.tokenEdge) } : {};
      apply(p, {
        type: 'RecordMeal',
        data: {
          deviceId: 'dev',
          seq,
          deviceSchoolId: op.wrongSchool ? 'other' : p.state.status === 'None' ? 'school' : p.state.schoolId,
          scannedAt,
          receivedAt,
          method: op.qr ? 'qr' : 'card',
          ...qr,
        },
        metadata: meta(receivedAt, n++),
      });
      expect(localDate(scannedAt)).toBe(DAYS[op.day]);
    }
    checkPupil(p);
  }
  for (const p of pupils) expect(fold(mealVoucher, p.events)).toEqual(p.state); // replay
  return pupils;
}

describe('voucher invariants (property-based)', () => {
  it(`food wallets: balances never negative, issued = spent + held + lapsed + available, holds settle once, capture ≤ hold, nothing after lapse, replay (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }),
        fc.array(foodOpArb, { minLength: 10, maxLength: 60 }),
        capArb,
        (members, ops, cap) => void runFood(ops, members, cap),
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });
  it(`meal vouchers: one meal per school day, none on expired/inactive vouchers or holidays, single-use nonces, replay (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(fc.array(mealOpArb, { minLength: 10, maxLength: 60 }), (ops) => void runMeals(ops)),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('the generators reach every outcome (the properties are not vacuous)', () => {
    const seen = new Set<string>();
    const foodRuns = fc.sample(
      fc.tuple(fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }), fc.array(foodOpArb, { minLength: 10, maxLength: 60 }), capArb),
      { seed: SEED, numRuns: 300 },
    );
    const refusals = new Set<string>();
    for (const [members, ops, cap] of foodRuns)
      for (const f of runFood(ops, members, cap, refusals))
        for (const e of f.events)
          seen.add(
            e.type === 'FoodPurchaseVoided'
              ? `Voided:${e.data.reason}`
              : e.type === 'FoodPurchaseCaptured' && e.data.releasedTiyn > 0
                ? 'CapturedPartly'
                : e.type,
          );
    const mealRuns = fc.sample(fc.array(mealOpArb, { minLength: 10, maxLength: 60 }), { seed: SEED, numRuns: 300 });
    for (const ops of mealRuns)
      for (const p of runMeals(ops)) for (const e of p.events) seen.add(e.type === 'MealRefused' ? `MealRefused:${e.data.code}` : e.type);
    const wanted = [
      'FoodVoucherActivated',
      'FoodPurchaseAuthorized',
      'FoodPurchaseCaptured',
      'CapturedPartly',
      'Voided:shop_voided',
      'Voided:payment_failed',
      'FoodHoldExpired',
      'FoodVouchersLapsed',
      'DeadlineFired',
      'MealVoucherActivated',
      'MealServed',
      'MealVoucherExpired',
      'MealRefused:voucher_not_active',
      'MealRefused:voucher_expired',
      'MealRefused:outside_school_year',
      'MealRefused:not_a_school_day',
      'MealRefused:program_not_in_force',
      'MealRefused:meal_already_recorded_today',
      'MealRefused:qr_token_expired',
      'MealRefused:qr_token_reused',
      'MealRefused:clock_skew_too_large',
      'MealRefused:device_wrong_school',
      'MealRefused:voucher_suspended',
      'MealVoucherListed',
      'MealVoucherTransferred',
      'MealVoucherSuspended',
    ];
    expect(
      wanted.filter((outcome) => !seen.has(outcome)),
      'outcomes the generators never reached',
    ).toEqual([]);
    expect(
      ['markup_cap_exceeded', 'insufficient_balance', 'hold_expired'].filter((code) => !refusals.has(code)),
      'food refusals never reached',
    ).toEqual([]);
  });
});
