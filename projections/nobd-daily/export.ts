/**
 * The daily file for NOBD: one CSV of counts per school, one CSV of returned list rows, and one
 * JSON with both, per local day. Column names are stable (docs/READ_MODELS.md); adding a column
 * goes at the end.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeCsv } from '../../adapters/csv/write';
import type { Pool } from '../../adapters/postgres/pool';
import type { LocalDate } from '../../domain/shared/calendar';
import { NOBD_COUNTERS } from './projection';
import { nobdDailyRange, nobdReturnedRows, type NobdDailyRow, type NobdReturnedRow } from './queries';

export const NOBD_DAILY_COLUMNS = ['date', 'school_id', ...NOBD_COUNTERS] as const;
export const NOBD_RETURNS_COLUMNS = ['date', 'school_id', 'list_id', 'row_no', 'reason', 'detail', 'person_id'] as const;

export function nobdDailyCsv(rows: readonly NobdDailyRow[]): string {
  return writeCsv(
    NOBD_DAILY_COLUMNS,
    rows.map((r) => [
      r.date,
      r.schoolId,
      r.vouchersActivated,
      r.mealsProvided,
      r.consentConsented,
      r.consentRefused,
      r.consentTimedOut,
      r.consentNoPhone,
      r.consentNotRequired,
      r.rowsReturned,
      r.consentUndeliverable,
    ]),
  );
}

export function nobdReturnsCsv(rows: readonly NobdReturnedRow[]): string {
  return writeCsv(
    NOBD_RETURNS_COLUMNS,
    rows.map((r) => [r.date, r.schoolId, r.listId, r.rowNo, r.reason, r.detail ?? '', r.personId ?? '']),
  );
}

export interface NobdDailyDocument {
  readonly date: LocalDate;
  readonly schools: readonly NobdDailyRow[];
  readonly returnedRows: readonly NobdReturnedRow[];
}

export async function nobdDailyDocument(pool: Pool, date: LocalDate, schoolId?: string): Promise<NobdDailyDocument> {
  const range = { from: date, to: date, ...(schoolId ? { schoolId } : {}) };
  return { date, schools: await nobdDailyRange(pool, range), returnedRows: await nobdReturnedRows(pool, range) };
}

/** Writes `nobd-daily-{date}.csv`, `nobd-returns-{date}.csv` and `nobd-daily-{date}.json` into `dir`. */
export async function writeNobdDailyFiles(pool: Pool, date: LocalDate, dir: string): Promise<string[]> {
  const doc = await nobdDailyDocument(pool, date);
  await mkdir(dir, { recursive: true });
  const files: [string, string][] = [
    [`nobd-daily-${date}.csv`, nobdDailyCsv(doc.schools)],
    [`nobd-returns-${date}.csv`, nobdReturnsCsv(doc.returnedRows)],
    [`nobd-daily-${date}.json`, `${JSON.stringify(doc, null, 2)}\n`],
  ];
  for (const [name, body] of files) await writeFile(join(dir, name), body, 'utf8');
  return files.map(([name]) => join(dir, name));
}
