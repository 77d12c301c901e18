/**
 * The canteen roster: per school, the meal vouchers its canteen device may serve — pseudonymous
 * pupil id, voucher id, validity, and whether it is servable now (activated, not expired, not
 * suspended for the month). No name, no IIN. Every change moves the row's log position, so a device
 * asks for the rows changed since its cursor (queries.ts). A voucher transferred to another school
 * leaves a row behind at the old school, marked `left`, so that school's devices learn it too.
 */
import type { MealVoucherEvent } from '../../domain/events';
import type { Projection, Recorded, Sql } from '../projection';
import { col, Rows } from '../shared/batch-sql';
import { roundsByKey } from '../shared/rounds';

export const CANTEEN_ROSTER = 'canteen_roster';

const ddl = `
create table canteen_roster (
  school_id        text not null,
  voucher_id       text not null,
  pupil_id         text not null,
  valid_from       date not null,
  valid_until      date not null,
  activated        boolean not null default false,
  expired          boolean not null default false,
  suspended_month  text,
  left_school      boolean not null default false,
  position         bigint not null,
  primary key (school_id, voucher_id)
);
create index canteen_roster_changes on canteen_roster (school_id, position);
`;

const HANDLED = [
  'MealVoucherIssued',
  'MealVoucherActivated',
  'MealVoucherExpired',
  'MealVoucherListed',
  'MealVoucherTransferred',
  'MealVoucherSuspended',
] as const;

/** One round's events of each type (no voucher twice), as column-wise rows. */
function roundRows(round: readonly Recorded[]) {
  const rows = {
    issued: new Rows([
      col('school_id', 'text'),
      col('voucher_id', 'text'),
      col('pupil_id', 'text'),
      col('valid_from', 'date'),
      col('valid_until', 'date'),
      col('position', 'bigint'),
    ]),
    activated: new Rows([col('voucher_id', 'text'), col('position', 'bigint')]),
    expired: new Rows([col('voucher_id', 'text'), col('position', 'bigint')]),
    suspended: new Rows([col('voucher_id', 'text'), col('school_id', 'text'), col('month', 'text'), col('position', 'bigint')]),
    listed: new Rows([col('voucher_id', 'text'), col('school_id', 'text'), col('position', 'bigint')]),
    transferred: new Rows([col('voucher_id', 'text'), col('from_school', 'text'), col('to_school', 'text'), col('position', 'bigint')]),
  };
  for (const recorded of round) {
    const event = recorded as unknown as MealVoucherEvent;
    const at = recorded.position.toString();
    switch (event.type) {
      case 'MealVoucherIssued': {
        const d = event.data;
        rows.issued.add([d.schoolId, d.voucherId, d.pupilId, d.validFrom, d.validUntil, at]);
        break;
      }
      case 'MealVoucherActivated':
        rows.activated.add([event.data.voucherId, at]);
        break;
      case 'MealVoucherExpired':
        rows.expired.add([event.data.voucherId, at]);
        break;
      case 'MealVoucherSuspended':
        rows.suspended.add([event.data.voucherId, event.data.schoolId, event.data.month, at]);
        break;
      case 'MealVoucherListed':
        rows.listed.add([event.data.voucherId, event.data.schoolId, at]);
        break;
      case 'MealVoucherTransferred':
        if (event.data.fromSchoolId !== event.data.toSchoolId) rows.transferred.add([event.data.voucherId, event.data.fromSchoolId, event.data.toSchoolId, at]);
        break;
      default:
        break;
    }
  }
  return rows;
}

/** A round's statements: each type's events together (they touch different vouchers, so their order does not matter). */
function roundSql(round: readonly Recorded[]): Sql[] {
  const r = roundRows(round);
  return [
    ...r.issued.toSql((source) => `insert into canteen_roster (${r.issued.names}) select * from ${source('i')} on conflict (school_id, voucher_id) do nothing`),
    ...r.activated.toSql(
      (source) =>
        `update canteen_roster c set activated = true, position = u.position from ${source('u')} where c.voucher_id = u.voucher_id and not c.left_school`,
    ),
    ...r.expired.toSql(
      (source) =>
        `update canteen_roster c set expired = true, position = u.position from ${source('u')} where c.voucher_id = u.voucher_id and not c.left_school`,
    ),
    ...r.suspended.toSql(
      (source) =>
        `update canteen_roster c set suspended_month = u.month, position = u.position from ${source('u')} where c.voucher_id = u.voucher_id and c.school_id = u.school_id`,
    ),
    // The month's list names the pupil at this school: a suspension ends (a move comes as Transferred).
    ...r.listed.toSql(
      (source) =>
        `update canteen_roster c set suspended_month = null, position = u.position from ${source('u')}
         where c.voucher_id = u.voucher_id and c.school_id = u.school_id and c.suspended_month is not null`,
    ),
    // The new school's row starts as the old one stood (activation, validity), then the old one is left.
    ...r.transferred.toSql(
      (source) =>
        `insert into canteen_roster (school_id, voucher_id, pupil_id, valid_from, valid_until, activated, expired, position)
         select t.to_school, c.voucher_id, c.pupil_id, c.valid_from, c.valid_until, c.activated, c.expired, t.position
         from ${source('t')} join canteen_roster c on c.school_id = t.from_school and c.voucher_id = t.voucher_id
         on conflict (school_id, voucher_id) do update set left_school = false, suspended_month = null, activated = excluded.activated, expired = excluded.expired, position = excluded.position`,
    ),
    ...r.transferred.toSql(
      (source) =>
        `update canteen_roster c set left_school = true, position = t.position from ${source('t')} where c.school_id = t.from_school and c.voucher_id = t.voucher_id`,
    ),
  ];
}

/** Every statement names one voucher's rows: a batch is written in rounds (shared/rounds.ts), a few statements each. */
function apply(events: readonly Recorded[]): Sql[] {
  return roundsByKey(events, (e) => (e.data as { voucherId: string }).voucherId).flatMap(roundSql);
}

export const canteenRosterProjection: Projection = {
  name: CANTEEN_ROSTER,
  canHandle: HANDLED,
  migrations: [{ id: '0400_canteen_roster', sql: ddl }],
  tables: ['canteen_roster'],
  apply,
};
