import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { projectFresh, readModelDatabase } from '../../test/projections/harness';
import { PUPIL, SCHOOL, meal, mealsStart } from '../../test/projections/fixtures';
import { schoolDaysOf, tabel, tabelFinalFrom, tabelStatus } from './queries';
import { TABEL_TOTAL_ROW, tabelCsv, tabelHtml } from './export';

describe('табель', () => {
  let db: Awaited<ReturnType<typeof readModelDatabase>>;
  beforeAll(async () => {
    db = await readModelDatabase();
    await projectFresh(db.pool, [
      ...mealsStart(),
      meal('2025-10-06'),
      meal('2025-10-07'),
      // Offline device: synced on 4 November, before the sheet is final (5 November, local midnight).
      meal('2025-10-08', 27 * 24 * 3600),
      // Synced on 6 November: after finalisation, so it is late and not on the sheet.
      meal('2025-10-09', 28 * 24 * 3600),
      meal('2025-11-03'),
    ]);
  });
  afterAll(async () => db?.drop());

  it('derives its status from the clock: in progress, available from the 1st, final from the 5th', () => {
    expect(tabelFinalFrom('2025-10')).toBe('2025-11-04T19:00:00.000Z');
    expect(tabelStatus('2025-10', new Date('2025-10-31T18:59:59.999Z'))).toBe('in_progress');
    expect(tabelStatus('2025-10', new Date('2025-10-31T19:00:00.000Z'))).toBe('available');
    expect(tabelStatus('2025-10', new Date('2025-11-04T18:59:59.999Z'))).toBe('available');
    expect(tabelStatus('2025-10', new Date('2025-11-04T19:00:00.000Z'))).toBe('final');
  });

  it('grids pupils by school day, counts pupils fed per day and the amount due; flags late syncs apart', async () => {
    const t = await tabel(db.pool, { schoolId: SCHOOL, month: '2025-10', now: new Date('2025-11-10T00:00:00Z') });
    expect(t.status).toBe('final');
    expect(t.region).toBe('akmola');
    expect(t.pupils).toEqual([{ pupilId: PUPIL, meals: { '2025-10-06': 1, '2025-10-07': 1, '2025-10-08': 1 }, total: 3 }]);
    expect(t.fedPerDay['2025-10-07']).toBe(1);
    expect(t.fedPerDay['2025-10-10']).toBe(0);
    expect(t.days).toEqual(schoolDaysOf('2025-10'));
    expect(t.mealCount).toBe(3);
    expect(t.mealPriceTiyn).toBe(85_000);
    expect(t.amountDueTiyn).toBe(3 * 85_000);
    expect(t.late).toEqual([{ pupilId: PUPIL, schoolDay: '2025-10-09', deviceId: 'dev-1', seq: expect.any(Number), receivedAt: '2025-11-06T07:00:00.000Z' }]);
    expect(t.lateMealCount).toBe(1);
  });

  it('exports a CSV grid with a totals row', async () => {
    const t = await tabel(db.pool, { schoolId: SCHOOL, month: '2025-10', now: new Date('2025-11-02T00:00:00Z') });
    expect(t.status).toBe('available');
    const rows = parse(tabelCsv(t, { displayName: () => 'Асан А.' }), { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0]!)).toEqual(['pupil_id', 'display_name', ...t.days, 'total']);
    expect(rows[0]).toMatchObject({ pupil_id: PUPIL, display_name: 'Асан А.', '2025-10-06': '1', '2025-10-10': '0', total: '3' });
    expect(rows[1]).toMatchObject({ pupil_id: TABEL_TOTAL_ROW, total: '3' });
  });

  it('renders a printable HTML sheet with totals, amount due and signature lines (names escaped)', async () => {
    const t = await tabel(db.pool, { schoolId: SCHOOL, month: '2025-10', now: new Date('2025-11-10T00:00:00Z') });
    const html = tabelHtml(t, { schoolName: 'Школа №7 <Кокшетау>', displayName: () => 'Асан' });
    expect(html).toContain('Школа №7 &lt;Кокшетау&gt;');
    expect(html).toContain('2\u00a0550,00\u00a0₸');
    expect(html).toContain('Социальный педагог');
    expect(html).toContain('Окончательный');
    expect(html).toContain('не включено');
  });

  it('is empty for a school without meals', async () => {
    const t = await tabel(db.pool, { schoolId: 'nobody', month: '2025-10', now: new Date('2025-11-10T00:00:00Z') });
    expect(t).toMatchObject({ pupils: [], mealCount: 0, amountDueTiyn: 0, region: null });
  });
});
