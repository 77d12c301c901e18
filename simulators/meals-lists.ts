/**
 * School meals' monthly lists in the simulation (seed 002: «на ежемесячной основе в НОБД формирует
 * список обучающихся, которым положена услуга»): which months a run lists, when each list arrives,
 * how a pupil's place on the list changes from one month to the next (absent, back, another school
 * or grade, first named), and what the ledger must answer for each row. Seeded: the same run makes
 * the same lists.
 *
 * When lists arrive (interpretation; the seeds give no day): the first month's list a week before
 * the run's first day (so that the first school days have vouchers), every later month's on its 1st
 * at 07:00 local, before the canteens open and before the SMS window (quiet hours hold its start
 * SMS until 09:00). The 2026 order is in force from 21 Feb 2026 for 12 months and a voucher is for
 * one school year: only months with a school day of the run inside both are listed.
 */
import { SCHOOL_MEALS } from '../domain/programs/school-meals';
import { sendableIn, windowEnd } from '../domain/consent/policy';
import { addDays, firstDayOfMonth, instantAt, monthOf, type Instant, type LocalDate, type Month } from '../domain/shared/calendar';
import type { ListsBehaviour } from './behaviour';
import type { Pupil, School } from './population';
import type { Rng } from './rng';

/** Local time a later month's list arrives on the month's 1st. */
export const LATER_LIST_TIME = '07:00';

export interface ListMonth {
  readonly month: Month;
  /** Local date and time the month's lists arrive. */
  readonly day: LocalDate;
  readonly time: string;
}

/** The months a run lists: the first day's month, then every later month with a school day of the run. */
export function listMonths(from: LocalDate, schoolDays: readonly LocalDate[]): ListMonth[] {
  const months = [...new Set([monthOf(from), ...schoolDays.map(monthOf)])].sort();
  return months.map((month, k) => (k === 0 ? { month, day: addDays(from, -7), time: '09:00' } : { month, day: firstDayOfMonth(month), time: LATER_LIST_TIME }));
}

/** Quiet hours and the answer windows of a meals case, as the domain counts them (domain/consent/policy.ts). */
const sendable = sendableIn(SCHOOL_MEALS.sendingWindow, SCHOOL_MEALS.timezone);
export const sendableAt = (instant: Instant): Instant => sendable(instant);

/** Whether an instant is inside the SMS sending window (quiet hours outside it). */
export function insideSendingWindow(instant: Instant): boolean {
  return sendable(instant) === new Date(instant).toISOString();
}

/**
 * When the start SMS of a case opened at `openedAt` may go out, when its reminder is due, and when the
 * case times out without an answer — given that deadlines fire at the first tick at or after them
 * (`atTick`). A reminder is due at the end of a local day (00:00): it waits for the window.
 */
export function caseTimetable(openedAt: Instant, atTick: (instant: Instant) => Instant): { requestAt: Instant; reminderDue: Instant; timeoutAt: Instant } {
  const requestAt = atTick(sendableAt(openedAt));
  const reminderDue = windowEnd(requestAt, SCHOOL_MEALS.replyWindowDays, SCHOOL_MEALS.timezone);
  const reminderAt = sendableAt(atTick(reminderDue));
  return { requestAt, reminderDue, timeoutAt: windowEnd(reminderAt, SCHOOL_MEALS.reminderWindowDays, SCHOOL_MEALS.timezone) };
}

/** Where a month's list names a pupil, or absent (not named by any school's list that month). */
export type Place = { readonly schoolId: string; readonly grade: number } | 'absent';

export interface PlaceState {
  readonly pupil: Pupil;
  /** The month index (0 = the run's first list) from which lists name the pupil. */
  readonly joinsAt: number;
  /** The place on the previous month's list; undefined before the pupil was first named. */
  readonly previous: Place | undefined;
  /** The last place a list named the pupil at (where one who was absent comes back to). */
  readonly lastNamed: Exclude<Place, 'absent'> | undefined;
  /** The pupil has a voucher (moves apply to vouchers). */
  readonly hasVoucher: boolean;
  /** The pupil's case is still waiting for an answer: NOBD keeps the pupil where they are. */
  readonly pending: boolean;
}

export type Change = 'new' | 'same' | 'left' | 'still_absent' | 'back' | 'transferred' | 'grade_moved';

/** The pupil's place on month `k`'s list (k ≥ 1), drawn from the pupil's own stream for that month. */
export function nextPlace(
  state: PlaceState,
  k: number,
  rng: Rng,
  behaviour: ListsBehaviour,
  schoolsOfRegion: (schoolId: string) => readonly School[],
): { place: Place; change: Change } {
  const { previous } = state;
  if (state.joinsAt > k) return { place: 'absent', change: 'still_absent' };
  if (state.joinsAt === k || previous === undefined) return { place: { schoolId: state.pupil.schoolId, grade: state.pupil.grade }, change: 'new' };
  if (previous === 'absent')
    return rng.chance(behaviour.comeBack) && state.lastNamed ? { place: state.lastNamed, change: 'back' } : { place: 'absent', change: 'still_absent' };
  if (state.pending) return { place: previous, change: 'same' };
  if (rng.chance(behaviour.leave)) return { place: 'absent', change: 'left' };
  if (!state.hasVoucher) return { place: previous, change: 'same' };
  if (rng.chance(behaviour.transfer)) {
    const others = schoolsOfRegion(previous.schoolId).filter((s) => s.schoolId !== previous.schoolId);
    if (others.length > 0) return { place: { schoolId: rng.pick(others).schoolId, grade: previous.grade }, change: 'transferred' };
  }
  if (rng.chance(behaviour.gradeMove))
    return { place: { schoolId: previous.schoolId, grade: previous.grade < 11 ? previous.grade + 1 : previous.grade - 1 }, change: 'grade_moved' };
  return { place: previous, change: 'same' };
}

/** The list's instant of a list month. */
export function listInstant(month: ListMonth): Instant {
  return instantAt(month.day, month.time);
}
