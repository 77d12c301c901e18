import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { projectFresh, readModelDatabase } from '../../test/projections/harness';
import { SCHOOL, meal, mealsStart } from '../../test/projections/fixtures';
import { nobdDailyRange, nobdReturnedRows } from './queries';
import { NOBD_DAILY_COLUMNS, NOBD_RETURNS_COLUMNS, nobdDailyCsv, writeNobdDailyFiles } from './export';

describe('NOBD daily report', () => {
  let db: Awaited<ReturnType<typeof readModelDatabase>>;
  beforeAll(async () => {
    db = await readModelDatabase();
    await projectFresh(db.pool, [...mealsStart(), meal('2025-10-06'), meal('2025-10-07'), meal('2025-10-07', 3 * 24 * 3600)]);
  });
  afterAll(async () => db?.drop());

  it('counts consent outcomes, activations and meals per school and local day', async () => {
    const rows = await nobdDailyRange(db.pool, { from: '2025-10-01', to: '2025-10-31' });
    const zero = {
      vouchersActivated: 0,
      mealsProvided: 0,
      consentConsented: 0,
      consentRefused: 0,
      consentTimedOut: 0,
      consentNoPhone: 0,
      consentNotRequired: 0,
      rowsReturned: 0,
      consentUndeliverable: 0,
    };
    expect(rows).toEqual([
      { date: '2025-10-01', schoolId: SCHOOL, ...zero, rowsReturned: 1 },
      // Consent at 20:00Z on the 1st and the row returned at 20:30Z count on the 2nd, Almaty time.
      { date: '2025-10-02', schoolId: SCHOOL, ...zero, consentConsented: 1, rowsReturned: 1 },
      { date: '2025-10-06', schoolId: SCHOOL, ...zero, vouchersActivated: 1, mealsProvided: 1 },
      // Meals count on their school day, even when a device synced days later.
      { date: '2025-10-07', schoolId: SCHOOL, ...zero, mealsProvided: 2 },
    ]);
  });

  it("lists returned rows with reasons; a row without a school takes the list's school", async () => {
    const rows = await nobdReturnedRows(db.pool, { from: '2025-10-01', to: '2025-10-02', schoolId: SCHOOL });
    expect(rows).toEqual([
      { date: '2025-10-01', schoolId: SCHOOL, listId: 'L1', rowNo: 2, reason: 'invalid_iin', detail: 'check digit', personId: null },
      { date: '2025-10-02', schoolId: SCHOOL, listId: 'L1', rowNo: 3, reason: 'failed_sdu_reconciliation', detail: null, personId: 'pupil-x' },
    ]);
  });

  it('reads by date range and school', async () => {
    expect(await nobdDailyRange(db.pool, { from: '2025-10-06', to: '2025-10-06' })).toHaveLength(1);
    expect(await nobdDailyRange(db.pool, { from: '2025-10-01', to: '2025-10-31', schoolId: 'other' })).toEqual([]);
  });

  it('exports a day as CSV (stable columns) and JSON files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nobd-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const files = await writeNobdDailyFiles(db.pool, '2025-10-02', dir);
    expect(files.map((f) => f.slice(dir.length + 1))).toEqual(['nobd-daily-2025-10-02.csv', 'nobd-returns-2025-10-02.csv', 'nobd-daily-2025-10-02.json']);
    const csv = parse(await readFile(files[0]!, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(Object.keys(csv[0]!)).toEqual([...NOBD_DAILY_COLUMNS]);
    expect(csv[0]).toMatchObject({ date: '2025-10-02', school_id: SCHOOL, consent_consented: '1', rows_returned: '1' });
    const returns = parse(await readFile(files[1]!, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(Object.keys(returns[0]!)).toEqual([...NOBD_RETURNS_COLUMNS]);
    const json = JSON.parse(await readFile(files[2]!, 'utf8'));
    expect(json.date).toBe('2025-10-02');
    expect(json.schools[0].consentConsented).toBe(1);
    expect(json.returnedRows[0].reason).toBe('failed_sdu_reconciliation');
    expect(nobdDailyCsv([]).trim()).toBe(NOBD_DAILY_COLUMNS.join(','));
  });
});
