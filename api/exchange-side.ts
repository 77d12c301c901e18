/**
 * What the partner exchanges' routes need (BMG's phone loads; later the status feeds, e-Otinish
 * and the daily reports), as one port beside ReadSide: app/system.ts implements it.
 */
import type { BmgImport } from '../application/services/bmg-import';
import type { FeedEntry, RowStatus } from '../projections/exchanges/queries';
import type { FeedbackView } from '../projections/feedback/queries';
import type { DailyReport, DailyReportKind } from '../projections/daily-reports/reports';

export interface StatusFeedPage {
  readonly statuses: readonly FeedEntry[];
  /** Where the next page starts: the last entry's cursor, or the one given when nothing is new (null: the feed is empty). */
  readonly next: string | null;
}

export interface ExchangeSide {
  readonly bmg: BmgImport;
  /** Every row of a list with its current status. */
  listRows(source: 'sdu' | 'nobd', listId: string): Promise<readonly RowStatus[]>;
  /** A page of a source's status changes after a cursor (invalid_cursor, cursor_from_the_future). */
  statusFeed(source: 'sdu' | 'nobd', after: string | undefined, limit: number): Promise<StatusFeedPage>;
  /** A family's ratings and complaints with where each one is (pending, forwarded with e-Otinish's reference, not delivered). */
  familyFeedback(familyId: string): Promise<readonly FeedbackView[]>;
  /** A day's daily report as made (report_not_ready for a day not over). */
  dailyReport(kind: DailyReportKind, day: string): Promise<{ report: DailyReport; generatedAt: string }>;
}
