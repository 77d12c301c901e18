/**
 * Figures → events: for every row of every report, the log positions of the events it counts
 * (docs/EVIDENCE.md, "Every figure traceable"). A read model of its own, beside the reports it
 * traces: the reports' projections stay as they are, and a recount of the traced events
 * (reports.ts) must reproduce each reported figure — a test holds them to it over a seeded month
 * and over a long random history.
 *
 * A figure is named by its report and its key, the key's parts URI-encoded and joined by "/":
 *   tabel            school/month/pupil        a табель line (meals served, by school day)
 *   nobd-daily       school/day                a NOBD daily row (activations, meals, consent outcomes, returns)
 *   outcomes-funnel  program/area/month        a funnel row of the pilot outcomes
 *   outcomes-food    city/month/category/unit  a goods-volume row
 *   outcomes-meals   region/month              pupils fed and meals served
 * A key's prefix names the rows under it (school/month: a whole табель).
 *
 * Events that do not carry the key (an activation does not name its school) find it through
 * lookup tables filled by the event that introduced the voucher, case, wallet or list, written
 * first in a batch, as the reports' own projections do.
 */
import type { LedgerEventType } from '../../domain/events';
import type { Projection, Recorded, Sql } from '../projection';
import { InsertRows, Rows, col } from '../shared/batch-sql';
import { isMealsConsentStream, localDay, localMonth } from '../shared/events';
import { UNCATEGORISED } from '../outcomes/projection';

export const FIGURES = 'figures';

export const REPORTS = ['tabel', 'nobd-daily', 'outcomes-funnel', 'outcomes-food', 'outcomes-meals'] as const;
export type ReportName = (typeof REPORTS)[number];

/** One part of a figure key, encoded so that "/" only ever separates parts. */
export const keyPart = (value: string): string => encodeURIComponent(value);
export const figureKey = (...parts: readonly string[]): string => parts.map(keyPart).join('/');
export const keyParts = (figure: string): string[] => figure.split('/').map((p) => decodeURIComponent(p));

const ddl = `
create table figure_events (
  report   text   not null,
  figure   text   collate "C" not null,
  position bigint not null,
  primary key (report, figure, position)
);
create table figure_vouchers (voucher_id text primary key, school_id text, program text not null, area text not null, month text not null);
create table figure_cases (case_id text primary key, school_id text, program text not null, area text not null, month text not null);
create table figure_wallets (stream text primary key, city text not null, month text not null);
create table figure_lists (list_id text primary key, school_id text);
`;

const handled: LedgerEventType[] = [
  'EligibilityListReceived',
  'ListRowRejected',
  'ConsentCaseOpened',
  'ConsentPhoneNotFound',
  'ConsentNotRequired',
  'SmsRequested',
  'SmsSent',
  'ConsentGiven',
  'ConsentRefused',
  'ConsentTimedOut',
  'MealVoucherIssued',
  'MealVoucherActivated',
  'MealServed',
  'FoodVouchersIssued',
  'FoodVoucherActivated',
  'FoodPurchaseCaptured',
  'FoodVouchersLapsed',
];

/**
 * How a contribution's figure is completed: `key` is whole already; the others prefix `suffix`
 * with columns of a lookup row found by `ref` (no row: the report's own join finds none either,
 * and the event counts nowhere — except a returned row, which counts under school "").
 */
const VIA_FIGURE = {
  key: `c.suffix`,
  voucher_school: `v.school_id || c.suffix`,
  voucher_funnel: `v.program || '/' || v.area || '/' || v.month`,
  voucher_area: `v.area || c.suffix`,
  case_school: `k.school_id || c.suffix`,
  case_funnel: `k.program || '/' || k.area || '/' || k.month`,
  wallet: `w.city || '/' || w.month || c.suffix`,
  list_school: `coalesce(l.school_id, '') || c.suffix`,
} as const;
type Via = keyof typeof VIA_FIGURE;

const CONTRIBUTIONS_SQL = (source: string) =>
  `insert into figure_events (report, figure, position)
   select report, figure, position from (
     select c.report, c.position, case c.via ${Object.entries(VIA_FIGURE)
       .map(([via, figure]) => `when '${via}' then ${figure}`)
       .join(' ')} end as figure
     from ${source}
     left join figure_vouchers v on c.via like 'voucher%' and v.voucher_id = c.ref
     left join figure_cases k on c.via like 'case%' and k.case_id = c.ref
     left join figure_wallets w on c.via = 'wallet' and w.stream = c.ref
     left join figure_lists l on c.via = 'list_school' and l.list_id = c.ref
   ) f where figure is not null
   on conflict do nothing`;

