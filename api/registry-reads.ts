/**
 * What the registry routes read besides the entries' own streams: filtered pages of the registry
 * read model (projections/registry/). A port, so the routes never run the model's SQL themselves.
 */
import type { Pool } from '../adapters/postgres/pool';
import type { RegistryStatus } from '../domain/registry/events';
import { listDevices, listSchools, listShops, type DeviceRecord, type SchoolRecord, type ShopRecord } from '../projections/registry/queries';

export interface RegistryPage {
  readonly status?: RegistryStatus;
  readonly after?: string;
  readonly limit?: number;
}

export interface RegistryReadSide {
  shops(filter: RegistryPage & { city?: string; bin?: string }): Promise<readonly ShopRecord[]>;
  schools(filter: RegistryPage & { region?: string; city?: string }): Promise<readonly SchoolRecord[]>;
  devices(filter: RegistryPage & { schoolId?: string }): Promise<readonly DeviceRecord[]>;
}

export function createRegistryReads(pool: Pool): RegistryReadSide {
  return {
    shops: (filter) => listShops(pool, filter),
    schools: (filter) => listSchools(pool, filter),
    devices: (filter) => listDevices(pool, filter),
  };
}
