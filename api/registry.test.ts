/**
 * The counterpart registry over real HTTP: the operator onboards a shop, a school and a canteen
 * device; a counterpart the registry does not admit is refused on every call with a stable code
 * and nothing is appended; what a suspended shop captured before stays; bulk CSV imports are all
 * or nothing and idempotent; an auditor reads who changed what and why.
 */
import { testStates } from '../test/stream-states';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_CATALOGUE } from '../domain/programs/food-list';
import { createRegistryServices } from '../application/services/registry';
import { createRegistryView } from '../application/registry/view';
import { familyMonthBalance } from '../projections/balances/queries';
import { fixtureDevice, fixtureSchool, fixtureShop } from '../simulators/registry';
import { activeFoodFamily, activeMealPupil } from '../test/journeys';
import { OPERATOR } from '../test/registry';
import { startTestSystem, type TestSystem } from '../test/system';

let t: TestSystem;
beforeAll(async () => {
  t = await startTestSystem('2026-03-05T04:00:00.000Z');
});
afterAll(async () => t?.close());

const ELIGIBLE_SKU = Object.keys(SAMPLE_CATALOGUE)[0]!;
const items = [{ sku: ELIGIBLE_SKU, name: 'Мука', quantity: 1, unit: 'pcs', unitPriceTiyn: 50_000 }];
const auditor = { role: 'auditor', sub: 'auditor-1' } as const;
const merchant = (shopId: string) => ({ role: 'merchant', sub: `${shopId}-till-1`, shopId }) as const;
const device = (deviceId: string, schoolId: string) => ({ role: 'canteen-device', sub: deviceId, deviceId, schoolId }) as const;
const operatorCall = async (method: string, path: string, body?: unknown, idempotencyKey?: string) =>
  t.call(method, path, { token: await t.token(OPERATOR), ...(body !== undefined ? { body } : {}), ...(idempotencyKey ? { idempotencyKey } : {}) });

