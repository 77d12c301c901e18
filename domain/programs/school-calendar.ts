/**
 * The days a school serves meals, from program data (domain/programs/school-meals.ts):
 *   - the order's in-force window (seed 002: "Приказ вводится в действие с 21 февраля 2026 года и
 *     действует в течение 12 месяцев"): no meal outside it (program_not_in_force);
 *   - the school year's lessons, as the Ministry of Enlightenment sets them each year: the first and
 *     the last lesson day, the autumn, winter and spring breaks, and breaks of some grades only (the
 *     extra week of first grade): no meal on those days, no табель column for them;
 *   - weekends and public holidays.
 * A school year without a calendar in the data falls back to weekends and holidays inside the
 * voucher's school year (seed 001 app. 2 p. 13): the ministry publishes each year's dates in the
 * summer before it, and a year not yet published is not guessed.
 */
import type { LocalDate, Month, SchoolYear } from '../shared/calendar';
import { addDays, firstDayOfMonth, isWeekend, lastDayOfMonth, schoolYearOf } from '../shared/calendar';
import type { Code } from '../shared/codes';

/** A break (каникулы): both ends inclusive; `grades` when only some grades have it. */
export interface SchoolBreak {
  readonly name: string;
  readonly from: LocalDate;
  readonly to: LocalDate;
  readonly grades?: readonly number[];
}

/** One school year's lessons as the ministry set them. */
export interface SchoolYearCalendar {
  readonly firstLessonDay: LocalDate;
  readonly lastLessonDay: LocalDate;
  readonly breaks: readonly SchoolBreak[];
  /** Where the dates come from (the ministry's order), for the reader of the data. */
  readonly source: string;
}

/** The part of a program the school calendar needs. */
export interface SchoolCalendarData {
  readonly inForce: { readonly from: LocalDate; readonly until: LocalDate };
  readonly holidays: readonly LocalDate[];
  readonly calendars: Readonly<Record<SchoolYear, SchoolYearCalendar>>;
  readonly schoolYear: { readonly startMonthDay: string; readonly endMonthDay: string };
}

/** Whether the order is in force on a local day. */
export function inForceOn(day: LocalDate, program: Pick<SchoolCalendarData, 'inForce'>): boolean {
  return day >= program.inForce.from && day <= program.inForce.until;
}

/** Whether any day of the month is inside the in-force window (a list for that month may be received). */
export function inForceInMonth(month: Month, program: Pick<SchoolCalendarData, 'inForce'>): boolean {
  return lastDayOfMonth(month) >= program.inForce.from && firstDayOfMonth(month) <= program.inForce.until;
}

const inBreak = (day: LocalDate, grade: number | undefined, b: SchoolBreak) =>
  day >= b.from && day <= b.to && (b.grades === undefined || (grade !== undefined && b.grades.includes(grade)));

/**
 * Whether meals are served on a day: for a pupil of `grade`, or — grade undefined — for the school
 * as a whole (a break of some grades only leaves the day a school day for the others).
 */
export function isMealDay(day: LocalDate, grade: number | undefined, program: SchoolCalendarData): boolean {
  if (isWeekend(day) || program.holidays.includes(day)) return false;
  const year = schoolYearOf(day, program.schoolYear);
  const calendar = year === undefined ? undefined : program.calendars[year];
  if (!calendar) return true;
  if (day < calendar.firstLessonDay || day > calendar.lastLessonDay) return false;
  return !calendar.breaks.some((b) => inBreak(day, grade, b));
}

/** Why no meal can be served on a day (in-force window, then the calendar), or undefined. */
export function mealDayRefusal(
  day: LocalDate,
  grade: number | undefined,
  program: SchoolCalendarData,
): Extract<Code, 'program_not_in_force' | 'not_a_school_day'> | undefined {
  if (!inForceOn(day, program)) return 'program_not_in_force';
  return isMealDay(day, grade, program) ? undefined : 'not_a_school_day';
}

/** The табель's columns for a month: days the school serves meals to some grade, in force. */
export function mealDaysOf(month: Month, program: SchoolCalendarData): LocalDate[] {
  const days: LocalDate[] = [];
  for (let d = firstDayOfMonth(month); d <= lastDayOfMonth(month); d = addDays(d, 1)) {
    if (inForceOn(d, program) && isMealDay(d, undefined, program)) days.push(d);
  }
  return days;
}
