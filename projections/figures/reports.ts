/**
 * Per report: the figure's measures as recounted from the events it counts, and as the report
 * itself states them now. The recount is written from the seeds' rules over the events, not
 * from the reports' SQL, so that the two can disagree — figures.test.ts holds them equal over a
 * seeded month and a long random history.
 */
import type { Pool } from '../../adapters/postgres/pool';
import type { Recorded } from '../projection';
import { tabel, tabelFinalFrom } from '../tabel/queries';
import { nobdDailyRange } from '../nobd-daily/queries';
import { foodVolumes, mealsByRegion, outcomesFunnel } from '../outcomes/queries';
import { UNCATEGORISED } from '../outcomes/projection';
import { isMealsConsentStream } from '../shared/events';
import type { ReportName } from './projection';

export type Measures = Readonly<Record<string, number>>;

export interface FigureReport {
  readonly name: ReportName;
  /** The names of the key's parts, in order. */
  readonly keyNames: readonly string[];
  /** The measures of the figure (or of the rows under a key prefix) recounted from its events. */
  recount(events: readonly Recorded[], key: readonly string[]): Measures;
  /** The same measures as the report states them now; undefined when the report has no such row. */
  reported(pool: Pool, key: readonly string[], now: Date): Promise<Measures | undefined>;
}

const countOf = (events: readonly Recorded[], type: string) => events.filter((e) => e.type === type).length;

/** A табель line (school/month/pupil) or a whole sheet (school/month): meals on the sheet by day, and meals too late for it. */
const tabelReport: FigureReport = {
  name: 'tabel',
  keyNames: ['schoolId', 'month', 'pupilId'],
  recount(events, key) {
    const finalFrom = tabelFinalFrom(key[1]!);
    const measures: Record<string, number> = { meals: 0, lateMeals: 0 };
    for (const e of events) {
      if (e.type !== 'MealServed') continue;
      if (e.data.receivedAt >= finalFrom) measures.lateMeals! += 1;
      else {
        measures.meals! += 1;
        measures[e.data.schoolDay] = (measures[e.data.schoolDay] ?? 0) + 1;
      }
    }
    return measures;
  },
  async reported(pool, key, now) {
    const [schoolId, month, pupilId] = key;
    const sheet = await tabel(pool, { schoolId: schoolId!, month: month!, now });
    if (pupilId === undefined)
      return sheet.mealCount + sheet.lateMealCount === 0
        ? undefined
        : { meals: sheet.mealCount, lateMeals: sheet.lateMealCount, ...sheetDays(sheet.fedPerDay, sheet.pupils) };
    const line = sheet.pupils.find((p) => p.pupilId === pupilId);
    const lateMeals = sheet.late.filter((l) => l.pupilId === pupilId).length;
    if (!line && lateMeals === 0) return undefined;
    return { meals: line?.total ?? 0, lateMeals, ...(line?.meals ?? {}) };
  },
};

/** Meals per day over a whole sheet (days without a meal are not measures). */
function sheetDays(fedPerDay: Readonly<Record<string, number>>, pupils: readonly { meals: Readonly<Record<string, number>> }[]): Record<string, number> {
  const days: Record<string, number> = {};
  for (const p of pupils) for (const [day, n] of Object.entries(p.meals)) days[day] = (days[day] ?? 0) + n;
  return Object.fromEntries(
    Object.keys(fedPerDay)
      .filter((d) => days[d])
      .map((d) => [d, days[d]!]),
  );
}

const NOBD_MEASURES: Readonly<Record<string, string>> = {
  MealVoucherActivated: 'vouchersActivated',
  MealServed: 'mealsProvided',
  ConsentGiven: 'consentConsented',
  ConsentRefused: 'consentRefused',
  ConsentTimedOut: 'consentTimedOut',
  ConsentPhoneNotFound: 'consentNoPhone',
  ConsentNotRequired: 'consentNotRequired',
  ListRowRejected: 'rowsReturned',
};

