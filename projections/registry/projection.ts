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
import { col, Rows, type Column } from '../shared/batch-sql';
import { roundsByKey } from '../shared/rounds';

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

type Kind = 'Shop' | 'School' | 'Device';

/** Each kind's table, key column, id field and the columns its details fill (in the details' order). */
const KINDS: Record<Kind, { table: string; key: string; idField: string; details: readonly Column[] }> = {
  Shop: {
    table: 'registry_shops',
    key: 'shop_id',
    idField: 'shopId',
    details: ['bin', 'name', 'city', 'address'].map((n) => col(n, 'text')).concat([col('terminals', 'jsonb'), col('iban', 'text'), col('bic', 'text')]),
  },
  School: {
    table: 'registry_schools',
    key: 'school_id',
    idField: 'schoolId',
    details: ['name', 'region', 'city', 'operator_name', 'operator_bin', 'operator_iban', 'operator_bic']
      .map((n) => col(n, 'text'))
      .concat([col('meal_price_tiyn', 'bigint')]),
  },
  Device: { table: 'registry_devices', key: 'device_id', idField: 'deviceId', details: [col('school_id', 'text'), col('label', 'text')] },
};

const kindOf = (type: string): Kind => (type.startsWith('Shop') ? 'Shop' : type.startsWith('School') ? 'School' : 'Device');

/** The details' column values, in KINDS' order. */
function detailValues(event: RegistryEvent): unknown[] {
  switch (event.type) {
    case 'ShopRegistered':
    case 'ShopDetailsChanged': {
      const d = event.data.details;
      return [d.bin, d.name, d.city, d.address, JSON.stringify(d.terminals), d.bankAccount.iban, d.bankAccount.bic];
    }
    case 'SchoolRegistered':
    case 'SchoolDetailsChanged': {
      const d = event.data.details;
      const o = d.canteenOperator;
      return [d.name, d.region, d.city, o.name, o.bin, o.bankAccount.iban, o.bankAccount.bic, d.mealPriceTiyn];
    }
    case 'DeviceRegistered':
    case 'DeviceDetailsChanged':
      return [event.data.details.schoolId, event.data.details.label];
    default:
      throw new Error(`invariant violated: ${event.type} carries no details`);
  }
}

const idOf = (event: Recorded): string => `${kindOf(event.type)}\u0000${(event.data as unknown as Record<string, string>)[KINDS[kindOf(event.type)].idField]}`;

/** One round's statements: per kind, its registrations, detail changes and status changes (no entry twice in a round). */
function roundSql(round: readonly Recorded[]): Sql[] {
  const out: Sql[] = [];
  for (const kind of ['Shop', 'School', 'Device'] as const) {
    const { table, key, idField, details } = KINDS[kind];
    const trail = [col('last_reason', 'text'), col('version', 'bigint'), col('position', 'bigint')];
    const registered = new Rows([
      col(key, 'text'),
      ...details,
      col('status', 'text'),
      col('registered_at', 'timestamptz'),
      col('status_since', 'timestamptz'),
      ...trail,
    ]);
    const changed = new Rows([col(key, 'text'), ...details, ...trail]);
    const status = new Rows([col(key, 'text'), col('status', 'text'), col('status_since', 'timestamptz'), ...trail]);
    for (const recorded of round) {
      if (kindOf(recorded.type) !== kind) continue;
      const event = recorded as unknown as RegistryEvent;
      const id = (event.data as unknown as Record<string, string>)[idField];
      const at = event.data.at;
      const tail = [event.data.reason, recorded.streamVersion.toString(), recorded.position.toString()];
      if (event.type.endsWith('Registered')) registered.add([id, ...detailValues(event), 'registered', at, at, ...tail]);
      else if (event.type.endsWith('DetailsChanged')) changed.add([id, ...detailValues(event), ...tail]);
      else {
        const next = STATUS_OF[event.type];
        if (next === undefined) throw new Error(`invariant violated: ${event.type} is not a registry event`);
        status.add([id, next, at, ...tail]);
      }
    }
    const assign = (rows: readonly Column[]) =>
      rows
        .slice(1)
        .map((c) => `${c.name} = u.${c.name}`)
        .join(', ');
    out.push(
      ...registered.toSql((source) => `insert into ${table} (${registered.names}) select * from ${source('r')} on conflict (${key}) do nothing`),
      ...changed.toSql((source) => `update ${table} t set ${assign([col(key, 'text'), ...details, ...trail])} from ${source('u')} where t.${key} = u.${key}`),
      ...status.toSql(
        (source) =>
          `update ${table} t set ${assign([col(key, 'text'), col('status', 'text'), col('status_since', 'timestamptz'), ...trail])} from ${source('u')} where t.${key} = u.${key}`,
      ),
    );
  }
  return out;
}

/** Every statement names one entry's row: a batch is written in rounds (shared/rounds.ts). */
function apply(events: readonly Recorded[]): Sql[] {
  return roundsByKey(events, idOf).flatMap(roundSql);
}

export const registryProjection: Projection = {
  name: REGISTRY,
  canHandle: REGISTRY_EVENT_TYPE_LIST,
  migrations: [{ id: '0550_registry', sql: ddl }],
  tables: ['registry_shops', 'registry_schools', 'registry_devices'],
  apply,
};
