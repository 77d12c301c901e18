/**
 * `exchange_statuses` a batch at a time. The fold (pure) sorts a batch's events into what they
 * write — list rows, case links, voucher links, repointed cases, status changes — and five
 * statements apply them. A change reads the links and rows the events before it wrote, so every
 * lookup is made "as of" the change's log position: a link or a list row counts only when its
 * `position` (the event that wrote it) is at or before the change's, a repoint only when it came
 * after the link it moves. That keeps the rows equal to applying the events one at a time, in
 * any batch size (exchanges.test.ts checks both against each other on shuffled batch splits).
 */
import { parseStream } from '../../domain/streams';
import { statusChangeOf, type StatusChange } from '../../domain/lists/person-status';
import { sql, type Recorded, type Sql } from '../projection';
import { Rows, col } from '../shared/batch-sql';

const FEED_COLUMNS = 'position, seq, source, list_id, row_no, family_id, person_id, school_id, city, case_id, status, reason, detail, at';

const listRowColumns = [
  col('source', 'text'),
  col('list_id', 'text'),
  col('row_no', 'integer'),
  col('program', 'text'),
  col('family_id', 'text'),
  col('person_id', 'text'),
  col('school_id', 'text'),
  col('city', 'text'),
  col('case_stream', 'text'),
  col('status', 'text'),
  col('reason', 'text'),
  col('detail', 'text'),
  col('returned', 'boolean'),
  col('at', 'timestamptz'),
  col('position', 'bigint'),
];
const caseLinkColumns = [col('case_stream', 'text'), col('case_id', 'text'), col('list_id', 'text'), col('row_no', 'integer'), col('position', 'bigint')];
const voucherLinkColumns = [col('voucher_stream', 'text'), col('case_id', 'text'), col('position', 'bigint')];
const repointColumns = [col('case_stream', 'text'), col('list_id', 'text'), col('row_no', 'integer'), col('position', 'bigint')];
const changeColumns = [
  col('kind', 'text'),
  col('stream', 'text'),
  col('status', 'text'),
  col('reason', 'text'),
  col('detail', 'text'),
  col('returned', 'boolean'),
  col('at', 'timestamptz'),
  col('position', 'bigint'),
];

/** What a batch writes, in log order within each kind. */
export interface ExchangeBatch {
  /** The first event of each list row key (a later one's insert would find the row there). */
  readonly listRows: Rows;
  readonly caseLinks: Rows;
  /** The first link of each voucher stream (on conflict do nothing keeps the first). */
  readonly voucherLinks: Rows;
  readonly repoints: Rows;
  readonly changes: Rows;
}

/** Sorts a batch's events into rows per kind (pure). */
export function foldExchangeBatch(events: readonly Recorded[]): ExchangeBatch {
  const batch: ExchangeBatch = {
    listRows: new Rows(listRowColumns),
    caseLinks: new Rows(caseLinkColumns),
    voucherLinks: new Rows(voucherLinkColumns),
    repoints: new Rows(repointColumns),
    changes: new Rows(changeColumns),
  };
  const listRowKeys = new Set<string>();
  const voucherStreams = new Set<string>();
  for (const event of events) {
    const e = event;
    const position = event.position.toString();
    if (e.type === 'ConsentCaseOpened') batch.caseLinks.add([event.stream, e.data.caseId, e.data.listId, e.data.rowNo, position]);
    // A later monthly list names the pupil again (continued, or the case started again): from here on
    // the case's changes land on that list's row; the earlier row keeps the status it ended with.
    if (e.type === 'ListRowContinued') batch.repoints.add([e.data.caseStream, e.data.listId, e.data.rowNo, position]);
    if (e.type === 'ConsentCaseReopened') batch.repoints.add([event.stream, e.data.listId, e.data.rowNo, position]);
    if ((e.type === 'MealVoucherIssued' || e.type === 'FoodVouchersIssued') && !voucherStreams.has(event.stream)) {
      voucherStreams.add(event.stream);
      batch.voucherLinks.add([event.stream, e.data.caseId, position]);
    }
    const found = statusChangeOf(e);
    if (!found) continue;
    if (found.target === 'list_row') {
      const row = listRowOf(event, found.change);
      if (!row) continue;
      const key = `${row[0]}\u0000${row[1]}\u0000${row[2]}`;
      if (listRowKeys.has(key)) continue;
      listRowKeys.add(key);
      batch.listRows.add(row);
      continue;
    }
    const c = found.change;
    batch.changes.add([found.target, event.stream, c.status, c.reason ?? null, c.detail ?? null, c.status === 'returned', event.metadata.recordedAt, position]);
  }
  return batch;
}

/** A list row's first status (accepted, continued or returned), as its columns. */
function listRowOf(event: Recorded, change: StatusChange): unknown[] | undefined {
  const e = event;
  if (e.type !== 'ListRowAccepted' && e.type !== 'ListRowContinued' && e.type !== 'ListRowRejected') return undefined;
  const list = parseStream(event.stream);
  if (list?.kind !== 'list') return undefined;
  const d = e.data;
  const program = typeof event.metadata.program === 'string' ? event.metadata.program : list.source === 'sdu' ? 'food-vouchers' : 'school-meals';
  const caseStream = e.type === 'ListRowRejected' ? null : e.data.caseStream;
  const city = 'city' in d ? (d.city ?? null) : null;
  return [
    list.source,
    d.listId,
    d.rowNo,
    program,
    d.familyId ?? null,
    d.personId ?? null,
    d.schoolId ?? null,
    city,
    caseStream,
    change.status,
    change.reason ?? null,
    change.detail ?? null,
    change.status === 'returned',
    event.metadata.recordedAt,
    event.position.toString(),
  ];
}

