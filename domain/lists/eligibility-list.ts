/**
 * An imported eligibility list and its per-row outcomes, in the stream `list-{source}-{listId}`.
 *   food (SDU, monthly; seed 004 p. 2.2, 13, 18): the family received АСП on the last day of the
 *     month before the reporting month, lives in a pilot city; the list is for a pilot month.
 *   meals (NOBD, per school, monthly; seed 002, seed 001 appendix 1 p. 5): the row is approved by
 *     the school head, reconciled by SDU (failures are returned to NOBD with the reason), and the
 *     pupil is in an eligible category.
 * Every row also needs a valid IIN (the service checks it with domain/shared/iin.ts and
 * pseudonymises before calling: the decider sees personIds and flags, never IINs), must not repeat
 * a subject earlier in the list (duplicate_row). A food row must not have a consent case already
 * (already_covered: the service tells which case streams exist). A food row is also a
 * duplicate_row (with a detail) when it lists a member twice, or a member of a family accepted
 * earlier in the same list: one family — one voucher — per person per list; and across lists, when
 * the person-month index (domain/lists/person-month.ts; the service reads it) has the person in
 * another family's vouchers this month: already_covered (one voucher per person per month).
 *
 * Large lists arrive in chunks (one command per chunk, see application/services/lists.ts): rows already
 * decided are skipped, so a re-sent chunk or a resumed list decides nothing twice. The same list
 * id with other content is refused; the list is Processed once every row has an outcome.
 *
 * Meals lists are monthly (seed 002: «на ежемесячной основе в НОБД формирует список обучающихся,
 * которым положена услуга»), one voucher per pupil per school year: the monthly list is the unit
 * of eligibility. A pupil the service says is covered already this school year (`pupils`) is
 *   - a voucher, or a case still waiting for an answer → ListRowContinued (row_continued): not a
 *     return; the service lists the voucher for the month, moving it when the school or the grade
 *     changed (transferredFrom);
 *   - a case that ended without consent and may start again (no phone, timed out, undeliverable;
 *     a refusal only by program parameter) → ListRowAccepted(startsAgain): the case starts again;
 *   - a refusal that stands → rejected consent_refused_earlier (returned to NOBD).
 * Pupils an earlier month's list of the school named and no list of this month names are suspended
 * for the month by the service once the list is processed (domain/lists/school-lists.ts).
 *
 * Row checks, first failing wins:
 *   food:  invalid_iin → not_on_asp_at_month_end → not_in_pilot_city → duplicate_row → already_covered
 *   meals: invalid_iin → not_approved_by_head → failed_sdu_reconciliation → not_eligible_category →
 *          duplicate_row → consent_refused_earlier
 * List refusals: list_already_received_with_different_content → program_not_in_force →
 *   list_period_closed. program_not_in_force: food — the month is not a pilot month (seed 004
 *   p. 9); meals — no day of the month is inside the 2026 order's 12 months from 21 Feb 2026
 *   (seed 002).
 */
import type { ListEvent, ListRowRejected, ListSource, ProgramCode, PupilCategory } from '../events';
import { streams } from '../events';
import { FOOD_VOUCHERS, pilotCity, type FoodVouchersProgram } from '../programs/food-vouchers';
import { SCHOOL_MEALS, type SchoolMealsProgram } from '../programs/school-meals';
import { inForceInMonth } from '../programs/school-calendar';
import { mealsPolicy } from '../consent/policy';
import type { CaseOutcome } from '../consent/consent-case';
import { addMonths, lastDayOfMonth, localDate, type Month, type SchoolYear } from '../shared/calendar';
import type { Code } from '../shared/codes';
import type { CommandMetadata, Decider } from '../shared/decider';
import { invariant, unreachable } from '../shared/decider';
import { refuse } from '../shared/errors';

export type RejectionCode = ListRowRejected['data']['reason'];

/** Free text from a source (SDU's reconciliation reason, a city name) kept in a row's detail: at most this long. */
export const MAX_ROW_DETAIL_CHARS = 120;
/** Runs of this many digits or more in free text are masked: they may be an IIN (12) or a phone. */
const LONG_DIGIT_RUN = /\d{6,}/g;

/** Free text safe to keep in an immutable event: long digit runs masked, capped. */
export function redactDetail(text: string): string {
  return text.replace(LONG_DIGIT_RUN, '…').slice(0, MAX_ROW_DETAIL_CHARS);
}

