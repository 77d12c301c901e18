/** The auditor's index of a family's events, in log order. */
import type { Pool } from '../../adapters/postgres/pool';

export interface FamilyEventRef {
  readonly position: bigint;
  readonly type: string;
  readonly stream: string;
  readonly recordedAt: string;
}

/** Page size of the history when the caller names none. */
export const DEFAULT_HISTORY_PAGE = 500;
export const MAX_HISTORY_PAGE = 5000;

export async function familyHistory(pool: Pool, familyId: string, page: { after?: bigint; limit?: number } = {}): Promise<FamilyEventRef[]> {
  const limit = Math.min(page.limit ?? DEFAULT_HISTORY_PAGE, MAX_HISTORY_PAGE);
  const { rows } = await pool.query<{ position: bigint; type: string; stream: string; recorded_at: Date }>(
    'select position, type, stream, recorded_at from family_events where family_id = $1 and position > $2 order by position limit $3',
    [familyId, page.after ?? 0n, limit],
  );
  return rows.map((r) => ({ position: r.position, type: r.type, stream: r.stream, recordedAt: r.recorded_at.toISOString() }));
}

/** The streams holding a family's events (what an "as of" replay reads). */
export async function familyStreams(pool: Pool, familyId: string): Promise<string[]> {
  const { rows } = await pool.query<{ stream: string }>('select distinct stream from family_events where family_id = $1 order by stream', [familyId]);
  return rows.map((r) => r.stream);
}
