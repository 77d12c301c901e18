import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { item, projectFresh, readModelDatabase } from '../../test/projections/harness';
import { SCHOOL, YEAR, meal, mealsStart } from '../../test/projections/fixtures';
import { streams } from '../../domain/events';
import { schoolDaysOf, tabel } from './queries';
import { tabelOverview } from './overview';

/** A second school in Pavlodar with one pupil whose voucher was active all April and never fed. */
function otherRegion() {
  const stream = streams.meals('pupil-pv', YEAR);
  return [
    item(
      stream,
      {
        type: 'MealVoucherIssued',
        data: {
          voucherId: 'mv-pv',
          pupilId: 'pupil-pv',
          familyId: 'fam-pv',
          schoolId: 'school-pv',
          region: 'pavlodar',
          grade: 5,
          category: 'asp_family',
          schoolYear: YEAR,
          validFrom: '2025-09-01',
          validUntil: '2026-05-31',
          viaConsent: true,
          caseId: 'c-pv',
          issuedAt: '2026-03-02T04:00:00.000Z',
        },
      },
      '2026-03-02T04:00:00.000Z',
    ),
    item(
      stream,
      { type: 'MealVoucherActivated', data: { voucherId: 'mv-pv', byPersonId: 'm', activatedAt: '2026-03-03T04:00:00.000Z' } },
      '2026-03-03T04:00:00.000Z',
    ),
  ];
}

describe('the табель of many schools at once', () => {
  let db: Awaited<ReturnType<typeof readModelDatabase>>;
  beforeAll(async () => {
    db = await readModelDatabase();
    await projectFresh(db.pool, [
      ...mealsStart(),
      meal('2026-04-06'),
      meal('2026-04-07'),
      meal('2026-04-08', 26 * 24 * 3600),
      // Synced on 6 May, after the sheet became final: late, and the 9th has no meal on the sheet.
      meal('2026-04-09', 27 * 24 * 3600),
      ...otherRegion(),
    ]);
  });
  afterAll(async () => db?.drop());

  const now = new Date('2026-05-06T06:00:00.000Z');

  it('gives each school the figures of its own табель', async () => {
    const overview = await tabelOverview(db.pool, { month: '2026-04', now });
    for (const school of overview.schools) {
      const sheet = await tabel(db.pool, { schoolId: school.schoolId, month: '2026-04', now });
      expect(school).toMatchObject({
        status: sheet.status,
        entitledPupils: sheet.pupils.length,
        mealCount: sheet.mealCount,
        mealPriceTiyn: sheet.mealPriceTiyn,
        amountDueTiyn: sheet.amountDueTiyn,
        lateMealCount: sheet.lateMealCount,
        fedPerDay: sheet.fedPerDay,
      });
      expect(overview.days).toEqual(sheet.days);
    }
    expect(overview.schools.map((s) => s.schoolId)).toEqual([SCHOOL, 'school-pv']);
    expect(overview.totals).toMatchObject({ schools: 2, entitledPupils: 2, mealCount: 3, lateMealCount: 1 });
  });

  it('names the school days with an active voucher and no meal on the sheet', async () => {
    const overview = await tabelOverview(db.pool, { month: '2026-04', now, region: 'akmola' });
    const [school] = overview.schools;
    const fedOnSheet = ['2026-04-06', '2026-04-07', '2026-04-08'];
    expect(school!.daysWithoutRecords).toEqual(
      schoolDaysOf('2026-04')
        .filter((d) => !fedOnSheet.includes(d))
        .map((day) => ({ day, activeVouchers: 1 })),
    );
    expect(school!.daysWithoutRecords.map((d) => d.day)).toContain('2026-04-09');
  });

  it('counts only days before today, and only while a voucher is active', async () => {
    const overview = await tabelOverview(db.pool, { month: '2026-03', now: new Date('2026-03-05T06:00:00.000Z'), schoolId: 'school-pv' });
    // Activated on 3 March (09:00 local): the 3rd and 4th are missing; the 2nd had no active voucher; the 5th is today.
    expect(overview.schools[0]!.daysWithoutRecords).toEqual([
      { day: '2026-03-03', activeVouchers: 1 },
      { day: '2026-03-04', activeVouchers: 1 },
    ]);
  });

  it('keeps to its scope: a region, a school', async () => {
    expect((await tabelOverview(db.pool, { month: '2026-04', now, region: 'pavlodar' })).schools.map((s) => s.schoolId)).toEqual(['school-pv']);
    expect((await tabelOverview(db.pool, { month: '2026-04', now, schoolId: SCHOOL })).schools.map((s) => s.schoolId)).toEqual([SCHOOL]);
    expect((await tabelOverview(db.pool, { month: '2026-04', now, region: 'astana' })).schools).toEqual([]);
  });
});
