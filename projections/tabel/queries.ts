/**
 * The табель of one school for one month, as of a clock reading. "Available from the 1st; final
 * from the 5th of the next month" (SCHOOL_MEALS.tabelFinalDayOfNextMonth): the status is derived
 * from `now`, and a meal received at or after the finalisation instant is `late` — listed and
 * counted apart, never added to the sheet (it would change a sheet already signed and paid).
 * The price per meal is the school's contract price in the registry (what its payment order pays,
 * domain/settlement/payment-order.ts); the program's regional price only for a school not registered.
 */
import type { Pool } from '../../adapters/postgres/pool';
import { addMonths, endOfDay, firstDayOfMonth, instantAt, lastDayOfMonth, type Instant, type LocalDate, type Month } from '../../domain/shared/calendar';
import type { Tiyn } from '../../domain/shared/money';
import { SCHOOL_MEALS, mealPriceTiyn, tabelFinalAt } from '../../domain/programs/school-meals';
import { mealDaysOf } from '../../domain/programs/school-calendar';

export type TabelStatus = 'in_progress' | 'available' | 'final';

export interface TabelPupil {
  readonly pupilId: string;
  /**
   * Meals per school day (only days with a meal). A pupil whose voucher was active in the month is
   * listed with no meal too (item 10 of issue 16: the sheet the pedagogue signs shows every pupil
   * entitled that month, fed or not).
   */
  readonly meals: Readonly<Record<LocalDate, number>>;
  readonly total: number;
}

export interface LateMeal {
  readonly pupilId: string;
  readonly schoolDay: LocalDate;
  readonly deviceId: string;
  readonly seq: number;
  readonly receivedAt: Instant;
}

export interface Tabel {
  readonly schoolId: string;
  readonly month: Month;
  readonly region: string | null;
  readonly status: TabelStatus;
  readonly availableFrom: Instant;
  readonly finalFrom: Instant;
  /**
   * School days of the month: days in force with lessons for some grade (weekends, holidays and the
   * ministry's breaks left out: domain/programs/school-calendar.ts), plus any day a meal was served.
   */
  readonly days: readonly LocalDate[];
  readonly pupils: readonly TabelPupil[];
  readonly fedPerDay: Readonly<Record<LocalDate, number>>;
  readonly mealCount: number;
  readonly mealPriceTiyn: Tiyn;
  readonly amountDueTiyn: Tiyn;
  /** Received at or after `finalFrom`: not on this sheet. */
  readonly late: readonly LateMeal[];
  readonly lateMealCount: number;
  /**
   * Meals of pupils the month's approved list does not name (their voucher is suspended for the
   * month; served before the list came): not on this sheet, not paid (seed 002).
   */
  readonly notListed: readonly LateMeal[];
  readonly notListedMealCount: number;
}

/** The instant the sheet for `month` becomes available: local midnight of the next month's 1st. */
export const tabelAvailableFrom = (month: Month): Instant => instantAt(firstDayOfMonth(addMonths(month, 1)));

/** The instant the sheet becomes final: local midnight of the next month's 5th (the domain's rule). */
export const tabelFinalFrom = (month: Month, program = SCHOOL_MEALS): Instant => tabelFinalAt(month, program);

export function tabelStatus(month: Month, now: Date): TabelStatus {
  const t = now.getTime();
  if (t >= Date.parse(tabelFinalFrom(month))) return 'final';
  if (t >= Date.parse(tabelAvailableFrom(month))) return 'available';
  return 'in_progress';
}

export function schoolDaysOf(month: Month, program = SCHOOL_MEALS): LocalDate[] {
  return mealDaysOf(month, program);
}

/** SQL: the school a voucher was at in a month (its latest move at or before the month, else where it was issued). */
export function schoolInMonth(voucherId: string, month: string): string {
  return `(select s.school_id from tabel_voucher_schools s where s.voucher_id = ${voucherId} and s.from_month <= ${month} order by s.from_month desc limit 1)`;
}

/**
 * Pupils whose voucher at the school was active at some instant of the month (activated before its
 * end, not expired at or before its start) and not suspended for it (absent from the month's list).
 */
async function activePupils(pool: Pool, schoolId: string, month: Month): Promise<string[]> {
  const { rows } = await pool.query<{ pupil_id: string }>(
    `select distinct v.pupil_id from tabel_vouchers v
     left join tabel_voucher_months m on m.voucher_id = v.voucher_id and m.month = $4
     where v.voucher_id in (select voucher_id from tabel_voucher_schools where school_id = $1) and ${schoolInMonth('v.voucher_id', '$4')} = $1
       and v.activated_at < $2 and (v.expired_at is null or v.expired_at > $3) and not coalesce(m.suspended, false)
     order by v.pupil_id`,
    [schoolId, endOfDay(lastDayOfMonth(month)), instantAt(firstDayOfMonth(month)), month],
  );
  return rows.map((r) => r.pupil_id);
}