// ── commands ────────────────────────────────────────────────────────────────────────────────
export interface ListHeader {
  readonly listId: string;
  readonly source: ListSource;
  readonly program: ProgramCode;
  readonly month: Month;
  readonly schoolYear?: SchoolYear;
  readonly schoolId?: string;
  readonly rowCount: number;
  readonly contentHash: string;
}
interface RowBase {
  readonly rowNo: number;
  readonly familyId: string;
  /** False when any IIN of the row fails iin.ts; `invalidDetail` says whose. */
  readonly iinValid: boolean;
  readonly invalidDetail?: string;
}
export interface FoodRowInput extends RowBase {
  readonly kind: 'food';
  readonly headPersonId?: string;
  readonly memberPersonIds: readonly string[];
  readonly city: string;
  readonly aspOnDate: string;
}
export interface MealsRowInput extends RowBase {
  readonly kind: 'meals';
  readonly pupilPersonId?: string;
  readonly schoolId: string;
  readonly grade: number;
  readonly category: PupilCategory;
  readonly approvedByHead: boolean;
  readonly reconciliation?: { readonly ok: boolean; readonly reason?: string };
}
export type ListRowInput = FoodRowInput | MealsRowInput;

export interface ReceiveListChunk {
  readonly type: 'ReceiveListChunk';
  readonly data: {
    readonly header: ListHeader;
    readonly rows: readonly ListRowInput[];
    /** Food: case streams that already have events (from any earlier list): already_covered. */
    readonly existingCases: ReadonlySet<string>;
    /** Meals: by case stream, the pupils covered already this school year (from any earlier list). */
    readonly pupils?: ReadonlyMap<string, PupilYear>;
    /** Food: the person-month index for the rows' members — the case each is claimed by this month. */
    readonly claims?: ReadonlyMap<string, string>;
    /** The final chunk: once every row has an outcome the list is Processed. */
    readonly last: boolean;
  };
  readonly metadata: CommandMetadata;
}
export type ListCommand = ReceiveListChunk;

/** What a pupil has this school year, as the service read it from the case and voucher streams. */
export interface PupilYear {
  /** The consent case: still waiting for an answer, or ended with an outcome. */
  readonly consent: { readonly open: true } | { readonly open: false; readonly outcome: CaseOutcome };
  /** The voucher, when issued: its school and grade now. */
  readonly voucher?: { readonly schoolId: string; readonly grade: number };
}

// ── state ───────────────────────────────────────────────────────────────────────────────────
export interface RowDecision {
  readonly rowNo: number;
  readonly outcome: Code;
  readonly caseStream?: string;
  /** Meals rows the list names (accepted or continued): the pupil. */
  readonly personId?: string;
}
interface ListFacts {
  readonly header: ListHeader;
  readonly rows: ReadonlyMap<number, RowDecision>;
  /** Case streams of every row with a valid subject so far: a second one is a duplicate. */
  readonly subjects: ReadonlySet<string>;
  /** Food: members of the accepted families so far → their row: one family (one voucher) per person. */
  readonly members: ReadonlyMap<string, number>;
}
export type ListState =
  | { readonly status: 'None' }
  | ({ readonly status: 'Receiving' } & ListFacts)
  | ({ readonly status: 'Processed'; readonly accepted: number; readonly rejected: number; readonly continued: number } & ListFacts);

/** The pupils a processed meals list names for its month: accepted or continued rows. */
export function listedPupils(state: ListState): string[] {
  if (state.status === 'None') return [];
  return [...state.rows.values()].flatMap((r) => ((r.outcome === 'row_accepted' || r.outcome === 'row_continued') && r.personId ? [r.personId] : []));
}

/** The consent case stream a row opens, or undefined when the row has no valid subject. */
export function caseStreamOf(header: Pick<ListHeader, 'month' | 'schoolYear'>, row: ListRowInput): string | undefined {
  if (!row.iinValid) return undefined;
  switch (row.kind) {
    case 'food':
      return streams.consentFood(row.familyId, header.month);
    case 'meals':
      invariant(header.schoolYear, 'a meals list names its school year');
      return row.pupilPersonId ? streams.consentMeals(row.pupilPersonId, header.schoolYear) : undefined;
    default:
      return unreachable(row, 'list row');
  }
}

// ── decide ──────────────────────────────────────────────────────────────────────────────────
export interface ListPrograms {
  readonly meals: SchoolMealsProgram;
  readonly food: FoodVouchersProgram;
}