describe('onboarding a shop, start to finish', () => {
  it('registers, activates, serves a customer; suspended it is refused on every call, and its capture stays', async () => {
    const put = await operatorCall('PUT', '/v1/registry/shops/shop-k1', { details: fixtureShop('shop-k1', 'kokshetau'), reason: 'contract 2026/1' });
    expect([put.status, put.body]).toEqual([201, { id: 'shop-k1', outcome: 'registered', status: 'registered', version: 0 }]);
    const family = await activeFoodFamily(t, 'fam-reg-1', 101);
    const early = await t.call('POST', '/v1/shop/balance', { token: await t.token(merchant('shop-k1')), body: { token: await family.qr() } });
    expect([early.status, early.body.code]).toEqual([403, 'shop_not_active']);

    const activated = await operatorCall('POST', '/v1/registry/shops/shop-k1/activate', { reason: 'contract 2026/1 signed' });
    expect(activated.body).toEqual({ id: 'shop-k1', status: 'active', version: 1 });
    const till = await t.token(merchant('shop-k1'));
    const held = await t.call('POST', '/v1/shop/holds', { token: till, idempotencyKey: 'k1-sale-1', body: { token: await family.qr(), items } });
    expect(held.status).toBe(201);
    const captured = await t.call('POST', `/v1/shop/holds/${held.body.holdId}/capture`, {
      token: till,
      idempotencyKey: 'k1-cap-1',
      body: { paymentStatus: 'paid' },
    });
    expect(captured.body.status).toBe('captured');
    const second = await t.call('POST', '/v1/shop/holds', { token: till, idempotencyKey: 'k1-sale-2', body: { token: await family.qr(), items } });
    expect(second.status).toBe(201);

    const suspended = await operatorCall('POST', '/v1/registry/shops/shop-k1/suspend', { reason: 'complaint EO-123' });
    expect(suspended.body.status).toBe('suspended');
    const before = await t.eventCount();
    const qr = await family.qr();
    const refused = [
      await t.call('POST', '/v1/shop/balance', { token: till, body: { token: qr } }),
      await t.call('POST', '/v1/shop/holds', { token: till, idempotencyKey: 'k1-sale-3', body: { token: qr, items } }),
      await t.call('POST', `/v1/shop/holds/${second.body.holdId}/capture`, { token: till, idempotencyKey: 'k1-cap-2', body: { paymentStatus: 'paid' } }),
      await t.call('POST', `/v1/shop/holds/${second.body.holdId}/void`, { token: till, idempotencyKey: 'k1-void-2' }),
    ];
    expect(refused.map((r) => [r.status, r.body.code])).toEqual(Array(4).fill([403, 'shop_suspended']));
    expect(await t.eventCount()).toBe(before);
    await t.settle();
    const balance = await familyMonthBalance(t.system.pool, 'fam-reg-1', '2026-03');
    expect(balance).toMatchObject({ spentTiyn: 50_000, heldTiyn: 50_000 });

    await operatorCall('POST', '/v1/registry/shops/shop-k1/close', { reason: 'left the pilot' });
    const closed = await t.call('POST', '/v1/shop/balance', { token: till, body: { token: await family.qr() } });
    expect([closed.status, closed.body.code]).toEqual([403, 'shop_closed']);
    // What it captured is still paid out after it left: a closed (or suspended) shop reads its statements.
    const closeDay = await operatorCall('POST', '/v1/settlement/windows/2026-03-05/close', undefined, 'close-2026-03-05');
    expect(closeDay.status).toBe(200);
    await t.settle();
    const statements = await t.call('GET', '/v1/shop/statements', { token: till });
    expect([statements.status, statements.body.statements.map((s: { shopId: string; payoutTiyn: number }) => [s.shopId, s.payoutTiyn])]).toEqual([
      200,
      [['shop-k1', 50_000]],
    ]);
    const reopen = await operatorCall('POST', '/v1/registry/shops/shop-k1/activate', { reason: 'by mistake' });
    expect([reopen.status, reopen.body.code]).toEqual([409, 'registry_entry_closed']);
  });

  it('tells the auditor who changed the shop, when and why', async () => {
    const history = await t.call('GET', '/v1/registry/shops/shop-k1/history', { token: await t.token(auditor) });
    expect(history.status).toBe(200);
    expect(history.body.events.map((e: { type: string; reason: string; actor: { id: string } }) => [e.type, e.reason, e.actor.id])).toEqual([
      ['ShopRegistered', 'contract 2026/1', OPERATOR.sub],
      ['ShopActivated', 'contract 2026/1 signed', OPERATOR.sub],
      ['ShopSuspended', 'complaint EO-123', OPERATOR.sub],
      ['ShopClosed', 'left the pilot', OPERATOR.sub],
    ]);
    const entry = await t.call('GET', '/v1/registry/shops/shop-k1', { token: await t.token(auditor) });
    expect([entry.body.status, entry.headers.get('etag')]).toEqual(['closed', '"shop-shop-k1-3"']);
    const forbidden = await t.call('POST', '/v1/registry/shops/shop-k1/activate', { token: await t.token(auditor), body: { reason: 'x' } });
    expect(forbidden.status).toBe(403);
  });

  it('refuses a shop outside the pilot cities, a bad BIN or IBAN, and appends nothing', async () => {
    const before = await t.eventCount();
    const almaty = await operatorCall('PUT', '/v1/registry/shops/shop-a1', {
      details: { ...fixtureShop('shop-a1', 'kokshetau'), city: 'almaty' },
      reason: 'contract',
    });
    expect([almaty.status, almaty.body.code]).toEqual([422, 'shop_outside_pilot_city']);
    const bin = await operatorCall('PUT', '/v1/registry/shops/shop-a1', {
      details: { ...fixtureShop('shop-a1', 'kokshetau'), bin: '123456789012' },
      reason: 'contract',
    });
    expect([bin.status, bin.body.code]).toEqual([400, 'bin_invalid']);
    const iban = await operatorCall('PUT', '/v1/registry/shops/shop-a1', {
      details: { ...fixtureShop('shop-a1', 'kokshetau'), bankAccount: { iban: 'KZ00125KZT5004100100', bic: 'HSBKKZKX' } },
      reason: 'contract',
    });
    expect([iban.status, iban.body.code]).toEqual([400, 'iban_invalid']);
    const noReason = await operatorCall('PUT', '/v1/registry/shops/shop-a1', { details: fixtureShop('shop-a1', 'kokshetau'), reason: ' ' });
    expect([noReason.status, noReason.body.code]).toEqual([400, 'validation_failed']);
    expect(await t.eventCount()).toBe(before);
  });

  it('refuses a shop never registered on every call', async () => {
    const family = await activeFoodFamily(t, 'fam-reg-2', 102);
    const till = await t.token(merchant('shop-nobody'));
    const before = await t.eventCount();
    const answers = [
      await t.call('POST', '/v1/shop/balance', { token: till, body: { token: await family.qr() } }),
      await t.call('POST', '/v1/shop/holds', { token: till, idempotencyKey: 'nobody-1', body: { token: await family.qr(), items } }),
      await t.call('POST', '/v1/shop/holds/hold-1/capture', { token: till, idempotencyKey: 'nobody-2', body: { paymentStatus: 'paid' } }),
      await t.call('POST', '/v1/shop/holds/hold-1/void', { token: till, idempotencyKey: 'nobody-3' }),
    ];
    expect(answers.map((a) => [a.status, a.body.code])).toEqual(Array(4).fill([403, 'shop_not_registered']));
    expect(await t.eventCount()).toBe(before);
  });
});

