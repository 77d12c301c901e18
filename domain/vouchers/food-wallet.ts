/**
 * The family food wallet: one family's member vouchers for one month (seed 004 p. 2.5, 4, 6, 7,
 * 22–26), in the stream `food-{familyId}-{month}`. One voucher per member at 1 MRP × multiplier;
 * activation until the month's last local day; two-phase shop payment (authorize → capture or
 * void, an uncaptured hold expires); at month end what was not activated lapses, and — by the
 * program parameter `lapseUnspentAtMonthEnd` — what was activated but not spent. When that
 * parameter is false, nothing in this decider ends the activated balance: it stays spendable after
 * the month (holds, captures) until a program rule ends it (none is modelled yet: the pilot order
 * runs until 1 May 2026, see domain/programs/food-vouchers.ts); only activation ends at month end.
 *
 * Money is integer tiyn. Per voucher and per family-month, at every event:
 *   issued = spent + held + lapsed + available, every term ≥ 0.
 * `evolve` asserts it: a balance below zero is a bug in our code, not a refusal.
 *
 * The basket is the decider's to price: a command carries the items as the shop sent them, and
 * the decider resolves each line's category from the product catalogue (only socially significant
 * food is paid from the vouchers, seed 004 p. 2.3, 3, 11), its amount and its eligibility. The
 * authorize command carries the catalogue version in force (domain/catalogue/); a line whose code
 * is no GTIN of it is not eligible. The authorization records every line with its category and
 * eligibility and the version that judged them, so replay never needs a catalogue; a capture
 * judges its final items by the hold's own lines (what the customer was shown at the till stands,
 * whatever version is published meanwhile).
 *
 * Precedence of refusals (first failing check wins):
 *   authorize: basket_empty → amount_invalid → markup_cap_exceeded → voucher_not_found → hold_already_exists →
 *              qr_token_expired → qr_token_reused → voucher_lapsed → voucher_not_active →
 *              no_eligible_items → insufficient_balance
 *   capture:   hold_not_found → hold_expired | hold_already_settled → amount_invalid → markup_cap_exceeded → capture_exceeds_hold
 * (the service checks the token's signature and the shop's hold index before these: docs/CODES.md)
 *   void:      hold_not_found → hold_expired | hold_already_settled
 *   activate:  voucher_not_found → activation_window_closed (a repeat is a no-op) — after the month
 *              one code, whether the month-end deadline has fired (the vouchers lapsed) or not
 *              (seed 004 p. 6: "Активация ваучера после истечения месяца будет недоступна")
 */
import type {
  Allocation,
  BasketLine,
  DeadlineFired,
  DeadlineKind,
  DeadlineScheduled,
  FoodHoldExpired,
  FoodPurchaseAuthorized,
  FoodPurchaseCaptured,
  FoodPurchaseVoided,
  FoodVouchersLapsed,
  FoodWalletEvent,
  VoucherLapse,
} from '../events';
import { streams } from '../events';
import { FOOD_VOUCHERS, lineDiscountCapTiyn, memberVoucherTiyn, type FoodVouchersProgram } from '../programs/food-vouchers';
import { categoryOfSku, type ProductCatalogue } from '../catalogue/catalogue';
import type { Instant, LocalDate, Month } from '../shared/calendar';
import { addSeconds, endOfDay, lastDayOfMonth } from '../shared/calendar';
import { evolveEach, invariant, unreachable, type CommandMetadata, type Decider } from '../shared/decider';
import { refuse } from '../shared/errors';
import { add, checkedSum, isTiyn, min, sub, sum, times, type Tiyn } from '../shared/money';
import { foodVoucherId } from './ids';

// ── commands ────────────────────────────────────────────────────────────────────────────────
export interface IssueFoodVouchers {
  readonly type: 'IssueFoodVouchers';
  readonly data: {
    readonly familyId: string;
    readonly month: Month;
    readonly city: string;
    readonly region: string;
    /** personIds, the head first: one voucher each. */
    readonly members: readonly string[];
    readonly caseId: string;
    /**
     * When consent was given (the reply's receipt): the month is judged at this instant, not when
     * the decision is processed, so a consent given in time is honoured after a slow queue.
     */
    readonly consentAt?: Instant;
    /**
     * Members the person-month index puts in another family's vouchers this month (the service
     * reads the index): one voucher per person per month across lists (seed 004 p. 2.5, 4).
     */
    readonly claimedByOthers?: readonly string[];
  };
  readonly metadata: CommandMetadata;
}
export interface ActivateFoodVoucher {
  readonly type: 'ActivateFoodVoucher';
  readonly data: { readonly voucherId: string; readonly familyId: string; readonly byPersonId: string };
  readonly metadata: CommandMetadata;
}
/** One line of a basket as the shop sends it; the decider prices it and judges its eligibility. */
export type BasketItem = Pick<BasketLine, 'sku' | 'name' | 'quantity' | 'unit' | 'unitPriceTiyn' | 'discountTiyn'>;
/** A line's category by its code, or undefined when it is not eligible. */
export type CategoryLookup = (sku: string) => string | undefined;

