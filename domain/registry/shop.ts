/**
 * A participating shop of the food-voucher pilot (seed 004 ch. 4: shops are registered
 * participants; p. 24–26: the shop scans the QR, asks the balance and reports the payment).
 * Details checks, first failing wins: bin_invalid → shop_outside_pilot_city → name/address
 * empty → terminals (at least one, unique) → iban_invalid → bic_invalid.
 */
import { FOOD_VOUCHERS, pilotCity, type FoodVouchersProgram } from '../programs/food-vouchers';
import type { BankAccount, ShopDetails } from './events';
import { isValidBic, isValidBin, isValidIban } from './identifiers';
import { createRegistryDecider, type DetailsRefusal } from './lifecycle';

/** Tills one shop may name (a hypermarket has dozens, not thousands). */
export const MAX_SHOP_TERMINALS = 200;

export function checkBankAccount(account: BankAccount, prefix = 'bankAccount'): DetailsRefusal | undefined {
  if (!isValidIban(account.iban)) return { code: 'iban_invalid', field: `${prefix}.iban` };
  if (!isValidBic(account.bic)) return { code: 'bic_invalid', field: `${prefix}.bic` };
  return undefined;
}

export function checkShopDetails(details: ShopDetails, program: FoodVouchersProgram = FOOD_VOUCHERS): DetailsRefusal | undefined {
  if (!isValidBin(details.bin)) return { code: 'bin_invalid', field: 'bin' };
  if (!pilotCity(details.city, program) || details.city !== details.city.toLowerCase())
    return { code: 'shop_outside_pilot_city', field: 'city', detail: `pilot cities: ${program.pilotCities.map((c) => c.code).join(', ')}` };
  if (details.name.trim() === '') return { code: 'validation_failed', field: 'name', detail: 'a shop has a name' };
  if (details.address.trim() === '') return { code: 'validation_failed', field: 'address', detail: 'a shop has an address' };
  if (details.terminals.length === 0 || details.terminals.length > MAX_SHOP_TERMINALS)
    return { code: 'validation_failed', field: 'terminals', detail: `1 to ${MAX_SHOP_TERMINALS} terminals` };
  if (new Set(details.terminals).size !== details.terminals.length) return { code: 'validation_failed', field: 'terminals', detail: 'terminal ids are unique' };
  return checkBankAccount(details.bankAccount);
}

export function createShopRegistryDecider(program: FoodVouchersProgram = FOOD_VOUCHERS) {
  return createRegistryDecider<ShopDetails>({ kind: 'shop', check: (details) => checkShopDetails(details, program) });
}

export const shopRegistry = createShopRegistryDecider();
