/** Pilot outcomes: the funnel per program, area and month; food volumes; school-meal coverage. */
import type { Pool } from '../../adapters/postgres/pool';
import type { Month } from '../../domain/shared/calendar';
import type { ProgramCode } from '../../domain/events';

export interface FunnelRow {
  readonly program: ProgramCode;
  /** food: the pilot city; school meals: the region. */
  readonly area: string;
  readonly month: Month;
  readonly eligible: number;
  readonly noPhone: number;
  readonly notRequired: number;
  readonly smsSent: number;
  readonly reminded: number;
  readonly consented: number;
  readonly refused: number;
  readonly timedOut: number;
  readonly issued: number;
  readonly issuedTiyn: number;
  readonly activated: number;
  readonly activatedTiyn: number;
  readonly used: number;
  readonly usedTiyn: number;
  /** Food: money in open holds (authorized at a shop, not yet captured, voided or expired). */
  readonly heldTiyn: number;
  readonly lapsed: number;
  readonly lapsedTiyn: number;
  readonly mealsServed: number;
}

export interface FoodVolumeRow {
  readonly city: string;
  readonly month: Month;
  readonly category: string;
  readonly unit: string;
  readonly quantity: number;
  readonly amountTiyn: number;
}

export interface MealsRow {
  readonly region: string;
  readonly month: Month;
  readonly pupilsFed: number;
  readonly mealsServed: number;
}

export interface OutcomesFilter {
  readonly program?: ProgramCode;
  readonly month?: Month;
  readonly area?: string;
}

export const FUNNEL_COLUMNS = [
  'program',
  'area',
  'month',
  'eligible',
  'no_phone',
  'not_required',
  'sms_sent',
  'reminded',
  'consented',
  'refused',
  'timed_out',
  'undeliverable',
  'issued',
  'issued_tiyn',
  'activated',
  'activated_tiyn',
  'used',
  'used_tiyn',
  'lapsed',
  'lapsed_tiyn',
  'meals_served',
  'held_tiyn',
] as const;

const FUNNEL_SQL = `
with c as (
  select program, area, month, count(*) as eligible,
    count(*) filter (where no_phone) as no_phone, count(*) filter (where not_required) as not_required,
    count(*) filter (where sms_sent) as sms_sent, count(*) filter (where reminded) as reminded,
    count(*) filter (where outcome = 'consented') as consented, count(*) filter (where outcome = 'refused') as refused,
    count(*) filter (where outcome = 'timed_out') as timed_out, count(*) filter (where outcome = 'undeliverable') as undeliverable
  from outcomes_cases group by 1, 2, 3
), v as (
  select program, area, month, count(*) as issued, sum(issued_tiyn) as issued_tiyn,
    count(*) filter (where activated) as activated, sum(activated_tiyn) as activated_tiyn,
    count(*) filter (where spent_tiyn > 0 or meals > 0) as used, sum(spent_tiyn) as used_tiyn,
    count(*) filter (where lapsed_tiyn > 0) as lapsed, sum(lapsed_tiyn) as lapsed_tiyn, sum(meals) as meals_served
  from outcomes_vouchers group by 1, 2, 3
), h as (
  select 'food-vouchers'::text as program, city as area, month, sum(held_tiyn) as held_tiyn from outcomes_wallets group by 2, 3
)
select coalesce(c.program, v.program) as program, coalesce(c.area, v.area) as area, coalesce(c.month, v.month) as month,
  ${FUNNEL_COLUMNS.slice(3)
    .map((k) => `coalesce(${k}, 0)::bigint as ${k}`)
    .join(', ')}
from c full join v on c.program = v.program and c.area = v.area and c.month = v.month
  left join h on h.program = coalesce(c.program, v.program) and h.area = coalesce(c.area, v.area) and h.month = coalesce(c.month, v.month)
`;

const camel = (snake: string) => snake.replace(/_([a-z])/g, (_m, ch: string) => ch.toUpperCase());

export async function outcomesFunnel(pool: Pool, filter: OutcomesFilter = {}): Promise<FunnelRow[]> {
  const { rows } = await pool.query(
    `select * from (${FUNNEL_SQL}) f where ($1::text is null or program = $1) and ($2::text is null or month = $2) and ($3::text is null or area = $3) order by program, area, month`,
    [filter.program ?? null, filter.month ?? null, filter.area ?? null],
  );
  return rows.map((r: Record<string, unknown>) => {
    const out: Record<string, unknown> = { program: r.program, area: r.area, month: r.month };
    for (const k of FUNNEL_COLUMNS.slice(3)) out[camel(k)] = Number(r[k]);
    return out as unknown as FunnelRow;
  });
}

export async function foodVolumes(pool: Pool, filter: { month?: Month; city?: string } = {}): Promise<FoodVolumeRow[]> {
  const { rows } = await pool.query(
    'select city, month, category, unit, quantity, amount_tiyn from outcomes_food where ($1::text is null or month = $1) and ($2::text is null or city = $2) order by city, month, category, unit',
    [filter.month ?? null, filter.city ?? null],
  );
  return rows.map((r: Record<string, unknown>) => ({
    city: r.city as string,
    month: r.month as string,
    category: r.category as string,
    unit: r.unit as string,
    quantity: Number(r.quantity),
    amountTiyn: Number(r.amount_tiyn),
  }));
}

export async function mealsByRegion(pool: Pool, filter: { month?: Month; region?: string } = {}): Promise<MealsRow[]> {
  const { rows } = await pool.query(
    'select region, month, count(*) as pupils_fed, sum(meals) as meals_served from outcomes_pupil_months ' +
      'where ($1::text is null or month = $1) and ($2::text is null or region = $2) group by 1, 2 order by 1, 2',
    [filter.month ?? null, filter.region ?? null],
  );
  return rows.map((r: Record<string, unknown>) => ({
    region: r.region as string,
    month: r.month as string,
    pupilsFed: Number(r.pupils_fed),
    mealsServed: Number(r.meals_served),
  }));
}
