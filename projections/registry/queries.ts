/**
 * Reading the registry read model: one entry, a filtered page, and the entries whose position
 * moved since a cursor (what each process's in-memory view refreshes from). Money out (payouts to
 * shops and canteen operators) reads the bank accounts and the contract meal price from here.
 */
import type { Pool } from '../../adapters/postgres/pool';
import type { DeviceEntry, SchoolEntry, ShopEntry } from '../../domain/registry/admission';
import type { DeviceDetails, RegistryStatus, SchoolDetails, ShopDetails } from '../../domain/registry/events';

/** A page of a listing holds at most this many entries. */
export const MAX_REGISTRY_PAGE = 1000;

interface Lifecycle {
  readonly status: RegistryStatus;
  readonly registeredAt: string;
  readonly statusSince: string;
  /** The reason given with the entry's last change. */
  readonly lastReason: string;
  /** Stream version of the last event applied (an ETag for the entry). */
  readonly version: number;
}
export interface ShopRecord extends Lifecycle {
  readonly shopId: string;
  readonly details: ShopDetails;
}
export interface SchoolRecord extends Lifecycle {
  readonly schoolId: string;
  readonly details: SchoolDetails;
}
export interface DeviceRecord extends Lifecycle {
  readonly deviceId: string;
  readonly details: DeviceDetails;
}

type Row = Record<string, unknown>;
const lifecycle = (r: Row): Lifecycle => ({
  status: r.status as RegistryStatus,
  registeredAt: (r.registered_at as Date).toISOString(),
  statusSince: (r.status_since as Date).toISOString(),
  lastReason: r.last_reason as string,
  version: Number(r.version),
});
const shopOf = (r: Row): ShopRecord => ({
  shopId: r.shop_id as string,
  details: {
    bin: r.bin as string,
    name: r.name as string,
    city: r.city as string,
    address: r.address as string,
    terminals: r.terminals as string[],
    bankAccount: { iban: r.iban as string, bic: r.bic as string },
  },
  ...lifecycle(r),
});
const schoolOf = (r: Row): SchoolRecord => ({
  schoolId: r.school_id as string,
  details: {
    name: r.name as string,
    region: r.region as string,
    city: r.city as string,
    canteenOperator: {
      name: r.operator_name as string,
      bin: r.operator_bin as string,
      bankAccount: { iban: r.operator_iban as string, bic: r.operator_bic as string },
    },
    mealPriceTiyn: Number(r.meal_price_tiyn),
  },
  ...lifecycle(r),
});
const deviceOf = (r: Row): DeviceRecord => ({
  deviceId: r.device_id as string,
  details: { schoolId: r.school_id as string, label: r.label as string },
  ...lifecycle(r),
});

export async function shopById(pool: Pool, shopId: string): Promise<ShopRecord | undefined> {
  const { rows } = await pool.query('select * from registry_shops where shop_id = $1', [shopId]);
  return rows[0] ? shopOf(rows[0]) : undefined;
}
export async function schoolById(pool: Pool, schoolId: string): Promise<SchoolRecord | undefined> {
  const { rows } = await pool.query('select * from registry_schools where school_id = $1', [schoolId]);
  return rows[0] ? schoolOf(rows[0]) : undefined;
}
export async function deviceById(pool: Pool, deviceId: string): Promise<DeviceRecord | undefined> {
  const { rows } = await pool.query('select * from registry_devices where device_id = $1', [deviceId]);
  return rows[0] ? deviceOf(rows[0]) : undefined;
}

export interface PageFilter {
  readonly status?: RegistryStatus;
  /** Ids after this one (keyset paging by id). */
  readonly after?: string;
  readonly limit?: number;
}

/** Shops by id, filtered by status, city or BIN. */
export async function listShops(pool: Pool, filter: PageFilter & { city?: string; bin?: string } = {}): Promise<ShopRecord[]> {
  const { rows } = await pool.query(
    'select * from registry_shops where ($1::text is null or status = $1) and ($2::text is null or city = $2) and ($3::text is null or bin = $3) ' +
      'and ($4::text is null or shop_id > $4) order by shop_id limit $5',
    [filter.status ?? null, filter.city ?? null, filter.bin ?? null, filter.after ?? null, pageSize(filter)],
  );
  return rows.map(shopOf);
}

export async function listSchools(pool: Pool, filter: PageFilter & { region?: string; city?: string } = {}): Promise<SchoolRecord[]> {
  const { rows } = await pool.query(
    'select * from registry_schools where ($1::text is null or status = $1) and ($2::text is null or region = $2) and ($3::text is null or city = $3) ' +
      'and ($4::text is null or school_id > $4) order by school_id limit $5',
    [filter.status ?? null, filter.region ?? null, filter.city ?? null, filter.after ?? null, pageSize(filter)],
  );
  return rows.map(schoolOf);
}

export async function listDevices(pool: Pool, filter: PageFilter & { schoolId?: string } = {}): Promise<DeviceRecord[]> {
  const { rows } = await pool.query(
    'select * from registry_devices where ($1::text is null or status = $1) and ($2::text is null or school_id = $2) ' +
      'and ($3::text is null or device_id > $3) order by device_id limit $4',
    [filter.status ?? null, filter.schoolId ?? null, filter.after ?? null, pageSize(filter)],
  );
  return rows.map(deviceOf);
}

const pageSize = (filter: PageFilter) => Math.min(Math.max(filter.limit ?? MAX_REGISTRY_PAGE, 1), MAX_REGISTRY_PAGE);

export interface RegistryChanges {
  readonly shops: readonly ShopEntry[];
  readonly schools: readonly SchoolEntry[];
  readonly devices: readonly DeviceEntry[];
  /** The cursor for the next call: the highest position seen (or the one given). */
  readonly position: bigint;
}

/**
 * Entries whose last event is after `position`, in ONE statement: the three tables are read in
 * one snapshot, so a projection batch that touched a shop and a device is seen whole or not at
 * all (two statements could see the device's later position and skip the shop for good).
 */
export async function registryChangesSince(pool: Pool, position: bigint): Promise<RegistryChanges> {
  const { rows } = await pool.query<{
    kind: string;
    id: string;
    status: RegistryStatus;
    city: string | null;
    school_id: string | null;
    version: number;
    position: string;
  }>(
    `select 'shop' as kind, shop_id as id, status, city, null as school_id, version::int as version, position::text from registry_shops where position > $1
     union all select 'school', school_id, status, null, null, version::int, position::text from registry_schools where position > $1
     union all select 'device', device_id, status, null, school_id, version::int, position::text from registry_devices where position > $1`,
    [position],
  );
  const shops: ShopEntry[] = [];
  const schools: SchoolEntry[] = [];
  const devices: DeviceEntry[] = [];
  let cursor = position;
  for (const r of rows) {
    const at = BigInt(r.position);
    if (at > cursor) cursor = at;
    if (r.kind === 'shop') shops.push({ shopId: r.id, status: r.status, city: r.city!, version: r.version });
    else if (r.kind === 'school') schools.push({ schoolId: r.id, status: r.status, version: r.version });
    else devices.push({ deviceId: r.id, status: r.status, schoolId: r.school_id!, version: r.version });
  }
  return { shops, schools, devices, position: cursor };
}
