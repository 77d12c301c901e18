/** The lists the service took most recently, and how many arrived in a window. */
import type { Pool } from '../../adapters/postgres/pool';

export interface ListIntake {
  readonly source: 'sdu' | 'nobd';
  readonly listId: string;
  readonly program: string;
  readonly month: string;
  readonly schoolId?: string;
  readonly rowCount: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly receivedAt: string;
  /** Absent while rows are still being decided. */
  readonly processedAt?: string;
}

export async function recentLists(pool: Pool, limit: number): Promise<ListIntake[]> {
  const { rows } = await pool.query<{
    source: 'sdu' | 'nobd';
    list_id: string;
    program: string;
    month: string;
    school_id: string | null;
    row_count: number;
    accepted: number;
    rejected: number;
    received_at: Date;
    processed_at: Date | null;
  }>('select * from list_intake order by received_at desc, source, list_id limit $1', [limit]);
  return rows.map((r) => ({
    source: r.source,
    listId: r.list_id,
    program: r.program,
    month: r.month,
    ...(r.school_id ? { schoolId: r.school_id } : {}),
    rowCount: r.row_count,
    accepted: r.accepted,
    rejected: r.rejected,
    receivedAt: r.received_at.toISOString(),
    ...(r.processed_at ? { processedAt: r.processed_at.toISOString() } : {}),
  }));
}

/** Lists received since an instant, and those of them not processed yet. */
export async function listsSince(pool: Pool, since: string): Promise<{ received: number; unprocessed: number; rows: number; rejectedRows: number }> {
  const { rows } = await pool.query<{ received: string; unprocessed: string; rows: string | null; rejected: string | null }>(
    'select count(*) as received, count(*) filter (where processed_at is null) as unprocessed, sum(row_count) as rows, sum(rejected) as rejected from list_intake where received_at >= $1',
    [since],
  );
  const r = rows[0]!;
  return { received: Number(r.received), unprocessed: Number(r.unprocessed), rows: Number(r.rows ?? 0), rejectedRows: Number(r.rejected ?? 0) };
}
