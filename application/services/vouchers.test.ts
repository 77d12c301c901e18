/**
 * The voucher services end to end through the command path, against the memory store AND the
 * Postgres adapter (real embedded Postgres, one fresh database for this file).
 */
import { SAMPLE_CATALOGUE } from '../../domain/programs/food-list';
import { sampleCatalogue } from '../../test/catalogue';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventStore } from '../../adapters/eventstore/port';
import { createMemoryEventStore } from '../../adapters/eventstore/memory';
import { createPostgresEventStore } from '../../adapters/eventstore/postgres';
import { generateDevQrKeys, signQrToken, verifyQrToken } from '../../adapters/qr/tokens';
import { streams } from '../../domain/events';
import type { CommandMetadata } from '../../domain/shared/decider';
import { DomainError } from '../../domain/shared/errors';
import type { Code } from '../../domain/shared/codes';
import { foodWallet, holdDeadlineId, monthEndDeadlineId } from '../../domain/vouchers/food-wallet';
import { foodVoucherId, mealVoucherId } from '../../domain/vouchers/ids';
import { expiryDeadlineId, mealVoucher } from '../../domain/vouchers/meal-voucher';
import { MAX_CANTEEN_BATCH_RECORDS } from '../../domain/vouchers/canteen-device';
import { freshDatabase } from '../../test/pg';
import { handle } from '../command-path';
import { createVoucherServices, type VoucherServices } from './vouchers';
import { testStates } from '../../test/stream-states';
import { registeredCounterparts } from '../../test/registry';

const keys = generateDevQrKeys();
const MRP = 432_500;
let commandNo = 0;
const meta = (now: string, commandId = `c-${++commandNo}`): CommandMetadata => ({ commandId, now, actor: { role: 'test', id: 'test' } });
/** Stand-in for the vault's keyed hash: the personId does not contain the IIN. */
const vault = { pseudonymise: (iin: string) => `pid-${createHash('sha256').update(`k:${iin}`).digest('hex').slice(0, 16)}` };
const MILK_SKU = Object.keys(SAMPLE_CATALOGUE)[0]!; // wheat_flour in the SAMPLE catalogue (first category): eligible
const BEER_SKU = '4870000000000'; // not on the list
let nonceNo = 0;
const nonce = () => Buffer.from(`nonce-${String(++nonceNo).padStart(6, '0')}`);

