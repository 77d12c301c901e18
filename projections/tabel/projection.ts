/**
 * табель: the monthly meal sheet, pupil × school day, that canteens are paid by. The projection
 * keeps one row per meal served (device, seq) with its school day and receipt time, and each
 * voucher's pupil, school and region. Whether a meal is late for a final sheet, and the amount
 * due, are answers of the query (queries.ts) for a given month and clock — no clock in here.
 */
import type { LedgerEventType } from '../../domain/events';
import type { Projection, Recorded, Sql } from '../projection';
import { InsertRows, col } from '../shared/batch-sql';
import { asLedger } from '../shared/events';

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

const handled: LedgerEventType[] = ['MealVoucherIssued', 'MealServed'];

function build(events: readonly Recorded[]): Sql[] {
  const vouchers = new InsertRows(
    'tabel_vouchers',
    [col('voucher_id', 'text'), col('pupil_id', 'text'), col('school_id', 'text'), col('region', 'text'), col('grade', 'integer'), col('school_year', 'text')],
    1,
  );
  const meals = new InsertRows(
    'tabel_meals',
    [
      col('device_id', 'text'), col('seq', 'bigint'), col('school_id', 'text'), col('pupil_id', 'text'), col('voucher_id', 'text'),
      col('school_day', 'date'), col('month', 'text'), col('scanned_at', 'timestamptz'), col('received_at', 'timestamptz'), col('position', 'bigint'),
    ],
    2,
  );
  for (const e of events) {
    const ev = asLedger(e);
    if (ev.type === 'MealVoucherIssued') {
      const d = ev.data;
      vouchers.add([d.voucherId, d.pupilId, d.schoolId, d.region, d.grade, d.schoolYear]);
    } else if (ev.type === 'MealServed') {
      const d = ev.data;
      meals.add([d.deviceId, d.seq, d.schoolId, d.pupilId, d.voucherId, d.schoolDay, d.schoolDay.slice(0, 7), d.scannedAt, d.receivedAt, e.position]);
    }
  }
  return [...vouchers.toSql(), ...meals.toSql()];
}

export const tabelProjection: Projection = {
  name: TABEL,
  canHandle: handled,
  migrations: [
    { id: '0202_tabel', sql: ddl },
    // A device's seq is any safe integer at the API (api/routes/canteen.ts): a 32-bit column refused 2^31 and halted the model.
    { id: '0301_tabel_seq_bigint', sql: 'alter table tabel_meals alter column seq type bigint;' },
  ],
  tables: ['tabel_vouchers', 'tabel_meals'],
  // One row per meal served, first (device, seq) wins, never read back here: indexed after a rebuild's load.
  appendOnlyTables: ['tabel_meals'],
  apply: (event) => build([event]),
  applyBatch: build,
};