/**
 * The program's rules a row breaks by itself (its ASP date, city, approval, reconciliation,
 * category), whatever else the list holds: the first refusal, or undefined. The intake asks it
 * before storing anyone's IIN and name, so that the vault never keeps the people of a refused row.
 */
export function rowRuleOf(programs: ListPrograms = { meals: SCHOOL_MEALS, food: FOOD_VOUCHERS }) {
  function foodRule(row: FoodRowInput, header: Pick<ListHeader, 'month'>): { reason: RejectionCode; detail?: string } | undefined {
    const mustBe = lastDayOfMonth(addMonths(header.month, -1));
    if (row.aspOnDate !== mustBe) return { reason: 'not_on_asp_at_month_end', detail: redactDetail(`АСП on ${row.aspOnDate}, needed on ${mustBe}`) };
    if (!pilotCity(row.city, programs.food)) return { reason: 'not_in_pilot_city', detail: redactDetail(row.city) };
    return undefined;
  }
  function mealsRule(row: MealsRowInput): { reason: RejectionCode; detail?: string } | undefined {
    if (!row.approvedByHead) return { reason: 'not_approved_by_head' };
    if (row.reconciliation && !row.reconciliation.ok)
      return { reason: 'failed_sdu_reconciliation', ...(row.reconciliation.reason ? { detail: redactDetail(row.reconciliation.reason) } : {}) };
    if (!programs.meals.eligibleCategories.includes(row.category)) return { reason: 'not_eligible_category', detail: row.category };
    return undefined;
  }
  return (row: ListRowInput, header: Pick<ListHeader, 'month'>): { reason: RejectionCode; detail?: string } | undefined =>
    row.kind === 'food' ? foodRule(row, header) : mealsRule(row);
}

