import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { item, projectFresh, readModelDatabase } from '../../test/projections/harness';
import { PUPIL, SCHOOL, YEAR, meal, mealsStart } from '../../test/projections/fixtures';
import { streams, type LedgerEvent } from '../../domain/events';

/** Another pupil's voucher at the school: issued, and activated / expired when given. */
function voucher(pupilId: string, events: { activatedAt?: string; expiredAt?: string } = {}) {
  const stream = streams.meals(pupilId, YEAR);
  const voucherId = `mv-${pupilId}`;
  const issued: LedgerEvent = {
    type: 'MealVoucherIssued',
    data: {
      voucherId,
      pupilId,
      familyId: `fam-${pupilId}`,
      schoolId: SCHOOL,
      region: 'akmola',
      grade: 5,
      category: 'asp_family',
      schoolYear: YEAR,
      validFrom: '2025-09-01',
      validUntil: '2026-05-31',
      viaConsent: true,
      caseId: `c-${pupilId}`,
      issuedAt: '2026-03-02T04:00:00.000Z',
    },
  };
  return [
    item(stream, issued, '2026-03-02T04:00:00.000Z'),
    ...(events.activatedAt
      ? [item(stream, { type: 'MealVoucherActivated', data: { voucherId, byPersonId: 'm', activatedAt: events.activatedAt } }, events.activatedAt)]
      : []),
    ...(events.expiredAt ? [item(stream, { type: 'MealVoucherExpired', data: { voucherId, at: events.expiredAt } }, events.expiredAt)] : []),
  ];
}
import { schoolDaysOf, tabel, tabelFinalFrom, tabelStatus } from './queries';
import { TABEL_TOTAL_ROW, tabelCsv, tabelHtml } from './export';

