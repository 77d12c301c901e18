/**
 * The табель of many schools at once (a region's, for its education authority; one school's, for
 * its pedagogue): per school the figures `tabel()` gives one school — status, pupils entitled,
 * meals on the sheet, amount due, late records, pupils fed per day — read in four set-based
 * statements whatever the number of schools, plus the school days on which vouchers were active
 * but no meal reached the sheet. That last is the "unusual pattern" a region looks for first: a
 * canteen that stopped syncing, a device nobody charged, lunches nobody recorded.
 */
import type { Pool } from '../../adapters/postgres/pool';
import {
  addDays,
  endOfDay,
  firstDayOfMonth,
  instantAt,
  lastDayOfMonth,
  localDate,
  type Instant,
  type LocalDate,
  type Month,
} from '../../domain/shared/calendar';
import type { Tiyn } from '../../domain/shared/money';
import { SCHOOL_MEALS, mealPriceTiyn } from '../../domain/programs/school-meals';
import { schoolDaysOf, schoolInMonth, tabelAvailableFrom, tabelFinalFrom, tabelStatus, type TabelStatus } from './queries';

export interface SchoolOverview {
  readonly schoolId: string;
  readonly region: string;
  readonly status: TabelStatus;
  /** Pupils whose voucher was active at some instant of the month (the табель lists them all). */
  readonly entitledPupils: number;
  /** Meals on the sheet (received before it became final). */
  readonly mealCount: number;
  readonly mealPriceTiyn: Tiyn;
  readonly amountDueTiyn: Tiyn;
  /** Received after the sheet became final: not on it. */
  readonly lateMealCount: number;
  /** Pupils fed per school day (on the sheet). */
  readonly fedPerDay: Readonly<Record<LocalDate, number>>;
  /** School days before today with an active voucher and no meal on the sheet. */
  readonly daysWithoutRecords: readonly { readonly day: LocalDate; readonly activeVouchers: number }[];
}

export interface TabelOverview {
  readonly month: Month;
  readonly status: TabelStatus;
  readonly availableFrom: Instant;
  readonly finalFrom: Instant;
  /** School days of the month (weekends, holidays and breaks left out) and any day with a meal. */
  readonly days: readonly LocalDate[];
  readonly schools: readonly SchoolOverview[];
  /** The schools' figures added up; pupils fed per day over all of them. */
  readonly totals: {
    readonly schools: number;
    readonly entitledPupils: number;
    readonly mealCount: number;
    readonly amountDueTiyn: Tiyn;
    readonly lateMealCount: number;
    readonly daysWithoutRecords: number;
    readonly fedPerDay: Readonly<Record<LocalDate, number>>;
  };
}

export interface OverviewScope {
  readonly region?: string;
  readonly schoolId?: string;
}

export async function tabelOverview(pool: Pool, query: OverviewScope & { month: Month; now: Date }): Promise<TabelOverview> {
  const { month, now } = query;
  const finalFrom = tabelFinalFrom(month);
  const schools = await schoolsIn(pool, query);
  const ids = schools.map((s) => s.schoolId);
  const meals = await mealsPerDay(pool, ids, month, finalFrom);
  const entitled = await entitledPupils(pool, ids, month);
  const calendarDays = schoolDaysOf(month);
  const today = localDate(now);
  const past = calendarDays.filter((d) => d < today);
  const active = await activeVouchersPerDay(pool, ids, past);
  const days = [...new Set([...calendarDays, ...meals.flatMap((m) => (m.meals > 0 ? [m.day] : []))])].sort();
  const overviews = schools.map(({ schoolId, region, contractPrice }): SchoolOverview => {
    const own = meals.filter((m) => m.schoolId === schoolId);
    const mealCount = own.reduce((n, m) => n + m.meals, 0);
    const price = contractPrice ?? mealPriceTiyn(region, SCHOOL_MEALS);
    const fed = new Map(own.map((m) => [m.day, m.fed]));
    return {
      schoolId,
      region,
      status: tabelStatus(month, now),
      entitledPupils: entitled.get(schoolId) ?? 0,
      mealCount,
      mealPriceTiyn: price,
      amountDueTiyn: mealCount * price,
      lateMealCount: own.reduce((n, m) => n + m.late, 0),
      fedPerDay: Object.fromEntries(days.map((d) => [d, fed.get(d) ?? 0])),
      daysWithoutRecords: past.flatMap((day) => {
        const vouchers = active.get(`${schoolId}|${day}`) ?? 0;
        return vouchers > 0 && !(fed.get(day) ?? 0) ? [{ day, activeVouchers: vouchers }] : [];
      }),
    };
  });
  return {
    month,
    status: tabelStatus(month, now),
    availableFrom: tabelAvailableFrom(month),
    finalFrom,
    days,
    schools: overviews,
    totals: totalsOf(overviews, days),
  };
}