describe('onboarding a school and its canteen device', () => {
  it('registers both; the device syncs meals while active; suspended device or school is refused, and the meals stay', async () => {
    expect(
      (await operatorCall('PUT', '/v1/registry/schools/nobd-5001', { details: fixtureSchool('nobd-5001'), reason: 'canteen contract 77', activate: true }))
        .status,
    ).toBe(201);
    const orphan = await operatorCall('PUT', '/v1/registry/devices/dev-x', { details: fixtureDevice('nobd-none', 'dev-x'), reason: 'delivered' });
    expect([orphan.status, orphan.body.code]).toEqual([403, 'school_not_registered']);
    expect(
      (await operatorCall('PUT', '/v1/registry/devices/dev-5001-1', { details: fixtureDevice('nobd-5001', 'dev-5001-1'), reason: 'delivered', activate: true }))
        .status,
    ).toBe(201);
    const pupil = await activeMealPupil(t, 'nobd-5001', 'fam-meal-1', 201);
    const token = await t.token(device('dev-5001-1', 'nobd-5001'));
    const synced = await t.call('POST', '/v1/canteen/batches', {
      token,
      body: { batchId: 'b1', records: [{ seq: 1, cardIin: pupil.iin, scannedAt: t.clock.now().toISOString() }] },
    });
    expect(synced.body.results[0].outcome).toBe('meal_recorded');

    const mismatch = await t.call('POST', '/v1/canteen/batches', {
      token: await t.token(device('dev-5001-1', 'nobd-9999')),
      body: { batchId: 'b2', records: [{ seq: 2, cardIin: pupil.iin, scannedAt: t.clock.now().toISOString() }] },
    });
    expect([mismatch.status, mismatch.body.code]).toEqual([403, 'device_school_mismatch']);

    await operatorCall('POST', '/v1/registry/schools/nobd-5001/suspend', { reason: 'sanitary inspection' });
    const before = await t.eventCount();
    const batch = { batchId: 'b3', records: [{ seq: 3, cardIin: pupil.iin, scannedAt: t.clock.now().toISOString() }] };
    const schoolSuspended = await t.call('POST', '/v1/canteen/batches', { token, body: batch });
    expect([schoolSuspended.status, schoolSuspended.body.code]).toEqual([403, 'school_suspended']);
    await operatorCall('POST', '/v1/registry/schools/nobd-5001/activate', { reason: 'inspection passed' });
    await operatorCall('POST', '/v1/registry/devices/dev-5001-1/suspend', { reason: 'device lost' });
    const countAfterOperator = await t.eventCount();
    const deviceSuspended = await t.call('POST', '/v1/canteen/batches', { token, body: batch });
    expect([deviceSuspended.status, deviceSuspended.body.code]).toEqual([403, 'device_suspended']);
    expect(await t.eventCount()).toBe(countAfterOperator);
    expect(countAfterOperator - before).toBe(2);
    const unknown = await t.call('POST', '/v1/canteen/batches', { token: await t.token(device('dev-unknown', 'nobd-5001')), body: batch });
    expect([unknown.status, unknown.body.code]).toEqual([403, 'device_not_registered']);
    await t.settle();
    const tabel = await t.call('GET', `/v1/schools/nobd-5001/tabel/2026-03`, {
      token: await t.token({ role: 'social-pedagogue', sub: 'ped', schoolId: 'nobd-5001' }),
    });
    expect(tabel.body.mealCount).toBe(1);
  });
});

