/**
 * Short seeded simulations of both programs through the real HTTP API on the embedded Postgres:
 * what the simulator did (and the API answered it) must be what the read models report.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../test/pg';
import { failOnContractViolations } from '../test/system';
import { instantAt } from '../domain/shared/calendar';
import { DEFAULT_BEHAVIOUR } from './behaviour';
import { checkFood, checkMeals, checkMoneyOut, simulatedTabel } from './check';
import { startInProcess, type Driver } from './driver';
import { simulateFoodMonth, type FoodTruth } from './food';
import { simulateMeals, type MealsTruth } from './meals';
import { generatePopulation } from './population';
import { startTestEotinish } from './eotinish-server';
import { payCanteens, settleFoodMonths, type MoneyOutTruth } from './money-out';
import { createRng } from './rng';
import { fixtureSchool } from './registry';

/** Two-hour ticks keep a simulated month to ~370 steps. */
const TICK_MINUTES = 120;

async function run<T>(start: string, body: (driver: Driver) => Promise<T>, env: Record<string, string> = {}): Promise<T> {
  const db = await freshDatabase();
  const driver = await startInProcess({ start, pool: db.pool, maxSockets: 16, checkContract: true, env });
  try {
    const result = await body(driver);
    failOnContractViolations(driver.system.api.contractViolations());
    return result;
  } finally {
    await driver.stop();
    await db.drop();
  }
}

describe('food-voucher months March and April of 50 families (seed 7)', () => {
  const population = generatePopulation({ seed: 7, families: 50, pupils: 0, foodListNoise: 0.08 });
  let truth: FoodTruth;
  let april: FoodTruth;
  let failed: unknown[];
  let aprilFailed: unknown[];
  let money: MoneyOutTruth;
  let moneyFailed: unknown[];
  let passed = 0;
  beforeAll(async () => {
    // e-Otinish refuses every appeal's first try (503): each reaches it on a later one.
    const eotinish = await startTestEotinish();
    eotinish.failFirstTriesPerAppeal(1);
    try {
      await run(
        instantAt('2026-03-01', '00:00'),
        async (driver) => {
          truth = await simulateFoodMonth(driver, population, {
            month: '2026-03',
            seed: 7,
            behaviour: DEFAULT_BEHAVIOUR,
            tickMinutes: TICK_MINUTES,
            concurrency: 8,
            eotinish,
          });
          const checks = await checkFood(driver, truth, eotinish);
          failed = checks.failed;
          passed = checks.items.length - failed.length;
          // April: the families that consented in March are not asked again (consent scope "service period").
          april = await simulateFoodMonth(driver, population, {
            month: '2026-04',
            seed: 7,
            behaviour: DEFAULT_BEHAVIOUR,
            tickMinutes: TICK_MINUTES,
            concurrency: 8,
            eotinish,
            consentedEarlier: new Set(truth.consentedFamilies),
          });
          aprilFailed = (await checkFood(driver, april, eotinish, [truth])).failed;
          money = await settleFoodMonths(driver, ['2026-03', '2026-04'], createRng('7/money-out'), 0.2);
          const spent = [truth, april].reduce((total, t) => total + Object.values(t.byCity).reduce((sum, city) => sum + city.usedTiyn, 0), 0);
          moneyFailed = (await checkMoneyOut(driver, money, { capturedTiyn: spent })).failed;
        },
        { EOTINISH_URL: eotinish.url },
      );
    } finally {
      await eotinish.close();
    }
  }, 300_000);

  it('reports what the simulator did: funnel, money, goods sold, family wallets', () => {
    expect(failed).toEqual([]);
    expect(passed).toBeGreaterThan(40);
  });

  it('April: a consent given in March stands — vouchers without an SMS — and the reports still equal the truth', () => {
    expect(aprilFailed).toEqual([]);
    expect(april.standingConsents).toBeGreaterThan(10);
    expect(april.smsDespiteStandingConsent).toBe(0);
    const eligible = Object.values(april.byCity).reduce((s, c) => s + c.eligible, 0);
    expect(april.smsByKind.consent_request ?? 0).toBeLessThanOrEqual(eligible - april.standingConsents);
    expect(april.consentedFamilies.length).toBeGreaterThan(april.standingConsents);
  });

  it('pays the shops back to the tiyn: every window of both months closed, a pain.001 per window, rejected transfers re-issued and booked', () => {
    expect(moneyFailed).toEqual([]);
    expect(money.windowsClosed).toBe(31 + 30);
    expect(money.batches).toBeGreaterThan(1);
    expect(money.rejected).toBeGreaterThan(0);
  });

  it('went through the whole month: SMS, replies, activations, purchases and lapse', () => {
    const cities = Object.values(truth.byCity);
    const total = (k: 'consented' | 'captures' | 'activated' | 'usedTiyn' | 'lapsedTiyn') => cities.reduce((s, c) => s + c[k], 0);
    expect(truth.smsByKind.consent_request).toBeGreaterThan(30);
    expect(total('consented')).toBeGreaterThan(20);
    expect(total('activated')).toBeGreaterThan(20);
    expect(total('captures')).toBeGreaterThan(20);
    expect(total('usedTiyn')).toBeGreaterThan(0);
    expect(total('lapsedTiyn')).toBeGreaterThan(0);
    expect(Object.keys(truth.rejectedByReason).length).toBeGreaterThan(0);
    expect(truth.listRowsTruth.filter((r) => r.returnReason).length).toBeGreaterThan(5);
    expect(truth.feedback.length).toBeGreaterThan(0);
  });
});

describe('two weeks of school meals for 40 pupils (seed 11)', () => {
  const population = generatePopulation({ seed: 11, families: 0, pupils: 40, pupilsPerSchool: 20, mealsListNoise: 0.05 });
  const behaviour = {
    ...DEFAULT_BEHAVIOUR,
    canteen: { ...DEFAULT_BEHAVIOUR.canteen, offlineDeviceDays: 0.3, duplicateResend: 0.3, secondScan: 0.05, batchSize: 7 },
  };
  let truth: MealsTruth;
  let failed: unknown[];
  let money: MoneyOutTruth & { orders: number };
  let moneyFailed: unknown[];
  beforeAll(async () => {
    await run(instantAt('2026-02-20', '00:00'), async (driver) => {
      truth = await simulateMeals(driver, population, { from: '2026-03-02', days: 14, seed: 11, behaviour, tickMinutes: TICK_MINUTES, concurrency: 8 });
      failed = (await checkMeals(driver, truth, population)).failed;
      money = await payCanteens(driver, '2026-03', createRng('11/money-out'), 0.3);
      moneyFailed = (await checkMoneyOut(driver, money, { tabel: simulatedTabel(truth, (schoolId) => fixtureSchool(schoolId).mealPriceTiyn) })).failed;
    });
  }, 180_000);

  it('pays each canteen its табель: one payment order per school at the contract price, paid through the agent', () => {
    expect(moneyFailed).toEqual([]);
    expect(money.orders).toBe(Object.keys(truth.tabel).length);
  });

  it('the табель and the outcomes count exactly the meals the canteens recorded', () => {
    expect(failed).toEqual([]);
  });

  it('exercised offline devices, resends and second scans', () => {
    expect(truth.recordOutcomes.meal_recorded).toBeGreaterThan(100);
    expect(truth.resends).toBeGreaterThan(0);
    expect(truth.offlineDeviceDays).toBeGreaterThan(0);
    expect(truth.schoolDays.length).toBe(9);
  });
});
