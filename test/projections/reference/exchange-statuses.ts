/**
 * The event-by-event SQL `exchange_statuses` had before it was written a batch at a time
 * (projections/exchanges/batch.ts), kept as the reference its equivalence test compares against.
 * Its links carry no position (the column's default, 0): the test compares every other column.
 */
import { parseStream } from '../../../domain/streams';
import type { Recorded, Sql } from '../../../projections/projection';
import { sql } from '../../../projections/projection';
import { statusChangeOf, type StatusChange } from '../../../domain/lists/person-status';

const FEED_COLUMNS = 'position, seq, source, list_id, row_no, family_id, person_id, school_id, city, case_id, status, reason, detail, at';

/** A list row's first status (accepted, continued or returned): the row and its feed entry. */
function listRow(event: Recorded, change: StatusChange): Sql[] {
  const e = event;
  if (e.type !== 'ListRowAccepted' && e.type !== 'ListRowContinued' && e.type !== 'ListRowRejected') return [];
  const list = parseStream(event.stream);
  if (list?.kind !== 'list') return [];
  const d = e.data;
  const program = typeof event.metadata.program === 'string' ? event.metadata.program : list.source === 'sdu' ? 'food-vouchers' : 'school-meals';
  const caseStream = e.type === 'ListRowRejected' ? null : e.data.caseStream;
  const city = 'city' in d ? (d.city ?? null) : null;
  const row = [list.source, d.listId, d.rowNo, program, d.familyId ?? null, d.personId ?? null, d.schoolId ?? null, city, caseStream];
  const at = event.metadata.recordedAt;
  return [
    sql(
      `with ins as (
         insert into exchange_rows (source, list_id, row_no, program, family_id, person_id, school_id, city, case_stream, status, reason, detail, returned, at, position)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) on conflict (source, list_id, row_no) do nothing
         returning *)
       insert into exchange_feed (${FEED_COLUMNS})
       select $15, 0, source, list_id, row_no, family_id, person_id, school_id, city, case_stream, status, reason, detail, at from ins`,
      ...row,
      change.status,
      change.reason ?? null,
      change.detail ?? null,
      change.status === 'returned',
      at,
      event.position,
    ),
  ];
}

/** A change to the row a case (or a voucher stream's case) belongs to, fed only when the status moves. */
function rowOfCase(event: Recorded, caseSql: string, caseParam: string, change: StatusChange): Sql {
  return sql(
    `with target as (select c.source, c.list_id, c.row_no from exchange_cases c where ${caseSql}),
     upd as (
       update exchange_rows r set status = $2, reason = $3, detail = $4, returned = $5, at = $6, position = $7
       from target t where r.source = t.source and r.list_id = t.list_id and r.row_no = t.row_no
         and (r.status, coalesce(r.reason, '')) is distinct from ($2, coalesce($3, ''))
       returning r.*)
     insert into exchange_feed (${FEED_COLUMNS})
     select $7, 0, source, list_id, row_no, family_id, person_id, school_id, city, case_stream, status, reason, detail, at from upd`,
    caseParam,
    change.status,
    change.reason ?? null,
    change.detail ?? null,
    change.status === 'returned',
    event.metadata.recordedAt,
    event.position,
  );
}

function repointCase(caseStream: string, listId: string, rowNo: number): Sql {
  return sql('update exchange_cases set list_id = $2, row_no = $3 where case_stream = $1', caseStream, listId, rowNo);
}

export function applyOne(event: Recorded): Sql[] {
  const e = event;
  const out: Sql[] = [];
  // The links first: a case to the row that opened it, a voucher stream to its case.
  if (e.type === 'ConsentCaseOpened')
    out.push(
      sql(
        `insert into exchange_cases (case_stream, case_id, source, list_id, row_no)
         select $1, $4, source, list_id, row_no from exchange_rows where case_stream = $1 and list_id = $2 and row_no = $3
         on conflict (case_stream) do nothing`,
        event.stream,
        e.data.listId,
        e.data.rowNo,
        e.data.caseId,
      ),
    );
  // A later monthly list names the pupil again (continued, or the case started again): from here on
  // the case's changes land on that list's row; the earlier row keeps the status it ended with.
  if (e.type === 'ListRowContinued') out.push(repointCase(e.data.caseStream, e.data.listId, e.data.rowNo));
  if (e.type === 'ConsentCaseReopened') out.push(repointCase(event.stream, e.data.listId, e.data.rowNo));
  if (e.type === 'MealVoucherIssued' || e.type === 'FoodVouchersIssued')
    out.push(
      sql('insert into exchange_voucher_cases (voucher_stream, case_id) values ($1, $2) on conflict (voucher_stream) do nothing', event.stream, e.data.caseId),
    );
  const found = statusChangeOf(e);
  if (!found) return out;
  switch (found.target) {
    case 'list_row':
      return [...out, ...listRow(event, found.change)];
    case 'case':
      return [...out, rowOfCase(event, 'c.case_stream = $1', event.stream, found.change)];
    case 'voucher':
      return [...out, rowOfCase(event, 'c.case_id = (select case_id from exchange_voucher_cases where voucher_stream = $1)', event.stream, found.change)];
  }
}