describe('табель', () => {
  let db: Awaited<ReturnType<typeof readModelDatabase>>;
  beforeAll(async () => {
    db = await readModelDatabase();
    await projectFresh(db.pool, [
      ...mealsStart(),
      meal('2026-04-06'),
      meal('2026-04-07'),
      // Offline device: synced on 4 May, before the sheet is final (5 May, local midnight).
      meal('2026-04-08', 26 * 24 * 3600),
      // Synced on 6 May: after finalisation, so it is late and not on the sheet.
      meal('2026-04-09', 27 * 24 * 3600),
      meal('2026-05-04'),
      // Active in April but never fed; activated only in May; never activated.
      ...voucher('pupil-unfed', { activatedAt: '2026-03-03T04:00:00.000Z' }),
      ...voucher('pupil-may', { activatedAt: '2026-05-01T04:00:00.000Z' }),
      ...voucher('pupil-idle'),
    ]);
  });
  afterAll(async () => db?.drop());

  it('derives its status from the clock: in progress, available from the 1st, final from the 5th', () => {
    expect(tabelFinalFrom('2025-10')).toBe('2025-11-04T19:00:00.000Z');
    expect(tabelFinalFrom('2026-04')).toBe('2026-05-04T19:00:00.000Z');
    expect(tabelStatus('2025-10', new Date('2025-10-31T18:59:59.999Z'))).toBe('in_progress');
    expect(tabelStatus('2025-10', new Date('2025-10-31T19:00:00.000Z'))).toBe('available');
    expect(tabelStatus('2025-10', new Date('2025-11-04T18:59:59.999Z'))).toBe('available');
    expect(tabelStatus('2025-10', new Date('2025-11-04T19:00:00.000Z'))).toBe('final');
  });

  it('grids pupils by school day, counts pupils fed per day and the amount due; flags late syncs apart', async () => {
    const t = await tabel(db.pool, { schoolId: SCHOOL, month: '2026-04', now: new Date('2026-05-10T00:00:00Z') });
    expect(t.status).toBe('final');
    expect(t.region).toBe('akmola');
    expect(t.pupils).toEqual([
      { pupilId: PUPIL, meals: { '2026-04-06': 1, '2026-04-07': 1, '2026-04-08': 1 }, total: 3 },
      // Old reading: only pupils with a meal were on the sheet.
      { pupilId: 'pupil-unfed', meals: {}, total: 0 },
    ]);
    expect(t.fedPerDay['2026-04-07']).toBe(1);
    expect(t.fedPerDay['2026-04-10']).toBe(0);
    expect(t.days).toEqual(schoolDaysOf('2026-04'));
    expect(t.mealCount).toBe(3);
    expect(t.mealPriceTiyn).toBe(85_000);
    expect(t.amountDueTiyn).toBe(3 * 85_000);
    expect(t.late).toEqual([{ pupilId: PUPIL, schoolDay: '2026-04-09', deviceId: 'dev-1', seq: expect.any(Number), receivedAt: '2026-05-06T07:00:00.000Z' }]);
    expect(t.lateMealCount).toBe(1);
  });

  it('exports a CSV grid with a totals row', async () => {
    const t = await tabel(db.pool, { schoolId: SCHOOL, month: '2026-04', now: new Date('2026-05-02T00:00:00Z') });
    expect(t.status).toBe('available');
    const rows = parse(tabelCsv(t, { displayName: () => 'Асан А.' }), { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0]!)).toEqual(['pupil_id', 'display_name', ...t.days, 'total']);
    expect(rows[0]).toMatchObject({ pupil_id: PUPIL, display_name: 'Асан А.', '2026-04-06': '1', '2026-04-10': '0', total: '3' });
    expect(rows[1]).toMatchObject({ pupil_id: 'pupil-unfed', total: '0' });
    expect(rows[2]).toMatchObject({ pupil_id: TABEL_TOTAL_ROW, total: '3' });
  });

  it('renders a printable HTML sheet with totals, amount due and signature lines (names escaped)', async () => {
    const t = await tabel(db.pool, { schoolId: SCHOOL, month: '2026-04', now: new Date('2026-05-10T00:00:00Z') });
    const html = tabelHtml(t, { schoolName: 'Школа №7 <Кокшетау>', displayName: () => 'Асан' });
    expect(html).toContain('Школа №7 &lt;Кокшетау&gt;');
    expect(html).toContain('2\u00a0550,00\u00a0₸');
    expect(html).toContain('Социальный педагог');
    expect(html).toContain('Окончательный');
    expect(html).toContain('не включено');
  });

  it('is empty for a school without meals', async () => {
    const t = await tabel(db.pool, { schoolId: 'nobody', month: '2026-04', now: new Date('2026-05-10T00:00:00Z') });
    expect(t).toMatchObject({ pupils: [], mealCount: 0, amountDueTiyn: 0, region: null });
  });

  it('has no columns for the spring break or days before the 2026 order is in force (seed 002; the ministry’s calendar)', () => {
    // Old reading: every weekday but public holidays was a column.
    expect(schoolDaysOf('2026-03').filter((d) => d >= '2026-03-19' && d <= '2026-03-29')).toEqual([]);
    expect(schoolDaysOf('2026-03')).toContain('2026-03-18');
    expect(schoolDaysOf('2026-02')).toEqual(['2026-02-23', '2026-02-24', '2026-02-25', '2026-02-26', '2026-02-27']);
    expect(schoolDaysOf('2026-05').at(-1)).toBe('2026-05-25');
  });

  it('lists a pupil whose voucher expired during the month, not one expired before it', async () => {
    const db2 = await readModelDatabase();
    try {
      await projectFresh(db2.pool, [...voucher('pupil-a', { activatedAt: '2026-03-03T04:00:00.000Z', expiredAt: '2026-05-31T19:00:00.000Z' })]);
      expect((await tabel(db2.pool, { schoolId: SCHOOL, month: '2026-05', now: new Date('2026-06-10T00:00:00Z') })).pupils.map((p) => p.pupilId)).toEqual([
        'pupil-a',
      ]);
      expect((await tabel(db2.pool, { schoolId: SCHOOL, month: '2026-06', now: new Date('2026-07-10T00:00:00Z') })).pupils).toEqual([]);
    } finally {
      await db2.drop();
    }
  });

  it('pays only the pupils on the month’s approved list: a suspended voucher has no row, its meals are apart; a move counts from its month (seed 002)', async () => {
    // Old reading: every issued voucher's meals were on the sheet, listed or not.
    const db2 = await readModelDatabase();
    try {
      const stream = streams.meals('pupil-s', YEAR);
      const suspended: LedgerEvent = {
        type: 'MealVoucherSuspended',
        data: {
          voucherId: 'mv-pupil-s',
          month: '2026-04',
          listId: 'nobd-04',
          schoolId: SCHOOL,
          reason: 'absent_from_month_list',
          at: '2026-04-08T04:00:00.000Z',
        },
      };
      const served = (day: string, seq: number): LedgerEvent => ({
        type: 'MealServed',
        data: {
          voucherId: 'mv-pupil-s',
          pupilId: 'pupil-s',
          schoolId: SCHOOL,
          deviceId: 'dev-s',
          seq,
          schoolDay: day,
          scannedAt: `${day}T07:00:00.000Z`,
          receivedAt: `${day}T07:00:05.000Z`,
          method: 'card',
        },
      });
      const moved: LedgerEvent = {
        type: 'MealVoucherTransferred',
        data: {
          voucherId: 'mv-pupil-t',
          month: '2026-04',
          listId: 'nobd-8-04',
          fromSchoolId: SCHOOL,
          toSchoolId: 'school-8',
          fromGrade: 5,
          toGrade: 5,
          at: '2026-04-01T04:00:00.000Z',
        },
      };
      await projectFresh(db2.pool, [
        ...voucher('pupil-s', { activatedAt: '2026-03-03T04:00:00.000Z' }),
        item(stream, served('2026-04-06', 1), '2026-04-06T07:00:05.000Z'),
        item(stream, suspended, '2026-04-08T04:00:00.000Z'),
        ...voucher('pupil-t', { activatedAt: '2026-03-03T04:00:00.000Z' }),
        item(streams.meals('pupil-t', YEAR), moved, '2026-04-01T04:00:00.000Z'),
      ]);
      const april = await tabel(db2.pool, { schoolId: SCHOOL, month: '2026-04', now: new Date('2026-05-10T00:00:00Z') });
      expect(april.pupils).toEqual([]);
      expect(april.mealCount).toBe(0);
      expect(april.notListed).toEqual([{ pupilId: 'pupil-s', schoolDay: '2026-04-06', deviceId: 'dev-s', seq: 1, receivedAt: '2026-04-06T07:00:05.000Z' }]);
      expect((await tabel(db2.pool, { schoolId: SCHOOL, month: '2026-05', now: new Date('2026-06-10T00:00:00Z') })).pupils.map((p) => p.pupilId)).toEqual([
        'pupil-s',
      ]);
      expect((await tabel(db2.pool, { schoolId: 'school-8', month: '2026-04', now: new Date('2026-05-10T00:00:00Z') })).pupils.map((p) => p.pupilId)).toEqual([
        'pupil-t',
      ]);
      // The move is from April on: March's sheets stay as they were (old reading: the voucher left its
      // old school's March sheet and stood on the new school's, where the pupil never was in March).
      const march = (schoolId: string) => tabel(db2.pool, { schoolId, month: '2026-03', now: new Date('2026-04-10T00:00:00Z') });
      expect((await march(SCHOOL)).pupils.map((p) => p.pupilId)).toEqual(['pupil-s', 'pupil-t']);
      expect((await march('school-8')).pupils).toEqual([]);
    } finally {
      await db2.drop();
    }
  });
});
