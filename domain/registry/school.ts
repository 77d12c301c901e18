/**
 * A school in the meal program (seeds 000/001 app. 2, 002): its NOBD organisation id is its id;
 * its canteen operator is who the табель pays, at the canteen contract's price per meal (002:
 * "оплата … производится заказчиком по количеству обучающихся … по данным табеля").
 * Details checks, first failing wins: name/region/city empty → canteen operator's name →
 * bin_invalid → iban_invalid → bic_invalid → meal_price_invalid.
 */
import type { SchoolDetails } from './events';
import { isValidBin } from './identifiers';
import { createRegistryDecider, type DetailsRefusal } from './lifecycle';
import { checkBankAccount } from './shop';

/** A meal priced above this (10,000 KZT) is a typo in tiyn vs tenge, not a contract. */
export const MAX_MEAL_PRICE_TIYN = 1_000_000;

export function checkSchoolDetails(details: SchoolDetails): DetailsRefusal | undefined {
  for (const field of ['name', 'region', 'city'] as const)
    if (details[field].trim() === '') return { code: 'validation_failed', field, detail: `a school has a ${field}` };
  const operator = details.canteenOperator;
  if (operator.name.trim() === '') return { code: 'validation_failed', field: 'canteenOperator.name', detail: 'the canteen operator has a name' };
  if (!isValidBin(operator.bin)) return { code: 'bin_invalid', field: 'canteenOperator.bin' };
  const account = checkBankAccount(operator.bankAccount, 'canteenOperator.bankAccount');
  if (account) return account;
  if (!Number.isSafeInteger(details.mealPriceTiyn) || details.mealPriceTiyn <= 0 || details.mealPriceTiyn > MAX_MEAL_PRICE_TIYN)
    return { code: 'meal_price_invalid', field: 'mealPriceTiyn', detail: `integer tiyn, 1 to ${MAX_MEAL_PRICE_TIYN}` };
  return undefined;
}

export const schoolRegistry = createRegistryDecider<SchoolDetails>({ kind: 'school', check: checkSchoolDetails });
