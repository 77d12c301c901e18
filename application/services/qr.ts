/**
 * QR services for the citizen: a short-lived single-use token for a voucher the family owns
 * (meals: per pupil; food: the family-month), and its image for the screen.
 */
import { qrPng, qrSvg } from '../../adapters/qr/render';
import type { CommandMetadata } from '../../domain/shared/decider';
import { refuse } from '../../domain/shared/errors';
import { parseVoucherId } from '../../domain/vouchers/ids';
import type { LedgerServices, QrToken } from './contract';
import type { VoucherServiceDeps } from './deps';
import { createFoodServices, type FoodServices } from './food';
import { createMealServices, type MealServices } from './meals';

export interface QrServices {
  issueQrToken: LedgerServices['issueQrToken'];
  /** The token as an image: PNG bytes or SVG text. */
  renderQrToken(token: string, format: 'png' | 'svg'): Promise<Buffer | string>;
}

export function createQrServices(deps: VoucherServiceDeps, parts?: { meals?: MealServices; food?: FoodServices }): QrServices {
  const meals = parts?.meals ?? createMealServices(deps);
  const food = parts?.food ?? createFoodServices(deps);
  return {
    async issueQrToken(input: { familyId: string; voucherId: string }, meta: CommandMetadata): Promise<QrToken> {
      const ref = parseVoucherId(input.voucherId);
      if (!ref) return refuse('voucher_not_found', input.voucherId);
      return ref.program === 'school-meals' ? meals.issueMealQrToken(input, meta) : food.issueFoodQrToken(input, meta);
    },
    renderQrToken: (token, format) => (format === 'png' ? qrPng(token) : qrSvg(token)),
  };
}
