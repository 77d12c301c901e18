/**
 * The consent timetable of each program, as functions of the program data (domain/programs/).
 *
 * "N calendar days" (seed 001 appendix 1 p. 10; seed 004 p. 20) is counted in LOCAL dates of the
 * program's timezone (Asia/Almaty), and — as for periods in days in the Civil Code of Kazakhstan,
 * art. 178 — the day the SMS goes out is not counted (interpretation). A window of N days after an
 * SMS sent on local day D therefore ends at the END of local day D+N, i.e. at local midnight that
 * starts D+N+1 (`endOfDay(D+N)`). A reply received at any instant strictly before that counts.
 *   meals: request on D → reminder due at endOfDay(D+3); reminder sent on R → timeout at endOfDay(R+3).
 *   food:  request on the 5th at 09:00 local (at once when the list arrives on or after the 5th) →
 *          reminder due at endOfDay(D+5) → timeout at the end of the month's last local day. When the
 *          reminder would fall at or after the month end, no reminder is sent: only the timeout.
 *
 * Quiet hours (interpretation; program parameter `sendingWindow`, default 09:00–21:00 local): no SMS
 * goes out at night. Deadlines stay exact — a reminder due at 00:00 fires at 00:00 — but its SMS
 * waits for the window (SmsRequested.notBefore), and the answer window is counted from the instant
 * the SMS may go out, so waiting for the morning never shortens it: a start SMS asked for at 22:00
 * on D goes out at 09:00 on D+1 and its 3 days end with D+4.
 */
import type { FamilySubject, ProgramCode, PupilSubject, Representative, RepresentativeRole } from '../events';
import type { CaseOutcome } from './consent-case';
import { FOOD_VOUCHERS, type FoodVouchersProgram } from '../programs/food-vouchers';
import { SCHOOL_MEALS, type SchoolMealsProgram } from '../programs/school-meals';
import type { ProgramSms } from '../programs/sms';
import { addDays, dayOfMonth, endOfDay, instantAt, lastDayOfMonth, localDate, nextInWindow, type DailyWindow, type Instant } from '../shared/calendar';

export interface Programs {
  readonly meals: SchoolMealsProgram;
  readonly food: FoodVouchersProgram;
}
export const DEFAULT_PROGRAMS: Programs = { meals: SCHOOL_MEALS, food: FOOD_VOUCHERS };

/** (interpretation) The start SMS of the food program goes out at this local time on the 5th. */
export const FOOD_REQUEST_LOCAL_TIME = '09:00';

export interface ConsentPolicy {
  readonly program: ProgramCode;
  readonly timezone: string;
  readonly replyCodes: { readonly yes: string; readonly no: string };
  readonly recipientPriority: readonly RepresentativeRole[];
  /** The representative the SMS goes to, or undefined when none can get it (the case ends: no phone). */
  recipient(representatives: readonly Representative[], subject: PupilSubject | FamilySubject): Representative | undefined;
  /** After the start SMS to everyone `tried` could not be delivered: the next one to ask, or undefined (undeliverable). */
  nextRecipient(representatives: readonly Representative[], subject: PupilSubject | FamilySubject, tried: readonly string[]): Representative | undefined;
  /** Whether a case that ended with `outcome` starts again when a later list names its subject. */
  mayStartAgain(outcome: CaseOutcome): boolean;
  /** The annex's texts by language. */
  readonly sms: ProgramSms;
  /** The first instant at or after `instant` when an SMS may go out (quiet hours). */
  sendableAt(instant: Instant): Instant;
  /** Grades that go to the wallet without SMS (meals, 2026 order); empty for food. */
  readonly consentSkippedForGrades: readonly number[];
  /** When the start SMS goes out for a case opened at `openedAt`. */
  requestAt(openedAt: Instant, subject: PupilSubject | FamilySubject): Instant;
  /** When the reminder is due after the request went out at `sentAt`; undefined = no reminder. */
  reminderDueAt(sentAt: Instant, subject: PupilSubject | FamilySubject): Instant | undefined;
  /** When the case times out, given the last SMS asking for an answer went out at `sentAt`. */
  timeoutAt(sentAt: Instant, subject: PupilSubject | FamilySubject): Instant;
  /**
   * The hard end of the case known from its opening, whatever the SMS timing (food: the month's
   * end, seed 004 p. 20); undefined when the end depends on when the reminder went out (meals).
   */
  hardDeadline(subject: PupilSubject | FamilySubject): Instant | undefined;
}

