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
  const driver = await startInProcess({ start: instantAt('2026-02-20', '00:00'), pool: db.pool, maxSockets: 8, checkContract: true });
  try {
    const population = generatePopulation({ seed: 5, families: 0, pupils: 16, pupilsPerSchool: 8 });
    // Concurrency 1: the order of requests, hence every outcome, is fixed by the seed alone.
    const { latencies: _ignored, ...truth } = await simulateMeals(driver, population, {
      from: '2026-03-02',
      days: 5,
      seed: 5,
      behaviour: DEFAULT_BEHAVIOUR,
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
  it('the same seed gives the same totals, record outcomes and табель', async () => {
    const [a, b] = [await once(), await once()];
    expect(a.recordOutcomes.meal_recorded).toBeGreaterThan(0);
    expect(b).toEqual(a);
  }, 120_000);
});
