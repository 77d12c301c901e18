/**
 * The two daily reports, built from the read models for one local day (Asia/Almaty):
 *   nobd — to NOBD, per school (seed 001 appendix 2 p. 14): the day's counts (nobd_daily), each
 *          pupil's status changes that day (exchange_feed) and the meals each pupil had (tabel);
 *   food — to the service provider (seed 004 p. 28): voucher activations and paid purchases per
 *          pilot city, each one listed, and the socially significant goods sold.
 * JSON carries the whole document; CSV is the same in sections (a header line per section, a
 * blank line between), stable column names (new ones go at the end).
 */
import { writeCsv, type CsvCell } from '../../adapters/csv/write';
import type { Pool } from '../../adapters/postgres/pool';
import type { LocalDate } from '../../domain/shared/calendar';
import { nobdDailyCsv } from '../nobd-daily/export';
import { nobdDailyRange, type NobdDailyRow } from '../nobd-daily/queries';

export type DailyReportKind = 'nobd' | 'food';
export const DAILY_REPORT_KINDS: readonly DailyReportKind[] = ['nobd', 'food'];
const TIMEZONE = 'Asia/Almaty';

export interface PupilStatusRow {
  readonly schoolId: string;
  readonly listId: string;
  readonly rowNo: number;
  readonly familyId: string | null;
  readonly personId: string | null;
  readonly status: string;
  readonly reason: string | null;
  readonly at: string;
}
export interface PupilMealsRow {
  readonly schoolId: string;
  readonly pupilId: string;
  readonly meals: number;
}
export interface NobdDailyReport {
  readonly kind: 'nobd';
  readonly date: LocalDate;
  readonly schools: readonly NobdDailyRow[];
  readonly pupilStatuses: readonly PupilStatusRow[];
  readonly pupilMeals: readonly PupilMealsRow[];
}

export interface FoodCityDay {
  readonly city: string;
  readonly activations: number;
  readonly activatedTiyn: number;
  readonly purchases: number;
  readonly capturedTiyn: number;
}
export interface FoodActivityRow {
  readonly city: string;
  readonly kind: 'activation' | 'purchase';
  readonly familyId: string;
  readonly voucherId: string | null;
  readonly shopId: string | null;
  readonly holdId: string | null;
  readonly amountTiyn: number;
  readonly at: string;
}
export interface FoodGoodsRow {
  readonly city: string;
  readonly category: string;
  readonly unit: string;
  readonly quantity: number;
  readonly amountTiyn: number;
}
export interface FoodDailyReport {
  readonly kind: 'food';
  readonly date: LocalDate;
  readonly cities: readonly FoodCityDay[];
  readonly activity: readonly FoodActivityRow[];
  readonly goods: readonly FoodGoodsRow[];
}
export type DailyReport = NobdDailyReport | FoodDailyReport;

export async function nobdDailyReport(pool: Pool, date: LocalDate): Promise<NobdDailyReport> {
  const statuses = await pool.query<{
    school_id: string;
    list_id: string;
    row_no: number;
    family_id: string | null;
    person_id: string | null;
    status: string;
    reason: string | null;
    at: Date;
  }>(
    `select school_id, list_id, row_no, family_id, person_id, status, reason, at from exchange_feed
     where source = 'nobd' and school_id is not null and (at at time zone '${TIMEZONE}')::date = $1::date order by school_id, position, seq`,
    [date],
  );
  const meals = await pool.query<{ school_id: string; pupil_id: string; meals: string }>(
    'select school_id, pupil_id, count(*)::text as meals from tabel_meals where school_day = $1::date group by 1, 2 order by 1, 2',
    [date],
  );
  return {
    kind: 'nobd',
    date,
    schools: await nobdDailyRange(pool, { from: date, to: date }),
    pupilStatuses: statuses.rows.map((r) => ({
      schoolId: r.school_id,
      listId: r.list_id,
      rowNo: r.row_no,
      familyId: r.family_id,
      personId: r.person_id,
      status: r.status,
      reason: r.reason,
      at: r.at.toISOString(),
    })),
    pupilMeals: meals.rows.map((r) => ({ schoolId: r.school_id, pupilId: r.pupil_id, meals: Number(r.meals) })),
  };
}

