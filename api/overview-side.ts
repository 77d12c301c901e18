/**
 * The summaries the dashboard's pages read (and any client may): a region's or a school's табель
 * at a glance, and the operator's picture of the service. Counts, amounts and ids of schools and
 * lists only — no person's data. app/system.ts builds it over the read models (api/overviews.ts).
 */
import type { OverviewScope, TabelOverview } from '../projections/tabel/overview';
import type { SmsOutboxStats, DeadlineOutlook } from '../projections/consent/operations';
import type { ListIntake } from '../projections/list-intake/queries';

export interface ListsSummary {
  /** Lists received within the window, rows in them, rows rejected, lists not yet processed. */
  readonly received: number;
  readonly rows: number;
  readonly rejectedRows: number;
  readonly unprocessed: number;
  readonly recent: readonly ListIntake[];
}

export interface OpsPicture {
  readonly now: string;
  readonly windowHours: number;
  readonly sms: SmsOutboxStats;
  readonly lists: ListsSummary;
  readonly deadlines: DeadlineOutlook;
}

export interface OverviewSide {
  mealsOverview(scope: OverviewScope, month: string): Promise<TabelOverview>;
  opsPicture(windowHours: number): Promise<OpsPicture>;
}
