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
import { payCanteens, settleFoodMonths, sumMoneyOut, type MoneyOutTruth } from './money-out';
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

describe('school meals over two monthly lists, March and April, 40 pupils (seed 11)', () => {
  const population = generatePopulation({ seed: 11, families: 0, pupils: 40, pupilsPerSchool: 20, mealsListNoise: 0.05 });
  // Livelier lists than the defaults, so that 40 pupils show every kind of change between the months.
  const behaviour = {
    ...DEFAULT_BEHAVIOUR,
    lists: { ...DEFAULT_BEHAVIOUR.lists, leave: 0.1, transfer: 0.1, gradeMove: 0.05, newcomers: 0.1, phoneFound: 1, suspendedStillCome: 0.5 },
    canteen: { ...DEFAULT_BEHAVIOUR.canteen, offlineDeviceDays: 0.3, duplicateResend: 0.3, secondScan: 0.05, batchSize: 7 },
  };
  let truth: MealsTruth;
  let failed: unknown[];
  let money: MoneyOutTruth & { orders: number };
  let moneyFailed: unknown[];
  beforeAll(async () => {
    await run(instantAt('2026-03-22', '00:00'), async (driver) => {
      // 30 March – 12 April: March's list a week before, April's on 1 April (school days after the spring break).
      truth = await simulateMeals(driver, population, { from: '2026-03-30', days: 14, seed: 11, behaviour, tickMinutes: TICK_MINUTES, concurrency: 8 });
      failed = (await checkMeals(driver, truth, population)).failed;
      const runs = [];
      for (const month of ['2026-03', '2026-04'] as const) runs.push(await payCanteens(driver, month, createRng(`11/money-out/${month}`), 0.3));
      money = { ...sumMoneyOut(runs), orders: runs.reduce((n, r) => n + r.orders, 0) };
      moneyFailed = (await checkMoneyOut(driver, money, { tabel: simulatedTabel(truth, (schoolId) => fixtureSchool(schoolId).mealPriceTiyn) })).failed;
    });
  }, 180_000);

  it('pays each canteen its табель of each month: one payment order per school and month at the contract price, paid through the agent', () => {
    expect(moneyFailed).toEqual([]);
    expect(money.orders).toBe(simulatedTabel(truth, () => 0).length);
  });

  it('the табель, the returns, the status feed and the outcomes equal what the simulator did', () => {
    expect(failed).toEqual([]);
  });

  it('April’s lists: continued rows, absentees suspended (and refused at the canteen), transfers, newcomers, cases started again', () => {
    const [march, april] = truth.months;
    expect(truth.months.map((m) => [m.month, m.day])).toEqual([
      ['2026-03', '2026-03-23'],
      ['2026-04', '2026-04-01'],
    ]);
    expect(march!.continued).toBe(0);
    expect(april!.continued).toBeGreaterThan(15);
    expect(april!.suspended).toBeGreaterThan(0);
    expect(april!.changes.transferred ?? 0).toBeGreaterThan(0);
    expect(april!.changes.new ?? 0).toBeGreaterThan(0);
    expect(april!.startedAgain).toBeGreaterThan(0);
    expect(truth.recordOutcomes.voucher_suspended ?? 0).toBeGreaterThan(0);
  });

  it('held SMS for the sending window: reminders due at midnight and April’s start SMS (list at 07:00) went out at 09:00', () => {
    expect(truth.quietHours.remindersHeld).toBeGreaterThan(0);
    expect(truth.quietHours.startsHeld).toBeGreaterThan(0);
    expect(truth.quietHours.onTime).toBe(truth.quietHours.asked);
  });

  it('exercised offline devices, resends and second scans', () => {
    expect(truth.recordOutcomes.meal_recorded).toBeGreaterThan(100);
    expect(truth.resends).toBeGreaterThan(0);
    expect(truth.offlineDeviceDays).toBeGreaterThan(0);
    expect(truth.schoolDays.length).toBe(10);
  });
});
