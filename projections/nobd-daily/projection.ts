/**
 * NOBD daily report: per school and local day (Asia/Almaty) — vouchers activated, meals provided,
 * consent outcomes, and list rows returned to NOBD with their reasons. Events that lack the school
 * (an activation, a consent outcome) find it through small lookup tables filled from the event
 * that introduced the voucher, case or list; in a batch the lookups are written first, and an
 * introducing event always precedes its followers in the log, so set-based joins see them.
 */
import type { LedgerEventType } from '../../domain/events';
import type { Projection, Recorded, Sql } from '../projection';
import { InsertRows, Rows, SumRows, col } from '../shared/batch-sql';
import { isMealsConsentStream, localDay } from '../shared/events';

export const NOBD_DAILY = 'nobd_daily';

/** Counter columns of `nobd_daily`, in export order (docs/READ_MODELS.md). */
export const NOBD_COUNTERS = [
  'vouchers_activated',
  'meals_provided',
  'consent_consented',
  'consent_refused',
  'consent_timed_out',
  'consent_no_phone',
  'consent_not_required',
  'rows_returned',
  'consent_undeliverable',
] as const;
export type NobdCounter = (typeof NOBD_COUNTERS)[number];

const ddl = `
create table nobd_daily (
  school_id text not null,
  day       date not null,
  ${NOBD_COUNTERS.filter((c) => c !== 'consent_undeliverable')
    .map((c) => `${c} integer not null default 0`)
    .join(',\n  ')},
  primary key (school_id, day)
);
create index nobd_daily_day on nobd_daily (day);
create table nobd_vouchers (voucher_id text primary key, school_id text not null);
create table nobd_cases (case_id text primary key, school_id text not null);
create table nobd_lists (list_id text primary key, school_id text);
create table nobd_returned_rows (
  list_id   text not null,
  row_no    integer not null,
  school_id text not null,
  day       date not null,
  reason    text not null,
  detail    text,
  person_id text,
  position  bigint not null,
  primary key (list_id, row_no)
);
create index nobd_returned_rows_day on nobd_returned_rows (day, school_id);
`;

const handled: LedgerEventType[] = [
  'MealVoucherIssued',
  'MealVoucherActivated',
  'MealServed',
  'ConsentCaseOpened',
  'ConsentGiven',
  'ConsentRefused',
  'ConsentTimedOut',
  'ConsentPhoneNotFound',
  'ConsentNotRequired',
  'ConsentUndeliverable',
  'EligibilityListReceived',
  'ListRowRejected',
];

type Outcome = 'consent_consented' | 'consent_refused' | 'consent_timed_out' | 'consent_no_phone' | 'consent_not_required' | 'consent_undeliverable';
const OUTCOMES: readonly Outcome[] = [
  'consent_consented',
  'consent_refused',
  'consent_timed_out',
  'consent_no_phone',
  'consent_not_required',
  'consent_undeliverable',
];
/** A start SMS nobody could receive is its own outcome (issue 16 item 7), not a timeout. */
const undeliverableDdl = 'alter table nobd_daily add column if not exists consent_undeliverable integer not null default 0;';

