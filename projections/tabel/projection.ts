/**
 * табель: the monthly meal sheet, pupil × school day, that canteens are paid by. The projection
 * keeps one row per meal served (device, seq) with its school day and receipt time, and each
 * voucher's pupil, school, region and when it was activated and expired (the sheet lists every
 * pupil with an active voucher, fed or not). Whether a meal is late for a final sheet, and the
 * amount due, are answers of the query (queries.ts) for a given month and clock — no clock in here.
 */
import type { LedgerEventType } from '../../domain/events';
import type { Projection, Recorded, Sql } from '../projection';
import { InsertRows, Rows, col } from '../shared/batch-sql';

export const TABEL = 'tabel';

const ddl = `
create table tabel_vouchers (
  voucher_id  text primary key,
  pupil_id    text not null,
  school_id   text not null,
  region      text not null,
  grade       integer not null,
  school_year text not null
);
create index tabel_vouchers_school on tabel_vouchers (school_id);
create table tabel_meals (
  device_id   text not null,
  seq         integer not null,
  school_id   text not null,
  pupil_id    text not null,
  voucher_id  text not null,
  school_day  date not null,
  month       text not null,
  scanned_at  timestamptz not null,
  received_at timestamptz not null,
  position    bigint not null,
  primary key (device_id, seq)
);
create index tabel_meals_school_month on tabel_meals (school_id, month);
`;

/** When each voucher was activated and expired: the sheet lists the pupils whose voucher was active in the month. */
const statusDdl = `
alter table tabel_vouchers add column activated_at timestamptz, add column expired_at timestamptz;
`;

/**
 * Monthly lists (seed 002): a voucher suspended for a month (absent from the school's approved list)
 * has no pupil row and no paid meal on that month's sheet; the latest list's word for the month
 * wins. A voucher moved to another school or grade is that school's from then on.
 */
const monthsDdl = `
create table tabel_voucher_months (
  voucher_id text not null,
  month      text not null,
  suspended  boolean not null,
  primary key (voucher_id, month)
);
`;

/**
 * Which school a voucher belonged to from which month: where it was issued (`from_month` '' — from
 * the start), then each move to another school from the month of the list that moved it. A school's
 * sheet of a month lists the vouchers that were its own that month, so a move in April leaves March's
 * sheets as they were. Filled for the vouchers already there from their current school.
 */
const schoolsDdl = `
create table tabel_voucher_schools (
  voucher_id text not null,
  from_month text not null,
  school_id  text not null,
  primary key (voucher_id, from_month)
);
create index tabel_voucher_schools_school on tabel_voucher_schools (school_id);
insert into tabel_voucher_schools (voucher_id, from_month, school_id) select voucher_id, '', school_id from tabel_vouchers;
`;

const handled: LedgerEventType[] = [
  'MealVoucherIssued',
  'MealVoucherActivated',
  'MealVoucherExpired',
  'MealServed',
  'MealVoucherListed',
  'MealVoucherSuspended',
  'MealVoucherTransferred',
];

/** One statement setting a timestamp column of many vouchers (a voucher is activated or expired once). */
function setInstant(column: 'activated_at' | 'expired_at', rows: Rows): Sql[] {
  return rows.toSql((source) => `update tabel_vouchers t set ${column} = v.at from ${source('v')} where t.voucher_id = v.voucher_id`);
}

