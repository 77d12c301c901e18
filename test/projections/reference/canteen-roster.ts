/**
 * The event-by-event SQL the canteen roster had before it was written in rounds
 * (projections/canteen-roster/projection.ts), kept as the reference its equivalence test compares against.
 */
import type { MealVoucherEvent } from '../../../domain/events';
import type { Recorded, Sql } from '../../../projections/projection';
import { sql } from '../../../projections/projection';

export function applyOne(recorded: Recorded): Sql[] {
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
