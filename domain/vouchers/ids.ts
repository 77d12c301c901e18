/**
 * Voucher ids carry the key of their stream, so a citizen's request ("activate voucher X") finds
 * its stream without an index, and the program is told by the prefix:
 *   meals: `mv~{pupilId}~{schoolYear}`          → streams.meals(pupilId, schoolYear)
 *   food:  `fv~{familyId}~{month}~{memberNo}`   → streams.food(familyId, month)
 * The key parts are parsed from the right (school year and month have fixed formats), so a
 * pupil or family id may itself contain `~`.
 */
import { streams } from '../events';
import type { Month, SchoolYear } from '../shared/calendar';

export function mealVoucherId(pupilId: string, schoolYear: SchoolYear): string {
  return `mv~${pupilId}~${schoolYear}`;
}

export function foodVoucherId(familyId: string, month: Month, memberNo: number): string {
  return `fv~${familyId}~${month}~${memberNo}`;
}

export type VoucherRef =
  | { readonly program: 'school-meals'; readonly pupilId: string; readonly schoolYear: SchoolYear; readonly stream: string }
  | { readonly program: 'food-vouchers'; readonly familyId: string; readonly month: Month; readonly stream: string };

const MEAL_ID = /^mv~(.+)~(\d{4}-\d{4})$/;
const FOOD_ID = /^fv~(.+)~(\d{4}-\d{2})~(\d{1,3})$/;

/** The stream a voucher id lives in, or undefined for an id we never issue. */
export function parseVoucherId(voucherId: string): VoucherRef | undefined {
  const meal = MEAL_ID.exec(voucherId);
  if (meal) return { program: 'school-meals', pupilId: meal[1]!, schoolYear: meal[2]!, stream: streams.meals(meal[1]!, meal[2]!) };
  const food = FOOD_ID.exec(voucherId);
  if (food) return { program: 'food-vouchers', familyId: food[1]!, month: food[2]!, stream: streams.food(food[1]!, food[2]!) };
  return undefined;
}
