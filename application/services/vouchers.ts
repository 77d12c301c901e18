/**
 * The voucher half of LedgerServices, composed from meals, food, QR and feedback services, plus
 * the voucher half of `fireDeadline` (meal_voucher_expiry, food_month_end, food_hold_expiry).
 * The composition root merges this with the lists/consent half.
 */
import { invariant } from '../../domain/shared/decider';
import type { DeadlineKind } from '../../domain/events';
import type { CommandMetadata } from '../../domain/shared/decider';
import { refuse } from '../../domain/shared/errors';
import { createFoodWalletDecider } from '../../domain/vouchers/food-wallet';
import { parseVoucherId } from '../../domain/vouchers/ids';
import { createMealVoucherDecider } from '../../domain/vouchers/meal-voucher';
import { handle } from '../command-path';
import type { LedgerServices } from './contract';
import { resolveDeps, type VoucherServiceDeps } from './deps';
import { createFeedbackServices } from './feedback';
import { createFoodServices, type FoodServices } from './food';
import { createMealServices, type MealServices } from './meals';
import { createQrServices, type QrServices } from './qr';

export const VOUCHER_DEADLINE_KINDS = ['meal_voucher_expiry', 'food_month_end', 'food_hold_expiry'] as const satisfies readonly DeadlineKind[];
export type VoucherDeadlineKind = (typeof VOUCHER_DEADLINE_KINDS)[number];

export function isVoucherDeadline(kind: DeadlineKind): kind is VoucherDeadlineKind {
  return (VOUCHER_DEADLINE_KINDS as readonly string[]).includes(kind);
}

export type DeadlineInput = Parameters<LedgerServices['fireDeadline']>[0];

/** Fires a voucher deadline into its stream (the scheduler calls this for the three voucher kinds). */
export function voucherDeadlineHandler(rawDeps: VoucherServiceDeps): (input: DeadlineInput, meta: CommandMetadata) => Promise<void> {
  const deps = resolveDeps(rawDeps);
  const meals = createMealVoucherDecider(deps.meals);
  const food = createFoodWalletDecider(deps.food);
  return async (input, meta) => {
    const command = { type: 'FireDeadline' as const, data: { deadlineId: input.deadlineId, kind: input.kind }, metadata: meta };
    switch (input.kind) {
      case 'meal_voucher_expiry':
        await handle(deps.states, input.stream, meals, command, { program: 'school-meals' });
        return;
      case 'food_month_end':
      case 'food_hold_expiry':
        await handle(deps.states, input.stream, food, command, { program: 'food-vouchers' });
        return;
      default:
        return invariant(false, `${input.kind} is not a voucher deadline`);
    }
  };
}

export type VoucherServices = Pick<
  LedgerServices,
  | 'activateVoucher'
  | 'activateFoodMonth'
  | 'issueQrToken'
  | 'syncCanteenBatch'
  | 'balanceByToken'
  | 'authorizePurchase'
  | 'capturePurchase'
  | 'voidPurchase'
  | 'submitFeedback'
> &
  Pick<FoodServices, 'activateAllFoodVouchers'> &
  Pick<QrServices, 'renderQrToken'> & {
    /** The voucher half of fireDeadline. */
    fireVoucherDeadline(input: DeadlineInput, meta: CommandMetadata): Promise<void>;
  };

export function createVoucherServices(deps: VoucherServiceDeps): VoucherServices {
  const meals: MealServices = createMealServices(deps);
  const food: FoodServices = createFoodServices(deps);
  const qr = createQrServices(deps, { meals, food });
  const { submitFeedback } = createFeedbackServices(deps);
  return {
    async activateVoucher(input, meta) {
      const ref = parseVoucherId(input.voucherId);
      if (!ref) return refuse('voucher_not_found', input.voucherId);
      return ref.program === 'school-meals' ? meals.activateMealVoucher(input, meta) : food.activateFoodVoucher(input, meta);
    },
    activateAllFoodVouchers: food.activateAllFoodVouchers,
    activateFoodMonth: food.activateAllFoodVouchers,
    issueQrToken: qr.issueQrToken,
    renderQrToken: qr.renderQrToken,
    syncCanteenBatch: meals.syncCanteenBatch,
    balanceByToken: food.balanceByToken,
    authorizePurchase: food.authorizePurchase,
    capturePurchase: food.capturePurchase,
    voidPurchase: food.voidPurchase,
    submitFeedback,
    fireVoucherDeadline: voucherDeadlineHandler(deps),
  };
}
