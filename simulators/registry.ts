/**
 * Counterparts for simulations, tests and benches: valid registry details for made-up shops,
 * schools and canteen devices, and their onboarding through the operator's real door (one bulk
 * import per kind, activated at once). A shop or device that was not onboarded is refused on
 * every call, as in production.
 */
import { createHash } from 'node:crypto';
import type { DeviceDetails, SchoolDetails, ShopDetails } from '../domain/registry/events';
import { binFrom, kzIban } from '../domain/registry/identifiers';
import { pilotCity } from '../domain/programs/food-vouchers';
import type { Http } from './http';

/** A deterministic valid BIN for a name (about 1 in 121 prefixes has no check digit: the next one is taken). */
export function fixtureBin(name: string): string {
  const digest = BigInt(`0x${createHash('sha256').update(name).digest('hex').slice(0, 15)}`);
  for (let i = 0n; ; i++) {
    const bin = binFrom(((digest + i) % 100_000_000_000n).toString().padStart(11, '0'));
    if (bin) return bin;
  }
}

export function fixtureIban(name: string): string {
  const digits = BigInt(`0x${createHash('sha256').update(`iban:${name}`).digest('hex').slice(0, 15)}`) % 10_000_000_000_000n;
  return kzIban(`601${digits.toString().padStart(13, '0')}`);
}

export function fixtureShop(shopId: string, city: string): ShopDetails {
  if (!pilotCity(city)) throw new Error(`invariant violated: fixture shop ${shopId} in ${city}, not a pilot city`);
  return {
    bin: fixtureBin(shopId),
    name: `Shop ${shopId}`,
    city,
    address: `${city}, street ${shopId}`,
    terminals: [`${shopId}-till-1`],
    bankAccount: { iban: fixtureIban(shopId), bic: 'HSBKKZKX' },
  };
}

export function fixtureSchool(schoolId: string, region = 'akmola', city = 'kokshetau', mealPriceTiyn = 85_000): SchoolDetails {
  return {
    name: `School ${schoolId}`,
    region,
    city,
    canteenOperator: {
      name: `Canteen of ${schoolId}`,
      bin: fixtureBin(`canteen:${schoolId}`),
      bankAccount: { iban: fixtureIban(`canteen:${schoolId}`), bic: 'KCJBKZKX' },
    },
    mealPriceTiyn,
  };
}

export const fixtureDevice = (schoolId: string, deviceId: string): DeviceDetails => ({ schoolId, label: `canteen device ${deviceId}` });

export interface Counterparts {
  readonly shops?: readonly { readonly shopId: string; readonly city: string }[];
  readonly schools?: readonly { readonly schoolId: string; readonly region?: string; readonly city?: string; readonly mealPriceTiyn?: number }[];
  readonly devices?: readonly { readonly deviceId: string; readonly schoolId: string }[];
}

/** The slice of an HTTP client onboarding needs (the simulators' and the tests' clients both fit). */
export type RegistryCall = (method: 'POST', path: string, body: unknown) => Promise<{ status: number; body: unknown }>;

/** Rows one import request carries (the route takes up to 10,000; smaller requests show progress). */
const ONBOARDING_CHUNK = 2_000;

/**
 * Onboards counterparts through `POST /v1/registry/{kind}/import` (activated at once), schools
 * before devices. Schools named only by devices are registered too. Re-running changes nothing.
 */
export async function onboard(call: RegistryCall, counterparts: Counterparts, reason = 'simulation onboarding'): Promise<void> {
  const schools = new Map((counterparts.schools ?? []).map((s) => [s.schoolId, s]));
  for (const d of counterparts.devices ?? []) if (!schools.has(d.schoolId)) schools.set(d.schoolId, { schoolId: d.schoolId });
  const imports: [string, { id: string; details: unknown }[]][] = [
    ['shops', (counterparts.shops ?? []).map((s) => ({ id: s.shopId, details: fixtureShop(s.shopId, s.city) }))],
    ['schools', [...schools.values()].map((s) => ({ id: s.schoolId, details: fixtureSchool(s.schoolId, s.region, s.city, s.mealPriceTiyn) }))],
    ['devices', (counterparts.devices ?? []).map((d) => ({ id: d.deviceId, details: fixtureDevice(d.schoolId, d.deviceId) }))],
  ];
  for (const [plural, rows] of imports) {
    for (let i = 0; i < rows.length; i += ONBOARDING_CHUNK) {
      const reply = await call('POST', `/v1/registry/${plural}/import`, { rows: rows.slice(i, i + ONBOARDING_CHUNK), reason, activate: true });
      if (reply.status !== 200) throw new Error(`onboarding ${plural} failed: ${reply.status} ${JSON.stringify(reply.body).slice(0, 500)}`);
    }
  }
}

/** `onboard`'s call over a simulator client with an operator token (the paths are the kind's, known at run time). */
export function registryCallOver(http: Pick<Http, 'replay'>, token: string): RegistryCall {
  return async (method, path, body) => {
    const reply = await http.replay(method, path, { token, body });
    return { status: reply.status, body: reply.body };
  };
}

/** The operator the simulators onboard counterparts as. */
export const SIMULATION_OPERATOR = { role: 'operator', sub: 'operator-simulator' } as const;