/** The batch's statements, in the order their reads need. */
export function exchangeBatchSql(batch: ExchangeBatch): Sql[] {
  return [
    // New rows and their first feed entry; a row already there keeps its status (as the live insert did).
    ...batch.listRows.toSql(
      (source) =>
        `with ins as (insert into exchange_rows (${batch.listRows.names}) select * from ${source('n')} on conflict (source, list_id, row_no) do nothing returning *)
         insert into exchange_feed (${FEED_COLUMNS})
         select position, 0, source, list_id, row_no, family_id, person_id, school_id, city, case_stream, status, reason, detail, at from ins`,
    ),
    // A case opened links to the row named by its list and row number, if that row was there then; the first link wins.
    ...batch.caseLinks.toSql(
      (source) =>
        `insert into exchange_cases (case_stream, case_id, source, list_id, row_no, position)
         select o.case_stream, o.case_id, r.source, r.list_id, r.row_no, o.position from ${source('o')}
         join exchange_rows r on r.case_stream = o.case_stream and r.list_id = o.list_id and r.row_no = o.row_no and r.position <= o.position
         order by o.position
         on conflict (case_stream) do nothing`,
    ),
    ...batch.voucherLinks.toSql(
      (source) => `insert into exchange_voucher_cases (voucher_stream, case_id, position) select * from ${source('v')} on conflict (voucher_stream) do nothing`,
    ),
    ...changesSql(batch),
    // Each case's last repoint in the batch, if its link was there by then.
    ...batch.repoints.toSql(
      (source) =>
        `update exchange_cases c set list_id = p.list_id, row_no = p.row_no
         from (select distinct on (case_stream) * from ${source('p')} order by case_stream, position desc) p
         where c.case_stream = p.case_stream and c.position <= p.position`,
    ),
  ];
}

/**
 * The status changes: each resolved to the row(s) its case (or its voucher stream's case) pointed
 * at when it happened — the link as written by then, moved by the batch's repoints up to it — and
 * kept only when it moves the row's (status, reason): compared with the change before it on the same
 * row, the first with the row as stored. The row takes the last change kept; the feed takes each.
 */
function changesSql(batch: ExchangeBatch): Sql[] {
  if (batch.changes.size === 0) return [];
  const changes = batch.changes.values();
  const repoints = batch.repoints.values();
  const first = changes.length + 1;
  const text = `with x as (select * from ${batch.changes.source('x')}),
    rp as (select * from ${batch.repoints.source('rp', first)}),
    linked as (
      select x.*, c.case_stream, c.source, c.list_id, c.row_no, c.position as linked_at
        from x join exchange_cases c on c.case_stream = x.stream and c.position <= x.position where x.kind = 'case'
      union all
      select x.*, c.case_stream, c.source, c.list_id, c.row_no, c.position
        from x join exchange_voucher_cases v on v.voucher_stream = x.stream and v.position <= x.position
        join exchange_cases c on c.case_id = v.case_id and c.position <= x.position where x.kind = 'voucher'),
    resolved as (
      select l.source, coalesce(p.list_id, l.list_id) as list_id, coalesce(p.row_no, l.row_no) as row_no, l.status, l.reason, l.detail, l.returned, l.at, l.position
      from linked l left join lateral (
        select rp.list_id, rp.row_no from rp where rp.case_stream = l.case_stream and rp.position >= l.linked_at and rp.position <= l.position
        order by rp.position desc limit 1) p on true),
    targets as (select distinct on (source, list_id, row_no, position) * from resolved order by source, list_id, row_no, position),
    ordered as (
      select t.*, r.status as row_status, r.reason as row_reason, r.family_id, r.person_id, r.school_id, r.city, r.case_stream,
        lag(t.status) over w as prev_status, lag(t.reason) over w as prev_reason, row_number() over w as n
      from targets t join exchange_rows r on r.source = t.source and r.list_id = t.list_id and r.row_no = t.row_no and r.position <= t.position
      window w as (partition by t.source, t.list_id, t.row_no order by t.position)),
    kept as (
      select * from ordered
      where (status, coalesce(reason, '')) is distinct from
        (case when n = 1 then row_status else prev_status end, coalesce(case when n = 1 then row_reason else prev_reason end, ''))),
    upd as (
      update exchange_rows r set status = k.status, reason = k.reason, detail = k.detail, returned = k.returned, at = k.at, position = k.position
      from (select distinct on (source, list_id, row_no) * from kept order by source, list_id, row_no, position desc) k
      where r.source = k.source and r.list_id = k.list_id and r.row_no = k.row_no)
    insert into exchange_feed (${FEED_COLUMNS})
    select position, 0, source, list_id, row_no, family_id, person_id, school_id, city, case_stream, status, reason, detail, at from kept`;
  return [sql(text, ...changes, ...repoints)];
}