/** The representative the SMS goes to: first with a phone by the program's priority (stable). */
export function chooseRecipient(representatives: readonly Representative[], priority: readonly string[]): Representative | undefined {
  const rank = (r: Representative) => {
    const i = priority.indexOf(r.role);
    return i < 0 ? priority.length : i;
  };
  return representatives
    .map((r, i) => ({ r, i }))
    .filter(({ r }) => r.hasPhone)
    .sort((a, b) => rank(a.r) - rank(b.r) || a.i - b.i)[0]?.r;
}

/** End of the local day `days` calendar days after the local date of `sent`. */
export function windowEnd(sent: Instant, days: number, timeZone: string): Instant {
  return endOfDay(addDays(localDate(sent, timeZone), days), timeZone);
}

/** Quiet hours: the first instant inside the sending window, or the instant itself when there is none. */
export function sendableIn(window: DailyWindow | null, timeZone: string): (instant: Instant) => Instant {
  return (instant) => (window ? nextInWindow(instant, window, timeZone) : new Date(instant).toISOString());
}

export function mealsPolicy(program: SchoolMealsProgram): ConsentPolicy {
  return {
    program: 'school-meals',
    timezone: program.timezone,
    replyCodes: program.replyCodes,
    recipientPriority: program.recipientPriority,
    recipient: (representatives) => chooseRecipient(representatives, program.recipientPriority),
    nextRecipient: (representatives, _subject, tried) =>
      chooseRecipient(
        representatives.filter((r) => !tried.includes(r.personId)),
        program.recipientPriority,
      ),
    mayStartAgain: (outcome) => (program.startAgainAfter as readonly CaseOutcome[]).includes(outcome),
    sms: program.sms,
    sendableAt: sendableIn(program.sendingWindow, program.timezone),
    consentSkippedForGrades: program.consentSkippedForGrades,
    requestAt: (openedAt) => openedAt,
    reminderDueAt: (sentAt) => windowEnd(sentAt, program.replyWindowDays, program.timezone),
    timeoutAt: (sentAt) => windowEnd(sentAt, program.reminderWindowDays, program.timezone),
    hardDeadline: () => undefined,
  };
}

export function foodPolicy(program: FoodVouchersProgram): ConsentPolicy {
  const monthOf = (subject: PupilSubject | FamilySubject) => {
    if (subject.kind !== 'family') throw new Error('invariant violated: a food consent case is about a family');
    return subject.month;
  };
  const monthEnd = (subject: PupilSubject | FamilySubject) => endOfDay(lastDayOfMonth(monthOf(subject)), program.timezone);
  return {
    program: 'food-vouchers',
    timezone: program.timezone,
    replyCodes: program.replyCodes,
    recipientPriority: program.recipientPriority,
    recipient: (representatives, subject) => {
      if (program.smsRecipient === 'by_priority') return chooseRecipient(representatives, program.recipientPriority);
      if (subject.kind !== 'family') throw new Error('invariant violated: a food consent case is about a family');
      // The head is the first member (the АСП recipient); other representatives are never asked.
      const head = representatives.find((r) => r.personId === subject.members[0]);
      return head?.hasPhone ? head : undefined;
    },
    // Only the head may be asked (p. 15, 17, 19), unless the program asks by priority.
    nextRecipient: (representatives, _subject, tried) =>
      program.smsRecipient === 'by_priority'
        ? chooseRecipient(
            representatives.filter((r) => !tried.includes(r.personId)),
            program.recipientPriority,
          )
        : undefined,
    // A case is one family-month: the next month is a new case (and its own list row).
    mayStartAgain: () => false,
    sms: program.sms,
    sendableAt: sendableIn(program.sendingWindow, program.timezone),
    consentSkippedForGrades: [],
    requestAt: (openedAt, subject) => {
      const smsDay = instantAt(dayOfMonth(monthOf(subject), program.smsDay), FOOD_REQUEST_LOCAL_TIME, program.timezone);
      return openedAt < smsDay ? smsDay : openedAt;
    },
    reminderDueAt: (sentAt, subject) => {
      const due = windowEnd(sentAt, program.reminderAfterDays, program.timezone);
      return due < monthEnd(subject) ? due : undefined;
    },
    timeoutAt: (_sentAt, subject) => monthEnd(subject),
    hardDeadline: (subject) => monthEnd(subject),
  };
}

export function policyOf(program: ProgramCode, programs: Programs = DEFAULT_PROGRAMS): ConsentPolicy {
  switch (program) {
    case 'school-meals':
      return mealsPolicy(programs.meals);
    case 'food-vouchers':
      return foodPolicy(programs.food);
    default:
      throw new Error(`invariant violated: unknown program ${String(program)}`);
  }
}