export interface AuthorizePurchase {
  readonly type: 'AuthorizePurchase';
  readonly data: {
    readonly holdId: string;
    readonly shopId: string;
    readonly items: readonly BasketItem[];
    readonly tokenNonce: string;
    readonly tokenExpiresAt: Instant;
    /** The product catalogue version in force (the service holds it in memory): it judges each line. */
    readonly catalogue: ProductCatalogue;
  };
  readonly metadata: CommandMetadata;
}
export interface CapturePurchase {
  readonly type: 'CapturePurchase';
  readonly data: {
    readonly holdId: string;
    readonly shopId: string;
    /** A failed payment voids the hold (reason payment_failed) instead of capturing. */
    readonly paymentStatus: 'paid' | 'failed';
    /** Final items as paid, judged by the hold's lines (a code the hold did not have is not eligible); default: the authorized lines. */
    readonly items?: readonly BasketItem[];
  };
  readonly metadata: CommandMetadata;
}
export interface VoidPurchase {
  readonly type: 'VoidPurchase';
  readonly data: { readonly holdId: string; readonly shopId: string };
  readonly metadata: CommandMetadata;
}
export interface FireFoodDeadline {
  readonly type: 'FireDeadline';
  readonly data: { readonly deadlineId: string; readonly kind: DeadlineKind };
  readonly metadata: CommandMetadata;
}
export type FoodWalletCommand = IssueFoodVouchers | ActivateFoodVoucher | AuthorizePurchase | CapturePurchase | VoidPurchase | FireFoodDeadline;

// ── state ───────────────────────────────────────────────────────────────────────────────────
export interface VoucherBalance {
  readonly voucherId: string;
  readonly memberPersonId: string;
  readonly issuedTiyn: Tiyn;
  readonly activatedAt?: Instant;
  readonly spentTiyn: Tiyn;
  readonly heldTiyn: Tiyn;
  readonly lapsedTiyn: Tiyn;
}
export interface Hold {
  readonly holdId: string;
  readonly shopId: string;
  readonly lines: readonly BasketLine[];
  readonly eligibleTiyn: Tiyn;
  readonly heldTiyn: Tiyn;
  readonly allocations: readonly Allocation[];
  readonly expiresAt: Instant;
  readonly status: 'open' | 'captured' | 'voided' | 'expired';
  readonly capturedTiyn: Tiyn;
}
export interface WalletFacts {
  readonly familyId: string;
  readonly month: Month;
  readonly caseId: string;
  readonly activationUntil: LocalDate;
  /** In issue order (head first): allocation order is this order. */
  readonly vouchers: readonly VoucherBalance[];
  /** In authorization order. */
  readonly holds: readonly Hold[];
  readonly usedNonces: ReadonlySet<string>;
  readonly deadlines: Readonly<Record<string, { readonly kind: DeadlineKind; readonly dueAt: Instant; readonly ref?: string; readonly fired: boolean }>>;
}
export type FoodWalletState =
  | { readonly status: 'None' }
  | ({ readonly status: 'Open' } & WalletFacts)
  /** After the month-end deadline: nothing activates; unspent balance is gone unless the program keeps it. */
  | ({ readonly status: 'Closed' } & WalletFacts);

export const monthEndDeadlineId = (familyId: string, month: Month) => `${familyId}~${month}:month-end`;
export const holdDeadlineId = (holdId: string) => `hold:${holdId}:expiry`;

/** First instant after the month's last local day (in the program's timezone): the month-end deadline. */
export function monthEndAt(state: WalletFacts): Instant {
  const deadline = state.deadlines[monthEndDeadlineId(state.familyId, state.month)];
  invariant(deadline !== undefined, `${state.familyId} ${state.month} has its month-end deadline`);
  return deadline.dueAt;
}

