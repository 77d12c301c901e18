/**
 * Every figure traceable: over a long random history of both programs (the generator follows the
 * deciders' rules), every row of every traced report opens to the events it counts, recounting
 * them reproduces the row exactly, and every row the reports state has its trace. The same holds
 * for a seeded simulated month (app/evidence-month.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresEventStore } from '../../adapters/eventstore/postgres';
import { createRunner } from '../runner';
import { appendAll, ledgerProjections, readModelDatabase } from '../../test/projections/harness';
import { generateHistory } from '../../test/projections/history';
import { figureKey, REPORTS } from './projection';
import { figureKeys, traceFigure } from './queries';
import { nobdDailyRange } from '../nobd-daily/queries';
import { foodVolumes, mealsByRegion, outcomesFunnel } from '../outcomes/queries';
import { traceCsv } from './export';

const NOW = new Date('2026-06-01T00:00:00.000Z');

let db: Awaited<ReturnType<typeof readModelDatabase>>;
beforeAll(async () => {
  db = await readModelDatabase();
  const store = createPostgresEventStore(db.pool);
  await appendAll(store, generateHistory({ seed: 20260419, pupils: 60, familyMonths: 90, mealDaysPerPupil: 10, cohortSize: 20 }));
  const runner = createRunner({ pool: db.pool, store, projections: ledgerProjections, onError: () => undefined });
  await runner.catchUp();
  await runner.stop();
  await store.close();
}, 120_000);
afterAll(async () => db?.drop());

describe('every figure of every report', () => {
  it.each(REPORTS)(
    '%s: each row recounts from its events to what the report states',
    async (report) => {
      const keys = await figureKeys(db.pool, report);
      expect(keys.length).toBeGreaterThan(2);
      const disagreeing: unknown[] = [];
      for (const figure of keys) {
        const trace = await traceFigure(db.pool, report, figure, NOW);
        expect(trace.events.length).toBeGreaterThan(0);
        if (trace.agrees !== true) disagreeing.push({ figure, recounted: trace.recounted, reported: trace.reported });
      }
      expect(disagreeing).toEqual([]);
    },
    120_000,
  );

  it('every row the reports state has its trace (nothing reported is untraced)', async () => {
    const traced = Object.fromEntries(await Promise.all(REPORTS.map(async (r) => [r, new Set(await figureKeys(db.pool, r))] as const)));
    const nobd = await nobdDailyRange(db.pool, { from: '2000-01-01', to: '2100-01-01' });
    const funnel = await outcomesFunnel(db.pool);
    const food = await foodVolumes(db.pool);
    const meals = await mealsByRegion(db.pool);
    const { rows: lines } = await db.pool.query<{ school_id: string; month: string; pupil_id: string }>(
      'select distinct school_id, month, pupil_id from tabel_meals',
    );
    const untraced = [
      ...nobd.map((r) => ['nobd-daily', figureKey(r.schoolId, r.date)] as const),
      ...funnel.map((r) => ['outcomes-funnel', figureKey(r.program, r.area, r.month)] as const),
      ...food.map((r) => ['outcomes-food', figureKey(r.city, r.month, r.category, r.unit)] as const),
      ...meals.map((r) => ['outcomes-meals', figureKey(r.region, r.month)] as const),
      ...lines.map((r) => ['tabel', figureKey(r.school_id, r.month, r.pupil_id)] as const),
    ].filter(([report, figure]) => !traced[report]!.has(figure));
    expect(untraced).toEqual([]);
    expect(nobd.length + funnel.length + food.length + meals.length + lines.length).toBeGreaterThan(50);
  });

  it('a key prefix opens every row under it: a whole табель recounts to the sheet', async () => {
    const [line] = await figureKeys(db.pool, 'tabel');
    const sheet = line!.split('/').slice(0, 2).join('/');
    const trace = await traceFigure(db.pool, 'tabel', sheet, NOW);
    expect(trace.key).toMatchObject({ schoolId: expect.any(String), month: expect.any(String) });
    expect(trace.agrees).toBe(true);
    expect(trace.recounted.meals! + trace.recounted.lateMeals!).toBe(trace.events.length);
  });

  it('exports the events of a figure as CSV, one line per event', async () => {
    const [figure] = await figureKeys(db.pool, 'nobd-daily');
    const trace = await traceFigure(db.pool, 'nobd-daily', figure!, NOW);
    const lines = traceCsv(trace).trim().split('\n');
    expect(lines[0]).toBe('position,recorded_at,stream,stream_version,type,event_id,actor_role,actor_id');
    expect(lines).toHaveLength(trace.events.length + 1);
  });
});