function build(events: readonly Recorded[]): Sql[] {
  const lookupColumns = [col('school_id', 'text'), col('program', 'text'), col('area', 'text'), col('month', 'text')];
  const vouchers = new InsertRows('figure_vouchers', [col('voucher_id', 'text'), ...lookupColumns], 1);
  const cases = new InsertRows('figure_cases', [col('case_id', 'text'), ...lookupColumns], 1);
  const wallets = new InsertRows('figure_wallets', [col('stream', 'text'), col('city', 'text'), col('month', 'text')], 1);
  const lists = new InsertRows('figure_lists', [col('list_id', 'text'), col('school_id', 'text')], 1);
  const contributions = new Rows([col('report', 'text'), col('via', 'text'), col('ref', 'text'), col('suffix', 'text'), col('position', 'bigint')]);
  const count = (e: Recorded, report: ReportName, via: Via, ref: string, suffix = '') => contributions.add([report, via, ref, suffix, e.position]);
  for (const ev of events) {
    switch (ev.type) {
      case 'EligibilityListReceived':
        if (ev.data.source === 'nobd') lists.add([ev.data.listId, ev.data.schoolId === undefined ? null : keyPart(ev.data.schoolId)]);
        break;
      case 'ListRowRejected': {
        if (ev.data.returnTo !== 'nobd') break;
        const day = `/${localDay(ev.metadata.recordedAt)}`;
        if (ev.data.schoolId !== undefined) count(ev, 'nobd-daily', 'key', '', keyPart(ev.data.schoolId) + day);
        else count(ev, 'nobd-daily', 'list_school', ev.data.listId, day);
        break;
      }
      case 'ConsentCaseOpened': {
        const { subject } = ev.data;
        if (subject.kind === 'pupil')
          cases.add([ev.data.caseId, keyPart(subject.schoolId), ev.data.program, keyPart(subject.region), localMonth(ev.data.openedAt)]);
        else cases.add([ev.data.caseId, null, ev.data.program, keyPart(subject.city), subject.month]);
        count(ev, 'outcomes-funnel', 'case_funnel', ev.data.caseId);
        break;
      }
      case 'ConsentPhoneNotFound':
      case 'ConsentNotRequired':
        consentOutcome(ev, ev.data.caseId, ev.metadata.recordedAt, count);
        break;
      case 'ConsentGiven':
      case 'ConsentRefused':
      case 'ConsentTimedOut':
        consentOutcome(ev, ev.data.caseId, ev.data.at, count);
        break;
      case 'SmsRequested':
        if (ev.data.kind === 'consent_reminder') count(ev, 'outcomes-funnel', 'case_funnel', ev.data.caseId);
        break;
      case 'SmsSent':
        count(ev, 'outcomes-funnel', 'case_funnel', ev.data.caseId);
        break;
      case 'MealVoucherIssued': {
        const d = ev.data;
        vouchers.add([d.voucherId, keyPart(d.schoolId), 'school-meals', keyPart(d.region), localMonth(d.issuedAt)]);
        count(ev, 'outcomes-funnel', 'voucher_funnel', d.voucherId);
        break;
      }
      case 'MealVoucherActivated':
        count(ev, 'nobd-daily', 'voucher_school', ev.data.voucherId, `/${localDay(ev.data.activatedAt)}`);
        count(ev, 'outcomes-funnel', 'voucher_funnel', ev.data.voucherId);
        break;
      case 'MealServed': {
        const d = ev.data;
        count(ev, 'tabel', 'key', '', figureKey(d.schoolId, d.schoolDay.slice(0, 7), d.pupilId));
        count(ev, 'nobd-daily', 'key', '', figureKey(d.schoolId, d.schoolDay));
        count(ev, 'outcomes-funnel', 'voucher_funnel', d.voucherId);
        count(ev, 'outcomes-meals', 'voucher_area', d.voucherId, `/${d.schoolDay.slice(0, 7)}`);
        break;
      }
      case 'FoodVouchersIssued': {
        const d = ev.data;
        wallets.add([ev.stream, keyPart(d.city), d.month]);
        for (const v of d.vouchers) {
          vouchers.add([v.voucherId, null, 'food-vouchers', keyPart(d.city), d.month]);
          count(ev, 'outcomes-funnel', 'voucher_funnel', v.voucherId);
        }
        break;
      }
      case 'FoodVoucherActivated':
        count(ev, 'outcomes-funnel', 'voucher_funnel', ev.data.voucherId);
        break;
      case 'FoodPurchaseCaptured':
        for (const a of ev.data.allocations) count(ev, 'outcomes-funnel', 'voucher_funnel', a.voucherId);
        for (const line of ev.data.lines)
          if (line.eligible) count(ev, 'outcomes-food', 'wallet', ev.stream, `/${keyPart(line.category ?? UNCATEGORISED)}/${keyPart(line.unit)}`);
        break;
      case 'FoodVouchersLapsed':
        for (const l of ev.data.lapses) count(ev, 'outcomes-funnel', 'voucher_funnel', l.voucherId);
        break;
      default:
        break; // the runner only passes `handled` types
    }
  }
  return [...lists.toSql(), ...cases.toSql(), ...vouchers.toSql(), ...wallets.toSql(), ...contributions.toSql((src) => CONTRIBUTIONS_SQL(src('c')))];
}

/** A consent case's end counts in its funnel row and, for a pupil's case, in the school's NOBD day. */
function consentOutcome(
  e: Recorded,
  caseId: string,
  at: string,
  count: (e: Recorded, report: ReportName, via: Via, ref: string, suffix?: string) => void,
): void {
  count(e, 'outcomes-funnel', 'case_funnel', caseId);
  if (isMealsConsentStream(e.stream)) count(e, 'nobd-daily', 'case_school', caseId, `/${localDay(at)}`);
}

export const figuresProjection: Projection = {
  name: FIGURES,
  canHandle: handled,
  migrations: [{ id: '0752_figures', sql: ddl }],
  tables: ['figure_events', 'figure_vouchers', 'figure_cases', 'figure_wallets', 'figure_lists'],
  // Inserted once per (figure, event), never read by its own SQL: indexed after a rebuild's load.
  appendOnlyTables: ['figure_events'],
  apply: build,
};