export const availableOf = (v: VoucherBalance): Tiyn => sub(v.issuedTiyn, add(v.spentTiyn, v.heldTiyn, v.lapsedTiyn));

export interface WalletTotals {
  readonly issuedTiyn: Tiyn;
  readonly spentTiyn: Tiyn;
  readonly heldTiyn: Tiyn;
  readonly lapsedTiyn: Tiyn;
  readonly availableTiyn: Tiyn;
  /** What a shop may hold now: the available balance of activated vouchers. */
  readonly spendableTiyn: Tiyn;
}
export function totalsOf(state: FoodWalletState): WalletTotals {
  const vs = state.status === 'None' ? [] : state.vouchers;
  return {
    issuedTiyn: sum(vs.map((v) => v.issuedTiyn)),
    spentTiyn: sum(vs.map((v) => v.spentTiyn)),
    heldTiyn: sum(vs.map((v) => v.heldTiyn)),
    lapsedTiyn: sum(vs.map((v) => v.lapsedTiyn)),
    availableTiyn: sum(vs.map(availableOf)),
    spendableTiyn: sum(vs.filter((v) => v.activatedAt !== undefined).map(availableOf)),
  };
}

/**
 * What the voucher may pay for a line: nothing for an ineligible one; for an eligible one the
 * discount the shop names, else the whole line — at most the trade-markup cap when the program sets one.
 */
function coverableOf(line: BasketLine, program: FoodVouchersProgram): Tiyn {
  if (!line.eligible) return 0;
  const asked = line.discountTiyn ?? line.lineTiyn;
  const cap = lineDiscountCapTiyn(line.lineTiyn, program);
  return cap === undefined ? asked : min(asked, cap);
}

const eligibleSum = (lines: readonly BasketLine[], program: FoodVouchersProgram): Tiyn => sum(lines.map((l) => coverableOf(l, program)));

/** A named discount is whole tiyn within its line (amount_invalid) and, on an eligible line, within the trade-markup cap (markup_cap_exceeded; seed 004 p. 12). */
function checkDiscounts(lines: readonly BasketLine[], program: FoodVouchersProgram): void {
  lines.forEach((l, i) => {
    if (l.discountTiyn === undefined) return;
    if (!isTiyn(l.discountTiyn) || l.discountTiyn < 0 || l.discountTiyn > l.lineTiyn)
      refuse('amount_invalid', `item ${i}: the discount is whole tiyn between 0 and the line's ${l.lineTiyn}`, `items.${i}.discountTiyn`);
  });
  lines.forEach((l, i) => {
    const cap = l.eligible && l.discountTiyn !== undefined ? lineDiscountCapTiyn(l.lineTiyn, program) : undefined;
    if (cap !== undefined && l.discountTiyn! > cap)
      refuse(
        'markup_cap_exceeded',
        `line ${i}: discount ${l.discountTiyn} tiyn > ${cap} tiyn, the ${program.tradeMarkupCapPercent} % trade markup in its ${l.lineTiyn} tiyn`,
        `items.${i}.discountTiyn`,
      );
  });
}

/**
 * Items → basket lines: each line's amount is its unit price × quantity, its category the
 * lookup's (none: not eligible). Amounts that are not integer tiyn ≥ 0 with an integer
 * quantity > 0, and a basket whose total is beyond safe integers, are refused (amount_invalid).
 */
export function basketLines(items: readonly BasketItem[], categoryOf: CategoryLookup): BasketLine[] {
  const lines = items.map((item, i): BasketLine => {
    const okAmounts = isTiyn(item.unitPriceTiyn) && item.unitPriceTiyn >= 0 && Number.isSafeInteger(item.quantity) && item.quantity > 0;
    if (!okAmounts || !Number.isSafeInteger(item.unitPriceTiyn * item.quantity))
      refuse('amount_invalid', 'integer tiyn ≥ 0 and an integer quantity > 0', `items.${i}`);
    const category = categoryOf(item.sku);
    return {
      sku: item.sku,
      name: item.name,
      ...(category !== undefined ? { category } : {}),
      quantity: item.quantity,
      unit: item.unit,
      unitPriceTiyn: item.unitPriceTiyn,
      lineTiyn: times(item.unitPriceTiyn, item.quantity),
      eligible: category !== undefined,
      ...(item.discountTiyn !== undefined ? { discountTiyn: item.discountTiyn } : {}),
    };
  });
  if (checkedSum(lines.map((l) => l.lineTiyn)) === undefined) refuse('amount_invalid', 'the basket’s total is beyond safe integers', 'items');
  return lines;
}

