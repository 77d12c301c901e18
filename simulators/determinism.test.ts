/** Same seed → same population → same traffic → same totals, through the real API, twice. */
import { describe, expect, it } from 'vitest';
import { freshDatabase } from '../test/pg';
import { failOnContractViolations } from '../test/system';
import { instantAt } from '../domain/shared/calendar';
import { DEFAULT_BEHAVIOUR } from './behaviour';
import { startInProcess } from './driver';
import { simulateMeals, type MealsTruth } from './meals';
import { generatePopulation } from './population';

async function once(): Promise<Omit<MealsTruth, 'latencies'>> {
  const db = await freshDatabase();
  const driver = await startInProcess({ start: instantAt('2026-03-19', '00:00'), pool: db.pool, maxSockets: 8, checkContract: true });
  try {
    const population = generatePopulation({ seed: 5, families: 0, pupils: 16, pupilsPerSchool: 8 });
    // Concurrency 1: the order of requests, hence every outcome, is fixed by the seed alone.
    // Across a month's end (March's list, then April's on 1 April), with lively lists: who leaves, moves or is new is seeded too.
    const { latencies: _ignored, ...truth } = await simulateMeals(driver, population, {
      from: '2026-03-27',
      days: 7,
      seed: 5,
      behaviour: { ...DEFAULT_BEHAVIOUR, lists: { ...DEFAULT_BEHAVIOUR.lists, leave: 0.2, transfer: 0.2, newcomers: 0.2, phoneFound: 1 } },
      tickMinutes: 240,
      concurrency: 1,
    });
    failOnContractViolations(driver.system.api.contractViolations());
    return truth;
  } finally {
    await driver.stop();
    await db.drop();
  }
}

describe('determinism', () => {
  it('the same seed gives the same totals, record outcomes, табель and monthly lists', async () => {
    const [a, b] = [await once(), await once()];
    expect(a.recordOutcomes.meal_recorded).toBeGreaterThan(0);
    expect(a.months.map((m) => m.month)).toEqual(['2026-03', '2026-04']);
    expect(Object.keys(a.months[1]!.changes).length).toBeGreaterThan(0);
    expect(b).toEqual(a);
  }, 120_000);
});