function totalsOf(schools: readonly SchoolOverview[], days: readonly LocalDate[]): TabelOverview['totals'] {
  const sum = (pick: (s: SchoolOverview) => number) => schools.reduce((n, s) => n + pick(s), 0);
  return {
    schools: schools.length,
    entitledPupils: sum((s) => s.entitledPupils),
    mealCount: sum((s) => s.mealCount),
    amountDueTiyn: sum((s) => s.amountDueTiyn),
    lateMealCount: sum((s) => s.lateMealCount),
    daysWithoutRecords: sum((s) => s.daysWithoutRecords.length),
    fedPerDay: Object.fromEntries(days.map((d) => [d, sum((s) => s.fedPerDay[d] ?? 0)])),
  };
}

/** Schools with meal vouchers, in the scope (region, school, or both), with their contract price when registered. */
async function schoolsIn(pool: Pool, scope: OverviewScope): Promise<{ schoolId: string; region: string; contractPrice?: Tiyn }[]> {
  const { rows } = await pool.query<{ school_id: string; region: string; contract_price: string | null }>(
    `select v.school_id, v.region, r.meal_price_tiyn as contract_price
     from (select school_id, min(region) as region from tabel_vouchers
           where ($1::text is null or region = $1) and ($2::text is null or school_id = $2) group by school_id) v
     left join registry_schools r on r.school_id = v.school_id
     order by v.school_id`,
    [scope.region ?? null, scope.schoolId ?? null],
  );
  return rows.map((r) => ({ schoolId: r.school_id, region: r.region, ...(r.contract_price != null ? { contractPrice: Number(r.contract_price) } : {}) }));
}

async function mealsPerDay(pool: Pool, schoolIds: readonly string[], month: Month, finalFrom: Instant) {
  const { rows } = await pool.query<{ school_id: string; school_day: string; fed: string; meals: string; late: string }>(
    `select school_id, school_day::text as school_day,
       count(distinct pupil_id) filter (where received_at < $3) as fed,
       count(*) filter (where received_at < $3) as meals,
       count(*) filter (where received_at >= $3) as late
     from tabel_meals where school_id = any($1) and month = $2 group by 1, 2`,
    [schoolIds, month, finalFrom],
  );
  return rows.map((r) => ({ schoolId: r.school_id, day: r.school_day, fed: Number(r.fed), meals: Number(r.meals), late: Number(r.late) }));
}

/**
 * As `tabel()` lists pupils: a voucher that was the school's in the month, activated before the
 * month's end, not expired at its start, and not suspended for the month (absent from its list).
 */
async function entitledPupils(pool: Pool, schoolIds: readonly string[], month: Month): Promise<Map<string, number>> {
  const { rows } = await pool.query<{ school_id: string; pupils: string }>(
    `select x.school_id, count(distinct x.pupil_id) as pupils from (
       select v.pupil_id, ${schoolInMonth('v.voucher_id', '$4')} as school_id from tabel_vouchers v
       left join tabel_voucher_months m on m.voucher_id = v.voucher_id and m.month = $4
       where v.voucher_id in (select voucher_id from tabel_voucher_schools where school_id = any($1))
         and v.activated_at < $2 and (v.expired_at is null or v.expired_at > $3) and not coalesce(m.suspended, false)
     ) x where x.school_id = any($1) group by 1`,
    [schoolIds, endOfDay(lastDayOfMonth(month)), instantAt(firstDayOfMonth(month)), month],
  );
  return new Map(rows.map((r) => [r.school_id, Number(r.pupils)]));
}

/** Vouchers active at some instant of each day (local midnight to midnight), per school and day. */
async function activeVouchersPerDay(pool: Pool, schoolIds: readonly string[], days: readonly LocalDate[]): Promise<Map<string, number>> {
  if (days.length === 0 || schoolIds.length === 0) return new Map();
  const { rows } = await pool.query<{ school_id: string; day: string; vouchers: string }>(
    `select x.school_id, x.day, count(*) as vouchers from (
       select ${schoolInMonth('v.voucher_id', "to_char(d.day, 'YYYY-MM')")} as school_id, d.day::text as day
       from unnest($2::date[], $3::timestamptz[], $4::timestamptz[]) as d(day, starts, ends)
       join tabel_vouchers v on v.voucher_id in (select voucher_id from tabel_voucher_schools where school_id = any($1))
         and v.activated_at < d.ends and (v.expired_at is null or v.expired_at > d.starts)
       left join tabel_voucher_months m on m.voucher_id = v.voucher_id and m.month = to_char(d.day, 'YYYY-MM')
       where not coalesce(m.suspended, false)
     ) x where x.school_id = any($1) group by 1, 2`,
    [schoolIds, days, days.map((d) => instantAt(d)), days.map((d) => instantAt(addDays(d, 1)))],
  );
  return new Map(rows.map((r) => [`${r.school_id}|${r.day}`, Number(r.vouchers)]));
}
