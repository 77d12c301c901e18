/**
 * The school-meal voucher: one per pupil per school year (seed 001 appendix 2 p. 4, 9, 13), in the
 * stream `meals-{pupilId}-{schoolYear}`. Issued after consent (or directly for primary grades,
 * seed 002), activated by the parent (p. 6), meals recorded from canteen devices (p. 7, 8, 10;
 * offline devices forward later, seed 002), expired at the school year's end (p. 13).
 *
 * Refused meals are facts too: a canteen record that breaks a rule becomes `MealRefused` with its
 * code (the табель and the daily NOBD report show both), never a thrown error. Commands that a
 * person sends (activation) throw `DomainError` instead.
 *
 * Monthly lists (seed 002): each school's approved list of the month lists the voucher
 * (MealVoucherListed), moves it when it names another school or grade (MealVoucherTransferred), and
 * a pupil absent from it is suspended for that month (MealVoucherSuspended): no meal that month
 * (voucher_suspended), none on the табель. The latest word for a month wins: a later list for the
 * month that names the pupil lifts the suspension. A month no list has spoken about yet is open
 * (the list for a month may come in its first days).
 *
 * Precedence of meal refusals (first failing check wins):
 *   device_wrong_school → clock_skew_too_large → qr_token_expired → qr_token_reused →
 *   voucher_expired → voucher_not_active → voucher_suspended → outside_school_year →
 *   program_not_in_force → not_a_school_day → meal_already_recorded_today
 * (program_not_in_force: the day is outside the 2026 order's 12 months, seed 002;
 * not_a_school_day: a weekend, a holiday, a break of the pupil's grade, or before the first / after
 * the last lesson day of the school year — domain/programs/school-calendar.ts.)
 * (who may record → can the record's time be trusted → is the token good → voucher lifecycle →
 * time windows → the daily limit).
 *
 * Strictness at the year end: once MealVoucherExpired is recorded nothing more happens on the
 * voucher, so a record scanned on the last school day but synced after the expiry fired is refused
 * voucher_expired (the expiry fires at the end of 31 May, days after the last school day).
 */
import type { DeadlineFired, DeadlineKind, DeadlineScheduled, MealRefused, MealServed, MealVoucherEvent, MealVoucherIssued, PupilCategory } from '../events';
import { streams } from '../events';
import { SCHOOL_MEALS, tabelFinalAt, type SchoolMealsProgram } from '../programs/school-meals';
import { mealDayRefusal } from '../programs/school-calendar';
import type { Instant, LocalDate, Month, SchoolYear } from '../shared/calendar';
import { endOfDay, localDate, monthOf, schoolYearEnd, schoolYearStart, secondsBetween } from '../shared/calendar';
import type { Code } from '../shared/codes';
import { evolveEach, invariant, unreachable, type CommandMetadata, type Decider } from '../shared/decider';
import { refuse } from '../shared/errors';