export function createListDecider(programs: ListPrograms = { meals: SCHOOL_MEALS, food: FOOD_VOUCHERS }): Decider<ListState, ListCommand, ListEvent> {
  const rowRule = rowRuleOf(programs);
  const meals = mealsPolicy(programs.meals);

  /** A meals row whose pupil is covered already this school year: continued, started again, or returned. */
  function coveredPupil(
    row: MealsRowInput,
    header: ListHeader,
    caseStream: string,
    personId: string,
    pupil: PupilYear,
    reject: (reason: RejectionCode, detail?: string) => ListEvent,
  ): ListEvent {
    const base = { listId: header.listId, rowNo: row.rowNo, familyId: row.familyId, personId, caseStream, schoolId: row.schoolId };
    if (pupil.consent.open) return { type: 'ListRowContinued', data: { ...base, grade: row.grade, covered: 'consent_pending' } };
    const outcome = pupil.consent.outcome;
    if (outcome === 'given' || outcome === 'not_required') {
      const v = pupil.voucher;
      const moved = v !== undefined && (v.schoolId !== row.schoolId || v.grade !== row.grade);
      return {
        type: 'ListRowContinued',
        data: {
          ...base,
          grade: row.grade,
          covered: v ? 'voucher' : 'consent_pending',
          ...(moved ? { transferredFrom: { schoolId: v.schoolId, grade: v.grade } } : {}),
        },
      };
    }
    if (meals.mayStartAgain(outcome)) return { type: 'ListRowAccepted', data: { ...base, startsAgain: true } };
    return reject('consent_refused_earlier', `${outcome} this school year`);
  }

  /** Food: a member listed twice in the row, or already a member of a family accepted earlier in the list. */
  function memberDuplicate(row: ListRowInput, members: ReadonlyMap<string, number>): string | undefined {
    if (row.kind !== 'food') return undefined;
    const ids = row.memberPersonIds;
    const twice = ids.findIndex((id, i) => ids.indexOf(id) !== i);
    if (twice >= 0) return `member ${twice + 1} is listed twice in the row`;
    const earlier = ids.findIndex((id) => members.has(id));
    return earlier >= 0 ? `member ${earlier + 1} is a member of the family in row ${members.get(ids[earlier]!)}` : undefined;
  }

  /** Food: a member the person-month index has in another family's vouchers this month. */
  function claimedElsewhere(row: ListRowInput, caseStream: string, claims: ReadonlyMap<string, string>): string | undefined {
    if (row.kind !== 'food') return undefined;
    const at = row.memberPersonIds.findIndex((id) => claims.has(id) && claims.get(id) !== caseStream);
    return at < 0 ? undefined : `member ${at + 1} has vouchers in another family this month`;
  }

  function decideRow(
    row: ListRowInput,
    header: ListHeader,
    seen: Set<string>,
    members: Map<string, number>,
    existing: ReadonlySet<string>,
    pupils: ReadonlyMap<string, PupilYear>,
    claims: ReadonlyMap<string, string>,
  ): ListEvent {
    const caseStream = caseStreamOf(header, row);
    const personId = row.kind === 'food' ? row.headPersonId : row.pupilPersonId;
    const where = row.kind === 'food' ? { city: row.city } : { schoolId: row.schoolId };
    const reject = (reason: RejectionCode, detail?: string): ListEvent => ({
      type: 'ListRowRejected',
      data: {
        listId: header.listId,
        rowNo: row.rowNo,
        reason,
        ...(detail ? { detail } : {}),
        familyId: row.familyId,
        ...(personId ? { personId } : {}),
        ...where,
        returnTo: header.source,
      },
    });
    if (!caseStream || !personId) return reject('invalid_iin', row.invalidDetail);
    const rule = rowRule(row, header);
    const duplicate = seen.has(caseStream);
    seen.add(caseStream);
    if (rule) return reject(rule.reason, rule.detail);
    if (duplicate) return reject('duplicate_row');
    const member = memberDuplicate(row, members);
    if (member) return reject('duplicate_row', member);
    if (row.kind !== 'food') {
      const pupil = pupils.get(caseStream);
      if (pupil) return coveredPupil(row, header, caseStream, personId, pupil, reject);
      return { type: 'ListRowAccepted', data: { listId: header.listId, rowNo: row.rowNo, familyId: row.familyId, personId, caseStream, ...where } };
    }
    if (existing.has(caseStream)) return reject('already_covered', caseStream);
    const claimed = claimedElsewhere(row, caseStream, claims);
    if (claimed) return reject('already_covered', claimed);
    for (const id of row.memberPersonIds) members.set(id, row.rowNo);
    return {
      type: 'ListRowAccepted',
      data: { listId: header.listId, rowNo: row.rowNo, familyId: row.familyId, personId, caseStream, ...where, memberPersonIds: row.memberPersonIds },
    };
  }

  function checkList(command: ReceiveListChunk, state: ListState): void {
    const { header } = command.data;
    if (state.status !== 'None') {
      if (state.header.contentHash !== header.contentHash) refuse('list_already_received_with_different_content', header.listId);
      return;
    }
    if (header.program === 'food-vouchers' && (header.month < programs.food.firstMonth || header.month > programs.food.lastMonth))
      refuse('program_not_in_force', `${header.month} is outside ${programs.food.firstMonth}..${programs.food.lastMonth}`);
    if (header.program === 'school-meals' && !inForceInMonth(header.month, programs.meals))
      refuse('program_not_in_force', `${header.month} is outside ${programs.meals.inForce.from}..${programs.meals.inForce.until}`);
    const today = localDate(command.metadata.now, header.program === 'food-vouchers' ? programs.food.timezone : programs.meals.timezone);
    if (today > lastDayOfMonth(header.month)) refuse('list_period_closed', `${header.month} ended`);
  }

  function receive(command: ReceiveListChunk, state: ListState): ListEvent[] {
    const { header, rows, existingCases, last } = command.data;
    const pupils = command.data.pupils ?? new Map<string, PupilYear>();
    const claims = command.data.claims ?? new Map<string, string>();
    checkList(command, state);
    const events: ListEvent[] = [];
    if (state.status === 'None') events.push({ type: 'EligibilityListReceived', data: { ...header, receivedAt: command.metadata.now } });
    const decided = state.status === 'None' ? new Map<number, RowDecision>() : state.rows;
    const seen = new Set(state.status === 'None' ? [] : state.subjects);
    const members = new Map(state.status === 'None' ? [] : state.members);
    for (const row of rows) {
      invariant(row.rowNo >= 1 && row.rowNo <= header.rowCount, `row ${row.rowNo} outside 1..${header.rowCount}`);
      if (decided.has(row.rowNo)) continue;
      events.push(decideRow(row, header, seen, members, existingCases, pupils, claims));
    }
    if (last && state.status !== 'Processed') {
      const after = evolveListAll(state, events);
      invariant(after.status !== 'None', 'list state after receipt');
      if (after.rows.size === header.rowCount) {
        const accepted = [...after.rows.values()].filter((r) => r.outcome === 'row_accepted').length;
        const continued = [...after.rows.values()].filter((r) => r.outcome === 'row_continued').length;
        events.push({
          type: 'EligibilityListProcessed',
          data: { listId: header.listId, accepted, rejected: header.rowCount - accepted - continued, ...(continued > 0 ? { continued } : {}) },
        });
      }
    }
    return events;
  }

  return {
    initialState: () => ({ status: 'None' }),
    decide: (command, state) => {
      switch (command.type) {
        case 'ReceiveListChunk':
          return receive(command, state);
        default:
          return unreachable(command.type, 'list command');
      }
    },
    evolve: evolveList,
    evolveAll: evolveListAll,
  };
}