/** The categories the hold's lines were judged by, by code: a capture's final items are judged as the customer was shown. */
function categoriesOfHold(hold: Hold): CategoryLookup {
  const categories = new Map(hold.lines.flatMap((line) => (line.category !== undefined ? [[line.sku, line.category] as const] : [])));
  return (sku) => categories.get(sku);
}

/** Takes `amount` from the given per-voucher limits in order: deterministic allocation. */
function allocate(amount: Tiyn, limits: readonly Allocation[]): Allocation[] {
  const out: Allocation[] = [];
  let rest = amount;
  for (const { voucherId, amountTiyn } of limits) {
    if (rest === 0) break;
    const take = min(rest, amountTiyn);
    if (take > 0) out.push({ voucherId, amountTiyn: take });
    rest = sub(rest, take);
  }
  invariant(rest === 0, `allocation of ${amount} exceeds the limits`);
  return out;
}

/**
 * Whether nothing of the wallet can be spent at `now`: under the default parameter the whole
 * month's balance is gone at month end (closed, or the month over before the deadline fired).
 * The decider refuses spending by it; a shop's balance query shows 0 by it.
 */
export function lapsedForSpending(program: FoodVouchersProgram, state: Exclude<FoodWalletState, { status: 'None' }>, now: Instant): boolean {
  return program.lapseUnspentAtMonthEnd && (state.status === 'Closed' || now >= monthEndAt(state));
}

/**
 * Whether the family-month can be given a QR token to pay with at `now`: refused as the shop's
 * authorization would be — the voucher not the month's, its balance lapsed (lapsedForSpending, so
 * also between the month's end and its deadline firing), no voucher activated yet.
 */
export function checkQrTokenIssue(program: FoodVouchersProgram, state: FoodWalletState, voucherId: string, now: Instant): void {
  if (state.status === 'None' || !state.vouchers.some((v) => v.voucherId === voucherId)) return refuse('voucher_not_found', voucherId);
  if (lapsedForSpending(program, state, now)) refuse('voucher_lapsed');
  if (!state.vouchers.some((v) => v.activatedAt !== undefined)) refuse('voucher_not_active');
}

