/**
 * The canteen batch's decision across the device stream and the pupil streams, given / when / then:
 * given the device's history and each pupil's voucher, when a batch comes, then each record's
 * result and what is appended where.
 */
import { describe, expect, it } from 'vitest';
import type { CanteenEvent, MealVoucherEvent } from '../events';
import { fold } from '../shared/decider';
import { TornRead } from '../shared/errors';
import { meta } from '../../test/given';
import { streams } from '../streams';
import { canteenDevice } from './canteen-device';
import { decideCanteenBatch, type ResolvedRecord } from './canteen-batch';
import { mealVoucherId } from './ids';
import { mealVoucher } from './meal-voucher';

const YEAR = '2025-2026';
const MONDAY_NOON = '2026-04-06T07:00:00.000Z';
const RECEIVED = '2026-04-06T09:00:00.000Z';
const device = { deviceId: 'dev-1', schoolId: 'school-7', batchId: 'b-2' };
const pupilStream = (pupilId: string) => streams.meals(pupilId, YEAR);

/** A pupil's active voucher at school-7, as its stream would fold. */
function activeVoucher(pupilId: string): MealVoucherEvent[] {
  const voucherId = mealVoucherId(pupilId, YEAR);
  const data = {
    voucherId,
    pupilId,
    familyId: `f-${pupilId}`,
    schoolId: 'school-7',
    region: 'akmola',
    grade: 6,
    category: 'asp_family' as const,
    schoolYear: YEAR,
    caseId: `case-${pupilId}`,
    viaConsent: true,
  };
  const issued = mealVoucher.decide({ type: 'IssueMealVoucher', data, metadata: meta('2026-04-01T03:00:00.000Z') }, mealVoucher.initialState());
  const afterIssue = fold(mealVoucher, issued);
  const activated = mealVoucher.decide(
    { type: 'ActivateMealVoucher', data: { voucherId, familyId: `f-${pupilId}`, byPersonId: 'mother' }, metadata: meta('2026-04-02T03:00:00.000Z') },
    afterIssue,
  );
  return [...issued, ...activated];
}

const deviceHistory: CanteenEvent[] = [
  {
    type: 'CanteenBatchReceived',
    data: {
      ...device,
      batchId: 'b-1',
      receivedAt: RECEIVED,
      records: [{ seq: 1, recordHash: 'h1', outcome: 'meal_recorded', voucherId: mealVoucherId('p-1', YEAR) }],
    },
  },
];

const card = (seq: number, pupilId: string, recordHash = `h${seq}`): ResolvedRecord => ({
  seq,
  recordHash,
  method: 'card',
  scannedAt: MONDAY_NOON,
  target: { stream: pupilStream(pupilId) },
});

/** when: the batch, given the device's and the pupils' histories. */
function when(records: readonly ResolvedRecord[], pupils: Record<string, MealVoucherEvent[]> = {}) {
  return decideCanteenBatch(mealVoucher, device, records, meta(RECEIVED), fold(canteenDevice, deviceHistory), (stream) => {
    const pupilId = Object.keys(pupils).find((p) => pupilStream(p) === stream);
    return fold(mealVoucher, pupilId ? pupils[pupilId]! : []);
  });
}

describe('a canteen batch', () => {
  it('given a pupil with an active voucher, when a new record names it, then the meal is served and the device records the outcome', () => {
    const { results, decisions } = when([card(2, 'p-2')], { 'p-2': activeVoucher('p-2') });
    expect(results).toEqual([{ seq: 2, outcome: 'meal_recorded', voucherId: mealVoucherId('p-2', YEAR), repeated: false }]);
    expect(decisions.map((d) => [d.stream, d.events.map((e) => e.type)])).toEqual([
      [streams.canteen('dev-1'), ['CanteenBatchReceived']],
      [pupilStream('p-2'), ['MealServed']],
    ]);
    expect(decisions[1]!.metadata).toEqual({ program: 'school-meals', familyId: 'f-p-2' });
  });

  it('given a record the device synced before, when it is resent, then its first outcome comes back and nothing is appended for it', () => {
    const { results, decisions } = when([card(1, 'p-1')], { 'p-1': activeVoucher('p-1') });
    expect(results).toEqual([{ seq: 1, outcome: 'meal_recorded', voucherId: mealVoucherId('p-1', YEAR), repeated: true }]);
    expect(decisions.flatMap((d) => d.events)).toEqual([]);
  });

  it('given a seq the device used for another record, then it is refused as reused, and a seq twice in one batch is a resend of the first', () => {
    const { results } = when([card(1, 'p-1', 'other'), card(3, 'p-3'), card(3, 'p-3')], { 'p-3': activeVoucher('p-3') });
    expect(results.map((r) => [r.seq, r.outcome, r.repeated])).toEqual([
      [1, 'device_seq_reused_with_different_record', false],
      [3, 'meal_recorded', false],
      [3, 'meal_recorded', true],
    ]);
  });

  it('given a second meal for a pupil on the same school day in one batch, then the second is refused by the voucher', () => {
    const { results, decisions } = when([card(4, 'p-4'), card(5, 'p-4')], { 'p-4': activeVoucher('p-4') });
    expect(results.map((r) => r.outcome)).toEqual(['meal_recorded', 'meal_already_recorded_today']);
    expect(decisions[1]!.events.map((e) => e.type)).toEqual(['MealServed', 'MealRefused']);
  });

  it('given a card of a pupil without a voucher, or a record refused before any stream was read, then those outcomes, and no pupil stream is written', () => {
    const early: ResolvedRecord = { seq: 7, recordHash: 'h7', method: 'qr', scannedAt: MONDAY_NOON, early: 'qr_token_invalid' };
    const { results, decisions } = when([card(6, 'nobody'), early]);
    expect(results.map((r) => r.outcome)).toEqual(['card_not_recognised', 'qr_token_invalid']);
    expect(decisions.map((d) => d.stream)).toEqual([streams.canteen('dev-1')]);
  });

  it('given a pupil stream that already holds a record the device stream calls new (read across a concurrent commit), then the decision is a torn read, retried by the command path', () => {
    const served = activeVoucher('p-8');
    const first = when([card(8, 'p-8')], { 'p-8': served });
    const pupilAfter = [...served, ...(first.decisions[1]!.events as MealVoucherEvent[])];
    expect(() => when([card(8, 'p-8')], { 'p-8': pupilAfter })).toThrow(TornRead);
  });
});