// ── evolve ──────────────────────────────────────────────────────────────────────────────────
function rejectedSubject(header: ListHeader, data: ListRowRejected['data']): string | undefined {
  if (data.reason === 'invalid_iin') return undefined;
  if (header.program === 'food-vouchers') return data.familyId ? streams.consentFood(data.familyId, header.month) : undefined;
  return data.personId && header.schoolYear ? streams.consentMeals(data.personId, header.schoolYear) : undefined;
}

export function evolveList(state: ListState, event: ListEvent): ListState {
  switch (event.type) {
    case 'EligibilityListReceived': {
      invariant(state.status === 'None', 'list received twice');
      const { receivedAt: _receivedAt, ...header } = event.data;
      return { status: 'Receiving', header, rows: new Map(), subjects: new Set(), members: new Map() };
    }
    case 'ListRowAccepted':
    case 'ListRowContinued':
    case 'ListRowRejected':
      return withRows(state, [event]);
    case 'EligibilityListProcessed': {
      invariant(state.status === 'Receiving', 'list processed twice');
      return { ...state, status: 'Processed', accepted: event.data.accepted, rejected: event.data.rejected, continued: event.data.continued ?? 0 };
    }
    default:
      return unreachable(event, 'list event');
  }
}

/**
 * `evolveList` over many events: the same state, but a run of row events copies the list's
 * collections once instead of once per row (a 1,000-row list folded row by row copied ~10⁶ map
 * entries; it was the list upload's whole cost). The state given is never changed.
 */
export function evolveListAll(state: ListState, events: readonly ListEvent[]): ListState {
  let s = state;
  for (let i = 0; i < events.length;) {
    let end = i;
    while (end < events.length && isRowEvent(events[end]!)) end++;
    if (end > i) {
      s = withRows(s, events.slice(i, end) as RowEvent[]);
      i = end;
    } else s = evolveList(s, events[i++]!);
  }
  return s;
}

type RowEvent = Extract<ListEvent, { type: 'ListRowAccepted' | 'ListRowContinued' | 'ListRowRejected' }>;
const isRowEvent = (event: ListEvent): event is RowEvent =>
  event.type === 'ListRowAccepted' || event.type === 'ListRowContinued' || event.type === 'ListRowRejected';

/** The state with these rows decided, on fresh copies of its collections. */
function withRows(state: ListState, events: readonly RowEvent[]): ListState {
  invariant(state.status === 'Receiving', `${events[0]!.type} outside a list being received`);
  const rows = new Map(state.rows);
  const subjects = new Set(state.subjects);
  const members = new Map(state.members);
  for (const event of events) {
    invariant(!rows.has(event.data.rowNo), `row ${event.data.rowNo} decided twice`);
    if (event.type === 'ListRowAccepted') {
      const pupil = state.header.program === 'school-meals' ? { personId: event.data.personId } : {};
      rows.set(event.data.rowNo, { rowNo: event.data.rowNo, outcome: 'row_accepted', caseStream: event.data.caseStream, ...pupil });
      subjects.add(event.data.caseStream);
      for (const id of event.data.memberPersonIds ?? []) members.set(id, event.data.rowNo);
    } else if (event.type === 'ListRowContinued') {
      rows.set(event.data.rowNo, { rowNo: event.data.rowNo, outcome: 'row_continued', caseStream: event.data.caseStream, personId: event.data.personId });
      subjects.add(event.data.caseStream);
    } else {
      rows.set(event.data.rowNo, { rowNo: event.data.rowNo, outcome: event.data.reason });
      const subject = rejectedSubject(state.header, event.data);
      if (subject) subjects.add(subject);
    }
  }
  return { ...state, rows, subjects, members };
}

export const eligibilityList = createListDecider();