// ── decide ──────────────────────────────────────────────────────────────────────────────────
export function createFoodWalletDecider(program: FoodVouchersProgram = FOOD_VOUCHERS): Decider<FoodWalletState, FoodWalletCommand, FoodWalletEvent> {
  const monthOver = (state: WalletFacts, now: Instant) => now >= monthEndAt(state);

  function issue(command: IssueFoodVouchers, state: FoodWalletState): FoodWalletEvent[] {
    const d = command.data;
    if (state.status !== 'None') return state.caseId === d.caseId ? [] : refuse('already_covered', `${d.familyId} ${d.month}`);
    if (d.members.length === 0 || new Set(d.members).size !== d.members.length)
      refuse('validation_failed', 'members must be distinct and not empty', 'members');
    const taken = d.claimedByOthers ?? [];
    if (taken.length > 0) refuse('already_covered', `member ${d.members.indexOf(taken[0]!) + 1} has vouchers in another family this month`);
    const now = command.metadata.now;
    const activationUntil = lastDayOfMonth(d.month);
    const monthEndAt = endOfDay(activationUntil, program.timezone);
    // Judged at the consent instant (never later than now): issued after the month end, the
    // vouchers lapse when the month-end deadline fires, but the family's consent is honoured.
    const judgedAt = d.consentAt !== undefined && d.consentAt < now ? d.consentAt : now;
    if (judgedAt >= monthEndAt) refuse('activation_window_closed', `${d.month} is over`);
    const mrpTiyn = memberVoucherTiyn(d.month, program, d.region);
    const vouchers = d.members.map((memberPersonId, i) => ({ voucherId: foodVoucherId(d.familyId, d.month, i + 1), memberPersonId, amountTiyn: mrpTiyn }));
    const deadline: DeadlineScheduled = {
      type: 'DeadlineScheduled',
      data: { deadlineId: monthEndDeadlineId(d.familyId, d.month), kind: 'food_month_end', dueAt: monthEndAt, stream: streams.food(d.familyId, d.month) },
    };
    return [
      {
        type: 'FoodVouchersIssued',
        data: {
          familyId: d.familyId,
          month: d.month,
          city: d.city,
          region: d.region,
          mrpTiyn,
          vouchers,
          totalTiyn: times(mrpTiyn, vouchers.length),
          activationUntil,
          caseId: d.caseId,
          issuedAt: now,
        },
      },
      deadline,
    ];
  }

  function activate(command: ActivateFoodVoucher, state: FoodWalletState): FoodWalletEvent[] {
    const d = command.data;
    const voucher = state.status === 'None' || state.familyId !== d.familyId ? undefined : state.vouchers.find((v) => v.voucherId === d.voucherId);
    if (state.status === 'None' || !voucher) return refuse('voucher_not_found', d.voucherId);
    if (state.status === 'Closed' || monthOver(state, command.metadata.now)) refuse('activation_window_closed', `activation ended on ${state.activationUntil}`);
    if (voucher.activatedAt !== undefined) return []; // a repeat is a no-op (see the meal voucher)
    return [{ type: 'FoodVoucherActivated', data: { voucherId: d.voucherId, byPersonId: d.byPersonId, activatedAt: command.metadata.now } }];
  }

  function authorize(command: AuthorizePurchase, state: FoodWalletState): FoodWalletEvent[] {
    const d = command.data;
    const now = command.metadata.now;
    if (d.items.length === 0) refuse('basket_empty');
    const lines = basketLines(d.items, (sku) => categoryOfSku(sku, d.catalogue));
    checkDiscounts(lines, program);
    if (state.status === 'None') return refuse('voucher_not_found');
    if (state.holds.some((h) => h.holdId === d.holdId)) refuse('hold_already_exists', d.holdId);
    if (now > d.tokenExpiresAt) refuse('qr_token_expired');
    if (state.usedNonces.has(d.tokenNonce)) refuse('qr_token_reused');
    if (lapsedForSpending(program, state, now)) refuse('voucher_lapsed');
    const active = state.vouchers.filter((v) => v.activatedAt !== undefined);
    if (active.length === 0) refuse('voucher_not_active');
    const eligibleTiyn = eligibleSum(lines, program);
    if (eligibleTiyn === 0) refuse('no_eligible_items');
    const limits = active.map((v) => ({ voucherId: v.voucherId, amountTiyn: availableOf(v) }));
    const available = sum(limits.map((l) => l.amountTiyn));
    if (available === 0) refuse('insufficient_balance');
    const heldTiyn = min(eligibleTiyn, available);
    const expiresAt = addSeconds(now, program.holdTtlSeconds);
    const authorized: FoodPurchaseAuthorized = {
      type: 'FoodPurchaseAuthorized',
      data: {
        holdId: d.holdId,
        shopId: d.shopId,
        lines,
        basketTiyn: sum(lines.map((l) => l.lineTiyn)),
        eligibleTiyn,
        heldTiyn,
        allocations: allocate(heldTiyn, limits),
        expiresAt,
        authorizedAt: now,
        tokenNonce: d.tokenNonce,
        catalogueVersion: d.catalogue.version,
      },
    };
    const deadline: DeadlineScheduled = {
      type: 'DeadlineScheduled',
      data: {
        deadlineId: holdDeadlineId(d.holdId),
        kind: 'food_hold_expiry',
        dueAt: expiresAt,
        stream: streams.food(state.familyId, state.month),
        ref: d.holdId,
      },
    };
    return [authorized, deadline];
  }

  /** The hold a shop may settle now, or the refusal. */
  function settleableHold(state: FoodWalletState, holdId: string, shopId: string, now: Instant): Hold {
    const hold = state.status === 'None' ? undefined : state.holds.find((h) => h.holdId === holdId && h.shopId === shopId);
    if (state.status === 'None' || !hold) return refuse('hold_not_found', holdId);
    if (hold.status === 'expired') refuse('hold_expired', holdId);
    if (hold.status !== 'open') refuse('hold_already_settled', `${holdId} is ${hold.status}`);
    // Past its TTL — or the month's end when unspent balance lapses then — though the deadline has
    // not fired yet: it is expired. When the balance is kept, the month end ends no hold by itself
    // (closeMonth still releases the holds still open when the month-end deadline fires).
    if (now >= hold.expiresAt || (program.lapseUnspentAtMonthEnd && monthOver(state, now))) refuse('hold_expired', holdId);
    return hold;
  }

  function capture(command: CapturePurchase, state: FoodWalletState): FoodWalletEvent[] {
    const d = command.data;
    const now = command.metadata.now;
    const hold = settleableHold(state, d.holdId, d.shopId, now);
    if (d.paymentStatus === 'failed')
      return [
        { type: 'FoodPurchaseVoided', data: { holdId: hold.holdId, shopId: hold.shopId, releasedTiyn: hold.heldTiyn, reason: 'payment_failed', at: now } },
      ];
    const lines = d.items ? basketLines(d.items, categoriesOfHold(hold)) : hold.lines;
    checkDiscounts(lines, program);
    const finalEligible = eligibleSum(lines, program);
    // The final basket may shrink (an item put back) but not grow beyond what was authorized.
    if (finalEligible > hold.eligibleTiyn) refuse('capture_exceeds_hold', `${finalEligible} > ${hold.eligibleTiyn}`);
    const capturedTiyn = min(finalEligible, hold.heldTiyn);
    const captured: FoodPurchaseCaptured = {
      type: 'FoodPurchaseCaptured',
      data: {
        holdId: hold.holdId,
        shopId: hold.shopId,
        lines,
        capturedTiyn,
        releasedTiyn: sub(hold.heldTiyn, capturedTiyn),
        allocations: allocate(capturedTiyn, hold.allocations),
        paymentStatus: 'paid',
        capturedAt: now,
      },
    };
    return [captured];
  }

  function voidHold(command: VoidPurchase, state: FoodWalletState): FoodWalletEvent[] {
    const hold = settleableHold(state, command.data.holdId, command.data.shopId, command.metadata.now);
    const voided: FoodPurchaseVoided = {
      type: 'FoodPurchaseVoided',
      data: { holdId: hold.holdId, shopId: hold.shopId, releasedTiyn: hold.heldTiyn, reason: 'shop_voided', at: command.metadata.now },
    };
    return [voided];
  }

  function expireHold(hold: Hold, at: Instant): FoodHoldExpired {
    return { type: 'FoodHoldExpired', data: { holdId: hold.holdId, shopId: hold.shopId, releasedTiyn: hold.heldTiyn, at } };
  }

  /** Month end: open holds expire first, then what is not activated (and, by parameter, unspent) lapses. */
  function closeMonth(state: WalletFacts, at: Instant): FoodWalletEvent[] {
    const open = state.holds.filter((h) => h.status === 'open');
    const afterHolds = open.reduce<WalletFacts>((s, h) => releaseHold(s, h.holdId, 'expired'), state);
    const lapses: VoucherLapse[] = afterHolds.vouchers
      .map((v) => {
        const available = availableOf(v);
        const activated = v.activatedAt !== undefined;
        return {
          voucherId: v.voucherId,
          notActivatedTiyn: activated ? 0 : available,
          unspentTiyn: activated && program.lapseUnspentAtMonthEnd ? available : 0,
        };
      })
      .filter((l) => l.notActivatedTiyn > 0 || l.unspentTiyn > 0);
    const lapsed: FoodVouchersLapsed = {
      type: 'FoodVouchersLapsed',
      data: { familyId: state.familyId, month: state.month, lapses, totalTiyn: sum(lapses.map((l) => add(l.notActivatedTiyn, l.unspentTiyn))), at },
    };
    return [...open.map((h) => expireHold(h, at)), lapsed];
  }

  function fireDeadline(command: FireFoodDeadline, state: FoodWalletState): FoodWalletEvent[] {
    const { deadlineId, kind } = command.data;
    const now = command.metadata.now;
    if (state.status === 'None') return [];
    const pending = state.deadlines[deadlineId];
    // Unknown, already fired or not yet due: nothing to record (the scheduler may race itself).
    if (!pending || pending.fired || pending.kind !== kind || now < pending.dueAt) return [];
    const fired: DeadlineFired = { type: 'DeadlineFired', data: { deadlineId, kind, firedAt: now } };
    if (kind === 'food_hold_expiry') {
      const hold = state.holds.find((h) => h.holdId === pending.ref);
      return hold?.status === 'open' ? [fired, expireHold(hold, now)] : [fired];
    }
    if (kind === 'food_month_end') return state.status === 'Open' ? [fired, ...closeMonth(state, now)] : [fired];
    // Other kinds are never scheduled in this stream (pending.kind matched above): just the firing.
    return [fired];
  }

  function decide(command: FoodWalletCommand, state: FoodWalletState): FoodWalletEvent[] {
    switch (command.type) {
      case 'IssueFoodVouchers':
        return issue(command, state);
      case 'ActivateFoodVoucher':
        return activate(command, state);
      case 'AuthorizePurchase':
        return authorize(command, state);
      case 'CapturePurchase':
        return capture(command, state);
      case 'VoidPurchase':
        return voidHold(command, state);
      case 'FireDeadline':
        return fireDeadline(command, state);
      default:
        return unreachable(command, 'food wallet command');
    }
  }

  return { initialState: () => ({ status: 'None' }), decide, evolve: evolveFoodWallet, evolveAll: evolveEach(evolveFoodWallet) };
}

