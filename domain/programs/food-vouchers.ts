/**
 * Program B — digital food vouchers for АСП recipients (seeds 004 Russian / 003 Kazakh: joint
 * order of 4–26 Dec 2025, in force until 1 May 2026). Parameters are data.
 */
import { DEFAULT_RETENTION, type PersonalDataRetention } from '../people/personal-data';
import type { Tiyn } from '../shared/money';
import { kzt, times } from '../shared/money';
import { DEFAULT_TIMEZONE, type DailyWindow, type Month } from '../shared/calendar';
import type { RepresentativeRole } from '../events';
import type { ProgramSms } from './sms';
import { foodSms } from './sms-texts';

export interface PilotCity {
  readonly code: string;
  readonly nameRu: string;
  readonly region: string;
}

export interface FoodVouchersProgram {
  readonly code: 'food-vouchers';
  readonly timezone: string;
  /** p. 19: "21*1 = YES, 21*2 = NO". */
  readonly replyCodes: { readonly yes: string; readonly no: string };
  /** p. 18: SDU updates the list by the 4th. */
  readonly listDueDay: number;
  /** p. 19: the start SMS goes out on the 5th. */
  readonly smsDay: number;
  /** p. 20: no answer → repeat SMS after 5 calendar days. */
  readonly reminderAfterDays: number;
  /** p. 20: no answer by the end of the month → the month's voucher cannot be activated. */
  readonly answerByMonthEnd: true;
  /**
   * Who gets the SMS. 'head': only the family head — the potential recipient, i.e. the АСП
   * recipient (p. 15, 17, 19); no phone for the head → the case ends. 'by_priority': the first
   * representative with a phone in `recipientPriority` order (not in the seed; kept as an option).
   */
  readonly smsRecipient: 'head' | 'by_priority';
  /** Used only when smsRecipient is 'by_priority'. */
  readonly recipientPriority: readonly RepresentativeRole[];
  /**
   * Annex: «Согласие предоставляется до окончания текущего месяца и действует в период оказания
   * указанной услуги». 'service_period' (default): a consent stands for the later months of the
   * pilot — the SMS on the 5th goes only to families without one. 'month': every month asks again.
   */
  readonly consentScope: 'month' | 'service_period';
  /** p. 2.5: 1 MRP per member per month (adjustable per region, never above the trade markup). */
  readonly mrpMultiplierPerMember: number;
  /**
   * p. 2, item 5: «Размер скидки может корректироваться в зависимости от уровня цен и особенностей
   * региона»: a member's voucher value set for a region (FoodVouchersIssued.region) and month, in
   * tiyn, instead of MRP × multiplier. Empty by default (1 MRP everywhere): the seeds set no figure.
   */
  readonly memberValueByRegionMonth: Readonly<Record<string, Readonly<Record<Month, Tiyn>>>>;
  /**
   * p. 2, items 1 and 5; p. 12: the discount is given «в пределах предельной торговой надбавки».
   * The legal maximum trade markup in whole percent; a basket line's discount (what the voucher pays for it)
   * is at most the markup in its price at that maximum, ⌊line × p / (100 + p)⌋ — a shop that bought
   * at cost C sells at ≤ C × (1 + p/100), so the discounted price never falls below C
   * **(interpretation)**. null (default): no cap — the seeds do not give the figure (it is the
   * trade ministry's), and the voucher pays eligible lines whole.
   */
  readonly tradeMarkupCapPercent: number | null;
  /** MRP by year, set by the budget law: data. */
  readonly mrpTiynByYear: Readonly<Record<number, Tiyn>>;
  /** Pilot cities (order p. 1). */
  readonly pilotCities: readonly PilotCity[];
  /**
   * Months in which the pilot runs (inclusive), as data. Seed 004 p. 9: in force "со дня его
   * первого официального опубликования" until 1 May 2026 (so April 2026 is the last month). The
   * last of the four ministers signed on 26 December 2025 and the order is published after that
   * (p. 7.2), so December 2025 — whose SMS day, the 5th (p. 19), came three weeks before the last
   * signature — cannot be a pilot month: the first is January 2026.
   */
  readonly firstMonth: Month;
  readonly lastMonth: Month;
  /** (interpretation; parameter) whether activated-but-unspent balance lapses at month end. */
  readonly lapseUnspentAtMonthEnd: boolean;
  /** An uncaptured shop hold is released after this long. */
  readonly holdTtlSeconds: number;
  readonly qrTokenTtlSeconds: number;
  /**
   * (interpretation; parameter) Quiet hours: SMS go out only inside this local window (the seeds set
   * none); null sends at any hour. Deadlines stay exact; answer windows count from the sending.
   */
  readonly sendingWindow: DailyWindow | null;
  /**
   * The annex leaves the number for detailed information blank («по номеру телефона _________»);
   * (interpretation) the eGov call centre 1414 that the school-meals annex names.
   */
  readonly informationPhone: string;
  /** Seed 004 / 003 annex: the texts, verbatim, in Russian and Kazakh (domain/programs/sms-texts.ts). */
  readonly sms: ProgramSms;
  /** How long each kind of personal data is kept (domain/people/personal-data.ts; the retention job forgets what has expired). */
  readonly personalData: PersonalDataRetention;
}

