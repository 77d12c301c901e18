/**
 * The product catalogue over real HTTP: the operator uploads GTIN → category as CSV (each bad row
 * refused with its code, nothing published), tills download the version in force with ETag / 304,
 * and authorize judges each basket line by it — an unknown GTIN is not eligible, said on its line.
 * The system starts without the SAMPLE fixture (CATALOGUE_FIXTURE=none), as production does.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withCheckDigit } from '../domain/catalogue/gtin';
import { activeFoodFamily } from '../test/journeys';
import { OPERATOR } from '../test/registry';
import { startTestSystem, type TestSystem } from '../test/system';

let t: TestSystem;
let family: { qr: () => Promise<string> };
beforeAll(async () => {
  t = await startTestSystem('2026-03-05T04:00:00.000Z', {
    env: { CATALOGUE_FIXTURE: 'none' },
    counterparts: { shops: [{ shopId: 'shop-c1', city: 'kokshetau' }] },
  });
  family = await activeFoodFamily(t, 'fam-catalogue', 71);
});
afterAll(async () => t?.close());

const MILK = withCheckDigit('487000200001');
const BUCKWHEAT = withCheckDigit('487000200002');
const CHOCOLATE = withCheckDigit('487000200003'); // never on the list
const auditor = { role: 'auditor', sub: 'aud-c' } as const;
const merchant = { role: 'merchant', sub: 'shop-c1', shopId: 'shop-c1' } as const;
const upload = async (csv: string, reason = 'batch 1', idempotencyKey?: string) =>
  t.call('POST', `/v1/catalogue?reason=${encodeURIComponent(reason)}`, {
    token: await t.token(OPERATOR),
    raw: csv,
    contentType: 'text/csv',
    ...(idempotencyKey ? { idempotencyKey } : {}),
  });
const line = (sku: string, name: string, unitPriceTiyn = 50_000) => ({ sku, name, quantity: 1, unit: 'pcs', unitPriceTiyn });

describe('before any catalogue is published', () => {
  it('tills download version 0 with no products, and authorize finds nothing eligible', async () => {
    const answer = await t.call('GET', '/v1/catalogue', { token: await t.token(merchant) });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ catalogueId: 'food-vouchers', version: 0, products: [] });
    expect(answer.body.categories.map((c: { id: string }) => c.id)).toContain('buckwheat');
    // Said where an operator looks, without taking the instance out of rotation.
    const health = await t.call('GET', '/health');
    expect([health.status, health.body.status, health.body.catalogue]).toEqual([200, 'ready', { version: 0, products: 0 }]);
    const before = await t.eventCount();
    const held = await t.call('POST', '/v1/shop/holds', {
      token: await t.token(merchant),
      idempotencyKey: 'c-empty-1',
      body: { token: await family.qr(), items: [line(MILK, 'Молоко')] },
    });
    expect([held.status, held.body.code]).toEqual([422, 'no_eligible_items']);
    expect(await t.eventCount()).toBe(before);
  });
});

describe('the operator uploads the catalogue', () => {
  it('refuses a file with bad rows, naming each row, field and code, and publishes nothing', async () => {
    const before = await t.eventCount();
    const csv = [
      'gtin,categoryId,name',
      `${MILK},milk,Молоко 2.5%`,
      `${MILK.slice(0, -1)}${(Number(MILK.at(-1)) + 1) % 10},milk,check digit wrong`,
      `${BUCKWHEAT},beer,not on the food list`,
      `4870-0020,milk,not digits`,
      `0${MILK},kefir,the same GTIN as row 1`,
    ].join('\n');
    const answer = await upload(csv);
    expect([answer.status, answer.body.code]).toEqual([400, 'catalogue_row_invalid']);
    expect(answer.body.errors.map((e: { path: string; message: string }) => [e.path, e.message.split(':')[0]])).toEqual([
      ['body.rows.1.gtin', 'gtin_invalid'],
      ['body.rows.2.categoryId', 'category_unknown'],
      ['body.rows.3.gtin', 'gtin_invalid'],
      ['body.rows.4.gtin', 'gtin_duplicate'],
    ]);
    const noReason = await t.call('POST', '/v1/catalogue', { token: await t.token(OPERATOR), raw: `gtin,categoryId\n${MILK},milk\n`, contentType: 'text/csv' });
    expect([noReason.status, noReason.body.code, noReason.body.errors[0].path]).toEqual([400, 'validation_failed', 'body.reason']);
    expect(await t.eventCount()).toBe(before);
    const current = await t.call('GET', '/v1/catalogue', { token: await t.token(OPERATOR) });
    expect(current.body.version).toBe(0);
  });

  it('publishes a good file as version 1 with per-row answers; the same file again publishes nothing', async () => {
    const csv = `gtin,categoryId,name\n${MILK},milk,Молоко 2.5%\n${BUCKWHEAT},buckwheat,Гречка\n`;
    const before = await t.eventCount();
    const first = await upload(csv, 'contracts batch 1', 'cat-1');
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ outcome: 'published', version: 1, products: 2, added: 2, changed: 0, unchanged: 0, removed: [] });
    expect(first.body.results).toEqual([
      { row: 1, gtin: `0${MILK}`, outcome: 'added' },
      { row: 2, gtin: `0${BUCKWHEAT}`, outcome: 'added' },
    ]);
    expect(await t.eventCount()).toBe(before + 1);
    const again = await upload(csv, 'the same file again');
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ outcome: 'unchanged', version: 1, unchanged: 2 });
    expect(await t.eventCount()).toBe(before + 1);
    const versions = await t.call('GET', '/v1/catalogue/versions', { token: await t.token(auditor) });
    expect(versions.body.versions).toEqual([
      expect.objectContaining({
        version: 1,
        actor: { role: 'operator', id: OPERATOR.sub },
        reason: 'contracts batch 1',
        products: 2,
        added: 2,
        sourceSha256: createHash('sha256').update(csv).digest('hex'),
      }),
    ]);
  });
});

describe('tills and authorize', () => {
  it('a till downloads the version in force, and If-None-Match answers 304 while it stays in force', async () => {
    const till = await t.token(merchant);
    const answer = await t.call('GET', '/v1/catalogue', { token: till });
    expect(answer.status).toBe(200);
    expect(answer.body.version).toBe(1);
    expect(answer.body.products).toEqual([
      { gtin: `0${MILK}`, categoryId: 'milk', name: 'Молоко 2.5%' },
      { gtin: `0${BUCKWHEAT}`, categoryId: 'buckwheat', name: 'Гречка' },
    ]);
    const etag = answer.headers.get('etag')!;
    const unchanged = await t.call('GET', '/v1/catalogue', { token: till, headers: { 'if-none-match': etag } });
    expect(unchanged.status).toBe(304);
    expect(unchanged.text).toBe('');
    expect(unchanged.headers.get('etag')).toBe(etag);
  });

  it('authorize pays the listed GTINs and states per line that an unknown one is not eligible', async () => {
    const held = await t.call('POST', '/v1/shop/holds', {
      token: await t.token(merchant),
      idempotencyKey: 'c-sale-1',
      body: { token: await family.qr(), items: [line(MILK, 'Молоко', 40_000), line(CHOCOLATE, 'Шоколад', 65_000)] },
    });
    expect(held.status).toBe(201);
    expect(held.body).toMatchObject({ catalogueVersion: 1, eligibleTiyn: 40_000, heldTiyn: 40_000, remainderTiyn: 65_000 });
    expect(
      held.body.items.map((i: { sku: string; eligible: boolean; category?: string; reason?: string }) => [i.sku, i.eligible, i.category, i.reason]),
    ).toEqual([
      [MILK, true, 'milk', undefined],
      [CHOCOLATE, false, undefined, 'item_not_eligible'],
    ]);
  });

  it('a new version is in force for the next basket at once, and the till’s old ETag gets the new list', async () => {
    const till = await t.token(merchant);
    const old = (await t.call('GET', '/v1/catalogue', { token: till })).headers.get('etag')!;
    const published = await upload(`gtin,categoryId\n${BUCKWHEAT},buckwheat\n${CHOCOLATE},sugar\n`, 'milk withdrawn, a sugar added');
    expect(published.body).toMatchObject({ outcome: 'published', version: 2, added: 1, changed: 1, removed: [`0${MILK}`] });
    const fresh = await t.call('GET', '/v1/catalogue', { token: till, headers: { 'if-none-match': old } });
    expect([fresh.status, fresh.body.version]).toEqual([200, 2]);
    const held = await t.call('POST', '/v1/shop/holds', {
      token: till,
      idempotencyKey: 'c-sale-2',
      body: { token: await family.qr(), items: [line(MILK, 'Молоко', 40_000), line(CHOCOLATE, 'Сахар', 30_000)] },
    });
    expect(held.status).toBe(201);
    expect(held.body.catalogueVersion).toBe(2);
    expect(held.body.items.map((i: { eligible: boolean; reason?: string }) => [i.eligible, i.reason])).toEqual([
      [false, 'item_not_eligible'],
      [true, undefined],
    ]);
  });
  it('reads a file saved by Excel in a Russian locale (fields separated by semicolons, names with commas)', async () => {
    const published = await upload(`\ufeffgtin;categoryId;name\r\n${BUCKWHEAT};buckwheat;"Гречка, ядрица"\r\n${MILK};milk;Молоко\r\n`, 'milk back');
    expect(published.body).toMatchObject({ outcome: 'published', version: 3, added: 1, removed: [`0${CHOCOLATE}`] });
    const list = await t.call('GET', '/v1/catalogue', { token: await t.token(merchant) });
    expect(list.body.products.find((p: { gtin: string }) => p.gtin === `0${BUCKWHEAT}`)).toMatchObject({ categoryId: 'buckwheat', name: 'Гречка, ядрица' });
  });
});
