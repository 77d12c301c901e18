/**
 * The canteen roster: per school, the meal vouchers its canteen device may serve — pseudonymous
 * pupil id, voucher id, validity, and whether it is servable now (activated, not expired, not
 * suspended for the month). No name, no IIN. Every change moves the row's log position, so a device
 * asks for the rows changed since its cursor (queries.ts). A voucher transferred to another school
 * leaves a row behind at the old school, marked `left`, so that school's devices learn it too.
 */
import type { MealVoucherEvent } from '../../domain/events';
import type { Projection, Recorded, Sql } from '../projection';
import { eachEvent, sql } from '../projection';

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

function apply(recorded: Recorded): Sql[] {
  const event = recorded as unknown as MealVoucherEvent;
  const at = recorded.position;
  switch (event.type) {
    case 'MealVoucherIssued': {
      const d = event.data;
      return [
        sql(
          'insert into canteen_roster (school_id, voucher_id, pupil_id, valid_from, valid_until, position) values ($1, $2, $3, $4, $5, $6) on conflict (school_id, voucher_id) do nothing',
          d.schoolId,
          d.voucherId,
          d.pupilId,
          d.validFrom,
          d.validUntil,
          at,
        ),
      ];
    }
    case 'MealVoucherActivated':
      return [sql('update canteen_roster set activated = true, position = $2 where voucher_id = $1 and not left_school', event.data.voucherId, at)];
    case 'MealVoucherExpired':
      return [sql('update canteen_roster set expired = true, position = $2 where voucher_id = $1 and not left_school', event.data.voucherId, at)];
    case 'MealVoucherSuspended':
      return [
        sql(
          'update canteen_roster set suspended_month = $3, position = $4 where voucher_id = $1 and school_id = $2',
          event.data.voucherId,
          event.data.schoolId,
          event.data.month,
          at,
        ),
      ];
    case 'MealVoucherListed':
      // The month's list names the pupil at this school: a suspension ends (a move comes as Transferred).
      return [
        sql(
          'update canteen_roster set suspended_month = null, position = $3 where voucher_id = $1 and school_id = $2 and suspended_month is not null',
          event.data.voucherId,
          event.data.schoolId,
          at,
        ),
      ];
    case 'MealVoucherTransferred': {
      const d = event.data;
      if (d.fromSchoolId === d.toSchoolId) return [];
      return [
        // The new school's row starts as the old one stood (activation, validity), then the old one is left.
        sql(
          `insert into canteen_roster (school_id, voucher_id, pupil_id, valid_from, valid_until, activated, expired, position)
           select $2, voucher_id, pupil_id, valid_from, valid_until, activated, expired, $3 from canteen_roster where school_id = $1 and voucher_id = $4
           on conflict (school_id, voucher_id) do update set left_school = false, suspended_month = null, activated = excluded.activated, expired = excluded.expired, position = excluded.position`,
          d.fromSchoolId,
          d.toSchoolId,
          at,
          d.voucherId,
        ),
        sql('update canteen_roster set left_school = true, position = $3 where school_id = $1 and voucher_id = $2', d.fromSchoolId, d.voucherId, at),
      ];
    }
    default:
      return [];
  }
}

export const canteenRosterProjection: Projection = {
  name: CANTEEN_ROSTER,
  canHandle: HANDLED,
  migrations: [{ id: '0400_canteen_roster', sql: ddl }],
  tables: ['canteen_roster'],
  apply: eachEvent(apply),
};
