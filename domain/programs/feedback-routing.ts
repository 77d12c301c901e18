/**
 * Whom a rating or complaint is addressed to, as the seeds name them:
 *   school meals (seed 001 appendix 2 p. 12): "направить жалобу в уполномоченный орган" — the local
 *     executive body in education of the school's territory (appendix 2 p. 2.10);
 *   food vouchers (seed 004 p. 29): "направить жалобу в акиматы Акмолинской и Павлодарской
 *     областей" — the akimat of the region of the family's pilot city.
 * The addressee's code is what e-Otinish routes by; the name is what the citizen reads.
 */
import type { FeedbackAddressee } from '../events';
import { FOOD_VOUCHERS, pilotCity, type FoodVouchersProgram } from './food-vouchers';

/** Akimats of the pilot regions (seed 004 p. 3, p. 29). */
export const AKIMATS: Readonly<Record<string, string>> = {
  akmola: 'Акимат Акмолинской области',
  pavlodar: 'Акимат Павлодарской области',
};

export type FeedbackContext =
  { readonly program: 'school-meals'; readonly region: string; readonly schoolId: string } | { readonly program: 'food-vouchers'; readonly city: string };

export function addresseeOf(context: FeedbackContext, food: FoodVouchersProgram = FOOD_VOUCHERS): FeedbackAddressee {
  if (context.program === 'school-meals')
    return { code: `education-authority:${context.region}`, name: `Уполномоченный орган в области образования (${context.region}), школа ${context.schoolId}` };
  const region = pilotCity(context.city, food)?.region;
  const akimat = region ? AKIMATS[region] : undefined;
  // A city outside the pilot cannot hold a voucher; should one appear, e-Otinish still gets it, unrouted.
  return region && akimat ? { code: `akimat:${region}`, name: akimat } : { code: 'akimat:unknown', name: `Акимат (город ${context.city})` };
}
