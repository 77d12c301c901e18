/**
 * The food pilot's value and discount parameters over real HTTP (seed 004 p. 2.1, 2.5, 12): a
 * member's voucher value set for a region and month, and the trade-markup cap on a basket line's
 * discount — a line over it refused as problem+json with its reason and the stable code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeIin } from '../domain/shared/iin';
import { SAMPLE_CATALOGUE } from '../domain/programs/food-list';
import { FOOD_VOUCHERS } from '../domain/programs/food-vouchers';
import { startTestSystem, type TestSystem } from '../test/system';

/** Example figures for the parameters (the seeds set neither). */
const PAVLODAR_MARCH_TIYN = 500_000;
const MARKUP_PERCENT = 15;

let t: TestSystem;
beforeAll(async () => {
  t = await startTestSystem('2026-03-05T05:00:00.000Z', {
    programs: { food: { ...FOOD_VOUCHERS, memberValueByRegionMonth: { pavlodar: { '2026-03': PAVLODAR_MARCH_TIYN } }, tradeMarkupCapPercent: MARKUP_PERCENT } },
    counterparts: { shops: [{ shopId: 'shop-9', city: 'pavlodar' }] },
  });
});
afterAll(async () => t?.close());

const ELIGIBLE_SKU = Object.keys(SAMPLE_CATALOGUE)[0]!;
const head = makeIin('1988-05-05', 'female', 41);
const child = makeIin('2016-07-07', 'male', 42);
const PHONE = '+77010004101';
const shop = { role: 'merchant', sub: 'shop-9', shopId: 'shop-9' } as const;
const citizen = () => ({ role: 'citizen', sub: 'c-fam-P', familyId: 'fam-P', personId: t.system.vault.pseudonymise(head) }) as const;

describe('a Pavlodar family in March with a regional value and a 15 % markup cap', () => {
  let qr = '';

  it('issues the region’s value per member, not 1 MRP', async () => {
    // Old reading: 1 MRP (432 500 tiyn in 2026) per member in every region.
    await t.system.phones.load([[head, PHONE]]);
    const list = await t.call('POST', '/v1/lists/food-vouchers', {
      token: await t.token({ role: 'sdu', sub: 'sdu-pavlodar' }),
      body: {
        listId: 'sdu-2026-03-p',
        month: '2026-03',
        rows: [{ familyId: 'fam-P', city: 'Pavlodar', aspOnDate: '2026-02-28', head: { iin: head }, members: [{ iin: head }, { iin: child }] }],
      },
    });
    expect(list.body).toMatchObject({ accepted: 1 });
    await t.settle(); // a reply finds its case by phone in the consent read model
    const reply = await t.call('POST', '/v1/sms/inbound', {
      token: await t.token({ role: 'sms-gateway', sub: 'gw' }),
      body: { phone: PHONE, text: '21*1', receivedAt: '2026-03-05T05:10:00Z' },
    });
    expect(reply.body.outcome).toBe('consent_given');
    await t.settle();
    const activated = await t.call('POST', '/v1/me/food-vouchers/2026-03/activate', { token: await t.token(citizen()) });
    expect(activated.body.activated).toHaveLength(2);
    await t.settle();
    const mine = await t.call('GET', '/v1/me/vouchers', { token: await t.token(citizen()) });
    expect(mine.body.vouchers.map((v: { issuedTiyn: number }) => v.issuedTiyn)).toEqual([PAVLODAR_MARCH_TIYN, PAVLODAR_MARCH_TIYN]);
    const voucherId = mine.body.vouchers[0].voucherId as string;
    qr = (await t.call('POST', `/v1/me/vouchers/${encodeURIComponent(voucherId)}/qr`, { token: await t.token(citizen()) })).body.token;
    const balance = await t.call('POST', '/v1/shop/balance', { token: await t.token(shop), body: { token: qr } });
    expect(balance.body).toMatchObject({ availableTiyn: 2 * PAVLODAR_MARCH_TIYN });
  });

  it('refuses a line whose discount is over the cap with markup_cap_exceeded, naming the line and its cap, and holds nothing', async () => {
    // Old reading: no cap — the voucher paid any discount the shop put on an eligible line.
    const before = await t.eventCount();
    const items = [{ sku: ELIGIBLE_SKU, name: 'Молоко', quantity: 2, unit: 'pcs', unitPriceTiyn: 50_000, discountTiyn: 20_000 }];
    const over = await t.call('POST', '/v1/shop/holds', { token: await t.token(shop), idempotencyKey: 'cap-over', body: { token: qr, items } });
    expect(over.status).toBe(422);
    expect(over.headers.get('content-type')).toContain('application/problem+json');
    // 100 000 tiyn at a 15 % markup: ⌊100 000 × 15 / 115⌋ = 13 043 tiyn.
    expect(over.body).toMatchObject({
      code: 'markup_cap_exceeded',
      detail: 'line 0: discount 20000 tiyn > 13043 tiyn, the 15 % trade markup in its 100000 tiyn',
    });
    expect(await t.eventCount()).toBe(before);
  });

  it('holds a named discount within the cap, and each eligible line up to its cap when none is named', async () => {
    const items = [
      { sku: ELIGIBLE_SKU, name: 'Молоко', quantity: 2, unit: 'pcs', unitPriceTiyn: 50_000, discountTiyn: 13_043 },
      { sku: ELIGIBLE_SKU, name: 'Молоко', quantity: 1, unit: 'pcs', unitPriceTiyn: 50_000 },
      { sku: 'X-CIGARETTES', name: 'Not food', quantity: 1, unit: 'pcs', unitPriceTiyn: 10_000 },
    ];
    const held = await t.call('POST', '/v1/shop/holds', { token: await t.token(shop), idempotencyKey: 'cap-ok', body: { token: qr, items } });
    expect(held.status).toBe(201);
    expect(held.body).toMatchObject({ basketTiyn: 160_000, eligibleTiyn: 13_043 + 6_521, heldTiyn: 13_043 + 6_521, remainderTiyn: 160_000 - 19_564 });
    expect(held.body.items[0]).toMatchObject({ discountTiyn: 13_043 });
    const captured = await t.call('POST', `/v1/shop/holds/${held.body.holdId}/capture`, {
      token: await t.token(shop),
      idempotencyKey: 'cap-ok-capture',
      body: { paymentStatus: 'paid' },
    });
    expect(captured.body).toMatchObject({ capturedTiyn: 19_564, releasedTiyn: 0 });
  });
});
