/**
 * Money out over real HTTP against the real system: given captures and meals in the log, the
 * operator closes windows, a shop reads its own statement, payouts go out as a pain.001 batch, the
 * paying agent's camt.054 and CSV come back (a rejection is re-issued, a re-import records
 * nothing), canteen payment orders follow the final табель, and reconciliation closes to the tiyn.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { camt054 } from '../adapters/paying-agent/iso20022';
import { eventId } from '../domain/shared/ids';
import { fixtureSchool, fixtureShop } from '../simulators/registry';
import { onboardOverHttp } from '../test/registry';
import { startTestSystem, type TestSystem } from '../test/system';

// Payees come from the registry, onboarded through the operator's door (shop-unregistered is not).
/** school-1's contract price, unlike its region's program price (akmola, 85,000): the табель and the orders pay this one. */
const MEAL_PRICE = 92_500;
const CANTEEN_BIN = fixtureSchool('school-1').canteenOperator.bin;
const SHOP_1_IBAN = fixtureShop('shop-1', 'kokshetau').bankAccount.iban;

let t: TestSystem;
const operator = { role: 'operator', sub: 'op-1' } as const;
const ministry = { role: 'ministry', sub: 'min-1' } as const;
const shop1 = { role: 'merchant', sub: 'shop-1', shopId: 'shop-1' } as const;
const shop2 = { role: 'merchant', sub: 'shop-2', shopId: 'shop-2' } as const;
const pedagogue = { role: 'social-pedagogue', sub: 'ped-1', schoolId: 'school-1' } as const;
let commands = 0;

async function append(stream: string, type: string, data: Record<string, unknown>, familyId?: string): Promise<void> {
  const commandId = `given-${commands++}`;
  await t.system.store.append(
    stream,
    [
      {
        id: eventId(commandId, 0),
        type,
        data,
        metadata: {
          commandId,
          correlationId: commandId,
          causationId: commandId,
          actor: { role: 'test', id: 'given' },
          recordedAt: t.clock.now().toISOString(),
          ...(familyId ? { familyId } : {}),
        },
      },
    ],
    'any',
  );
}

async function capture(shopId: string, holdId: string, capturedAt: string, capturedTiyn: number): Promise<void> {
  const familyId = `fam-${holdId}`;
  await append(
    `food-${familyId}-2026-03`,
    'FoodPurchaseCaptured',
    {
      holdId,
      shopId,
      capturedTiyn,
      releasedTiyn: 0,
      allocations: [],
      paymentStatus: 'paid',
      capturedAt,
      lines: [{ sku: '4870000000011', name: 'Молоко 2,5%', quantity: 1, unit: 'pcs', unitPriceTiyn: capturedTiyn, lineTiyn: capturedTiyn, eligible: true }],
    },
    familyId,
  );
}

async function meal(pupilId: string, seq: number, schoolDay: string, receivedAt: string): Promise<void> {
  await append(`meals-${pupilId}-2025-2026`, 'MealServed', {
    voucherId: `mv-${pupilId}`,
    pupilId,
    schoolId: 'school-1',
    deviceId: 'dev-1',
    seq,
    schoolDay,
    scannedAt: receivedAt,
    receivedAt,
    method: 'card',
  });
}

beforeAll(async () => {
  t = await startTestSystem('2026-03-10T04:00:00.000Z');
  await onboardOverHttp(t.call, t.token, {
    shops: [
      { shopId: 'shop-1', city: 'kokshetau' },
      { shopId: 'shop-2', city: 'pavlodar' },
    ],
    schools: [{ schoolId: 'school-1', mealPriceTiyn: MEAL_PRICE }],
  });
  await capture('shop-1', 'h1', '2026-03-10T05:00:00.000Z', 150_000);
  await capture('shop-1', 'h2', '2026-03-10T06:00:00.000Z', 2_500);
  await capture('shop-2', 'h1', '2026-03-10T07:00:00.000Z', 99_999);
  await capture('shop-unregistered', 'h9', '2026-03-10T07:30:00.000Z', 1_000);
  for (const [pupil, day] of [
    ['p1', '2026-03-10'],
    ['p1', '2026-03-11'],
    ['p2', '2026-03-10'],
  ] as const)
    await meal(pupil, commands, day, `${day}T05:00:00.000Z`);
});
afterAll(async () => t?.close());