// ── commands ────────────────────────────────────────────────────────────────────────────────
export interface IssueMealVoucher {
  readonly type: 'IssueMealVoucher';
  readonly data: {
    readonly voucherId: string;
    readonly pupilId: string;
    readonly familyId: string;
    readonly schoolId: string;
    readonly region: string;
    readonly grade: number;
    readonly category: PupilCategory;
    readonly schoolYear: SchoolYear;
    readonly caseId: string;
    readonly viaConsent: boolean;
    /** When consent was given: the school year is judged at this instant, not at processing time. */
    readonly consentAt?: Instant;
  };
  readonly metadata: CommandMetadata;
}
export interface ActivateMealVoucher {
  readonly type: 'ActivateMealVoucher';
  /** familyId: the activating citizen's family; a voucher of another family is "not found". */
  readonly data: { readonly voucherId: string; readonly familyId: string; readonly byPersonId: string };
  readonly metadata: CommandMetadata;
}
/** One canteen record, already resolved to this pupil's stream by the service. */
export interface RecordMeal {
  readonly type: 'RecordMeal';
  readonly data: {
    readonly deviceId: string;
    readonly seq: number;
    /** The school the device belongs to (from its credentials). */
    readonly deviceSchoolId: string;
    /** Device time; the school day is derived from it in the program's timezone. */
    readonly scannedAt: Instant;
    /** Server time at receipt. */
    readonly receivedAt: Instant;
    readonly method: 'qr' | 'card';
    readonly tokenNonce?: string;
    readonly tokenExpiresAt?: Instant;
  };
  readonly metadata: CommandMetadata;
}
export interface FireMealDeadline {
  readonly type: 'FireDeadline';
  readonly data: { readonly deadlineId: string; readonly kind: DeadlineKind };
  readonly metadata: CommandMetadata;
}
/** A school's approved list of the month names the pupil (the list service, for a covered pupil). */
export interface ListMealVoucher {
  readonly type: 'ListMealVoucher';
  readonly data: { readonly month: Month; readonly listId: string; readonly rowNo: number; readonly schoolId: string; readonly grade: number };
  readonly metadata: CommandMetadata;
}
/** A school's approved list of the month, processed, does not name the pupil its earlier lists named. */
export interface SuspendMealVoucher {
  readonly type: 'SuspendMealVoucher';
  readonly data: { readonly month: Month; readonly listId: string; readonly schoolId: string };
  readonly metadata: CommandMetadata;
}
export type MealVoucherCommand = IssueMealVoucher | ActivateMealVoucher | RecordMeal | FireMealDeadline | ListMealVoucher | SuspendMealVoucher;

// ── state ───────────────────────────────────────────────────────────────────────────────────
export interface PendingDeadline {
  readonly kind: DeadlineKind;
  readonly dueAt: Instant;
  readonly fired: boolean;
}
interface VoucherFacts {
  readonly voucherId: string;
  readonly pupilId: string;
  readonly familyId: string;
  readonly schoolId: string;
  /** The pupil's grade: a break of some grades only (first grade's extra week) has no meals for it. */
  readonly grade: number;
  readonly schoolYear: SchoolYear;
  readonly validFrom: LocalDate;
  readonly validUntil: LocalDate;
  /** Meals served per school day. */
  readonly mealsByDay: Readonly<Record<LocalDate, number>>;
  /** Nonces of QR tokens that bought a meal: single use. */
  readonly usedNonces: ReadonlySet<string>;
  /** `deviceId#seq` of every record seen: a record is decided once. */
  readonly seenRecords: ReadonlySet<string>;
  readonly deadlines: Readonly<Record<string, PendingDeadline>>;
  /** What the latest list said about each month: listed, or suspended (absent from it). */
  readonly months: Readonly<Record<Month, { readonly status: 'listed' | 'suspended'; readonly listId: string; readonly rowNo?: number }>>;
}
export type MealVoucherState =
  | { readonly status: 'None' }
  | ({ readonly status: 'Issued' } & VoucherFacts)
  | ({ readonly status: 'Active'; readonly activatedAt: Instant } & VoucherFacts)
  | ({ readonly status: 'Expired'; readonly activatedAt?: Instant } & VoucherFacts);

export const expiryDeadlineId = (voucherId: string) => `${voucherId}:expiry`;
const recordKey = (deviceId: string, seq: number) => `${deviceId}#${seq}`;