function build(events: readonly Recorded[]): Sql[] {
  const vouchers = new InsertRows(
    'tabel_vouchers',
    [col('voucher_id', 'text'), col('pupil_id', 'text'), col('school_id', 'text'), col('region', 'text'), col('grade', 'integer'), col('school_year', 'text')],
    1,
  );
  const meals = new InsertRows(
    'tabel_meals',
    [
      col('device_id', 'text'),
      col('seq', 'bigint'),
      col('school_id', 'text'),
      col('pupil_id', 'text'),
      col('voucher_id', 'text'),
      col('school_day', 'date'),
      col('month', 'text'),
      col('scanned_at', 'timestamptz'),
      col('received_at', 'timestamptz'),
      col('position', 'bigint'),
    ],
    2,
  );
  const activated = new Rows([col('voucher_id', 'text'), col('at', 'timestamptz')]);
  const expired = new Rows([col('voucher_id', 'text'), col('at', 'timestamptz')]);
  /** The last word of the batch per voucher-month (listed or suspended), and per voucher its school and grade. */
  const months = new Map<string, [string, string, boolean]>();
  const moved = new Map<string, [string, string, number]>();
  /** Per voucher and month from which it is a school's: the last word of the batch. */
  const schools = new Map<string, [string, string, string]>();
  for (const ev of events) {
    if (ev.type === 'MealVoucherIssued') {
      const d = ev.data;
      vouchers.add([d.voucherId, d.pupilId, d.schoolId, d.region, d.grade, d.schoolYear]);
      schools.set(`${d.voucherId}\u0000`, [d.voucherId, '', d.schoolId]);
    } else if (ev.type === 'MealVoucherActivated') {
      activated.add([ev.data.voucherId, ev.data.activatedAt]);
    } else if (ev.type === 'MealVoucherExpired') {
      expired.add([ev.data.voucherId, ev.data.at]);
    } else if (ev.type === 'MealVoucherListed' || ev.type === 'MealVoucherSuspended') {
      const d = ev.data;
      months.set(`${d.voucherId}\u0000${d.month}`, [d.voucherId, d.month, ev.type === 'MealVoucherSuspended']);
    } else if (ev.type === 'MealVoucherTransferred') {
      moved.set(ev.data.voucherId, [ev.data.voucherId, ev.data.toSchoolId, ev.data.toGrade]);
      schools.set(`${ev.data.voucherId}\u0000${ev.data.month}`, [ev.data.voucherId, ev.data.month, ev.data.toSchoolId]);
    } else if (ev.type === 'MealServed') {
      const d = ev.data;
      meals.add([d.deviceId, d.seq, d.schoolId, d.pupilId, d.voucherId, d.schoolDay, d.schoolDay.slice(0, 7), d.scannedAt, d.receivedAt, ev.position]);
    }
  }
  const monthRows = new Rows([col('voucher_id', 'text'), col('month', 'text'), col('suspended', 'boolean')]);
  for (const row of months.values()) monthRows.add(row);
  const movedRows = new Rows([col('voucher_id', 'text'), col('school_id', 'text'), col('grade', 'integer')]);
  for (const row of moved.values()) movedRows.add(row);
  const schoolRows = new Rows([col('voucher_id', 'text'), col('from_month', 'text'), col('school_id', 'text')]);
  for (const row of schools.values()) schoolRows.add(row);
  return [
    ...vouchers.toSql(),
    ...setInstant('activated_at', activated),
    ...setInstant('expired_at', expired),
    ...movedRows.toSql(
      (source) => `update tabel_vouchers t set school_id = m.school_id, grade = m.grade from ${source('m')} where t.voucher_id = m.voucher_id`,
    ),
    ...schoolRows.toSql(
      (source) =>
        `insert into tabel_voucher_schools select * from ${source('s')} on conflict (voucher_id, from_month) do update set school_id = excluded.school_id`,
    ),
    ...monthRows.toSql(
      (source) => `insert into tabel_voucher_months select * from ${source('m')} on conflict (voucher_id, month) do update set suspended = excluded.suspended`,
    ),
    ...meals.toSql(),
  ];
}

export const tabelProjection: Projection = {
  name: TABEL,
  canHandle: handled,
  migrations: [
    { id: '0202_tabel', sql: ddl },
    // A device's seq is any safe integer at the API (api/routes/canteen.ts): a 32-bit column refused 2^31 and halted the model.
    { id: '0301_tabel_seq_bigint', sql: 'alter table tabel_meals alter column seq type bigint;' },
    { id: '0600_tabel_voucher_status', sql: statusDdl },
    { id: '0603_tabel_voucher_months', sql: monthsDdl },
    { id: '0900_tabel_voucher_schools', sql: schoolsDdl },
  ],
  tables: ['tabel_vouchers', 'tabel_meals', 'tabel_voucher_months', 'tabel_voucher_schools'],
  // One row per meal served, first (device, seq) wins, never read back here: indexed after a rebuild's load.
  appendOnlyTables: ['tabel_meals'],
  apply: build,
};