export async function tabel(pool: Pool, query: { schoolId: string; month: Month; now: Date }): Promise<Tabel> {
  const { schoolId, month, now } = query;
  const finalFrom = tabelFinalFrom(month);
  const { rows } = await pool.query<{ pupil_id: string; school_day: string; device_id: string; seq: bigint; received_at: Date; suspended: boolean }>(
    'select t.pupil_id, t.school_day::text as school_day, t.device_id, t.seq, t.received_at, coalesce(m.suspended, false) as suspended from tabel_meals t ' +
      'left join tabel_voucher_months m on m.voucher_id = t.voucher_id and m.month = t.month ' +
      'where t.school_id = $1 and t.month = $2 order by t.pupil_id, t.school_day, t.device_id, t.seq',
    [schoolId, month],
  );
  const school = await pool.query<{ region: string | null; contract_price: string | null }>(
    `select (select region from tabel_vouchers where school_id = $1 limit 1) as region,
            (select meal_price_tiyn from registry_schools where school_id = $1) as contract_price`,
    [schoolId],
  );
  const region = school.rows[0]?.region ?? null;
  const contractPrice = school.rows[0]?.contract_price;
  const pupils = new Map<string, Record<LocalDate, number>>((await activePupils(pool, schoolId, month)).map((id) => [id, {}]));
  const fedPerDay: Record<LocalDate, Set<string>> = {};
  const late: LateMeal[] = [];
  const notListed: LateMeal[] = [];
  let mealCount = 0;
  for (const r of rows) {
    const receivedAt = r.received_at.toISOString();
    if (receivedAt >= finalFrom) {
      late.push({ pupilId: r.pupil_id, schoolDay: r.school_day, deviceId: r.device_id, seq: Number(r.seq), receivedAt });
      continue;
    }
    // Served before the month's list came and dropped the pupil: on no sheet (seed 002: pay by the list).
    if (r.suspended) {
      notListed.push({ pupilId: r.pupil_id, schoolDay: r.school_day, deviceId: r.device_id, seq: Number(r.seq), receivedAt });
      continue;
    }
    const grid = pupils.get(r.pupil_id) ?? {};
    grid[r.school_day] = (grid[r.school_day] ?? 0) + 1;
    pupils.set(r.pupil_id, grid);
    (fedPerDay[r.school_day] ??= new Set()).add(r.pupil_id);
    mealCount++;
  }
  const days = [...new Set([...schoolDaysOf(month), ...Object.keys(fedPerDay)])].sort();
  const price = contractPrice != null ? Number(contractPrice) : region ? mealPriceTiyn(region) : SCHOOL_MEALS.defaultMealPriceTiyn;
  return {
    schoolId,
    month,
    region,
    status: tabelStatus(month, now),
    availableFrom: tabelAvailableFrom(month),
    finalFrom,
    days,
    pupils: [...pupils]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([pupilId, meals]) => ({ pupilId, meals, total: Object.values(meals).reduce((a, b) => a + b, 0) })),
    fedPerDay: Object.fromEntries(days.map((d) => [d, fedPerDay[d]?.size ?? 0])),
    mealCount,
    mealPriceTiyn: price,
    amountDueTiyn: mealCount * price,
    late,
    lateMealCount: late.length,
    notListed,
    notListedMealCount: notListed.length,
  };
}

/** Schools with meals in a month (for a pedagogue's or an operator's list). */
export async function tabelSchools(pool: Pool, month: Month): Promise<string[]> {
  const { rows } = await pool.query<{ school_id: string }>('select distinct school_id from tabel_meals where month = $1 order by 1', [month]);
  return rows.map((r) => r.school_id);
}

/**
 * Meals of a month per school, split at the табель's finalisation instant: on the final sheet,
 * and received after it (late). What canteen payment orders count (domain/settlement/payment-order.ts).
 */
export async function mealCountsOf(pool: Pool, month: Month): Promise<{ schoolId: string; mealsOnFinalTabel: number; lateMeals: number }[]> {
  const { rows } = await pool.query<{ school_id: string; on_sheet: string; late: string }>(
    `select school_id, count(*) filter (where received_at < $2) as on_sheet, count(*) filter (where received_at >= $2) as late
     from tabel_meals where month = $1 group by school_id order by school_id`,
    [month, tabelFinalFrom(month)],
  );
  return rows.map((r) => ({ schoolId: r.school_id, mealsOnFinalTabel: Number(r.on_sheet), lateMeals: Number(r.late) }));
}

/** Months with meals recorded, oldest first. */
export async function mealMonths(pool: Pool): Promise<Month[]> {
  const { rows } = await pool.query<{ month: string }>('select distinct month from tabel_meals order by month');
  return rows.map((r) => r.month);
}