// ── evolve ──────────────────────────────────────────────────────────────────────────────────
function withVoucher(state: WalletFacts, voucherId: string, change: (v: VoucherBalance) => VoucherBalance): WalletFacts {
  let found = false;
  const vouchers = state.vouchers.map((v) => {
    if (v.voucherId !== voucherId) return v;
    found = true;
    const next = change(v);
    const terms = [next.spentTiyn, next.heldTiyn, next.lapsedTiyn, availableOf(next)];
    invariant(
      terms.every((t) => isTiyn(t) && t >= 0),
      `voucher ${voucherId}: issued ${next.issuedTiyn} = spent + held + lapsed + available with a negative term (${terms.join(', ')})`,
    );
    return next;
  });
  invariant(found, `voucher ${voucherId} is not in ${state.familyId} ${state.month}`);
  return { ...state, vouchers };
}

function openHold(state: WalletFacts, holdId: string): Hold {
  const hold = state.holds.find((h) => h.holdId === holdId);
  invariant(hold !== undefined && hold.status === 'open', `hold ${holdId} settles exactly once (is ${hold?.status ?? 'missing'})`);
  return hold;
}

function withHold(state: WalletFacts, holdId: string, change: (h: Hold) => Hold): WalletFacts {
  return { ...state, holds: state.holds.map((h) => (h.holdId === holdId ? change(h) : h)) };
}

