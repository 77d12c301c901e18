/**
 * Daily reports as generated, one per kind and local day: what was delivered is kept as it was,
 * also when later events (an offline canteen batch synced a day late) would change a report made
 * again. The first one stored wins (two processes generating the same day keep one).
 */
import type { Migration } from '../../adapters/postgres/migrate';
import type { Pool } from '../../adapters/postgres/pool';
import type { LocalDate } from '../../domain/shared/calendar';
import type { DailyReport, DailyReportKind } from './reports';

export const dailyReportsMigration: Migration = {
  id: '0531_daily_reports',
  sql: `create table daily_reports (
  kind         text not null,
  day          date not null,
  generated_at timestamptz not null,
  body         jsonb not null,
  primary key (kind, day)
);`,
};

export async function storedReport(pool: Pool, kind: DailyReportKind, day: LocalDate): Promise<{ report: DailyReport; generatedAt: string } | undefined> {
  const { rows } = await pool.query<{ body: DailyReport; generated_at: Date }>(
    'select body, generated_at from daily_reports where kind = $1 and day = $2::date',
    [kind, day],
  );
  return rows[0] ? { report: rows[0].body, generatedAt: rows[0].generated_at.toISOString() } : undefined;
}

/** Stores the report unless one is stored for that day already; answers the one stored. */
export async function storeReport(pool: Pool, report: DailyReport, at: string): Promise<{ report: DailyReport; generatedAt: string }> {
  await pool.query('insert into daily_reports (kind, day, generated_at, body) values ($1, $2::date, $3, $4) on conflict (kind, day) do nothing', [
    report.kind,
    report.date,
    at,
    JSON.stringify(report),
  ]);
  return (await storedReport(pool, report.kind, report.date))!;
}

export async function lastReportDay(pool: Pool, kind: DailyReportKind): Promise<LocalDate | undefined> {
  const { rows } = await pool.query<{ day: string | null }>('select max(day)::text as day from daily_reports where kind = $1', [kind]);
  return rows[0]?.day ?? undefined;
}
