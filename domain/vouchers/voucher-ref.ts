/**
 * A voucher ref: what a dynamic QR token names (its payload's `v`), the key of the voucher's
 * stream and nothing personal — meals `{pupilId}~{schoolYear}`, food `{familyId}~{month}` (ids
 * are pseudonymous). The token format and its signature are the QR adapter's (adapters/qr/tokens.ts);
 * which stream a ref names is the domain's.
 */
import type { ProgramCode } from '../events';
import type { Month, SchoolYear } from '../shared/calendar';
import { refuse } from '../shared/errors';
import { streams } from '../streams';

export const mealRef = (pupilId: string, schoolYear: SchoolYear) => `${pupilId}~${schoolYear}`;
export const foodRef = (familyId: string, month: Month) => `${familyId}~${month}`;

export type VoucherTarget =
  | { readonly program: 'school-meals'; readonly pupilId: string; readonly schoolYear: SchoolYear; readonly stream: string }
  | { readonly program: 'food-vouchers'; readonly familyId: string; readonly month: Month; readonly stream: string };

/** The voucher stream a ref names (parsed from the right: ids may contain `~`); a ref that does not parse is qr_token_invalid. */
export function targetOfRef(program: ProgramCode, ref: string): VoucherTarget {
  if (program === 'school-meals') {
    const meals = /^(.+)~(\d{4}-\d{4})$/s.exec(ref);
    if (!meals) return refuse('qr_token_invalid', 'voucher ref');
    return { program, pupilId: meals[1]!, schoolYear: meals[2]!, stream: streams.meals(meals[1]!, meals[2]!) };
  }
  const food = /^(.+)~(\d{4}-\d{2})$/s.exec(ref);
  if (!food) return refuse('qr_token_invalid', 'voucher ref');
  return { program, familyId: food[1]!, month: food[2]!, stream: streams.food(food[1]!, food[2]!) };
}