export async function foodDailyReport(pool: Pool, date: LocalDate): Promise<FoodDailyReport> {
  const activity = await pool.query<{
    city: string;
    kind: 'activation' | 'purchase';
    family_id: string;
    voucher_id: string | null;
    shop_id: string | null;
    hold_id: string | null;
    amount_tiyn: bigint;
    at: Date;
  }>('select city, kind, family_id, voucher_id, shop_id, hold_id, amount_tiyn, at from food_daily_activity where day = $1::date order by city, position, seq', [
    date,
  ]);
  const goods = await pool.query<{ city: string; category: string; unit: string; quantity: bigint; amount_tiyn: bigint }>(
    'select city, category, unit, quantity, amount_tiyn from food_daily_goods where day = $1::date order by city, category, unit',
    [date],
  );
  const rows: FoodActivityRow[] = activity.rows.map((r) => ({
    city: r.city,
    kind: r.kind,
    familyId: r.family_id,
    voucherId: r.voucher_id,
    shopId: r.shop_id,
    holdId: r.hold_id,
    amountTiyn: Number(r.amount_tiyn),
    at: r.at.toISOString(),
  }));
  const cities = new Map<string, { city: string; activations: number; activatedTiyn: number; purchases: number; capturedTiyn: number }>();
  for (const r of rows) {
    const c = cities.get(r.city) ?? { city: r.city, activations: 0, activatedTiyn: 0, purchases: 0, capturedTiyn: 0 };
    if (r.kind === 'activation') {
      c.activations++;
      c.activatedTiyn += r.amountTiyn;
    } else {
      c.purchases++;
      c.capturedTiyn += r.amountTiyn;
    }
    cities.set(r.city, c);
  }
  return {
    kind: 'food',
    date,
    cities: [...cities.values()],
    activity: rows,
    goods: goods.rows.map((r) => ({ city: r.city, category: r.category, unit: r.unit, quantity: Number(r.quantity), amountTiyn: Number(r.amount_tiyn) })),
  };
}

export function dailyReport(pool: Pool, kind: DailyReportKind, date: LocalDate): Promise<DailyReport> {
  return kind === 'nobd' ? nobdDailyReport(pool, date) : foodDailyReport(pool, date);
}

/** A school's part of the NOBD report (what its pedagogue may see). */
export function ofSchool(report: NobdDailyReport, schoolId: string): NobdDailyReport {
  return {
    ...report,
    schools: report.schools.filter((r) => r.schoolId === schoolId),
    pupilStatuses: report.pupilStatuses.filter((r) => r.schoolId === schoolId),
    pupilMeals: report.pupilMeals.filter((r) => r.schoolId === schoolId),
  };
}

const section = (title: string, columns: readonly string[], rows: readonly (readonly CsvCell[])[]) => `# ${title}\n${writeCsv(columns, rows)}`;

export function dailyReportCsv(report: DailyReport): string {
  if (report.kind === 'nobd')
    return [
      `# schools\n${nobdDailyCsv(report.schools)}`,
      section(
        'pupil statuses',
        ['date', 'school_id', 'list_id', 'row_no', 'family_id', 'person_id', 'status', 'reason', 'at'],
        report.pupilStatuses.map((r) => [report.date, r.schoolId, r.listId, r.rowNo, r.familyId ?? '', r.personId ?? '', r.status, r.reason ?? '', r.at]),
      ),
      section(
        'pupil meals',
        ['date', 'school_id', 'pupil_id', 'meals'],
        report.pupilMeals.map((r) => [report.date, r.schoolId, r.pupilId, r.meals]),
      ),
    ].join('\n');
  return [
    section(
      'cities',
      ['date', 'city', 'activations', 'activated_tiyn', 'purchases', 'captured_tiyn'],
      report.cities.map((c) => [report.date, c.city, c.activations, c.activatedTiyn, c.purchases, c.capturedTiyn]),
    ),
    section(
      'activity',
      ['date', 'city', 'kind', 'family_id', 'voucher_id', 'shop_id', 'hold_id', 'amount_tiyn', 'at'],
      report.activity.map((r) => [report.date, r.city, r.kind, r.familyId, r.voucherId ?? '', r.shopId ?? '', r.holdId ?? '', r.amountTiyn, r.at]),
    ),
    section(
      'goods',
      ['date', 'city', 'category', 'unit', 'quantity', 'amount_tiyn'],
      report.goods.map((g) => [report.date, g.city, g.category, g.unit, g.quantity, g.amountTiyn]),
    ),
  ].join('\n');
}
