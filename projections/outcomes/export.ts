/** Outcome exports for ministries: one JSON document, or three CSVs (funnel, food volumes, meals). */
import { writeCsv } from '../../adapters/csv/write';
import type { Pool } from '../../adapters/postgres/pool';
import { FUNNEL_COLUMNS, foodVolumes, mealsByRegion, outcomesFunnel, type FoodVolumeRow, type FunnelRow, type MealsRow, type OutcomesFilter } from './queries';

export interface OutcomesDocument {
  readonly funnel: readonly FunnelRow[];
  readonly foodVolumes: readonly FoodVolumeRow[];
  readonly schoolMeals: readonly MealsRow[];
}

/** Every section honours every filter: the area is the food city and the school-meals region alike. */
export async function outcomesDocument(pool: Pool, filter: OutcomesFilter = {}): Promise<OutcomesDocument> {
  const month = filter.month ? { month: filter.month } : {};
  return {
    funnel: await outcomesFunnel(pool, filter),
    foodVolumes: filter.program === 'school-meals' ? [] : await foodVolumes(pool, { ...month, ...(filter.area ? { city: filter.area } : {}) }),
    schoolMeals: filter.program === 'food-vouchers' ? [] : await mealsByRegion(pool, { ...month, ...(filter.area ? { region: filter.area } : {}) }),
  };
}

const camel = (snake: string) => snake.replace(/_([a-z])/g, (_m, ch: string) => ch.toUpperCase());

export function funnelCsv(rows: readonly FunnelRow[]): string {
  return writeCsv(
    FUNNEL_COLUMNS,
    rows.map((r) => FUNNEL_COLUMNS.map((c) => (r as unknown as Record<string, string | number | null>)[camel(c)])),
  );
}

export const FOOD_VOLUME_COLUMNS = ['city', 'month', 'category', 'unit', 'quantity', 'amount_tiyn'] as const;
export function foodVolumesCsv(rows: readonly FoodVolumeRow[]): string {
  return writeCsv(
    FOOD_VOLUME_COLUMNS,
    rows.map((r) => [r.city, r.month, r.category, r.unit, r.quantity, r.amountTiyn]),
  );
}

export const MEALS_COLUMNS = ['region', 'month', 'pupils_fed', 'meals_served'] as const;
export function mealsCsv(rows: readonly MealsRow[]): string {
  return writeCsv(
    MEALS_COLUMNS,
    rows.map((r) => [r.region, r.month, r.pupilsFed, r.mealsServed]),
  );
}