// ── decide ──────────────────────────────────────────────────────────────────────────────────
export function createMealVoucherDecider(program: SchoolMealsProgram = SCHOOL_MEALS): Decider<MealVoucherState, MealVoucherCommand, MealVoucherEvent> {
  function issue(command: IssueMealVoucher, state: MealVoucherState): MealVoucherEvent[] {
    const d = command.data;
    // Issuing twice (a repeated consent, a re-sent list) changes nothing; another voucher for the
    // same pupil and year is a bug upstream that the list should have caught (already_covered).
    if (state.status !== 'None') return state.voucherId === d.voucherId ? [] : refuse('already_covered', state.voucherId);
    const now = command.metadata.now;
    const { consentAt, ...data } = d;
    // The day consent was given (never later than today) decides whether the year is still on.
    const today = localDate(consentAt !== undefined && consentAt < now ? consentAt : now, program.timezone);
    const yearStart = schoolYearStart(d.schoolYear, program.schoolYear);
    const validUntil = schoolYearEnd(d.schoolYear, program.schoolYear);
    if (today > validUntil) refuse('outside_school_year', `${d.schoolYear} ended on ${validUntil}`);
    const validFrom = today > yearStart ? today : yearStart;
    const issued: MealVoucherIssued = { type: 'MealVoucherIssued', data: { ...data, validFrom, validUntil, issuedAt: now } };
    const deadline: DeadlineScheduled = {
      type: 'DeadlineScheduled',
      data: {
        deadlineId: expiryDeadlineId(d.voucherId),
        kind: 'meal_voucher_expiry',
        dueAt: endOfDay(validUntil, program.timezone),
        stream: streams.meals(d.pupilId, d.schoolYear),
        ref: d.voucherId,
      },
    };
    return [issued, deadline];
  }

  function activate(command: ActivateMealVoucher, state: MealVoucherState): MealVoucherEvent[] {
    const d = command.data;
    if (state.status === 'None' || state.voucherId !== d.voucherId || state.familyId !== d.familyId) refuse('voucher_not_found', d.voucherId);
    if (state.status === 'Expired' || isPastExpiry(state, command.metadata.now)) refuse('voucher_expired', d.voucherId);
    // A second activation is a no-op, not a refusal: a parent tapping twice (or a retry with a
    // new request id) should see "active", and nothing new is recorded.
    if (state.status === 'Active') return [];
    return [{ type: 'MealVoucherActivated', data: { voucherId: d.voucherId, byPersonId: d.byPersonId, activatedAt: command.metadata.now } }];
  }

  /** The first rule the record breaks, or undefined when the meal may be served. */
  function mealRefusal(d: RecordMeal['data'], state: Exclude<MealVoucherState, { status: 'None' }>, schoolDay: LocalDate): Code | undefined {
    if (d.deviceSchoolId !== state.schoolId) return 'device_wrong_school';
    const aheadSeconds = secondsBetween(d.receivedAt, d.scannedAt);
    if (aheadSeconds > program.maxDeviceClockAheadSeconds || -aheadSeconds > program.maxOfflineAgeSeconds) return 'clock_skew_too_large';
    if (d.method === 'qr') {
      invariant(d.tokenNonce !== undefined && d.tokenExpiresAt !== undefined, 'a QR meal record carries the token nonce and expiry');
      if (d.scannedAt > d.tokenExpiresAt) return 'qr_token_expired';
      if (state.usedNonces.has(d.tokenNonce)) return 'qr_token_reused';
    }
    if (state.status === 'Expired') return 'voucher_expired';
    // Scanned before the parent activated it: the canteen must not have served on it.
    if (state.status === 'Issued' || d.scannedAt < state.activatedAt!) return 'voucher_not_active';
    if (state.months[monthOf(schoolDay)]?.status === 'suspended') return 'voucher_suspended';
    if (schoolDay < schoolYearStart(state.schoolYear, program.schoolYear) || schoolDay > state.validUntil) return 'outside_school_year';
    const day = mealDayRefusal(schoolDay, state.grade, program);
    if (day) return day;
    if ((state.mealsByDay[schoolDay] ?? 0) >= program.mealsPerSchoolDay) return 'meal_already_recorded_today';
    return undefined;
  }

  function recordMeal(command: RecordMeal, state: MealVoucherState): MealVoucherEvent[] {
    const d = command.data;
    if (state.status === 'None') refuse('voucher_not_found');
    if (state.seenRecords.has(recordKey(d.deviceId, d.seq))) return []; // decided once already
    const schoolDay = localDate(d.scannedAt, program.timezone);
    const common = {
      voucherId: state.voucherId,
      pupilId: state.pupilId,
      schoolId: d.deviceSchoolId,
      deviceId: d.deviceId,
      seq: d.seq,
      schoolDay,
      scannedAt: d.scannedAt,
      receivedAt: d.receivedAt,
      method: d.method,
    };
    const code = mealRefusal(d, state, schoolDay);
    if (code) return [{ type: 'MealRefused', data: { ...common, code } } satisfies MealRefused];
    // Received once the month's табель is final (seed 002: downloaded by the 5th of the next
    // month): recorded, but paid on no sheet; the canteen is told so in its answer.
    const late = d.receivedAt >= tabelFinalAt(monthOf(schoolDay), program);
    return [
      {
        type: 'MealServed',
        data: { ...common, ...(d.tokenNonce !== undefined ? { tokenNonce: d.tokenNonce } : {}), ...(late ? { late: true as const } : {}) },
      } satisfies MealServed,
    ];
  }

  function fireDeadline(command: FireMealDeadline, state: MealVoucherState): MealVoucherEvent[] {
    const { deadlineId, kind } = command.data;
    if (state.status === 'None') return [];
    const pending = state.deadlines[deadlineId];
    // Unknown, already fired or not yet due: nothing to record (the scheduler may race itself).
    if (!pending || pending.fired || pending.kind !== kind || command.metadata.now < pending.dueAt) return [];
    const fired: DeadlineFired = { type: 'DeadlineFired', data: { deadlineId, kind, firedAt: command.metadata.now } };
    if (kind !== 'meal_voucher_expiry' || state.status === 'Expired') return [fired];
    return [fired, { type: 'MealVoucherExpired', data: { voucherId: state.voucherId, at: command.metadata.now } }];
  }

  /** The month's list names the pupil: listed (and moved when its school or grade differ); a repeat of the same row changes nothing. */
  function list(command: ListMealVoucher, state: MealVoucherState): MealVoucherEvent[] {
    const d = command.data;
    if (state.status === 'None') return refuse('voucher_not_found');
    if (state.status === 'Expired') return [];
    const said = state.months[d.month];
    if (said?.status === 'listed' && said.listId === d.listId && said.rowNo === d.rowNo) return [];
    const at = command.metadata.now;
    const moved = state.schoolId !== d.schoolId || state.grade !== d.grade;
    const events: MealVoucherEvent[] = [];
    if (moved)
      events.push({
        type: 'MealVoucherTransferred',
        data: {
          voucherId: state.voucherId,
          month: d.month,
          listId: d.listId,
          fromSchoolId: state.schoolId,
          toSchoolId: d.schoolId,
          fromGrade: state.grade,
          toGrade: d.grade,
          at,
        },
      });
    events.push({
      type: 'MealVoucherListed',
      data: { voucherId: state.voucherId, month: d.month, listId: d.listId, rowNo: d.rowNo, schoolId: d.schoolId, grade: d.grade, at },
    });
    return events;
  }

  /** Absent from the school's list of the month: suspended — unless it moved to another school, expired, or is suspended already. */
  function suspend(command: SuspendMealVoucher, state: MealVoucherState): MealVoucherEvent[] {
    const d = command.data;
    if (state.status === 'None' || state.status === 'Expired' || state.schoolId !== d.schoolId) return [];
    if (state.months[d.month]?.status === 'suspended') return [];
    return [
      {
        type: 'MealVoucherSuspended',
        data: {
          voucherId: state.voucherId,
          month: d.month,
          listId: d.listId,
          schoolId: d.schoolId,
          reason: 'absent_from_month_list',
          at: command.metadata.now,
        },
      },
    ];
  }

  function decide(command: MealVoucherCommand, state: MealVoucherState): MealVoucherEvent[] {
    switch (command.type) {
      case 'ListMealVoucher':
        return list(command, state);
      case 'SuspendMealVoucher':
        return suspend(command, state);
      case 'IssueMealVoucher':
        return issue(command, state);
      case 'ActivateMealVoucher':
        return activate(command, state);
      case 'RecordMeal':
        return recordMeal(command, state);
      case 'FireDeadline':
        return fireDeadline(command, state);
      default:
        return unreachable(command, 'meal voucher command');
    }
  }

  return { initialState: () => ({ status: 'None' }), decide, evolve: evolveMealVoucher, evolveAll: evolveEach(evolveMealVoucher) };
}

