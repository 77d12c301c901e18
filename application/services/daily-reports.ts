/**
 * The daily reports delivered: after midnight (Asia/Almaty) the scheduler makes the day before's
 * NOBD report (seed 001 appendix 2 p. 14) and the food programme's report to the service provider
 * (seed 004 p. 28), stores each as made and writes it as JSON and CSV files
 * (`REPORTS_DIR/daily/{kind}-{date}.json|csv`). Days missed while the service was down are made
 * when it is back (at most DAILY_REPORT_CATCH_UP_DAYS back). Any past day can be asked for; a day
 * not over yet is report_not_ready.
 */
import type { Pool } from '../../adapters/postgres/pool';
import { addDays, localDate, type LocalDate } from '../../domain/shared/calendar';
import { refuse } from '../../domain/shared/errors';
import { DAILY_REPORT_KINDS, dailyReport, dailyReportCsv, type DailyReport, type DailyReportKind } from '../../projections/daily-reports/reports';
import { lastReportDay, storedReport, storeReport } from '../../projections/daily-reports/store';

/** How many missed days a restarted service makes up at most. */
export const DAILY_REPORT_CATCH_UP_DAYS = 31;
export const REPORT_TIMEZONE = 'Asia/Almaty';

export interface DailyReports {
  /** Makes every report due by `now` not made yet; answers the reports made. */
  generateDue(now: string): Promise<number>;
  /** A day's report as made (made now when the day is over and it was not yet). */
  report(kind: DailyReportKind, day: LocalDate, now: string): Promise<{ report: DailyReport; generatedAt: string }>;
}

export function createDailyReports(deps: { pool: Pool; files: { write(relativePath: string, body: string): Promise<string> } }): DailyReports {
  async function make(kind: DailyReportKind, day: LocalDate, now: string) {
    const stored = await storeReport(deps.pool, await dailyReport(deps.pool, kind, day), now);
    const base = `daily/${kind}-${day}`;
    await deps.files.write(`${base}.json`, `${JSON.stringify(stored.report, null, 2)}\n`);
    await deps.files.write(`${base}.csv`, dailyReportCsv(stored.report));
    return stored;
  }
  return {
    async generateDue(now) {
      const yesterday = addDays(localDate(now, REPORT_TIMEZONE), -1);
      const earliest = addDays(yesterday, -(DAILY_REPORT_CATCH_UP_DAYS - 1));
      let made = 0;
      for (const kind of DAILY_REPORT_KINDS) {
        const last = await lastReportDay(deps.pool, kind);
        let day = last ? addDays(last, 1) : yesterday;
        if (day < earliest) day = earliest;
        for (; day <= yesterday; day = addDays(day, 1)) {
          await make(kind, day, now);
          made++;
        }
      }
      return made;
    },
    async report(kind, day, now) {
      const stored = await storedReport(deps.pool, kind, day);
      if (stored) return stored;
      if (day >= localDate(now, REPORT_TIMEZONE))
        return refuse('report_not_ready', `${day} is not over yet in ${REPORT_TIMEZONE}; its report is made after midnight`);
      return make(kind, day, now);
    },
  };
}
