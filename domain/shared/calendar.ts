/**
 * Calendar helpers in a program's timezone. Program dates (reply windows, month ends, school
 * years) are local dates; instants are ISO-8601 UTC strings. Pure: Intl's tz data is the only input.
 */

/** 'YYYY-MM-DD' in the program's timezone. */
export type LocalDate = string;
/** 'YYYY-MM' */
export type Month = string;
/** ISO-8601 instant, e.g. '2026-03-05T04:00:00.000Z'. */
export type Instant = string;
/** '2025-2026': the school year starting in September 2025. */
export type SchoolYear = string;

export const DEFAULT_TIMEZONE = 'Asia/Almaty';

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

function parts(instant: Instant | Date, timeZone: string): Record<string, number> {
  const date = typeof instant === 'string' ? new Date(instant) : instant;
  if (Number.isNaN(date.getTime())) throw new Error(`invariant violated: ${String(instant)} is not an instant`);
  const out: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(date)) if (p.type !== 'literal') out[p.type] = Number(p.value);
  return out;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** The local calendar date of an instant. */
export function localDate(instant: Instant | Date, timeZone = DEFAULT_TIMEZONE): LocalDate {
  const p = parts(instant, timeZone);
  return `${pad(p.year!, 4)}-${pad(p.month!)}-${pad(p.day!)}`;
}

/** Offset of the zone from UTC at an instant, in minutes (Almaty: +300 since March 2024). */
function offsetMinutes(instant: Date, timeZone: string): number {
  const p = parts(instant, timeZone);
  const asUtc = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
  return Math.round((asUtc - Math.floor(instant.getTime() / 1000) * 1000) / 60_000);
}

/** The local wall-clock time of an instant, 'HH:MM:SS'. */
export function localTime(instant: Instant | Date, timeZone = DEFAULT_TIMEZONE): string {
  const p = parts(instant, timeZone);
  return `${pad(p.hour!)}:${pad(p.minute!)}:${pad(p.second!)}`;
}

/** A daily window of local wall-clock time, 'HH:MM' to 'HH:MM' (from included, until excluded). */
export interface DailyWindow {
  readonly from: string;
  readonly until: string;
}

/** The first instant at or after `instant` that falls inside the daily window (local time). */
export function nextInWindow(instant: Instant, window: DailyWindow, timeZone = DEFAULT_TIMEZONE): Instant {
  const time = localTime(instant, timeZone).slice(0, 5);
  const today = localDate(instant, timeZone);
  if (time < window.from) return instantAt(today, window.from, timeZone);
  if (time >= window.until) return instantAt(addDays(today, 1), window.from, timeZone);
  return new Date(instant).toISOString();
}

/** The instant of a local wall-clock time ('HH:MM', default midnight) on a local date. */
export function instantAt(date: LocalDate, time = '00:00', timeZone = DEFAULT_TIMEZONE): Instant {
  const [y, m, d] = splitDate(date);
  const [hh, mm] = time.split(':').map(Number) as [number, number];
  const guess = new Date(Date.UTC(y, m - 1, d, hh, mm));
  const offset = offsetMinutes(guess, timeZone);
  const first = new Date(guess.getTime() - offset * 60_000);
  // Re-check once: the offset at the real instant may differ around a zone change.
  const corrected = offsetMinutes(first, timeZone);
  return new Date(guess.getTime() - corrected * 60_000).toISOString();
}

/** The first instant of the day after `date`: the end (exclusive) of a local day. */
export function endOfDay(date: LocalDate, timeZone = DEFAULT_TIMEZONE): Instant {
  return instantAt(addDays(date, 1), '00:00', timeZone);
}

export function splitDate(date: LocalDate): [number, number, number] {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!match) throw new Error(`invariant violated: ${date} is not a YYYY-MM-DD date`);
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

function fromUtcDay(ms: number): LocalDate {
  const d = new Date(ms);
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** "N calendar days later" (negative for earlier). */
export function addDays(date: LocalDate, days: number): LocalDate {
  const [y, m, d] = splitDate(date);
  return fromUtcDay(Date.UTC(y, m - 1, d + days));
}

/** Whole calendar days from a to b (b − a). */
export function daysBetween(a: LocalDate, b: LocalDate): number {
  const [ya, ma, da] = splitDate(a);
  const [yb, mb, db] = splitDate(b);
  return Math.round((Date.UTC(yb, mb - 1, db) - Date.UTC(ya, ma - 1, da)) / 86_400_000);
}

export function monthOf(date: LocalDate): Month {
  return date.slice(0, 7);
}

export function dayOfMonth(month: Month, day: number): LocalDate {
  return `${month}-${pad(day)}`;
}

export function firstDayOfMonth(month: Month): LocalDate {
  return dayOfMonth(month, 1);
}

export function lastDayOfMonth(month: Month): LocalDate {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return fromUtcDay(Date.UTC(y, m, 0));
}

export function addMonths(month: Month, count: number): Month {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const d = new Date(Date.UTC(y, m - 1 + count, 1));
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}`;
}

/** 0 = Sunday … 6 = Saturday. */
export function weekday(date: LocalDate): number {
  const [y, m, d] = splitDate(date);
  return new Date(Date.UTC(y, m - 1, d)).getUTCDay();
}

export function isWeekend(date: LocalDate): boolean {
  const day = weekday(date);
  return day === 0 || day === 6;
}

/** School year bounds as month-day pairs; default 1 September – 31 May (a program parameter). */
export interface SchoolYearBounds {
  readonly startMonthDay: string; // 'MM-DD'
  readonly endMonthDay: string; // 'MM-DD'
}

export const DEFAULT_SCHOOL_YEAR: SchoolYearBounds = { startMonthDay: '09-01', endMonthDay: '05-31' };

/** The school year a date falls in, or undefined in the summer break. */
export function schoolYearOf(date: LocalDate, bounds = DEFAULT_SCHOOL_YEAR): SchoolYear | undefined {
  const year = Number(date.slice(0, 4));
  const monthDay = date.slice(5);
  if (monthDay >= bounds.startMonthDay) return `${year}-${year + 1}`;
  if (monthDay <= bounds.endMonthDay) return `${year - 1}-${year}`;
  return undefined;
}

export function schoolYearStart(schoolYear: SchoolYear, bounds = DEFAULT_SCHOOL_YEAR): LocalDate {
  return `${schoolYear.slice(0, 4)}-${bounds.startMonthDay}`;
}

export function schoolYearEnd(schoolYear: SchoolYear, bounds = DEFAULT_SCHOOL_YEAR): LocalDate {
  return `${schoolYear.slice(5, 9)}-${bounds.endMonthDay}`;
}

export function addSeconds(instant: Instant, seconds: number): Instant {
  return new Date(new Date(instant).getTime() + seconds * 1000).toISOString();
}

export function secondsBetween(a: Instant, b: Instant): number {
  return (new Date(b).getTime() - new Date(a).getTime()) / 1000;
}
