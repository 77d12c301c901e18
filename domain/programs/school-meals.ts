/**
 * Program A — free and subsidised school meals (seeds 000/001: joint order No. 341 / 556/НҚ,
 * 17 Nov 2023; 002: the 2026 order, in force 21 Feb 2026 for 12 months). Parameters are data:
 * a new school year, region or price is a change here (or in config), not in the deciders.
 */
import { DEFAULT_RETENTION, type PersonalDataRetention } from '../people/personal-data';
import type { Tiyn } from '../shared/money';
import { kzt } from '../shared/money';
import {
  addMonths,
  dayOfMonth,
  DEFAULT_SCHOOL_YEAR,
  DEFAULT_TIMEZONE,
  instantAt,
  type DailyWindow,
  type Instant,
  type LocalDate,
  type Month,
  type SchoolYear,
  type SchoolYearBounds,
} from '../shared/calendar';
import type { PupilCategory, RepresentativeRole } from '../events';
import type { SchoolYearCalendar } from './school-calendar';
import type { ProgramSms } from './sms';
import { SCHOOL_MEALS_SMS } from './sms-texts';

export interface SchoolMealsProgram {
  readonly code: 'school-meals';
  readonly timezone: string;
  /** Appendix 1 annex: "3#1" agree, "3#2" refuse. */
  readonly replyCodes: { readonly yes: string; readonly no: string };
  /** Appendix 1 p. 8–9: 3 calendar days to answer the first SMS, then 3 after the repeat. */
  readonly replyWindowDays: number;
  readonly reminderWindowDays: number;
  /** Appendix 1 p. 7: mother, then father, then other legal representatives. */
  readonly recipientPriority: readonly RepresentativeRole[];
  /**
   * Seed 002: the list is monthly, so a pupil whose case ended without consent starts a new one
   * when a later month's list names them again: no phone, timed out, undeliverable. A refusal
   * (interpretation; parameter) stands for the school year by default — the parent said no and is
   * not asked every month; the row goes back to NOBD as `consent_refused_earlier`.
   */
  readonly startAgainAfter: readonly ('no_phone' | 'timed_out' | 'undeliverable' | 'refused')[];
  /** Appendix 1 p. 5. */
  readonly eligibleCategories: readonly PupilCategory[];
  /** 2026 order (seed 002): primary-grade pupils go to the wallet without any SMS. */
  readonly consentSkippedForGrades: readonly number[];
  /** (interpretation; parameter) at most this many meals per pupil per school day. */
  readonly mealsPerSchoolDay: number;
  /** Appendix 2 p. 13: valid for the school year. */
  readonly schoolYear: SchoolYearBounds;
  /**
   * Seed 002: "Приказ вводится в действие с 21 февраля 2026 года и действует в течение 12 месяцев":
   * lists for months outside it and meals on days outside it are refused (program_not_in_force).
   */
  readonly inForce: { readonly from: LocalDate; readonly until: LocalDate };
  /** Public holidays: days without meals besides weekends and the school calendar's breaks. */
  readonly holidays: readonly LocalDate[];
  /** Each school year's lessons and breaks as the ministry set them (domain/programs/school-calendar.ts). */
  readonly calendars: Readonly<Record<SchoolYear, SchoolYearCalendar>>;
  /** Dynamic QR (appendix 2 p. 8): lifetime of a token. */
  readonly qrTokenTtlSeconds: number;
  /** A device clock ahead of the server by more than this is refused (clock_skew_too_large). */
  readonly maxDeviceClockAheadSeconds: number;
  /** An offline record older than this at receipt is refused (clock_skew_too_large). */
  readonly maxOfflineAgeSeconds: number;
  /** 2026 order: the табель is downloaded by the 5th of the next month; after that it is final. */
  readonly tabelFinalDayOfNextMonth: number;
  /** Price the paying authority pays per meal, by region (SAMPLE figures; set from the regional budget). */
  readonly mealPriceTiynByRegion: Readonly<Record<string, Tiyn>>;
  readonly defaultMealPriceTiyn: Tiyn;
  /**
   * (interpretation; parameter) Quiet hours: SMS go out only inside this local window (the seeds set
   * none); null sends at any hour. Deadlines stay exact; answer windows count from the sending.
   */
  readonly sendingWindow: DailyWindow | null;
  /** Seed 000, annex to appendix 1: the texts, verbatim, by language (domain/programs/sms-texts.ts). */
  readonly sms: ProgramSms;
  /** How long each kind of personal data is kept (domain/people/personal-data.ts; the retention job forgets what has expired). */
  readonly personalData: PersonalDataRetention;
}

export const SCHOOL_MEALS: SchoolMealsProgram = {
  code: 'school-meals',
  timezone: DEFAULT_TIMEZONE,
  replyCodes: { yes: '3#1', no: '3#2' },
  replyWindowDays: 3,
  reminderWindowDays: 3,
  recipientPriority: ['mother', 'father', 'guardian'],
  startAgainAfter: ['no_phone', 'timed_out', 'undeliverable'],
  eligibleCategories: ['asp_family', 'low_income', 'orphan_in_family'],
  consentSkippedForGrades: [1, 2, 3, 4],
  mealsPerSchoolDay: 1,
  schoolYear: DEFAULT_SCHOOL_YEAR,
  // 21 Feb 2026 + 12 months: the last day in force is 20 Feb 2027.
  inForce: { from: '2026-02-21', until: '2027-02-20' },
  holidays: [
    '2025-12-16',
    '2025-12-17',
    '2026-01-01',
    '2026-01-02',
    '2026-01-07',
    '2026-03-09',
    '2026-03-23',
    '2026-03-24',
    '2026-03-25',
    '2026-05-01',
    '2026-05-07',
    '2026-05-08',
  ],
  calendars: {
    '2025-2026': {
      source: 'order of the Minister of Enlightenment of 5 August 2025 on the 2025–2026 school year (lessons 2 Sep 2025 – 25 May 2026)',
      firstLessonDay: '2025-09-02',
      lastLessonDay: '2026-05-25',
      breaks: [
        { name: 'autumn', from: '2025-10-27', to: '2025-11-02' },
        { name: 'winter', from: '2025-12-29', to: '2026-01-07' },
        { name: 'first grade', from: '2026-02-09', to: '2026-02-15', grades: [1] },
        { name: 'spring', from: '2026-03-19', to: '2026-03-29' },
      ],
    },
  },
  qrTokenTtlSeconds: 60,
  maxDeviceClockAheadSeconds: 300,
  maxOfflineAgeSeconds: 7 * 24 * 3600,
  tabelFinalDayOfNextMonth: 5,
  mealPriceTiynByRegion: { akmola: kzt(850), pavlodar: kzt(900), astana: kzt(1000), almaty: kzt(1000) },
  defaultMealPriceTiyn: kzt(850),
  sendingWindow: { from: '09:00', until: '21:00' },
  sms: SCHOOL_MEALS_SMS,
  personalData: DEFAULT_RETENTION,
};

/** 2026 order (seed 002): the табель of a month is downloaded by the 5th of the next month; from then on it is final. */
export function tabelFinalAt(month: Month, program: Pick<SchoolMealsProgram, 'tabelFinalDayOfNextMonth' | 'timezone'> = SCHOOL_MEALS): Instant {
  return instantAt(dayOfMonth(addMonths(month, 1), program.tabelFinalDayOfNextMonth), '00:00', program.timezone);
}

export function mealPriceTiyn(region: string, program: SchoolMealsProgram = SCHOOL_MEALS): Tiyn {
  return program.mealPriceTiynByRegion[region] ?? program.defaultMealPriceTiyn;
}