describe('settlement windows and statements', () => {
  let statementId = '';

  it('refuses to close a day that has not begun, and closes today early by hand', async () => {
    const early = await t.call('POST', '/v1/settlement/windows/2026-03-11/close', { token: await t.token(operator), idempotencyKey: 'close-11-early' });
    expect([early.status, early.body.code]).toEqual([422, 'settlement_window_not_started']);
    const closed = await t.call('POST', '/v1/settlement/windows/2026-03-10/close', { token: await t.token(operator), idempotencyKey: 'close-10' });
    expect(closed.status).toBe(200);
    expect(closed.body).toMatchObject({ windowId: '2026-03-10', statements: 3, purchases: 4, capturedTiyn: 253_499 });
    const again = await t.call('POST', '/v1/settlement/windows/2026-03-10/close', { token: await t.token(operator), idempotencyKey: 'close-10-again' });
    expect([again.status, again.body.code]).toEqual([409, 'settlement_window_closed']);
  });

  it('puts a capture that synced after its window closed on the next window, as late', async () => {
    await capture('shop-1', 'h3', '2026-03-10T09:00:00.000Z', 7_000);
    t.clock.set('2026-03-11T20:00:00.000Z');
    await t.system.settlement.runDue({ commandId: 'run-1', now: t.clock.now().toISOString(), actor: { role: 'scheduler', id: 'settlement' } });
    const windows = await t.call('GET', '/v1/settlement/windows', { token: await t.token(ministry) });
    expect(windows.body.windows.map((w: { windowId: string; purchases: number; latePurchases: number }) => [w.windowId, w.purchases, w.latePurchases])).toEqual(
      [
        ['2026-03-10', 4, 0],
        ['2026-03-11', 1, 1],
      ],
    );
  });

  it('shows a shop its own statements only, with every purchase and its items', async () => {
    const mine = await t.call('GET', '/v1/shop/statements', { token: await t.token(shop1) });
    expect(mine.body.statements.map((s: { statementId: string; payoutTiyn: number }) => [s.statementId, s.payoutTiyn])).toEqual([
      ['st-shop-1-2026-03-10', 152_500],
      ['st-shop-1-2026-03-11', 7_000],
    ]);
    statementId = mine.body.statements[0].statementId;
    const one = await t.call('GET', `/v1/shop/statements/${statementId}`, { token: await t.token(shop1) });
    expect(one.body.lines.map((l: { holdId: string; capturedTiyn: number }) => [l.holdId, l.capturedTiyn])).toEqual([
      ['h1', 150_000],
      ['h2', 2_500],
    ]);
    expect(one.body.payout.status).toBe('unissued');
    const foreign = await t.call('GET', `/v1/shop/statements/${statementId}`, { token: await t.token(shop2) });
    expect([foreign.status, foreign.body.code]).toEqual([404, 'statement_not_found']);
    const csv = await t.call('GET', `/v1/shop/statements/${statementId}?format=csv`, { token: await t.token(shop1) });
    expect(csv.text).toContain('st-shop-1-2026-03-10,total,,,,,,,1525.00');
  });
});

