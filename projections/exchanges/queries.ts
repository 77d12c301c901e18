/**
 * Reading `exchange_statuses`: a list's rows with their current status, its returns, and a
 * source's status feed in pages after a cursor. The cursor is opaque to clients but stable: the
 * same change always has the same cursor (it encodes the change's log position), so a rebuild of
 * the read model hands out the same cursors, and a client resumes from the last one it kept.
 */
import type { Pool } from '../../adapters/postgres/pool';
import { EXCHANGE_STATUSES } from './projection';

export interface RowStatus {
  readonly rowNo: number;
  readonly status: string;
  readonly reason?: string;
  readonly detail?: string;
  readonly familyId?: string;
  readonly personId?: string;
  readonly schoolId?: string;
  readonly city?: string;
  readonly caseId?: string;
  /** When the row got this status. */
  readonly at: string;
}

export interface FeedEntry extends RowStatus {
  readonly cursor: string;
  readonly listId: string;
}

const CURSOR_PREFIX = 'sf1.';

export function encodeCursor(position: bigint, seq: number): string {
  return Buffer.from(`${CURSOR_PREFIX}${position}.${seq}`).toString('base64url');
}

/** The position a cursor stands for, or undefined when it is not one this feed handed out. */
export function decodeCursor(cursor: string): { position: bigint; seq: number } | undefined {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(cursor)) return undefined;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^sf1\.(\d{1,19})\.(\d{1,4})$/.exec(text);
  if (!match || encodeCursor(BigInt(match[1]!), Number(match[2])) !== cursor) return undefined;
  return { position: BigInt(match[1]!), seq: Number(match[2]) };
}

interface Row {
  list_id: string;
  row_no: number;
  status: string;
  reason: string | null;
  detail: string | null;
  family_id: string | null;
  person_id: string | null;
  school_id: string | null;
  city: string | null;
  case_id: string | null;
  at: Date;
}

function statusOf(r: Row): RowStatus {
  return {
    rowNo: r.row_no,
    status: r.status,
    ...(r.reason ? { reason: r.reason } : {}),
    ...(r.detail ? { detail: r.detail } : {}),
    ...(r.family_id ? { familyId: r.family_id } : {}),
    ...(r.person_id ? { personId: r.person_id } : {}),
    ...(r.school_id ? { schoolId: r.school_id } : {}),
    ...(r.city ? { city: r.city } : {}),
    ...(r.case_id ? { caseId: r.case_id } : {}),
    at: r.at.toISOString(),
  };
}

const ROW_COLUMNS = 'list_id, row_no, status, reason, detail, family_id, person_id, school_id, city, case_stream as case_id, at';

/** Every row of a list with its current status, in row order. */
export async function listRowStatuses(pool: Pool, source: string, listId: string): Promise<RowStatus[]> {
  const { rows } = await pool.query<Row>(`select ${ROW_COLUMNS} from exchange_rows where source = $1 and list_id = $2 order by row_no`, [source, listId]);
  return rows.map(statusOf);
}

/** The rows of a list that ended without a voucher, with the reason, in row order. */
export async function listReturns(pool: Pool, source: string, listId: string): Promise<RowStatus[]> {
  const { rows } = await pool.query<Row>(`select ${ROW_COLUMNS} from exchange_rows where source = $1 and list_id = $2 and returned order by row_no`, [
    source,
    listId,
  ]);
  return rows.map(statusOf);
}

/** The log position the read model has applied up to: no cursor can point past it. */
export async function feedHead(pool: Pool): Promise<bigint> {
  const { rows } = await pool.query<{ position: bigint }>('select position from projection_checkpoints where name = $1', [EXCHANGE_STATUSES]);
  return rows[0]?.position ?? 0n;
}

/** Status changes of a source after `after` (exclusive), oldest first. */
export async function feedPage(pool: Pool, source: string, after: { position: bigint; seq: number } | undefined, limit: number): Promise<FeedEntry[]> {
  const { rows } = await pool.query<Row & { position: bigint; seq: number }>(
    `select position, seq, list_id, row_no, status, reason, detail, family_id, person_id, school_id, city, case_id, at from exchange_feed
     where source = $1 and (position, seq) > ($2::bigint, $3::smallint) order by position, seq limit $4`,
    [source, (after?.position ?? 0n).toString(), after?.seq ?? -1, limit],
  );
  return rows.map((r) => ({ cursor: encodeCursor(r.position, r.seq), listId: r.list_id, ...statusOf(r) }));
}