const FOOD_INFORMATION_PHONE = '1414';

export const FOOD_VOUCHERS: FoodVouchersProgram = {
  code: 'food-vouchers',
  timezone: DEFAULT_TIMEZONE,
  replyCodes: { yes: '21*1', no: '21*2' },
  listDueDay: 4,
  smsDay: 5,
  reminderAfterDays: 5,
  answerByMonthEnd: true,
  smsRecipient: 'head',
  recipientPriority: ['mother', 'father', 'guardian'],
  consentScope: 'service_period',
  mrpMultiplierPerMember: 1,
  memberValueByRegionMonth: {},
  tradeMarkupCapPercent: null,
  mrpTiynByYear: { 2025: kzt(3932), 2026: kzt(4325) },
  pilotCities: [
    { code: 'kokshetau', nameRu: 'Кокшетау', region: 'akmola' },
    { code: 'akkol', nameRu: 'Акколь', region: 'akmola' },
    { code: 'pavlodar', nameRu: 'Павлодар', region: 'pavlodar' },
  ],
  firstMonth: '2026-01',
  lastMonth: '2026-04',
  lapseUnspentAtMonthEnd: true,
  holdTtlSeconds: 15 * 60,
  qrTokenTtlSeconds: 60,
  sendingWindow: { from: '09:00', until: '21:00' },
  informationPhone: FOOD_INFORMATION_PHONE,
  sms: foodSms(FOOD_INFORMATION_PHONE),
  personalData: DEFAULT_RETENTION,
};

/** Value of one member's voucher for a month: the region's value for the month if set, else MRP of that year × multiplier. */
export function memberVoucherTiyn(month: Month, program: FoodVouchersProgram = FOOD_VOUCHERS, region?: string): Tiyn {
  const regional = region === undefined ? undefined : program.memberValueByRegionMonth[region]?.[month];
  if (regional !== undefined) {
    if (!Number.isSafeInteger(regional) || regional <= 0)
      throw new Error(`invariant violated: the value for ${region} ${month} is not a positive tiyn amount (domain/programs/food-vouchers.ts)`);
    return regional;
  }
  const year = Number(month.slice(0, 4));
  const mrp = program.mrpTiynByYear[year];
  if (mrp === undefined) throw new Error(`invariant violated: no MRP configured for ${year} (domain/programs/food-vouchers.ts)`);
  return times(mrp, program.mrpMultiplierPerMember);
}

export function pilotCity(code: string, program: FoodVouchersProgram = FOOD_VOUCHERS): PilotCity | undefined {
  return program.pilotCities.find((c) => c.code === code.toLowerCase());
}

/**
 * The most a basket line's discount may be under the trade-markup cap (p. 12), or undefined when
 * the program sets no cap: the markup in the line's price at the legal maximum, rounded down.
 */
export function lineDiscountCapTiyn(lineTiyn: Tiyn, program: FoodVouchersProgram = FOOD_VOUCHERS): Tiyn | undefined {
  const percent = program.tradeMarkupCapPercent;
  if (percent === null) return undefined;
  if (!Number.isSafeInteger(percent) || percent <= 0)
    throw new Error(`invariant violated: tradeMarkupCapPercent ${percent} is not a whole positive percent (domain/programs/food-vouchers.ts)`);
  // In bigint, so the rounding is exact integer division whatever the line's size.
  return Number((BigInt(lineTiyn) * BigInt(percent)) / BigInt(100 + percent));
}