/** A NOBD daily row (school/day): one count per kind of event, each event counted once. */
const nobdReport: FigureReport = {
  name: 'nobd-daily',
  keyNames: ['schoolId', 'date'],
  recount(events) {
    const measures: Record<string, number> = Object.fromEntries(Object.values(NOBD_MEASURES).map((m) => [m, 0]));
    for (const e of events) {
      const measure = NOBD_MEASURES[e.type];
      if (measure && (!e.type.startsWith('Consent') || isMealsConsentStream(e.stream))) measures[measure]! += 1;
    }
    return measures;
  },
  async reported(pool, key) {
    const [schoolId, date] = key;
    if (date === undefined) return undefined;
    const [row] = await nobdDailyRange(pool, { from: date, to: date, schoolId: schoolId! });
    if (!row) return undefined;
    const { date: _date, schoolId: _school, ...measures } = row;
    return measures;
  },
};

interface CaseTally {
  noPhone: boolean;
  notRequired: boolean;
  smsSent: boolean;
  reminded: boolean;
  outcome?: 'consented' | 'refused' | 'timed_out';
}
interface VoucherTally {
  issuedTiyn: number;
  activated: boolean;
  spentTiyn: number;
  lapsedTiyn: number;
  meals: number;
}

/**
 * A funnel row (program/area/month): cases opened and how each ended, vouchers issued and how
 * each was used. A voucher is "used" once anything was spent or eaten on it, "lapsed" once any
 * of it lapsed; activated money is the issued value of the vouchers activated.
 */
const funnelReport: FigureReport = {
  name: 'outcomes-funnel',
  keyNames: ['program', 'area', 'month'],
  recount(events) {
    const cases = new Map<string, CaseTally>();
    const vouchers = new Map<string, VoucherTally>();
    const tally = (caseId: string) =>
      cases.get(caseId) ?? cases.set(caseId, { noPhone: false, notRequired: false, smsSent: false, reminded: false }).get(caseId)!;
    const voucher = (id: string) => vouchers.get(id) ?? vouchers.set(id, { issuedTiyn: 0, activated: false, spentTiyn: 0, lapsedTiyn: 0, meals: 0 }).get(id)!;
    for (const e of events) {
      switch (e.type) {
        case 'ConsentCaseOpened':
          tally(e.data.caseId);
          break;
        case 'ConsentPhoneNotFound':
          tally(e.data.caseId).noPhone = true;
          break;
        case 'ConsentNotRequired':
          tally(e.data.caseId).notRequired = true;
          break;
        case 'SmsSent':
          tally(e.data.caseId).smsSent = true;
          break;
        case 'SmsRequested':
          if (e.data.kind === 'consent_reminder') tally(e.data.caseId).reminded = true;
          break;
        case 'ConsentGiven':
          tally(e.data.caseId).outcome = 'consented';
          break;
        case 'ConsentRefused':
          tally(e.data.caseId).outcome = 'refused';
          break;
        case 'ConsentTimedOut':
          tally(e.data.caseId).outcome = 'timed_out';
          break;
        case 'MealVoucherIssued':
          voucher(e.data.voucherId);
          break;
        case 'FoodVouchersIssued':
          for (const v of e.data.vouchers) voucher(v.voucherId).issuedTiyn = v.amountTiyn;
          break;
        case 'MealVoucherActivated':
        case 'FoodVoucherActivated':
          voucher(e.data.voucherId).activated = true;
          break;
        case 'MealServed':
          voucher(e.data.voucherId).meals += 1;
          break;
        case 'FoodPurchaseCaptured':
          for (const a of e.data.allocations) voucher(a.voucherId).spentTiyn += a.amountTiyn;
          break;
        case 'FoodVouchersLapsed':
          for (const l of e.data.lapses) voucher(l.voucherId).lapsedTiyn += l.notActivatedTiyn + l.unspentTiyn;
          break;
        default:
          break;
      }
    }
    const c = [...cases.values()];
    const v = [...vouchers.values()];
    const sum = (list: VoucherTally[], f: (x: VoucherTally) => number) => list.reduce((n, x) => n + f(x), 0);
    return {
      eligible: c.length,
      noPhone: c.filter((x) => x.noPhone).length,
      notRequired: c.filter((x) => x.notRequired).length,
      smsSent: c.filter((x) => x.smsSent).length,
      reminded: c.filter((x) => x.reminded).length,
      consented: c.filter((x) => x.outcome === 'consented').length,
      refused: c.filter((x) => x.outcome === 'refused').length,
      timedOut: c.filter((x) => x.outcome === 'timed_out').length,
      issued: v.length,
      issuedTiyn: sum(v, (x) => x.issuedTiyn),
      activated: v.filter((x) => x.activated).length,
      activatedTiyn: sum(
        v.filter((x) => x.activated),
        (x) => x.issuedTiyn,
      ),
      used: v.filter((x) => x.spentTiyn > 0 || x.meals > 0).length,
      usedTiyn: sum(v, (x) => x.spentTiyn),
      lapsed: v.filter((x) => x.lapsedTiyn > 0).length,
      lapsedTiyn: sum(v, (x) => x.lapsedTiyn),
      mealsServed: sum(v, (x) => x.meals),
    };
  },
  async reported(pool, key) {
    const [program, area, month] = key;
    if (month === undefined) return undefined;
    const rows = await outcomesFunnel(pool, { program: program as 'school-meals' | 'food-vouchers', area: area!, month });
    const row = rows.find((r) => r.program === program && r.area === area && r.month === month);
    if (!row) return undefined;
    const { program: _p, area: _a, month: _m, ...measures } = row;
    return measures;
  },
};

