/**
 * Whether a counterpart may act now: a shop paying with vouchers, a canteen device syncing meals
 * or downloading its roster. Pure over the registry entries the caller looked up (from memory on
 * the hot path). Refusal precedence, first failing wins:
 *   shop:   shop_not_registered → shop_not_active → shop_suspended → shop_closed → shop_outside_pilot_city
 *   device: device_not_registered → device_not_active → device_suspended → device_closed →
 *           device_school_mismatch → school_not_registered → school_not_active → school_suspended → school_closed
 * A refusal appends nothing; what the counterpart did before (captures, meals) stays.
 */
import { FOOD_VOUCHERS, pilotCity, type FoodVouchersProgram } from '../programs/food-vouchers';
import type { Code } from '../shared/codes';
import type { RegistryStatus } from './events';

export interface ShopEntry {
  readonly shopId: string;
  readonly status: RegistryStatus;
  readonly city: string;
  /** Stream version of the entry's last event: a later one replaces an earlier one, never the reverse. */
  readonly version: number;
}
export interface SchoolEntry {
  readonly schoolId: string;
  readonly status: RegistryStatus;
  readonly version: number;
}
export interface DeviceEntry {
  readonly deviceId: string;
  readonly status: RegistryStatus;
  readonly schoolId: string;
  readonly version: number;
}

type StatusRefusals = Readonly<Record<Exclude<RegistryStatus, 'active'>, Code>>;
const SHOP: StatusRefusals = { registered: 'shop_not_active', suspended: 'shop_suspended', closed: 'shop_closed' };
const DEVICE: StatusRefusals = { registered: 'device_not_active', suspended: 'device_suspended', closed: 'device_closed' };
const SCHOOL: StatusRefusals = { registered: 'school_not_active', suspended: 'school_suspended', closed: 'school_closed' };

/** Every code `shopAdmission` may answer: the routes a shop calls declare them (OpenAPI refusals). */
export const SHOP_ADMISSION_REFUSALS = ['shop_not_registered', ...Object.values(SHOP), 'shop_outside_pilot_city'] as const satisfies readonly Code[];
/** Every code `deviceAdmission` may answer. */
export const DEVICE_ADMISSION_REFUSALS = [
  'device_not_registered',
  ...Object.values(DEVICE),
  'device_school_mismatch',
  'school_not_registered',
  ...Object.values(SCHOOL),
] as const satisfies readonly Code[];

const refusalOf = (status: RegistryStatus, refusals: StatusRefusals): Code | undefined => (status === 'active' ? undefined : refusals[status]);

export function shopAdmission(shop: ShopEntry | undefined, program: FoodVouchersProgram = FOOD_VOUCHERS): Code | undefined {
  if (!shop) return 'shop_not_registered';
  return refusalOf(shop.status, SHOP) ?? (pilotCity(shop.city, program) ? undefined : 'shop_outside_pilot_city');
}

export function deviceAdmission(device: DeviceEntry | undefined, school: SchoolEntry | undefined, claimedSchoolId: string): Code | undefined {
  if (!device) return 'device_not_registered';
  const own = refusalOf(device.status, DEVICE);
  if (own) return own;
  if (device.schoolId !== claimedSchoolId) return 'device_school_mismatch';
  if (!school) return 'school_not_registered';
  return refusalOf(school.status, SCHOOL);
}