describe('bulk import', () => {
  const header = 'shopId,bin,name,city,address,terminals,iban,bic';
  const line = (shopId: string, city = 'pavlodar', override: Partial<Record<'bin' | 'iban', string>> = {}) => {
    const d = fixtureShop(shopId, 'pavlodar');
    return [
      shopId,
      override.bin ?? d.bin,
      d.name,
      city,
      `"${d.address}"`,
      `${shopId}-t1;${shopId}-t2`,
      override.iban ?? d.bankAccount.iban,
      d.bankAccount.bic,
    ].join(',');
  };
  const csv = (lines: string[]) => `${[header, ...lines].join('\n')}\n`;

  it('imports a CSV of shops, activated; the same file again changes nothing', async () => {
    const file = csv(Array.from({ length: 300 }, (_, i) => line(`shop-p${i + 1}`)));
    const path = '/v1/registry/shops/import?reason=contracts%20batch%203&activate=true';
    const first = await t.call('POST', path, { token: await t.token(OPERATOR), raw: file, contentType: 'text/csv' });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ rows: 300, registered: 300, updated: 0, unchanged: 0 });
    const before = await t.eventCount();
    const again = await t.call('POST', path, { token: await t.token(OPERATOR), raw: file, contentType: 'text/csv' });
    expect(again.body).toMatchObject({ rows: 300, registered: 0, unchanged: 300 });
    expect(await t.eventCount()).toBe(before);
    const shop = await operatorCall('GET', '/v1/registry/shops/shop-p7');
    expect(shop.body).toMatchObject({ status: 'active', details: { city: 'pavlodar', terminals: ['shop-p7-t1', 'shop-p7-t2'] } });
    await t.settle();
    const page = await operatorCall('GET', '/v1/registry/shops?city=pavlodar&status=active&limit=5&after=shop-p1');
    expect(page.body.entries.map((e: { shopId: string }) => e.shopId)).toEqual(['shop-p10', 'shop-p100', 'shop-p101', 'shop-p102', 'shop-p103']);
  });

  it('refuses the whole file when any row is wrong, naming every bad row and field; nothing is imported', async () => {
    const before = await t.eventCount();
    const file = csv([line('shop-q1'), line('shop-q2', 'almaty'), line('shop-q3', 'pavlodar', { bin: '000000000001' }), line('shop-q1')]);
    const answer = await t.call('POST', '/v1/registry/shops/import?reason=batch%204', { token: await t.token(OPERATOR), raw: file, contentType: 'text/csv' });
    expect([answer.status, answer.body.code]).toEqual([400, 'validation_failed']);
    expect(answer.body.errors).toEqual([{ path: 'body.rows.3.id', message: expect.stringContaining('row 1') }]);
    const fixedDuplicates = csv([line('shop-q1'), line('shop-q2', 'almaty'), line('shop-q3', 'pavlodar', { bin: '000000000001' })]);
    const again = await t.call('POST', '/v1/registry/shops/import?reason=batch%204', {
      token: await t.token(OPERATOR),
      raw: fixedDuplicates,
      contentType: 'text/csv',
    });
    expect(again.body.errors.map((e: { path: string; message: string }) => [e.path, e.message.split(':')[0]])).toEqual([
      ['body.rows.1.details.city', 'shop_outside_pilot_city'],
      ['body.rows.2.details.bin', 'bin_invalid'],
    ]);
    const noColumn = await t.call('POST', '/v1/registry/shops/import?reason=x', {
      token: await t.token(OPERATOR),
      raw: 'shopId,bin\nshop-z,1\n',
      contentType: 'text/csv',
    });
    expect([noColumn.status, noColumn.body.errors[0].path]).toEqual([400, 'body.name']);
    expect(await t.eventCount()).toBe(before);
  });

  it('imports schools and then their devices (JSON rows)', async () => {
    const schools = await operatorCall('POST', '/v1/registry/schools/import', {
      rows: [{ id: 'nobd-6001', details: fixtureSchool('nobd-6001', 'pavlodar', 'pavlodar', 90_000) }],
      reason: 'contracts',
      activate: true,
    });
    expect(schools.body).toMatchObject({ registered: 1 });
    const devices = await operatorCall('POST', '/v1/registry/devices/import', {
      rows: [
        { id: 'dev-6001-1', details: fixtureDevice('nobd-6001', 'dev-6001-1') },
        { id: 'dev-6001-2', details: fixtureDevice('nobd-6002', 'dev-6001-2') },
      ],
      reason: 'delivered',
    });
    expect(devices.body.errors.map((e: { path: string }) => e.path)).toEqual(['body.rows.1.details.schoolId']);
  });
});

describe('the in-memory view of another process', () => {
  it('picks up a registration made elsewhere from the read model on refresh', async () => {
    // A second process: its own registry services and view over the same log.
    const elsewhere = createRegistryServices({ states: testStates(t.system.store), view: createRegistryView() });
    await elsewhere.put(
      'shop',
      { id: 'shop-far', details: fixtureShop('shop-far', 'akkol'), reason: 'registered by process B', activate: true },
      {
        commandId: 'process-b-1',
        now: t.clock.now().toISOString(),
        actor: { role: 'operator', id: 'op-b' },
      },
    );
    expect(t.system.registryView.shop('shop-far')).toBeUndefined();
    await t.settle();
    await t.system.registryView.refresh();
    expect(t.system.registryView.shop('shop-far')).toMatchObject({ status: 'active', city: 'akkol', version: 1 });
  });
});
