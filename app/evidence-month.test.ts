/**
 * Evidence over seeded simulated months, through the real API on the embedded Postgres: a
 * food-voucher March, and two weeks of school meals in another ledger. Every row of every traced
 * report opens to its events and recounting them reproduces it; the hash chain verifies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../test/pg';
import { instantAt } from '../domain/shared/calendar';
import { DEFAULT_BEHAVIOUR } from '../simulators/behaviour';
import { startInProcess, type Driver } from '../simulators/driver';
import { simulateFoodMonth } from '../simulators/food';
import { simulateMeals } from '../simulators/meals';
import { generatePopulation, type Population } from '../simulators/population';
import type { System } from './system';
import { REPORTS } from '../projections/figures/projection';
import { silentLogger } from '../adapters/log/logger';
import { bearer } from '../simulators/http';

const TICK_MINUTES = 180;

interface Ledger {
  readonly db: Awaited<ReturnType<typeof freshDatabase>>;
  readonly driver: Driver & { system: System };
  readonly population: Population;
}
const ledgers: Record<'food' | 'meals', Ledger> = {} as Record<'food' | 'meals', Ledger>;

async function ledger(start: string, population: Population, simulate: (driver: Driver) => Promise<unknown>): Promise<Ledger> {
  const db = await freshDatabase();
  const driver = await startInProcess({ start, pool: db.pool, maxSockets: 16, logger: silentLogger() });
  await simulate(driver);
  await driver.settle();
  await driver.system.chainer!.catchUp();
  return { db, driver, population };
}

beforeAll(async () => {
  const food = generatePopulation({ seed: 19, families: 30, pupils: 0, foodListNoise: 0.1 });
  ledgers.food = await ledger(instantAt('2026-03-01', '00:00'), food, (driver) =>
    simulateFoodMonth(driver, food, { month: '2026-03', seed: 19, behaviour: DEFAULT_BEHAVIOUR, tickMinutes: TICK_MINUTES, concurrency: 8 }),
  );
  const meals = generatePopulation({ seed: 23, families: 0, pupils: 30, pupilsPerSchool: 15, mealsListNoise: 0.1 });
  ledgers.meals = await ledger(instantAt('2026-02-20', '00:00'), meals, (driver) =>
    simulateMeals(driver, meals, { from: '2026-03-02', days: 10, seed: 23, behaviour: DEFAULT_BEHAVIOUR, tickMinutes: TICK_MINUTES, concurrency: 8 }),
  );
}, 300_000);
afterAll(async () => {
  for (const l of Object.values(ledgers)) {
    await l.driver.stop();
    await l.db.drop();
  }
});

const auditor = { role: 'auditor', sub: 'auditor-month' } as const;

const ALL_FIGURES = (['food', 'meals'] as const).flatMap((program) => REPORTS.map((report) => [program, report] as const));

describe('seeded months', () => {
  it.each(ALL_FIGURES)('%s, %s: every row recounts from the events it opens to', async (program, report) => {
    const { driver } = ledgers[program];
    const token = await driver.token(auditor);
    const keys = (await driver.http.send(driver.http.api.GET('/v1/audit/figures/{report}/keys', { params: { path: { report } }, headers: bearer(token) })))
      .body as { keys: string[] };
    const disagreeing: unknown[] = [];
    for (const key of keys.keys) {
      const trace = (
        await driver.http.send(driver.http.api.GET('/v1/audit/figures/{report}', { params: { path: { report }, query: { key } }, headers: bearer(token) }))
      ).body as { agrees: boolean; recounted: unknown; reported: unknown };
      if (trace.agrees !== true) disagreeing.push({ key, recounted: trace.recounted, reported: trace.reported });
    }
    expect(disagreeing).toEqual([]);
    // Each program fills the reports it feeds.
    const feeds = program === 'food' ? ['outcomes-funnel', 'outcomes-food'] : ['tabel', 'nobd-daily', 'outcomes-funnel', 'outcomes-meals'];
    if (feeds.includes(report)) expect(keys.keys.length).toBeGreaterThan(0);
  });

  it.each(['food', 'meals'] as const)('%s: the hash chain verifies from the start over every event', async (program) => {
    const { driver, db } = ledgers[program];
    const token = await driver.token(auditor);
    const report = (await driver.http.send(driver.http.api.GET('/v1/audit/chain/verify', { headers: bearer(token) }))).body as {
      ok: boolean;
      eventsVerified: number;
      problems: unknown[];
    };
    const { rows } = await db.pool.query<{ n: number }>('select count(*)::int as n from events');
    expect(report.problems).toEqual([]);
    expect(report.eventsVerified).toBe(rows[0]!.n);
    expect(report.eventsVerified).toBeGreaterThan(300);
  });
});
