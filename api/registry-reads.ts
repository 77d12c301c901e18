/**
 * What the registry routes read besides the entries' own streams: filtered pages of the registry
 * read model (projections/registry/), and the canteen roster a registered device downloads. A port,
 * so the routes never run the models' SQL themselves.
 */
import type { Pool } from '../adapters/postgres/pool';
import type { RegistryStatus } from '../domain/registry/events';
import type { CounterpartGate } from '../application/registry/view';
import { canteenRoster, rosterHead, type RosterCards, type RosterPage } from '../projections/canteen-roster/queries';
import { listDevices, listSchools, listShops, type DeviceRecord, type SchoolRecord, type ShopRecord } from '../projections/registry/queries';

export interface RegistryPage {
  readonly status?: RegistryStatus;
  readonly after?: string;
  readonly limit?: number;
}

export interface RegistryReadSide {
  /** Refuses (403, stable code) a canteen device the registry does not admit now; from memory. */
  admitDevice(deviceId: string, schoolId: string): void;
  /** The canteen roster of a school (projections/canteen-roster/): whole, or changed since a cursor. */
  roster(schoolId: string, since?: bigint): Promise<RosterPage>;
  /** The position of the school's latest roster change: the roster's version. */
  rosterHead(schoolId: string): Promise<bigint>;
  shops(filter: RegistryPage & { city?: string; bin?: string }): Promise<readonly ShopRecord[]>;
  schools(filter: RegistryPage & { region?: string; city?: string }): Promise<readonly SchoolRecord[]>;
  devices(filter: RegistryPage & { schoolId?: string }): Promise<readonly DeviceRecord[]>;
}

export function createRegistryReads(pool: Pool, gate: Pick<CounterpartGate, 'admitDevice'>, cards: RosterCards): RegistryReadSide {
  return {
    admitDevice: (deviceId, schoolId) => gate.admitDevice(deviceId, schoolId),
    roster: (schoolId, since) => canteenRoster(pool, cards, schoolId, since),
    rosterHead: (schoolId) => rosterHead(pool, schoolId),
    shops: (filter) => listShops(pool, filter),
    schools: (filter) => listSchools(pool, filter),
    devices: (filter) => listDevices(pool, filter),
  };
}
