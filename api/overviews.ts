/** OverviewSide over the read models (projections/tabel/overview.ts, consent/operations.ts, list-intake). */
import type { Clock } from '../adapters/clock/clock';
import type { Pool } from '../adapters/postgres/pool';
import { tabelOverview } from '../projections/tabel/overview';
import { deadlineOutlook, smsOutboxStats } from '../projections/consent/operations';
import { listsSince, recentLists } from '../projections/list-intake/queries';
import type { OverviewSide } from './overview-side';

/** Lists shown as "recent", and deadlines as "next". */
const RECENT_LISTS = 10;
const NEXT_DEADLINES = 10;

export function createOverviews(deps: { pool: Pool; clock: Clock }): OverviewSide {
  const { pool, clock } = deps;
  return {
    mealsOverview: (scope, month) => tabelOverview(pool, { ...scope, month, now: clock.now() }),
    async opsPicture(windowHours) {
      const now = clock.now();
      const since = new Date(now.getTime() - windowHours * 3_600_000).toISOString();
      const until = new Date(now.getTime() + windowHours * 3_600_000).toISOString();
      const [sms, intake, recent, deadlines] = await Promise.all([
        smsOutboxStats(pool, now.toISOString(), since),
        listsSince(pool, since),
        recentLists(pool, RECENT_LISTS),
        deadlineOutlook(pool, now.toISOString(), until, NEXT_DEADLINES),
      ]);
      return { now: now.toISOString(), windowHours, sms, lists: { ...intake, recent }, deadlines };
    },
  };
}