describe('payouts', () => {
  let batch: { batchId: string; payments: { payableId: string; endToEndId: string; amountTiyn: number; payee: { iban: string } }[] };

  it('makes a batch of the window’s statements, skipping a shop without an account in the registry', async () => {
    const made = await t.call('POST', '/v1/payouts/batches', {
      token: await t.token(operator),
      idempotencyKey: 'batch-10',
      body: { purpose: 'window', windowId: '2026-03-10' },
    });
    expect(made.status).toBe(200);
    batch = made.body.batch;
    expect(batch.payments.map((p) => [p.payableId, p.amountTiyn])).toEqual([
      ['st-shop-1-2026-03-10', 152_500],
      ['st-shop-2-2026-03-10', 99_999],
    ]);
    expect(batch.payments[0]!.payee.iban).toBe(SHOP_1_IBAN);
    expect(made.body.skipped).toEqual([{ payableId: 'st-shop-unregistered-2026-03-10', code: 'shop_not_registered', detail: expect.any(String) }]);
    const repeated = await t.call('POST', '/v1/payouts/batches', {
      token: await t.token(operator),
      idempotencyKey: 'batch-10',
      body: { purpose: 'window', windowId: '2026-03-10' },
    });
    expect(repeated.body.batch.batchId).toBe(batch.batchId);
    const second = await t.call('POST', '/v1/payouts/batches', {
      token: await t.token(operator),
      idempotencyKey: 'batch-10-b',
      body: { purpose: 'window', windowId: '2026-03-10' },
    });
    expect(second.body.batch).toBeUndefined();
  });

  it('serves the batch as pain.001.001.09 for the paying agent', async () => {
    const file = await t.call('GET', `/v1/payouts/batches/${batch.batchId}?format=pain.001`, { token: await t.token(operator) });
    expect(file.headers.get('content-type')).toContain('application/xml');
    expect(file.text).toContain('urn:iso:std:iso:20022:tech:xsd:pain.001.001.09');
    expect(file.text).toContain('<CtrlSum>2524.99</CtrlSum>');
    expect(file.text).toContain(`<EndToEndId>${batch.payments[0]!.endToEndId}</EndToEndId>`);
  });

  it('reads the agent’s camt.054 back: a booked transfer is paid once, a returned one re-issued, a re-import records nothing', async () => {
    const [first, second] = batch.payments;
    const content = camt054({
      messageId: 'CAMT-1',
      createdAt: '2026-03-12T06:00:00.000Z',
      account: 'KZ00000DEV0000000000',
      results: [
        { endToEndId: first!.endToEndId, status: 'booked', amountTiyn: first!.amountTiyn, bankReference: 'KCJB-1', at: '2026-03-12T05:00:00.000Z' },
        { endToEndId: second!.endToEndId, status: 'rejected', amountTiyn: second!.amountTiyn, reason: 'AC04', at: '2026-03-12T05:00:00.000Z' },
        { endToEndId: 'SWUNKNOWN-1', status: 'booked', amountTiyn: 1, at: '2026-03-12T05:00:00.000Z' },
      ],
    });
    const imported = await t.call('POST', '/v1/payouts/confirmations', {
      token: await t.token(operator),
      idempotencyKey: 'camt-1',
      body: { format: 'camt.054', content },
    });
    expect(imported.body).toMatchObject({ transfers: 3, recorded: 2, unchanged: 0, refused: 1 });
    expect(imported.body.lines[2]).toMatchObject({ outcome: 'refused', code: 'payout_unknown_reference' });
    const twice = await t.call('POST', '/v1/payouts/confirmations', {
      token: await t.token(operator),
      idempotencyKey: 'camt-1-again',
      body: { format: 'camt.054', content },
    });
    expect(twice.body).toMatchObject({ recorded: 0, unchanged: 2, refused: 1 });

    const reissue = await t.call('POST', '/v1/payouts/batches', { token: await t.token(operator), idempotencyKey: 'reissue-1', body: { purpose: 'reissue' } });
    expect(reissue.body.batch.payments.map((p: { payableId: string; attempt: number }) => [p.payableId, p.attempt])).toEqual([['st-shop-2-2026-03-10', 2]]);
    const retry = reissue.body.batch.payments[0];
    const csv = `end_to_end_id,status,amount_kzt,bank_reference,reason,booked_at\n${retry.endToEndId},booked,999.99,KCJB-2,,2026-03-13T05:00:00Z\n`;
    const fromCsv = await t.call('POST', '/v1/payouts/confirmations', {
      token: await t.token(operator),
      idempotencyKey: 'csv-1',
      contentType: 'text/csv',
      raw: csv,
    });
    expect(fromCsv.body).toMatchObject({ recorded: 1, refused: 0 });
    const broken = await t.call('POST', '/v1/payouts/confirmations', {
      token: await t.token(operator),
      idempotencyKey: 'csv-bad',
      body: { format: 'csv', content: 'end_to_end_id,status\nX,booked' },
    });
    expect([broken.status, broken.body.code]).toEqual([400, 'payout_file_invalid']);
    await t.settle();
    const statements = await t.call('GET', '/v1/shop/statements?windowId=2026-03-10', { token: await t.token(ministry) });
    expect(statements.body.statements.map((s: { shopId: string; payout: { status: string } }) => [s.shopId, s.payout.status])).toEqual([
      ['shop-1', 'paid'],
      ['shop-2', 'paid'],
      ['shop-unregistered', 'unissued'],
    ]);
  });
});

