/**
 * The registry read model: one row per shop, school and canteen device with its current details
 * and status, the stream version of its last event and that event's log position. Operators and
 * auditors list and read it; each API process refreshes its in-memory registry view from the rows
 * whose position moved (queries.ts `registryChangesSince`), so the hot path never asks Postgres.
 * The history of an entry (who changed what, why) is its stream; this model keeps the present.
 */
import type { RegistryEvent } from '../../domain/registry/events';
import { REGISTRY_EVENT_TYPE_LIST } from '../../domain/registry/events';
import type { Projection, Recorded, Sql } from '../projection';
import { eachEvent, sql } from '../projection';

export const REGISTRY = 'registry';

const ddl = `
create table registry_shops (
  shop_id       text primary key,
  bin           text not null,
  name          text not null,
  city          text not null,
  address       text not null,
  terminals     jsonb not null,
  iban          text not null,
  bic           text not null,
  status        text not null,
  registered_at timestamptz not null,
  status_since  timestamptz not null,
  last_reason   text not null,
  version       bigint not null,
  position      bigint not null
);
create index registry_shops_position on registry_shops (position);
create index registry_shops_bin on registry_shops (bin);
create table registry_schools (
  school_id        text primary key,
  name             text not null,
  region           text not null,
  city             text not null,
  operator_name    text not null,
  operator_bin     text not null,
  operator_iban    text not null,
  operator_bic     text not null,
  meal_price_tiyn  bigint not null,
  status           text not null,
  registered_at    timestamptz not null,
  status_since     timestamptz not null,
  last_reason      text not null,
  version          bigint not null,
  position         bigint not null
);
create index registry_schools_position on registry_schools (position);
create table registry_devices (
  device_id     text primary key,
  school_id     text not null,
  label         text not null,
  status        text not null,
  registered_at timestamptz not null,
  status_since  timestamptz not null,
  last_reason   text not null,
  version       bigint not null,
  position      bigint not null
);
create index registry_devices_position on registry_devices (position);
create index registry_devices_school on registry_devices (school_id);
`;

const STATUS_OF: Readonly<Record<string, string>> = {
  ShopActivated: 'active',
  ShopSuspended: 'suspended',
  ShopClosed: 'closed',
  SchoolActivated: 'active',
  SchoolSuspended: 'suspended',
  SchoolClosed: 'closed',
  DeviceActivated: 'active',
  DeviceSuspended: 'suspended',
  DeviceClosed: 'closed',
};

/** Each kind's table, key column and the columns its details fill (in the details' order). */
function detailsColumns(event: RegistryEvent): { table: string; key: string; id: string; columns: Record<string, unknown> } {
  switch (event.type) {
    case 'ShopRegistered':
    case 'ShopDetailsChanged': {
      const d = event.data.details;
      return {
        table: 'registry_shops',
        key: 'shop_id',
        id: event.data.shopId,
        columns: {
          bin: d.bin,
          name: d.name,
          city: d.city,
          address: d.address,
          terminals: JSON.stringify(d.terminals),
          iban: d.bankAccount.iban,
          bic: d.bankAccount.bic,
        },
      };
    }
    case 'SchoolRegistered':
    case 'SchoolDetailsChanged': {
      const d = event.data.details;
      const o = d.canteenOperator;
      return {
        table: 'registry_schools',
        key: 'school_id',
        id: event.data.schoolId,
        columns: {
          name: d.name,
          region: d.region,
          city: d.city,
          operator_name: o.name,
          operator_bin: o.bin,
          operator_iban: o.bankAccount.iban,
          operator_bic: o.bankAccount.bic,
          meal_price_tiyn: d.mealPriceTiyn,
        },
      };
    }
    case 'DeviceRegistered':
    case 'DeviceDetailsChanged':
      return {
        table: 'registry_devices',
        key: 'device_id',
        id: event.data.deviceId,
        columns: { school_id: event.data.details.schoolId, label: event.data.details.label },
      };
    default:
      throw new Error(`invariant violated: ${event.type} carries no details`);
  }
}

const TABLE_OF_PREFIX = {
  Shop: ['registry_shops', 'shop_id', 'shopId'],
  School: ['registry_schools', 'school_id', 'schoolId'],
  Device: ['registry_devices', 'device_id', 'deviceId'],
} as const;

function apply(recorded: Recorded): Sql[] {
  const event = recorded as unknown as RegistryEvent & { streamVersion: bigint; position: bigint };
  const version = Number(recorded.streamVersion);
  const at = event.data.at;
  if (event.type.endsWith('Registered')) {
    const { table, key, id, columns } = detailsColumns(event);
    const names = [key, ...Object.keys(columns), 'status', 'registered_at', 'status_since', 'last_reason', 'version', 'position'];
    const values = [id, ...Object.values(columns), 'registered', at, at, event.data.reason, version, recorded.position];
    const placeholders = names.map((_, i) => `$${i + 1}`).join(', ');
    return [sql(`insert into ${table} (${names.join(', ')}) values (${placeholders}) on conflict (${key}) do nothing`, ...values)];
  }
  if (event.type.endsWith('DetailsChanged')) {
    const { table, key, id, columns } = detailsColumns(event);
    const names = [...Object.keys(columns), 'last_reason', 'version', 'position'];
    const sets = names.map((name, i) => `${name} = $${i + 2}`).join(', ');
    return [sql(`update ${table} set ${sets} where ${key} = $1`, id, ...Object.values(columns), event.data.reason, version, recorded.position)];
  }
  const status = STATUS_OF[event.type];
  if (status === undefined) throw new Error(`invariant violated: ${event.type} is not a registry event`);
  const prefix = event.type.startsWith('Shop') ? 'Shop' : event.type.startsWith('School') ? 'School' : 'Device';
  const [table, key, idField] = TABLE_OF_PREFIX[prefix];
  const id = (event.data as unknown as Record<string, string>)[idField];
  return [
    sql(
      `update ${table} set status = $2, status_since = $3, last_reason = $4, version = $5, position = $6 where ${key} = $1`,
      id,
      status,
      at,
      event.data.reason,
      version,
      recorded.position,
    ),
  ];
}

export const registryProjection: Projection = {
  name: REGISTRY,
  canHandle: REGISTRY_EVENT_TYPE_LIST,
  migrations: [{ id: '0550_registry', sql: ddl }],
  tables: ['registry_shops', 'registry_schools', 'registry_devices'],
  apply: eachEvent(apply),
};
