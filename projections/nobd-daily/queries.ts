/** Reading the NOBD daily report: by date range (and school), and the rows returned to NOBD. */
import type { Pool } from '../../adapters/postgres/pool';
import type { LocalDate } from '../../domain/shared/calendar';
import { NOBD_COUNTERS } from './projection';

export interface NobdDailyRow {
  readonly date: LocalDate;
  readonly schoolId: string;
  readonly vouchersActivated: number;
  readonly mealsProvided: number;
  readonly consentConsented: number;
  readonly consentRefused: number;
  readonly consentTimedOut: number;
  readonly consentNoPhone: number;
  readonly consentNotRequired: number;
  readonly rowsReturned: number;
  /** The start SMS could be delivered to nobody who may be asked (issue 16 item 7). */
  readonly consentUndeliverable: number;
}

export interface NobdReturnedRow {
  readonly date: LocalDate;
  readonly schoolId: string;
  readonly listId: string;
  readonly rowNo: number;
  readonly reason: string;
  readonly detail: string | null;
  readonly personId: string | null;
}

export interface NobdRange {
  /** Inclusive local dates. */
  readonly from: LocalDate;
  readonly to: LocalDate;
  readonly schoolId?: string;
}

const camel = (snake: string) => snake.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());

export async function nobdDailyRange(pool: Pool, range: NobdRange): Promise<NobdDailyRow[]> {
  const { rows } = await pool.query(
    `select day::text as date, school_id, ${NOBD_COUNTERS.join(', ')} from nobd_daily ` +
      'where day between $1 and $2 and ($3::text is null or school_id = $3) order by day, school_id',
    [range.from, range.to, range.schoolId ?? null],
  );
  return rows.map((r: Record<string, unknown>) => {
    const out: Record<string, unknown> = { date: r.date, schoolId: r.school_id };
    for (const c of NOBD_COUNTERS) out[camel(c)] = Number(r[c]);
    return out as unknown as NobdDailyRow;
  });
}

export async function nobdReturnedRows(pool: Pool, range: NobdRange): Promise<NobdReturnedRow[]> {
  const { rows } = await pool.query(
    'select day::text as date, school_id, list_id, row_no, reason, detail, person_id from nobd_returned_rows ' +
      'where day between $1 and $2 and ($3::text is null or school_id = $3) order by day, school_id, list_id, row_no',
    [range.from, range.to, range.schoolId ?? null],
  );
  return rows.map((r: Record<string, unknown>) => ({
    date: r.date as string,
    schoolId: r.school_id as string,
    listId: r.list_id as string,
    rowNo: Number(r.row_no),
    reason: r.reason as string,
    detail: (r.detail as string | null) ?? null,
    personId: (r.person_id as string | null) ?? null,
  }));
}
