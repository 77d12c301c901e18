/** The registry deciders (shop, school, device) and admission, given / when / then over events. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { given, meta } from '../../test/given';
import type { DeviceDetails, RegistryEvent, SchoolDetails, ShopDetails } from './events';
import { binFrom, isValidBin, isValidIban, kzIban } from './identifiers';
import { deviceAdmission, shopAdmission } from './admission';
import { deviceRegistry } from './device';
import { schoolRegistry } from './school';
import { shopRegistry } from './shop';
import type { RegistryCommand } from './lifecycle';

const AT = '2026-03-02T04:00:00.000Z';
const LATER = '2026-03-03T04:00:00.000Z';
const BIN = '040840001231';
const IBAN = 'KZ86125KZT5004100100';
const SHOP: ShopDetails = {
  bin: BIN,
  name: 'Magnum Kokshetau 1',
  city: 'kokshetau',
  address: 'ул. Абая 1',
  terminals: ['t-1', 't-2'],
  bankAccount: { iban: IBAN, bic: 'HSBKKZKX' },
};
const SCHOOL: SchoolDetails = {
  name: 'School No. 1',
  region: 'akmola',
  city: 'kokshetau',
  canteenOperator: { name: 'Canteen LLP', bin: BIN, bankAccount: { iban: IBAN, bic: 'KCJBKZKX' } },
  mealPriceTiyn: 85_000,
};
const put = <D>(
  id: string,
  details: D,
  extra: { activate?: boolean; context?: { schoolStatus: 'none' | 'registered' | 'active' | 'suspended' | 'closed' } } = {},
  now = AT,
): RegistryCommand<D> => ({
  type: 'PutRegistryEntry',
  data: { id, details, reason: 'contract 2026/15', ...extra },
  metadata: meta(now),
});
const status = (id: string, action: 'activate' | 'suspend' | 'close', now = LATER, reason = 'complaint EO-7'): RegistryCommand<never> => ({
  type: 'ChangeRegistryStatus',
  data: { id, action, reason },
  metadata: meta(now),
});
const registered: RegistryEvent = { type: 'ShopRegistered', data: { shopId: 'shop-1', details: SHOP, reason: 'contract 2026/15', at: AT } };
const activated: RegistryEvent = { type: 'ShopActivated', data: { shopId: 'shop-1', reason: 'contract 2026/15', at: AT } };

describe('a shop', () => {
  it('is registered with its details and the reason, and activated at once when asked', () => {
    given(shopRegistry).when(put('shop-1', SHOP)).then([registered]);
    given(shopRegistry)
      .when(put('shop-1', SHOP, { activate: true }))
      .then([registered, activated]);
  });

  it('records only the fields that changed, and nothing when put again unchanged', () => {
    given(shopRegistry, [registered])
      .when(put('shop-1', SHOP, {}, LATER))
      .then([]);
    const moved = { ...SHOP, address: 'ул. Абая 2', terminals: ['t-1'] };
    given(shopRegistry, [registered])
      .when(put('shop-1', moved, { activate: true }, LATER))
      .then([
        { type: 'ShopDetailsChanged', data: { shopId: 'shop-1', details: moved, changed: ['address', 'terminals'], reason: 'contract 2026/15', at: LATER } },
      ]);
  });

  it('goes active → suspended → active → closed, each with who-why-when, and nothing changes a closed one', () => {
    const suspended: RegistryEvent = { type: 'ShopSuspended', data: { shopId: 'shop-1', reason: 'complaint EO-7', at: LATER } };
    given(shopRegistry, [registered, activated]).when(status('shop-1', 'suspend')).then([suspended]);
    given(shopRegistry, [registered, activated, suspended])
      .when(status('shop-1', 'activate'))
      .then([{ type: 'ShopActivated', data: { shopId: 'shop-1', reason: 'complaint EO-7', at: LATER } }]);
    const closed: RegistryEvent = { type: 'ShopClosed', data: { shopId: 'shop-1', reason: 'left the pilot', at: LATER } };
    given(shopRegistry, [registered, activated, suspended])
      .when(status('shop-1', 'close', LATER, 'left the pilot'))
      .then([closed]);
    given(shopRegistry, [registered, closed]).when(status('shop-1', 'activate')).thenFails('registry_entry_closed');
    given(shopRegistry, [registered, closed]).when(put('shop-1', SHOP)).thenFails('registry_entry_closed');
  });

  it('refuses a transition its status does not allow, an unknown shop, and a change without a reason', () => {
    given(shopRegistry, [registered]).when(status('shop-1', 'suspend')).thenFails('registry_transition_not_allowed');
    given(shopRegistry, [registered, activated]).when(status('shop-1', 'activate')).thenFails('registry_transition_not_allowed');
    given(shopRegistry).when(status('shop-1', 'activate')).thenFails('registry_entry_not_found');
    given(shopRegistry, [registered, activated])
      .when(status('shop-1', 'suspend', LATER, '  '))
      .thenFails('validation_failed');
  });

  it.each([
    ['a BIN with a wrong check digit', { bin: '040840001234' }, 'bin_invalid'],
    ['a city outside the pilot', { city: 'almaty' }, 'shop_outside_pilot_city'],
    ['no terminal', { terminals: [] }, 'validation_failed'],
    ['a terminal twice', { terminals: ['t-1', 't-1'] }, 'validation_failed'],
    ['an IBAN with a wrong check', { bankAccount: { iban: 'KZ87125KZT5004100100', bic: 'HSBKKZKX' } }, 'iban_invalid'],
    ['a foreign BIC', { bankAccount: { iban: IBAN, bic: 'DEUTDEFF' } }, 'bic_invalid'],
  ] as const)('refuses %s', (_what, change, code) => {
    const error = given(shopRegistry)
      .when(put('shop-1', { ...SHOP, ...change } as ShopDetails))
      .thenFails(code);
    expect(error.path).toMatch(/^details\./);
  });
});

describe('a school', () => {
  it('is registered with its canteen operator and contract price; a price that is not positive integer tiyn is refused', () => {
    given(schoolRegistry)
      .when(put('nobd-1001', SCHOOL))
      .then([{ type: 'SchoolRegistered', data: { schoolId: 'nobd-1001', details: SCHOOL, reason: 'contract 2026/15', at: AT } }]);
    for (const price of [0, -1, 850.5, 2_000_000])
      given(schoolRegistry)
        .when(put('nobd-1001', { ...SCHOOL, mealPriceTiyn: price }))
        .thenFails('meal_price_invalid');
    given(schoolRegistry)
      .when(put('nobd-1001', { ...SCHOOL, canteenOperator: { ...SCHOOL.canteenOperator, bin: '1' } }))
      .thenFails('bin_invalid');
  });
});

describe('a canteen device', () => {
  const DEVICE: DeviceDetails = { schoolId: 'nobd-1001', label: 'canteen till 1' };
  it('is registered for a school in the registry that is not closed', () => {
    given(deviceRegistry)
      .when(put('dev-1', DEVICE, { context: { schoolStatus: 'registered' } }))
      .then([{ type: 'DeviceRegistered', data: { deviceId: 'dev-1', details: DEVICE, reason: 'contract 2026/15', at: AT } }]);
    given(deviceRegistry)
      .when(put('dev-1', DEVICE, { context: { schoolStatus: 'none' } }))
      .thenFails('school_not_registered');
    given(deviceRegistry)
      .when(put('dev-1', DEVICE, { context: { schoolStatus: 'closed' } }))
      .thenFails('school_closed');
  });
});

describe('admission', () => {
  const shop = (status: 'registered' | 'active' | 'suspended' | 'closed', city = 'kokshetau') => ({ shopId: 's', status, city, version: 0 });
  it('admits an active shop in a pilot city and names why it refuses any other', () => {
    expect(shopAdmission(shop('active'))).toBeUndefined();
    expect([undefined, 'registered', 'suspended', 'closed'].map((s) => shopAdmission(s ? shop(s as 'registered') : undefined))).toEqual([
      'shop_not_registered',
      'shop_not_active',
      'shop_suspended',
      'shop_closed',
    ]);
    expect(shopAdmission(shop('active', 'almaty'))).toBe('shop_outside_pilot_city');
  });

  it('admits an active device of an active school it claims, and refuses in the documented order', () => {
    const device = (status: 'registered' | 'active' | 'suspended' | 'closed') => ({ deviceId: 'd', status, schoolId: 'a', version: 0 });
    const school = (status: 'registered' | 'active' | 'suspended' | 'closed') => ({ schoolId: 'a', status, version: 0 });
    expect(deviceAdmission(device('active'), school('active'), 'a')).toBeUndefined();
    expect(deviceAdmission(undefined, school('active'), 'a')).toBe('device_not_registered');
    expect(deviceAdmission(device('suspended'), school('closed'), 'b')).toBe('device_suspended');
    expect(deviceAdmission(device('active'), school('closed'), 'b')).toBe('device_school_mismatch');
    expect(deviceAdmission(device('active'), undefined, 'a')).toBe('school_not_registered');
    expect(deviceAdmission(device('active'), school('suspended'), 'a')).toBe('school_suspended');
  });
});

describe('identifiers', () => {
  it('an IBAN built with its check digits is valid, and any one digit mistyped is caught (ISO 7064 mod 97-10)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9A-Z]{16}$/), fc.nat(15), fc.integer({ min: 1, max: 9 }), (bban, at, shift) => {
        const iban = kzIban(bban);
        expect(isValidIban(iban)).toBe(true);
        const i = 4 + at;
        fc.pre(/\d/.test(iban[i]!));
        const mistyped = iban.slice(0, i) + String((Number(iban[i]) + shift) % 10) + iban.slice(i + 1);
        expect(isValidIban(mistyped)).toBe(false);
      }),
    );
  });

  it('a BIN built from 11 digits is valid, with any other last digit it is not', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\d{11}$/), (first11) => {
        const bin = binFrom(first11);
        fc.pre(bin !== undefined);
        expect(isValidBin(bin!)).toBe(true);
        expect(isValidBin(`${first11}${(Number(bin!.at(-1)) + 1) % 10}`)).toBe(false);
      }),
    );
  });
});
