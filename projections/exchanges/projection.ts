/**
 * `exchange_statuses`: every person's status per row of an eligibility list, the status feed
 * SDU and NOBD pull incrementally, and the returns (rows that ended without a voucher, with the
 * reason) — seed 001 appendix 1 p. 8 and p. 12, seed 004 p. 17. Which events change a status is
 * status-of.ts; here they land:
 *   exchange_rows   the current status of each list row (source, list, row), `returned` when it ended without a voucher
 *   exchange_feed   one row per status change, keyed by the event's log position (the feed's order and cursor)
 *   exchange_cases  consent case (stream and id) → the list row that opened it
 *   exchange_voucher_cases  voucher stream → its consent case's id
 * A change that leaves the status as it is (the second member voucher of a family activated) is
 * not fed again: the update only touches a row whose status differs, and the feed takes what the
 * update returned.
 */
import type { Projection } from '../projection';
import { STATUS_EVENT_TYPES } from '../../domain/lists/person-status';
import { exchangeBatchSql, foldExchangeBatch } from './batch';

export const EXCHANGE_STATUSES = 'exchange_statuses';

const ddl = `
create table exchange_rows (
  source      text not null,
  list_id     text not null,
  row_no      integer not null,
  program     text not null,
  family_id   text,
  person_id   text,
  school_id   text,
  city        text,
  case_stream text,
  status      text not null,
  reason      text,
  detail      text,
  returned    boolean not null default false,
  at          timestamptz not null,
  position    bigint not null,
  primary key (source, list_id, row_no)
);
create index exchange_rows_returned on exchange_rows (source, list_id, row_no) where returned;
create table exchange_cases (
  case_stream text primary key,
  case_id     text not null,
  source      text not null,
  list_id     text not null,
  row_no      integer not null
);
create index exchange_cases_case_id on exchange_cases (case_id);
create table exchange_voucher_cases (
  voucher_stream text primary key,
  case_id        text not null
);
create table exchange_feed (
  position  bigint not null,
  seq       smallint not null,
  source    text not null,
  list_id   text not null,
  row_no    integer not null,
  family_id text,
  person_id text,
  school_id text,
  city      text,
  case_id   text,
  status    text not null,
  reason    text,
  detail    text,
  at        timestamptz not null,
  primary key (position, seq)
);
create index exchange_feed_source on exchange_feed (source, position, seq);
`;

/**
 * The links remember the log position of the event that wrote them, so that a batch's status changes
 * read them as they stood when each change happened (batch.ts).
 */
const linkPositions = `
alter table exchange_cases add column position bigint not null default 0;
alter table exchange_voucher_cases add column position bigint not null default 0;
`;

export const exchangeStatusesProjection: Projection = {
  name: EXCHANGE_STATUSES,
  canHandle: [...new Set([...STATUS_EVENT_TYPES, 'ConsentCaseOpened' as const, 'MealVoucherIssued' as const, 'FoodVouchersIssued' as const])],
  migrations: [
    { id: '0510_exchange_statuses', sql: ddl },
    { id: '0870_exchange_link_positions', sql: linkPositions },
  ],
  tables: ['exchange_rows', 'exchange_cases', 'exchange_voucher_cases', 'exchange_feed'],
  apply: (events) => exchangeBatchSql(foldExchangeBatch(events)),
};