/** The voucher is past its school year even if the expiry deadline has not fired yet. */
function isPastExpiry(state: VoucherFacts, now: Instant): boolean {
  const expiry = state.deadlines[expiryDeadlineId(state.voucherId)];
  return expiry !== undefined && now >= expiry.dueAt;
}

// ── evolve ──────────────────────────────────────────────────────────────────────────────────
export function evolveMealVoucher(state: MealVoucherState, event: MealVoucherEvent): MealVoucherState {
  switch (event.type) {
    case 'MealVoucherIssued': {
      invariant(state.status === 'None', 'a meal voucher is issued once per stream');
      const d = event.data;
      return {
        status: 'Issued',
        voucherId: d.voucherId,
        pupilId: d.pupilId,
        familyId: d.familyId,
        schoolId: d.schoolId,
        grade: d.grade,
        schoolYear: d.schoolYear,
        validFrom: d.validFrom,
        validUntil: d.validUntil,
        mealsByDay: {},
        usedNonces: new Set(),
        seenRecords: new Set(),
        deadlines: {},
        months: {},
      };
    }
    case 'MealVoucherListed': {
      invariant(state.status !== 'None', 'a voucher listed before it was issued');
      const d = event.data;
      invariant(
        d.schoolId === state.schoolId && d.grade === state.grade,
        `listed at ${d.schoolId} grade ${d.grade}, the voucher is at ${state.schoolId} grade ${state.grade}`,
      );
      return { ...state, months: { ...state.months, [d.month]: { status: 'listed', listId: d.listId, rowNo: d.rowNo } } };
    }
    case 'MealVoucherTransferred': {
      invariant(state.status !== 'None', 'a voucher moved before it was issued');
      invariant(event.data.fromSchoolId === state.schoolId && event.data.fromGrade === state.grade, 'a voucher moves from where it is');
      return { ...state, schoolId: event.data.toSchoolId, grade: event.data.toGrade };
    }
    case 'MealVoucherSuspended': {
      invariant(state.status !== 'None', 'a voucher suspended before it was issued');
      return { ...state, months: { ...state.months, [event.data.month]: { status: 'suspended', listId: event.data.listId } } };
    }
    case 'MealVoucherActivated':
      invariant(state.status === 'Issued', `activation of a voucher in status ${state.status}`);
      return { ...state, status: 'Active', activatedAt: event.data.activatedAt };
    case 'MealServed': {
      invariant(state.status === 'Active', `a meal served on a voucher in status ${state.status}`);
      const d = event.data;
      return {
        ...state,
        mealsByDay: { ...state.mealsByDay, [d.schoolDay]: (state.mealsByDay[d.schoolDay] ?? 0) + 1 },
        usedNonces: d.tokenNonce === undefined ? state.usedNonces : new Set(state.usedNonces).add(d.tokenNonce),
        seenRecords: new Set(state.seenRecords).add(recordKey(d.deviceId, d.seq)),
      };
    }
    case 'MealRefused':
      invariant(state.status !== 'None', 'a meal refused on a voucher that does not exist');
      return { ...state, seenRecords: new Set(state.seenRecords).add(recordKey(event.data.deviceId, event.data.seq)) };
    case 'MealVoucherExpired':
      invariant(state.status === 'Issued' || state.status === 'Active', `expiry of a voucher in status ${state.status}`);
      return { ...state, status: 'Expired' };
    case 'DeadlineScheduled':
      invariant(state.status !== 'None', 'a deadline on a voucher that does not exist');
      return { ...state, deadlines: { ...state.deadlines, [event.data.deadlineId]: { kind: event.data.kind, dueAt: event.data.dueAt, fired: false } } };
    case 'DeadlineFired': {
      invariant(state.status !== 'None', 'a deadline fired on a voucher that does not exist');
      const pending = state.deadlines[event.data.deadlineId];
      invariant(pending !== undefined && !pending.fired, `deadline ${event.data.deadlineId} fired once after being scheduled`);
      return { ...state, deadlines: { ...state.deadlines, [event.data.deadlineId]: { ...pending, fired: true } } };
    }
    default:
      return unreachable(event, 'meal voucher event');
  }
}

export const mealVoucher = createMealVoucherDecider();
