/**
 * The ExchangeSide port over the read models (projections/exchanges) and the BMG import service.
 * A feed cursor is checked here: one this feed never handed out is invalid_cursor; one past what
 * the read model has applied can only come from elsewhere (or a clock of the future) and is
 * cursor_from_the_future — answered, never silently treated as the end.
 */
import type { Pool } from '../adapters/postgres/pool';
import type { BmgImport } from '../application/services/bmg-import';
import type { DailyReports } from '../application/services/daily-reports';
import type { Clock } from '../adapters/clock/clock';
import { decodeCursor, feedHead, feedPage, listRowStatuses } from '../projections/exchanges/queries';
import { familyFeedback } from '../projections/feedback/queries';
import type { ExchangeSide } from './exchange-side';
import { ApiProblem } from './problem';

export function createExchanges(deps: { pool: Pool; bmg: BmgImport; reports: DailyReports; clock: Clock }): ExchangeSide {
  return {
    bmg: deps.bmg,
    dailyReport: (kind, day) => deps.reports.report(kind, day, deps.clock.now().toISOString()),
    listRows: (source, listId) => listRowStatuses(deps.pool, source, listId),
    familyFeedback: (familyId) => familyFeedback(deps.pool, familyId),
    async statusFeed(source, after, limit) {
      const from = after === undefined ? undefined : decodeCursor(after);
      if (after !== undefined && !from)
        throw new ApiProblem('invalid_cursor', 'Pass a cursor exactly as the feed gave it, or none to start from the beginning.');
      if (from && from.position > (await feedHead(deps.pool)))
        throw new ApiProblem('cursor_from_the_future', 'The cursor points past the end of this feed; continue from the last cursor you received.');
      const statuses = await feedPage(deps.pool, source, from, limit);
      return { statuses, next: statuses.at(-1)?.cursor ?? after ?? null };
    },
  };
}
