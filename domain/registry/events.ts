/**
 * Events of the counterpart registry: participating shops, schools (with their canteen operator)
 * and canteen devices. Each entry lives in its own stream (`registry-shop-{shopId}`,
 * `registry-school-{schoolId}`, `registry-device-{deviceId}`) and goes
 * registered → active ⇄ suspended → closed. Every event names why (`reason`, the operator's
 * words, e.g. a contract number or a complaint reference); who did it is the event's actor.
 */
import type { Instant } from '../shared/calendar';
import type { Tiyn } from '../shared/money';
import type { DomainEvent } from '../shared/decider';
import { streams } from '../streams';

/** Where a payout goes: a Kazakh IBAN and the bank's BIC. */
export interface BankAccount {
  readonly iban: string;
  readonly bic: string;
}

export interface ShopDetails {
  /** БИН of the legal entity that runs the shop (one entity may run several shops). */
  readonly bin: string;
  readonly name: string;
  /** A pilot city code of the food-voucher program (domain/programs/food-vouchers.ts). */
  readonly city: string;
  readonly address: string;
  /** Till (POS terminal) ids of the shop, as the shop names them. */
  readonly terminals: readonly string[];
  readonly bankAccount: BankAccount;
}

/** The organisation that runs a school's canteen and is paid by the табель. */
export interface CanteenOperator {
  readonly name: string;
  readonly bin: string;
  readonly bankAccount: BankAccount;
}

export interface SchoolDetails {
  readonly name: string;
  /** Region code as in the meal lists (akmola, pavlodar, …). */
  readonly region: string;
  readonly city: string;
  readonly canteenOperator: CanteenOperator;
  /** The canteen contract's price of one meal. */
  readonly mealPriceTiyn: Tiyn;
}

export interface DeviceDetails {
  /** The school (NOBD organisation id) whose canteen the device serves. */
  readonly schoolId: string;
  /** What the operator calls it ("canteen till 2, serial …"). */
  readonly label: string;
}

export type RegistryKind = 'shop' | 'school' | 'device';
export type RegistryStatus = 'registered' | 'active' | 'suspended' | 'closed';

type Registered<T extends string, Id extends string, Details> = DomainEvent<
  T,
  { readonly [K in Id]: string } & { readonly details: Details; readonly reason: string; readonly at: Instant }
>;
type DetailsChanged<T extends string, Id extends string, Details> = DomainEvent<
  T,
  { readonly [K in Id]: string } & { readonly details: Details; readonly changed: readonly string[]; readonly reason: string; readonly at: Instant }
>;
type StatusChanged<T extends string, Id extends string> = DomainEvent<T, { readonly [K in Id]: string } & { readonly reason: string; readonly at: Instant }>;

export type ShopRegistered = Registered<'ShopRegistered', 'shopId', ShopDetails>;
export type ShopDetailsChanged = DetailsChanged<'ShopDetailsChanged', 'shopId', ShopDetails>;
export type ShopActivated = StatusChanged<'ShopActivated', 'shopId'>;
export type ShopSuspended = StatusChanged<'ShopSuspended', 'shopId'>;
export type ShopClosed = StatusChanged<'ShopClosed', 'shopId'>;
export type ShopEvent = ShopRegistered | ShopDetailsChanged | ShopActivated | ShopSuspended | ShopClosed;

export type SchoolRegistered = Registered<'SchoolRegistered', 'schoolId', SchoolDetails>;
export type SchoolDetailsChanged = DetailsChanged<'SchoolDetailsChanged', 'schoolId', SchoolDetails>;
export type SchoolActivated = StatusChanged<'SchoolActivated', 'schoolId'>;
export type SchoolSuspended = StatusChanged<'SchoolSuspended', 'schoolId'>;
export type SchoolClosed = StatusChanged<'SchoolClosed', 'schoolId'>;
export type SchoolEvent = SchoolRegistered | SchoolDetailsChanged | SchoolActivated | SchoolSuspended | SchoolClosed;

export type DeviceRegistered = Registered<'DeviceRegistered', 'deviceId', DeviceDetails>;
export type DeviceDetailsChanged = DetailsChanged<'DeviceDetailsChanged', 'deviceId', DeviceDetails>;
export type DeviceActivated = StatusChanged<'DeviceActivated', 'deviceId'>;
export type DeviceSuspended = StatusChanged<'DeviceSuspended', 'deviceId'>;
export type DeviceClosed = StatusChanged<'DeviceClosed', 'deviceId'>;
export type DeviceEvent = DeviceRegistered | DeviceDetailsChanged | DeviceActivated | DeviceSuspended | DeviceClosed;

export type RegistryEvent = ShopEvent | SchoolEvent | DeviceEvent;

/** Event type names per kind, so one lifecycle serves the three deciders and the read model. */
export const REGISTRY_EVENT_TYPES = {
  shop: { registered: 'ShopRegistered', changed: 'ShopDetailsChanged', active: 'ShopActivated', suspended: 'ShopSuspended', closed: 'ShopClosed' },
  school: { registered: 'SchoolRegistered', changed: 'SchoolDetailsChanged', active: 'SchoolActivated', suspended: 'SchoolSuspended', closed: 'SchoolClosed' },
  device: { registered: 'DeviceRegistered', changed: 'DeviceDetailsChanged', active: 'DeviceActivated', suspended: 'DeviceSuspended', closed: 'DeviceClosed' },
} as const satisfies Record<RegistryKind, Record<'registered' | 'changed' | 'active' | 'suspended' | 'closed', RegistryEvent['type']>>;

export const REGISTRY_ID_FIELD = { shop: 'shopId', school: 'schoolId', device: 'deviceId' } as const satisfies Record<RegistryKind, string>;

/** Every registry event type, for projections' `canHandle`. */
export const REGISTRY_EVENT_TYPE_LIST: readonly RegistryEvent['type'][] = Object.values(REGISTRY_EVENT_TYPES).flatMap((types) => Object.values(types));

/** Stream names of registry entries by kind (built and parsed in domain/streams.ts). */
export const registryStreams = {
  shop: streams.registryShop,
  school: streams.registrySchool,
  device: streams.registryDevice,
} as const satisfies Record<RegistryKind, (id: string) => string>;