function build(events: readonly Recorded[]): Sql[] {
  const vouchers = new InsertRows('nobd_vouchers', [col('voucher_id', 'text'), col('school_id', 'text')], 1);
  const cases = new InsertRows('nobd_cases', [col('case_id', 'text'), col('school_id', 'text')], 1);
  const lists = new InsertRows('nobd_lists', [col('list_id', 'text'), col('school_id', 'text')], 1);
  const meals = new SumRows('nobd_daily', [col('school_id', 'text'), col('day', 'date')], [col('meals_provided', 'integer')]);
  const activations = new Rows([col('voucher_id', 'text'), col('day', 'date')]);
  const outcomes = new Rows([col('case_id', 'text'), col('day', 'date'), col('outcome', 'text')]);
  const returned = new Rows([
    col('list_id', 'text'),
    col('row_no', 'integer'),
    col('school_id', 'text'),
    col('day', 'date'),
    col('reason', 'text'),
    col('detail', 'text'),
    col('person_id', 'text'),
    col('position', 'bigint'),
  ]);
  const outcome = (e: Recorded, caseId: string, which: Outcome, at: string) => {
    if (isMealsConsentStream(e.stream)) outcomes.add([caseId, localDay(at), which]);
  };
  for (const ev of events) {
    switch (ev.type) {
      case 'MealVoucherIssued':
        vouchers.add([ev.data.voucherId, ev.data.schoolId]);
        break;
      case 'MealVoucherActivated':
        activations.add([ev.data.voucherId, localDay(ev.data.activatedAt)]);
        break;
      case 'MealServed':
        meals.add([ev.data.schoolId, ev.data.schoolDay], [1]);
        break;
      case 'ConsentCaseOpened':
        if (ev.data.subject.kind === 'pupil') cases.add([ev.data.caseId, ev.data.subject.schoolId]);
        break;
      case 'ConsentGiven':
        outcome(ev, ev.data.caseId, 'consent_consented', ev.data.at);
        break;
      case 'ConsentRefused':
        outcome(ev, ev.data.caseId, 'consent_refused', ev.data.at);
        break;
      case 'ConsentTimedOut':
        outcome(ev, ev.data.caseId, 'consent_timed_out', ev.data.at);
        break;
      case 'ConsentPhoneNotFound':
        outcome(ev, ev.data.caseId, 'consent_no_phone', ev.metadata.recordedAt);
        break;
      case 'ConsentNotRequired':
        outcome(ev, ev.data.caseId, 'consent_not_required', ev.metadata.recordedAt);
        break;
      case 'ConsentUndeliverable':
        outcome(ev, ev.data.caseId, 'consent_undeliverable', ev.data.at);
        break;
      case 'EligibilityListReceived':
        if (ev.data.source === 'nobd') lists.add([ev.data.listId, ev.data.schoolId ?? null]);
        break;
      case 'ListRowRejected':
        if (ev.data.returnTo === 'nobd') {
          const d = ev.data;
          returned.add([d.listId, d.rowNo, d.schoolId ?? null, localDay(ev.metadata.recordedAt), d.reason, d.detail ?? null, d.personId ?? null, ev.position]);
        }
        break;
      default:
        break; // the runner only passes `handled` types; the rest of the catalogue is not this model's
    }
  }
  const upsert = (cols: readonly string[]) =>
    `on conflict (school_id, day) do update set ${cols.map((c) => `${c} = nobd_daily.${c} + excluded.${c}`).join(', ')}`;
  return [
    ...vouchers.toSql(),
    ...cases.toSql(),
    ...lists.toSql(),
    ...meals.toSql(),
    ...activations.toSql(
      (src) =>
        `insert into nobd_daily (school_id, day, vouchers_activated) select v.school_id, a.day, count(*) from ${src('a')} ` +
        `join nobd_vouchers v on v.voucher_id = a.voucher_id group by 1, 2 ${upsert(['vouchers_activated'])}`,
    ),
    ...outcomes.toSql(
      (src) =>
        `insert into nobd_daily (school_id, day, ${OUTCOMES.join(', ')}) select c.school_id, o.day, ` +
        OUTCOMES.map((name) => `count(*) filter (where o.outcome = '${name}')`).join(', ') +
        ` from ${src('o')} join nobd_cases c on c.case_id = o.case_id group by 1, 2 ${upsert(OUTCOMES)}`,
    ),
    ...returned.toSql(
      (src) =>
        `with r as (select r.list_id, r.row_no, coalesce(r.school_id, l.school_id, '') as school_id, r.day, r.reason, r.detail, r.person_id, r.position ` +
        `from ${src('r')} left join nobd_lists l on l.list_id = r.list_id), ` +
        `ins as (insert into nobd_returned_rows select * from r on conflict do nothing returning school_id, day) ` +
        `insert into nobd_daily (school_id, day, rows_returned) select school_id, day, count(*) from ins group by 1, 2 ${upsert(['rows_returned'])}`,
    ),
  ];
}

export const nobdDailyProjection: Projection = {
  name: NOBD_DAILY,
  canHandle: handled,
  migrations: [
    { id: '0201_nobd_daily', sql: ddl },
    { id: '0602_nobd_daily_undeliverable', sql: undeliverableDdl },
  ],
  tables: ['nobd_daily', 'nobd_vouchers', 'nobd_cases', 'nobd_lists', 'nobd_returned_rows'],
  apply: build,
};