/** A hold ends without capture: all of it is available again. */
function releaseHold(state: WalletFacts, holdId: string, status: 'voided' | 'expired'): WalletFacts {
  const hold = openHold(state, holdId);
  const released = hold.allocations.reduce((s, a) => withVoucher(s, a.voucherId, (v) => ({ ...v, heldTiyn: sub(v.heldTiyn, a.amountTiyn) })), state);
  return withHold(released, holdId, (h) => ({ ...h, status }));
}

function facts(state: FoodWalletState, what: string): Exclude<FoodWalletState, { status: 'None' }> {
  invariant(state.status !== 'None', `${what} before the vouchers were issued`);
  return state;
}

export function evolveFoodWallet(state: FoodWalletState, event: FoodWalletEvent): FoodWalletState {
  switch (event.type) {
    case 'FoodVouchersIssued': {
      invariant(state.status === 'None', 'food vouchers are issued once per family-month');
      const d = event.data;
      invariant(d.totalTiyn === sum(d.vouchers.map((v) => v.amountTiyn)), 'issued total = sum of the vouchers');
      return {
        status: 'Open',
        familyId: d.familyId,
        month: d.month,
        caseId: d.caseId,
        activationUntil: d.activationUntil,
        vouchers: d.vouchers.map((v) => ({
          voucherId: v.voucherId,
          memberPersonId: v.memberPersonId,
          issuedTiyn: v.amountTiyn,
          spentTiyn: 0,
          heldTiyn: 0,
          lapsedTiyn: 0,
        })),
        holds: [],
        usedNonces: new Set(),
        deadlines: {},
      };
    }
    case 'FoodVoucherActivated': {
      const s = facts(state, 'activation');
      invariant(s.status === 'Open', 'activation of a closed month');
      return {
        ...s,
        ...withVoucher(s, event.data.voucherId, (v) => {
          invariant(v.activatedAt === undefined, `voucher ${v.voucherId} is activated once`);
          return { ...v, activatedAt: event.data.activatedAt };
        }),
      };
    }
    case 'FoodPurchaseAuthorized': {
      const s = facts(state, 'an authorization');
      const d = event.data;
      invariant(sum(d.allocations.map((a) => a.amountTiyn)) === d.heldTiyn, `hold ${d.holdId}: allocations sum to the held amount`);
      invariant(d.heldTiyn <= d.eligibleTiyn, `hold ${d.holdId}: held ≤ eligible`);
      const held = d.allocations.reduce<WalletFacts>(
        (acc, a) =>
          withVoucher(acc, a.voucherId, (v) => {
            invariant(v.activatedAt !== undefined, `hold on voucher ${v.voucherId} that is not active`);
            return { ...v, heldTiyn: add(v.heldTiyn, a.amountTiyn) };
          }),
        s,
      );
      const hold: Hold = {
        holdId: d.holdId,
        shopId: d.shopId,
        lines: d.lines,
        eligibleTiyn: d.eligibleTiyn,
        heldTiyn: d.heldTiyn,
        allocations: d.allocations,
        expiresAt: d.expiresAt,
        status: 'open',
        capturedTiyn: 0,
      };
      return {
        ...s,
        ...held,
        holds: [...s.holds, hold],
        usedNonces: d.tokenNonce === undefined ? s.usedNonces : new Set(s.usedNonces).add(d.tokenNonce),
      };
    }
    case 'FoodPurchaseCaptured': {
      const s = facts(state, 'a capture');
      const d = event.data;
      const hold = openHold(s, d.holdId);
      invariant(d.capturedTiyn + d.releasedTiyn === hold.heldTiyn && d.capturedTiyn <= hold.heldTiyn, `hold ${d.holdId}: captured + released = held`);
      invariant(sum(d.allocations.map((a) => a.amountTiyn)) === d.capturedTiyn, `hold ${d.holdId}: capture allocations sum to the captured amount`);
      invariant(
        d.allocations.every((c) => hold.allocations.some((a) => a.voucherId === c.voucherId)),
        `hold ${d.holdId}: captures only from vouchers it held`,
      );
      const settled = hold.allocations.reduce<WalletFacts>((acc, a) => {
        const spent = d.allocations.find((c) => c.voucherId === a.voucherId)?.amountTiyn ?? 0;
        invariant(spent <= a.amountTiyn, `hold ${d.holdId}: voucher ${a.voucherId} captures at most what it held`);
        return withVoucher(acc, a.voucherId, (v) => ({ ...v, heldTiyn: sub(v.heldTiyn, a.amountTiyn), spentTiyn: add(v.spentTiyn, spent) }));
      }, s);
      return { ...s, ...withHold(settled, d.holdId, (h) => ({ ...h, status: 'captured', capturedTiyn: d.capturedTiyn })) };
    }
    case 'FoodPurchaseVoided':
    case 'FoodHoldExpired': {
      const s = facts(state, 'a release');
      const hold = openHold(s, event.data.holdId);
      invariant(event.data.releasedTiyn === hold.heldTiyn, `hold ${hold.holdId}: all of it is released`);
      return { ...s, ...releaseHold(s, hold.holdId, event.type === 'FoodHoldExpired' ? 'expired' : 'voided') };
    }
    case 'FoodVouchersLapsed': {
      const s = facts(state, 'a lapse');
      invariant(s.status === 'Open', 'a month closes once');
      invariant(
        s.holds.every((h) => h.status !== 'open'),
        'open holds expire before the month lapses',
      );
      invariant(
        event.data.totalTiyn === sum(event.data.lapses.map((l) => add(l.notActivatedTiyn, l.unspentTiyn))),
        `${s.familyId} ${s.month}: lapsed total = sum of the lapses`,
      );
      const lapsed = event.data.lapses.reduce<WalletFacts>(
        (acc, l) => withVoucher(acc, l.voucherId, (v) => ({ ...v, lapsedTiyn: add(v.lapsedTiyn, l.notActivatedTiyn, l.unspentTiyn) })),
        s,
      );
      return { ...s, ...lapsed, status: 'Closed' };
    }
    case 'DeadlineScheduled': {
      const s = facts(state, 'a deadline');
      const d = event.data;
      return {
        ...s,
        deadlines: { ...s.deadlines, [d.deadlineId]: { kind: d.kind, dueAt: d.dueAt, ...(d.ref !== undefined ? { ref: d.ref } : {}), fired: false } },
      };
    }
    case 'DeadlineFired': {
      const s = facts(state, 'a deadline');
      const pending = s.deadlines[event.data.deadlineId];
      invariant(pending !== undefined && !pending.fired, `deadline ${event.data.deadlineId} fired once after being scheduled`);
      return { ...s, deadlines: { ...s.deadlines, [event.data.deadlineId]: { ...pending, fired: true } } };
    }
    default:
      return unreachable(event, 'food wallet event');
  }
}

export const foodWallet = createFoodWalletDecider();