/** A goods-volume row (city/month/category/unit): eligible lines captured. */
const foodReport: FigureReport = {
  name: 'outcomes-food',
  keyNames: ['city', 'month', 'category', 'unit'],
  recount(events, key) {
    const [, , category, unit] = key;
    let quantity = 0;
    let amountTiyn = 0;
    for (const e of events) {
      if (e.type !== 'FoodPurchaseCaptured') continue;
      for (const line of e.data.lines) {
        if (!line.eligible || (category !== undefined && (line.category ?? UNCATEGORISED) !== category) || (unit !== undefined && line.unit !== unit)) continue;
        quantity += line.quantity;
        amountTiyn += line.lineTiyn;
      }
    }
    return { quantity, amountTiyn };
  },
  async reported(pool, key) {
    const [city, month, category, unit] = key;
    if (unit === undefined) return undefined;
    const row = (await foodVolumes(pool, { city: city!, month: month! })).find((r) => r.city === city && r.category === category && r.unit === unit);
    return row ? { quantity: row.quantity, amountTiyn: row.amountTiyn } : undefined;
  },
};

/** School-meal coverage (region/month): pupils fed at least once, meals served. */
const mealsReport: FigureReport = {
  name: 'outcomes-meals',
  keyNames: ['region', 'month'],
  recount(events) {
    const served = events.filter((e) => e.type === 'MealServed');
    return { pupilsFed: new Set(served.map((e) => (e.type === 'MealServed' ? e.data.pupilId : ''))).size, mealsServed: served.length };
  },
  async reported(pool, key) {
    const [region, month] = key;
    if (month === undefined) return undefined;
    const row = (await mealsByRegion(pool, { region: region!, month })).find((r) => r.region === region && r.month === month);
    return row ? { pupilsFed: row.pupilsFed, mealsServed: row.mealsServed } : undefined;
  },
};

export const FIGURE_REPORTS: Readonly<Record<ReportName, FigureReport>> = {
  tabel: tabelReport,
  'nobd-daily': nobdReport,
  'outcomes-funnel': funnelReport,
  'outcomes-food': foodReport,
  'outcomes-meals': mealsReport,
};

export { countOf };
