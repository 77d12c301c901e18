/**
 * Canteen batches and the device state each process keeps folded: whatever another process synced
 * meanwhile, a batch is judged against the device's whole history; a seq twice in one batch is a
 * resend of the first. (The batch outcomes themselves are in vouchers.test.ts.)
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createMemoryEventStore } from '../../adapters/eventstore/memory';
import type { EventStore } from '../../adapters/eventstore/port';
import { generateDevQrKeys } from '../../adapters/qr/tokens';
import { streams } from '../../domain/events';
import type { CommandMetadata } from '../../domain/shared/decider';
import { mealVoucherId } from '../../domain/vouchers/ids';
import { mealVoucher } from '../../domain/vouchers/meal-voucher';
import { handle } from '../command-path';
import { createMealServices } from './meals';
import { testStates } from '../../test/stream-states';
import { registeredCounterparts } from '../../test/registry';
import type { RegistryView } from '../registry/view';
import { beforeAll } from 'vitest';

let counterparts: RegistryView;
beforeAll(async () => {
  counterparts = await registeredCounterparts({ devices: ['dev-1', 'dev-2', 'dev-3'].map((deviceId) => ({ deviceId, schoolId: 'school-7' })) });
});

const YEAR = '2025-2026';
const MONDAY = '2026-04-06T07:00:00.000Z'; // 12:00 Almaty
const TUESDAY = '2026-04-07T07:00:00.000Z';
const keys = generateDevQrKeys();
const vault = { pseudonymise: (iin: string) => `pid-${createHash('sha256').update(`k:${iin}`).digest('hex').slice(0, 16)}` };
let commandNo = 0;
const meta = (now: string): CommandMetadata => ({ commandId: `m-${++commandNo}`, now, actor: { role: 'test', id: 'test' } });
const card = (n: number) => `03010150${String(n).padStart(4, '0')}`;

async function pupilWithActiveVoucher(store: EventStore, iin: string): Promise<string> {
  const pupilId = vault.pseudonymise(iin);
  const voucherId = mealVoucherId(pupilId, YEAR);
  const stream = streams.meals(pupilId, YEAR);
  await handle(testStates(store), stream, mealVoucher, {
    type: 'IssueMealVoucher',
    data: {
      voucherId,
      pupilId,
      familyId: `fam-${iin}`,
      schoolId: 'school-7',
      region: 'akmola',
      grade: 5,
      category: 'asp_family',
      schoolYear: YEAR,
      caseId: `case-${iin}`,
      viaConsent: true,
    },
    metadata: meta('2026-04-01T03:00:00.000Z'),
  });
  await handle(testStates(store), stream, mealVoucher, {
    type: 'ActivateMealVoucher',
    data: { familyId: `fam-${iin}`, voucherId, byPersonId: 'm' },
    metadata: meta('2026-04-02T03:00:00.000Z'),
  });
  return voucherId;
}

describe('canteen batches against the device state a process holds', () => {
  it('given another process synced the device meanwhile, when this one gets a resend and a reused seq, then it judges them against the whole history', async () => {
    const log = createMemoryEventStore();
    // Two service instances over one log: two processes, each with its own held device state.
    const a = createMealServices({ states: testStates({ ...log }), vault, qrKeys: keys, counterparts });
    const b = createMealServices({ states: testStates({ ...log }), vault, qrKeys: keys, counterparts });
    for (const n of [1, 2, 3]) await pupilWithActiveVoucher(log, card(n));
    const device = { deviceId: 'dev-1', schoolId: 'school-7' };
    const b1 = { ...device, batchId: 'b1', records: [{ seq: 1, cardIin: card(1), scannedAt: MONDAY }] };
    await a.syncCanteenBatch(b1, meta(MONDAY));
    // A resend: a now holds the device folded up to its first event.
    expect((await a.syncCanteenBatch(b1, meta(MONDAY))).results[0]!.repeated).toBe(true);
    await b.syncCanteenBatch({ ...device, batchId: 'b2', records: [{ seq: 2, cardIin: card(2), scannedAt: MONDAY }] }, meta(MONDAY));
    const third = await a.syncCanteenBatch(
      {
        ...device,
        batchId: 'b3',
        records: [
          { seq: 2, cardIin: card(2), scannedAt: MONDAY }, // b's record, resent
          { seq: 1, cardIin: card(3), scannedAt: MONDAY }, // seq 1 again with another card: a device fault
          { seq: 3, cardIin: card(3), scannedAt: TUESDAY },
        ],
      },
      meta(TUESDAY),
    );
    expect(third.results.map((r) => [r.seq, r.outcome, r.repeated])).toEqual([
      [2, 'meal_recorded', true],
      [1, 'device_seq_reused_with_different_record', false],
      [3, 'meal_recorded', false],
    ]);
    const events = await log.readStream(streams.canteen('dev-1'));
    expect(events.map((e) => (e.data as { records: { seq: number }[] }).records.map((r) => r.seq))).toEqual([[1], [2], [3]]); // a conflicting record is answered, not recorded
  });

  it('given a seq twice in one batch, then the second is answered as a resend of the first and recorded once', async () => {
    const log = createMemoryEventStore();
    const services = createMealServices({ states: testStates(log), vault, qrKeys: keys, counterparts });
    const voucherId = await pupilWithActiveVoucher(log, card(9));
    const record = { seq: 5, cardIin: card(9), scannedAt: MONDAY };
    // The API refuses a batch with a seq twice; the service still answers it consistently.
    const { results } = await services.syncCanteenBatch({ deviceId: 'dev-2', schoolId: 'school-7', batchId: 'b', records: [record, record] }, meta(MONDAY));
    expect(results).toEqual([
      { seq: 5, outcome: 'meal_recorded', voucherId, repeated: false },
      { seq: 5, outcome: 'meal_recorded', voucherId, repeated: true },
    ]);
    const events = await log.readStream(streams.canteen('dev-2'));
    expect(events.map((e) => (e.data as { records: unknown[] }).records.length)).toEqual([1]);
  });

  it('given many batches on one device, then each batch is still judged against every earlier record', async () => {
    const log = createMemoryEventStore();
    const services = createMealServices({ states: testStates(log), vault, qrKeys: keys, counterparts });
    for (let n = 1; n <= 20; n++) await pupilWithActiveVoucher(log, card(n));
    for (let n = 1; n <= 20; n++)
      await services.syncCanteenBatch(
        { deviceId: 'dev-3', schoolId: 'school-7', batchId: `b${n}`, records: [{ seq: n, cardIin: card(n), scannedAt: MONDAY }] },
        meta(MONDAY),
      );
    const resent = await services.syncCanteenBatch(
      {
        deviceId: 'dev-3',
        schoolId: 'school-7',
        batchId: 'again',
        records: Array.from({ length: 20 }, (_, i) => ({ seq: i + 1, cardIin: card(i + 1), scannedAt: MONDAY })),
      },
      meta(MONDAY),
    );
    expect(resent.results.every((r) => r.repeated && r.outcome === 'meal_recorded')).toBe(true);
    expect((await log.readStream(streams.canteen('dev-3'))).length).toBe(20);
  });
});