async function expectCode(promise: Promise<unknown>, code: Code): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected ${code}`).toBeInstanceOf(DomainError);
  expect((error as DomainError).code).toBe(code);
}

type Subject = { store: EventStore; dispose: () => Promise<void> };
const adapters: [string, () => Promise<Subject>][] = [
  ['memory', async () => ({ store: createMemoryEventStore(), dispose: async () => {} })],
  [
    'postgres',
    async () => {
      const db = await freshDatabase();
      const store = createPostgresEventStore(db.pool);
      return {
        store,
        dispose: async () => {
          await store.close();
          await db.drop();
        },
      };
    },
  ],
];

describe.each(adapters)('voucher services on the %s event store', (_name, make) => {
  let subject: Subject;
  let services: VoucherServices;
  beforeAll(async () => {
    subject = await make();
    const counterparts = await registeredCounterparts({
      shops: ['shop-1', 'shop-2', 'shop-9'].map((shopId) => ({ shopId, city: 'kokshetau' })),
      devices: [...['dev-7', 'dev-race', 'dev-s', 'dev-late'].map((deviceId) => ({ deviceId, schoolId: 'school-7' })), { deviceId: 'd', schoolId: 's' }],
    });
    services = createVoucherServices({ states: testStates(subject.store), vault, qrKeys: keys, nonce, counterparts, catalogue: await sampleCatalogue() });
  });
  afterAll(async () => subject.dispose());

  // ── school meals ──────────────────────────────────────────────────────────────────────────
  describe('school meals', () => {
    const YEAR = '2025-2026';
    const MONDAY = '2026-04-06T07:00:00.000Z'; // 12:00 Almaty
    async function issueMeal(pupilId: string, familyId: string, schoolId = 'school-7') {
      const voucherId = mealVoucherId(pupilId, YEAR);
      await handle(testStates(subject.store), streams.meals(pupilId, YEAR), mealVoucher, {
        type: 'IssueMealVoucher',
        data: {
          voucherId,
          pupilId,
          familyId,
          schoolId,
          region: 'akmola',
          grade: 5,
          category: 'asp_family',
          schoolYear: YEAR,
          caseId: `case-${pupilId}`,
          viaConsent: true,
        },
        metadata: meta('2026-04-01T03:00:00.000Z'),
      });
      return voucherId;
    }

    it('activates a voucher of the family; another family’s or an unknown voucher is not found', async () => {
      const voucherId = await issueMeal('pupil-a', 'fam-a');
      await expectCode(services.activateVoucher({ familyId: 'fam-x', voucherId, byPersonId: 'x' }, meta('2026-04-02T04:00:00.000Z')), 'voucher_not_found');
      await expectCode(
        services.activateVoucher({ familyId: 'fam-a', voucherId: 'bogus', byPersonId: 'x' }, meta('2026-04-02T04:00:00.000Z')),
        'voucher_not_found',
      );
      await expect(services.activateVoucher({ familyId: 'fam-a', voucherId, byPersonId: 'mother-a' }, meta('2026-04-02T04:00:00.000Z'))).resolves.toEqual({
        voucherId,
        status: 'active',
      });
      // A second activation is a no-op that still answers "active".
      await expect(services.activateVoucher({ familyId: 'fam-a', voucherId, byPersonId: 'mother-a' }, meta('2026-04-03T04:00:00.000Z'))).resolves.toEqual({
        voucherId,
        status: 'active',
      });
      const events = await subject.store.readStream(streams.meals('pupil-a', YEAR));
      expect(events.map((e) => e.type)).toEqual(['MealVoucherIssued', 'DeadlineScheduled', 'MealVoucherActivated']);
      expect(events[2]!.metadata).toMatchObject({ familyId: 'fam-a', program: 'school-meals' });
    });

    it('issues a QR token only for an active voucher of the family, verifiable with the public key alone', async () => {
      const voucherId = await issueMeal('pupil-b', 'fam-b');
      await expectCode(services.issueQrToken({ familyId: 'fam-b', voucherId }, meta(MONDAY)), 'voucher_not_active');
      await services.activateVoucher({ familyId: 'fam-b', voucherId, byPersonId: 'mother-b' }, meta('2026-04-02T04:00:00.000Z'));
      await expectCode(services.issueQrToken({ familyId: 'fam-other', voucherId }, meta(MONDAY)), 'voucher_not_found');
      const qr = await services.issueQrToken({ familyId: 'fam-b', voucherId }, meta(MONDAY));
      expect(qr.expiresAt).toBe('2026-04-06T07:01:00.000Z');
      expect(verifyQrToken(qr.token, keys.publicKey)).toMatchObject({ v: 'pupil-b~2025-2026', p: 'school-meals' });
      expect(String(await services.renderQrToken(qr.token, 'svg'))).toContain('<svg');
    });

    it('records a canteen batch atomically with per-record outcomes, and a resend returns the first outcomes', async () => {
      const vb = await issueMeal('pupil-c', 'fam-c');
      const vc = await issueMeal(vault.pseudonymise('030101500011'), 'fam-d'); // the pupil identified by ID card
      await services.activateVoucher({ familyId: 'fam-c', voucherId: vb, byPersonId: 'm' }, meta('2026-04-02T04:00:00.000Z'));
      await services.activateVoucher({ familyId: 'fam-d', voucherId: vc, byPersonId: 'm' }, meta('2026-04-02T04:00:00.000Z'));
      const qr = await services.issueQrToken({ familyId: 'fam-c', voucherId: vb }, meta('2026-04-06T06:59:30.000Z'));
      const forged = signQrToken({ v: 'pupil-c~2025-2026', n: 'x', e: 1, p: 'school-meals' }, generateDevQrKeys().privateKey);
      const batch = {
        deviceId: 'dev-7',
        schoolId: 'school-7',
        batchId: 'b-1',
        records: [
          { seq: 1, token: qr.token, scannedAt: MONDAY },
          { seq: 2, token: qr.token, scannedAt: '2026-04-06T07:00:10.000Z' }, // same token again
          { seq: 3, cardIin: '030101500011', scannedAt: MONDAY },
          { seq: 4, cardIin: '030101500011', scannedAt: '2026-04-06T08:00:00.000Z' }, // fed today already
          { seq: 5, cardIin: '999999999999', scannedAt: MONDAY }, // no voucher
          { seq: 6, token: forged, scannedAt: MONDAY },
        ],
      };
      const received = '2026-04-06T09:00:00.000Z';
      const first = await services.syncCanteenBatch(batch, meta(received));
      expect(first.results).toEqual([
        { seq: 1, outcome: 'meal_recorded', voucherId: vb, repeated: false },
        { seq: 2, outcome: 'qr_token_reused', voucherId: vb, repeated: false },
        { seq: 3, outcome: 'meal_recorded', voucherId: vc, repeated: false },
        { seq: 4, outcome: 'meal_already_recorded_today', voucherId: vc, repeated: false },
        { seq: 5, outcome: 'card_not_recognised', repeated: false },
        { seq: 6, outcome: 'qr_token_invalid', repeated: false },
      ]);
      const pupilC = await subject.store.readStream(streams.meals('pupil-c', YEAR));
      expect(pupilC.slice(-2).map((e) => [e.type, (e.data as { code?: string }).code])).toEqual([
        ['MealServed', undefined],
        ['MealRefused', 'qr_token_reused'],
      ]);
      expect(pupilC.at(-1)!.metadata.familyId).toBe('fam-c');

      // The device resends the whole batch under a new request id: nothing new, first outcomes.
      const again = await services.syncCanteenBatch(batch, meta('2026-04-06T10:00:00.000Z'));
      expect(again.results.map((r) => [r.seq, r.outcome, r.repeated])).toEqual(first.results.map((r) => [r.seq, r.outcome, true]));
      // The same request id again: the same answer.
      const sameId = meta('2026-04-07T09:00:00.000Z', 'canteen-sync-1');
      await services.syncCanteenBatch({ ...batch, records: [{ seq: 7, cardIin: '030101500011', scannedAt: '2026-04-07T07:00:00.000Z' }] }, sameId);
      const repeat = await services.syncCanteenBatch(
        { ...batch, records: [{ seq: 7, cardIin: '030101500011', scannedAt: '2026-04-07T07:00:00.000Z' }] },
        sameId,
      );
      expect(repeat.results).toEqual([{ seq: 7, outcome: 'meal_recorded', voucherId: vc, repeated: true }]);
      // Same seq, other content: a device fault, refused for that record only.
      const reused = await services.syncCanteenBatch(
        { ...batch, records: [{ seq: 1, cardIin: '030101500011', scannedAt: '2026-04-08T07:00:00.000Z' }] },
        meta(received),
      );
      expect(reused.results).toEqual([{ seq: 1, outcome: 'device_seq_reused_with_different_record', repeated: false }]);

      const device = await subject.store.readStream(streams.canteen('dev-7'));
      expect(device.map((e) => (e.data as { records: unknown[] }).records.length)).toEqual([6, 1]);
      expect(JSON.stringify(device.map((e) => e.data))).not.toContain('030101500011'); // no IIN in the device stream
    });

    it('records the same record once when a device syncs it twice at the same time', async () => {
      const v = await issueMeal('pupil-e', 'fam-e');
      await services.activateVoucher({ familyId: 'fam-e', voucherId: v, byPersonId: 'm' }, meta('2026-04-02T04:00:00.000Z'));
      const qr = await services.issueQrToken({ familyId: 'fam-e', voucherId: v }, meta(MONDAY));
      const batch = { deviceId: 'dev-race', schoolId: 'school-7', batchId: 'b', records: [{ seq: 1, token: qr.token, scannedAt: MONDAY }] };
      const [a, b] = await Promise.all([services.syncCanteenBatch(batch, meta(MONDAY)), services.syncCanteenBatch(batch, meta(MONDAY))]);
      expect([a.results[0]!.repeated, b.results[0]!.repeated].sort()).toEqual([false, true]);
      expect([a.results[0]!.outcome, b.results[0]!.outcome]).toEqual(['meal_recorded', 'meal_recorded']);
      const meals = (await subject.store.readStream(streams.meals('pupil-e', YEAR))).filter((e) => e.type === 'MealServed');
      expect(meals).toHaveLength(1);
    });

    it('answers late: true for a meal received once its month’s табель is final, also on a resend (seed 002)', async () => {
      // Old reading: the answer said meal_recorded only; the lateness showed in the табель alone.
      const v = await issueMeal('pupil-late', 'fam-late');
      await services.activateVoucher({ familyId: 'fam-late', voucherId: v, byPersonId: 'm' }, meta('2026-04-02T04:00:00.000Z'));
      const lastDay = '2026-04-30T07:00:00.000Z'; // Thursday 30 April, 12:00 local
      const batch = { deviceId: 'dev-late', schoolId: 'school-7', batchId: 'b', records: [{ seq: 1, cardIin: 'late', scannedAt: lastDay }] };
      const late = vault.pseudonymise('late');
      const vl = await issueMeal(late, 'fam-late2');
      await services.activateVoucher({ familyId: 'fam-late2', voucherId: vl, byPersonId: 'm' }, meta('2026-04-02T04:00:00.000Z'));
      const inTime = await services.syncCanteenBatch(
        {
          ...batch,
          records: [{ seq: 2, token: (await services.issueQrToken({ familyId: 'fam-late', voucherId: v }, meta(lastDay))).token, scannedAt: lastDay }],
        },
        meta('2026-05-04T18:59:59.000Z'),
      );
      expect(inTime.results).toEqual([{ seq: 2, outcome: 'meal_recorded', voucherId: v, repeated: false }]);
      const final = meta('2026-05-04T19:00:00.000Z'); // 5 May 00:00 local: the April табель is final
      expect((await services.syncCanteenBatch(batch, final)).results).toEqual([
        { seq: 1, outcome: 'meal_recorded', voucherId: vl, late: true, repeated: false },
      ]);
      expect((await services.syncCanteenBatch(batch, meta('2026-05-05T09:00:00.000Z'))).results).toEqual([
        { seq: 1, outcome: 'meal_recorded', voucherId: vl, late: true, repeated: true },
      ]);
    });

    it('refuses a batch over the limit and malformed records as a whole', async () => {
      const records = Array.from({ length: MAX_CANTEEN_BATCH_RECORDS + 1 }, (_, i) => ({ seq: i, cardIin: '1', scannedAt: MONDAY }));
      await expectCode(services.syncCanteenBatch({ deviceId: 'd', schoolId: 's', batchId: 'b', records }, meta(MONDAY)), 'payload_too_large');
      await expectCode(
        services.syncCanteenBatch({ deviceId: 'd', schoolId: 's', batchId: 'b', records: [{ seq: 1, scannedAt: MONDAY }] }, meta(MONDAY)),
        'validation_failed',
      );
    });

    it('refuses a card read outside any school year (summer)', async () => {
      const result = await services.syncCanteenBatch(
        { deviceId: 'dev-s', schoolId: 'school-7', batchId: 'b', records: [{ seq: 1, cardIin: '030101500011', scannedAt: '2026-07-01T07:00:00.000Z' }] },
        meta('2026-07-01T07:00:00.000Z'),
      );
      expect(result.results).toEqual([{ seq: 1, outcome: 'outside_school_year', repeated: false }]);
    });

    it('expires the voucher when the school-year deadline fires', async () => {
      const v = await issueMeal('pupil-f', 'fam-f');
      const stream = streams.meals('pupil-f', YEAR);
      await services.fireVoucherDeadline({ stream, deadlineId: expiryDeadlineId(v), kind: 'meal_voucher_expiry' }, meta('2026-05-31T19:00:00.000Z'));
      expect((await subject.store.readStream(stream)).map((e) => e.type)).toEqual([
        'MealVoucherIssued',
        'DeadlineScheduled',
        'DeadlineFired',
        'MealVoucherExpired',
      ]);
      await expectCode(services.activateVoucher({ familyId: 'fam-f', voucherId: v, byPersonId: 'm' }, meta('2026-06-01T04:00:00.000Z')), 'voucher_expired');
    });
  });

  // ── food vouchers ─────────────────────────────────────────────────────────────────────────
  describe('food vouchers', () => {
    const MONTH = '2026-03';
    const NOW = '2026-03-10T06:00:00.000Z';
    async function issueFood(familyId: string, members: string[]) {
      await handle(testStates(subject.store), streams.food(familyId, MONTH), foodWallet, {
        type: 'IssueFoodVouchers',
        data: { familyId, month: MONTH, city: 'pavlodar', region: 'pavlodar', members, caseId: `case-${familyId}` },
        metadata: meta('2026-03-06T04:00:00.000Z'),
      });
    }
    const item = (sku: string, unitPriceTiyn: number, quantity = 1) => ({ sku, name: sku, quantity, unit: 'pcs' as const, unitPriceTiyn });

    it('activates one voucher, or all of a family’s at once; object-level checks by family', async () => {
      await issueFood('fam-1', ['head', 'kid']);
      const v1 = foodVoucherId('fam-1', MONTH, 1);
      await expectCode(services.activateVoucher({ familyId: 'fam-2', voucherId: v1, byPersonId: 'x' }, meta(NOW)), 'voucher_not_found');
      await expect(services.activateVoucher({ familyId: 'fam-1', voucherId: v1, byPersonId: 'head' }, meta(NOW))).resolves.toEqual({
        voucherId: v1,
        status: 'active',
      });
      await expect(services.activateAllFoodVouchers({ familyId: 'fam-1', month: MONTH, byPersonId: 'head' }, meta(NOW))).resolves.toEqual({
        activated: [foodVoucherId('fam-1', MONTH, 2)],
      });
      await expect(services.activateAllFoodVouchers({ familyId: 'fam-1', month: MONTH, byPersonId: 'head' }, meta(NOW))).resolves.toEqual({ activated: [] });
      await expectCode(
        services.activateAllFoodVouchers({ familyId: 'fam-1', month: MONTH, byPersonId: 'head' }, meta('2026-03-31T19:00:00.000Z')),
        'activation_window_closed',
      );
    });

    it('balance → authorize → capture, with holds found by shop; a hold settles once', async () => {
      await issueFood('fam-3', ['head', 'kid']);
      await services.activateAllFoodVouchers({ familyId: 'fam-3', month: MONTH, byPersonId: 'head' }, meta(NOW));
      const qr = await services.issueQrToken({ familyId: 'fam-3', voucherId: foodVoucherId('fam-3', MONTH, 1) }, meta(NOW));
      await expect(services.balanceByToken({ shopId: 'shop-1', token: qr.token }, meta(NOW))).resolves.toEqual({
        familyId: 'fam-3',
        month: MONTH,
        availableTiyn: 2 * MRP,
        heldTiyn: 0,
      });

      const auth = await services.authorizePurchase(
        { shopId: 'shop-1', token: qr.token, holdId: 'H-1', items: [item(MILK_SKU, 600_000), item(BEER_SKU, 90_000)] },
        meta(NOW),
      );
      expect(auth).toMatchObject({
        holdId: 'H-1',
        familyId: 'fam-3',
        basketTiyn: 690_000,
        eligibleTiyn: 600_000,
        heldTiyn: 600_000,
        remainderTiyn: 90_000,
        expiresAt: '2026-03-10T06:15:00.000Z',
      });
      expect(auth.items.map((i) => [i.eligible, i.category])).toEqual([
        [true, 'wheat_flour'],
        [false, undefined],
      ]);
      await expectCode(services.balanceByToken({ shopId: 'shop-1', token: qr.token }, meta(NOW)), 'qr_token_reused');
      await expectCode(
        services.authorizePurchase({ shopId: 'shop-1', token: qr.token, holdId: 'H-2', items: [item(MILK_SKU, 1)] }, meta(NOW)),
        'qr_token_reused',
      );

      await expectCode(services.capturePurchase({ shopId: 'shop-2', holdId: 'H-1', paymentStatus: 'paid' }, meta(NOW)), 'hold_not_found');
      await expectCode(
        services.capturePurchase({ shopId: 'shop-1', holdId: 'H-1', paymentStatus: 'paid', items: [item(MILK_SKU, 600_001)] }, meta(NOW)),
        'capture_exceeds_hold',
      );
      await expect(
        services.capturePurchase({ shopId: 'shop-1', holdId: 'H-1', paymentStatus: 'paid', items: [item(MILK_SKU, 500_000)] }, meta(NOW)),
      ).resolves.toEqual({
        holdId: 'H-1',
        capturedTiyn: 500_000,
        releasedTiyn: 100_000,
        status: 'captured',
      });
      await expectCode(services.capturePurchase({ shopId: 'shop-1', holdId: 'H-1', paymentStatus: 'paid' }, meta(NOW)), 'hold_already_settled');
      await expectCode(services.voidPurchase({ shopId: 'shop-1', holdId: 'H-1' }, meta(NOW)), 'hold_already_settled');

      const qr2 = await services.issueQrToken({ familyId: 'fam-3', voucherId: foodVoucherId('fam-3', MONTH, 2) }, meta(NOW));
      await expect(services.balanceByToken({ shopId: 'shop-1', token: qr2.token }, meta(NOW))).resolves.toMatchObject({
        availableTiyn: 2 * MRP - 500_000,
        heldTiyn: 0,
      });
      // The same hold id again at this shop: refused; the same request again: the first answer.
      await expectCode(
        services.authorizePurchase({ shopId: 'shop-1', token: qr2.token, holdId: 'H-1', items: [item(MILK_SKU, 100)] }, meta(NOW)),
        'hold_already_exists',
      );
      const once = meta(NOW, 'authorize-H-3');
      const a1 = await services.authorizePurchase({ shopId: 'shop-1', token: qr2.token, holdId: 'H-3', items: [item(MILK_SKU, 100)] }, once);
      const a2 = await services.authorizePurchase({ shopId: 'shop-1', token: qr2.token, holdId: 'H-3', items: [item(MILK_SKU, 100)] }, once);
      expect(a2).toEqual(a1);
      await expect(services.capturePurchase({ shopId: 'shop-1', holdId: 'H-3', paymentStatus: 'failed' }, meta(NOW))).resolves.toEqual({
        holdId: 'H-3',
        capturedTiyn: 0,
        releasedTiyn: 100,
        status: 'voided',
      });
    });

    it('refuses a token from another key, an expired token and a basket with no eligible item', async () => {
      await issueFood('fam-4', ['head']);
      await services.activateAllFoodVouchers({ familyId: 'fam-4', month: MONTH, byPersonId: 'head' }, meta(NOW));
      const forged = signQrToken({ v: 'fam-4~2026-03', n: 'x', e: 2_000_000_000, p: 'food-vouchers' }, generateDevQrKeys().privateKey);
      await expectCode(services.balanceByToken({ shopId: 'shop-1', token: forged }, meta(NOW)), 'qr_token_invalid');
      const qr = await services.issueQrToken({ familyId: 'fam-4', voucherId: foodVoucherId('fam-4', MONTH, 1) }, meta(NOW));
      await expectCode(
        services.authorizePurchase({ shopId: 'shop-1', token: qr.token, holdId: 'H', items: [item(MILK_SKU, 1)] }, meta('2026-03-10T06:01:01.000Z')),
        'qr_token_expired',
      );
      await expectCode(
        services.authorizePurchase({ shopId: 'shop-1', token: qr.token, holdId: 'H', items: [item(BEER_SKU, 1)] }, meta(NOW)),
        'no_eligible_items',
      );
      await expectCode(
        services.authorizePurchase({ shopId: 'shop-1', token: qr.token, holdId: 'H', items: [item(MILK_SKU, 1, 1.5)] }, meta(NOW)),
        'amount_invalid',
      );
    });

    it('expires an uncaptured hold and lapses the month through the deadline handler', async () => {
      await issueFood('fam-5', ['head', 'kid']);
      await services.activateVoucher({ familyId: 'fam-5', voucherId: foodVoucherId('fam-5', MONTH, 1), byPersonId: 'head' }, meta(NOW));
      const qr = await services.issueQrToken({ familyId: 'fam-5', voucherId: foodVoucherId('fam-5', MONTH, 1) }, meta(NOW));
      await services.authorizePurchase({ shopId: 'shop-9', token: qr.token, holdId: 'H-5', items: [item(MILK_SKU, 10_000)] }, meta(NOW));
      const stream = streams.food('fam-5', MONTH);
      await services.fireVoucherDeadline({ stream, deadlineId: holdDeadlineId('H-5'), kind: 'food_hold_expiry' }, meta('2026-03-10T06:15:00.000Z'));
      await expectCode(services.capturePurchase({ shopId: 'shop-9', holdId: 'H-5', paymentStatus: 'paid' }, meta('2026-03-10T06:16:00.000Z')), 'hold_expired');
      await services.fireVoucherDeadline({ stream, deadlineId: monthEndDeadlineId('fam-5', MONTH), kind: 'food_month_end' }, meta('2026-03-31T19:00:00.000Z'));
      const events = await subject.store.readStream(stream);
      expect(events.slice(-4).map((e) => e.type)).toEqual(['DeadlineFired', 'FoodHoldExpired', 'DeadlineFired', 'FoodVouchersLapsed']);
      expect(events.at(-1)!.data).toMatchObject({ totalTiyn: 2 * MRP });
      await expectCode(
        services.issueQrToken({ familyId: 'fam-5', voucherId: foodVoucherId('fam-5', MONTH, 1) }, meta('2026-04-01T04:00:00.000Z')),
        'voucher_lapsed',
      );
    });
  });
});