describe('canteen payment orders', () => {
  it('are not issued before the табель is final, then pay its meals at the contract price, and late meals by a supplement', async () => {
    const early = await t.call('POST', '/v1/payment-orders/2026-03/issue', { token: await t.token(operator), idempotencyKey: 'po-early' });
    expect(early.body.refused).toEqual([{ schoolId: 'school-1', code: 'tabel_not_final', detail: expect.any(String) }]);
    t.clock.set('2026-04-05T04:00:00.000Z');
    const issued = await t.call('POST', '/v1/payment-orders/2026-03/issue', { token: await t.token(operator), idempotencyKey: 'po-1' });
    expect(issued.body.issued).toEqual([
      { orderId: 'po-school-1-2026-03-1', schoolId: 'school-1', meals: 3, amountTiyn: 3 * MEAL_PRICE, supplementary: false },
    ]);
    await meal('p2', 900, '2026-03-11', '2026-04-05T05:00:00.000Z');
    const supplement = await t.call('POST', '/v1/payment-orders/2026-03/issue', { token: await t.token(operator), idempotencyKey: 'po-2' });
    expect(supplement.body.issued).toEqual([{ orderId: 'po-school-1-2026-03-2', schoolId: 'school-1', meals: 1, amountTiyn: MEAL_PRICE, supplementary: true }]);
    await t.settle();
    const orders = await t.call('GET', '/v1/payment-orders?month=2026-03', { token: await t.token(pedagogue) });
    expect(orders.body.orders.map((o: { orderId: string; payout: { status: string } }) => [o.orderId, o.payout.status])).toEqual([
      ['po-school-1-2026-03-1', 'unissued'],
      ['po-school-1-2026-03-2', 'unissued'],
    ]);
    // An education authority sees its region's orders (the school's region in the registry), not another's.
    const authority = (region: string) => ({ role: 'education-authority', sub: `edu-${region}`, region }) as const;
    const regional = await t.call('GET', '/v1/payment-orders?month=2026-03', { token: await t.token(authority('akmola')) });
    expect(regional.body.orders.map((o: { orderId: string }) => o.orderId)).toEqual(['po-school-1-2026-03-1', 'po-school-1-2026-03-2']);
    const elsewhere = await t.call('GET', '/v1/payment-orders?month=2026-03&schoolId=school-1', { token: await t.token(authority('pavlodar')) });
    expect([elsewhere.status, elsewhere.body.orders]).toEqual([200, []]);
    const tabel = await t.call('GET', '/v1/schools/school-1/tabel/2026-03', { token: await t.token(pedagogue) });
    expect(tabel.body.mealCount).toBe(issued.body.issued[0].meals);
    // The sheet the canteen is paid by says what its order pays: the contract price, not the program's regional one.
    expect([tabel.body.mealPriceTiyn, tabel.body.amountDueTiyn]).toEqual([MEAL_PRICE, issued.body.issued[0].amountTiyn]);
    expect(tabel.body.lateMealCount).toBe(supplement.body.issued[0].meals);
  });

  it('pays orders through a batch like statements', async () => {
    const made = await t.call('POST', '/v1/payouts/batches', {
      token: await t.token(operator),
      idempotencyKey: 'po-batch',
      body: { purpose: 'payment_orders', month: '2026-03' },
    });
    expect(
      made.body.batch.payments.map((p: { payableId: string; amountTiyn: number; payee: { bin: string } }) => [p.payableId, p.amountTiyn, p.payee.bin]),
    ).toEqual([
      ['po-school-1-2026-03-1', 3 * MEAL_PRICE, CANTEEN_BIN],
      ['po-school-1-2026-03-2', MEAL_PRICE, CANTEEN_BIN],
    ]);
  });
});

describe('reconciliation', () => {
  it('closes to the tiyn and lists what is still unpaid', async () => {
    const report = await t.call('GET', '/v1/settlement/reconciliation', { token: await t.token(ministry) });
    expect(report.body.differences).toEqual([]);
    expect(report.body.totals).toMatchObject({
      capturedTiyn: 260_499,
      settledTiyn: 260_499,
      unsettledTiyn: 0,
      orderedTiyn: 4 * MEAL_PRICE,
      paidTiyn: 252_499,
      pendingTiyn: 4 * MEAL_PRICE,
    });
    const csv = await t.call('GET', '/v1/settlement/reconciliation?format=csv', { token: await t.token(ministry) });
    expect(csv.text.split('\n')[0]).toBe('scope,id,party,period,count,amount_kzt,paid_kzt,pending_kzt,failed_kzt,unissued_kzt');
  });

  it('is not for shops or schools', async () => {
    for (const who of [shop1, pedagogue]) {
      const refused = await t.call('GET', '/v1/settlement/reconciliation', { token: await t.token(who) });
      expect(refused.status).toBe(403);
    }
  });
});
