/**
 * The ministry's outcomes over HTTP, filtered by city: every section of the answer (funnel, goods
 * volumes, school meals) is about that city only. Given two cities' captured purchases in the log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streams } from '../domain/events';
import { appendAll, item } from '../test/projections/harness';
import { foodMonth, mealsStart, meal } from '../test/projections/fixtures';
import { startTestSystem, type TestSystem } from '../test/system';

let t: TestSystem;
const ministry = { role: 'ministry', sub: 'ministry-1' } as const;

/** A family in Akkol: vouchers issued and a purchase of milk captured in January 2026. */
function akkolMonth() {
  const food = streams.food('family-akkol', '2026-01');
  const line = {
    sku: '2000000000024',
    name: 'milk',
    category: 'milk',
    quantity: 2000,
    unit: 'ml',
    unitPriceTiyn: 30,
    lineTiyn: 60_000,
    eligible: true,
  } as const;
  return [
    item(
      food,
      {
        type: 'FoodVouchersIssued',
        data: {
          familyId: 'family-akkol',
          month: '2026-01',
          city: 'akkol',
          region: 'akmola',
          mrpTiyn: 432_500,
          vouchers: [{ voucherId: 'fv-akkol', memberPersonId: 'akkol-head', amountTiyn: 432_500 }],
          totalTiyn: 432_500,
          activationUntil: '2026-01-31',
          caseId: 'c-akkol',
          issuedAt: '2026-01-06T05:00:00.000Z',
        },
      },
      '2026-01-06T05:00:00.000Z',
      'family-akkol',
    ),
    item(
      food,
      { type: 'FoodVoucherActivated', data: { voucherId: 'fv-akkol', byPersonId: 'akkol-head', activatedAt: '2026-01-06T06:00:00.000Z' } },
      '2026-01-06T06:00:00.000Z',
      'family-akkol',
    ),
    item(
      food,
      {
        type: 'FoodPurchaseAuthorized',
        data: {
          holdId: 'h-akkol',
          shopId: 'shop-akkol',
          lines: [line],
          basketTiyn: 60_000,
          eligibleTiyn: 60_000,
          heldTiyn: 60_000,
          allocations: [{ voucherId: 'fv-akkol', amountTiyn: 60_000 }],
          expiresAt: '2026-01-08T10:15:00.000Z',
          authorizedAt: '2026-01-08T10:00:00.000Z',
        },
      },
      '2026-01-08T10:00:00.000Z',
      'family-akkol',
    ),
    item(
      food,
      {
        type: 'FoodPurchaseCaptured',
        data: {
          holdId: 'h-akkol',
          shopId: 'shop-akkol',
          lines: [line],
          capturedTiyn: 60_000,
          releasedTiyn: 0,
          allocations: [{ voucherId: 'fv-akkol', amountTiyn: 60_000 }],
          paymentStatus: 'paid',
          capturedAt: '2026-01-08T10:01:00.000Z',
        },
      },
      '2026-01-08T10:01:00.000Z',
      'family-akkol',
    ),
  ];
}

beforeAll(async () => {
  t = await startTestSystem('2026-02-01T04:00:00.000Z');
  // Kokshetau's flour (foodMonth), Akkol's milk, and a school in the Akmola region.
  await appendAll(t.system.store, [...foodMonth(), ...akkolMonth(), ...mealsStart(), meal('2025-10-06')]);
  await t.settle();
});
afterAll(async () => t?.close());

describe('GET /v1/ministry/outcomes filtered by city', () => {
  it('answers only that city’s goods volumes and funnel', async () => {
    const answer = await t.call('GET', '/v1/ministry/outcomes?program=food-vouchers&city=akkol&month=2026-01', { token: await t.token(ministry) });
    expect(answer.status).toBe(200);
    expect(answer.body.foodVolumes).toEqual([{ city: 'akkol', month: '2026-01', category: 'milk', unit: 'ml', quantity: 2000, amountTiyn: 60_000 }]);
    expect(answer.body.funnel.map((r: { area: string }) => r.area)).toEqual(['akkol']);
    expect(answer.body.schoolMeals).toEqual([]);
  });

  it('takes the city as people write it (case and spaces) and says the same in CSV', async () => {
    const answer = await t.call('GET', '/v1/ministry/outcomes?program=food-vouchers&city=%20Kokshetau%20&month=2026-01&format=csv', {
      token: await t.token(ministry),
    });
    expect(answer.status).toBe(200);
    const cities = answer.text
      .split('\r\n\r\n')
      .join('\n')
      .split('\n')
      .filter((line) => /^(kokshetau|akkol),/.test(line))
      .map((line) => line.split(',')[0]);
    expect(new Set(cities)).toEqual(new Set(['kokshetau']));
  });

  it('without a city answers every city', async () => {
    const answer = await t.call('GET', '/v1/ministry/outcomes?program=food-vouchers&month=2026-01', { token: await t.token(ministry) });
    expect(answer.body.foodVolumes.map((r: { city: string }) => r.city).sort()).toEqual(['akkol', 'kokshetau']);
  });

  it('filters school meals by the same area (their region)', async () => {
    const answer = await t.call('GET', '/v1/ministry/outcomes?program=school-meals&city=pavlodar', { token: await t.token(ministry) });
    expect(answer.body.schoolMeals).toEqual([]);
    const akmola = await t.call('GET', '/v1/ministry/outcomes?program=school-meals&city=akmola', { token: await t.token(ministry) });
    expect(akmola.body.schoolMeals).toEqual([{ region: 'akmola', month: '2025-10', pupilsFed: 1, mealsServed: 1 }]);
  });
});
