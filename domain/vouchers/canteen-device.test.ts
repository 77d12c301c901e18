import { describe, expect, it } from 'vitest';
import type { CanteenEvent } from '../events';
import { fold } from '../shared/decider';
import { given, meta } from '../../test/given';
import { canteenDevice, classifyRecord, MAX_CANTEEN_BATCH_RECORDS, type RecordCanteenBatch } from './canteen-device';

const AT = '2025-10-06T09:00:00.000Z';
const batch = (records: RecordCanteenBatch['data']['records']): RecordCanteenBatch => ({
  type: 'RecordCanteenBatch',
  data: { deviceId: 'dev-1', schoolId: 'school-7', batchId: 'b-1', receivedAt: AT, records },
  metadata: meta(AT),
});
const first: CanteenEvent = {
  type: 'CanteenBatchReceived',
  data: {
    deviceId: 'dev-1',
    schoolId: 'school-7',
    batchId: 'b-1',
    receivedAt: AT,
    records: [{ seq: 1, recordHash: 'h1', outcome: 'meal_recorded', voucherId: 'v' }],
  },
};

describe('canteen device stream', () => {
  it('records a batch of new records with their outcomes', () => {
    given(canteenDevice)
      .when(batch([{ seq: 1, recordHash: 'h1', outcome: 'meal_recorded', voucherId: 'v' }]))
      .then([first]);
  });
  it('records nothing for a batch without new records', () => {
    given(canteenDevice, [first]).when(batch([])).then([]);
  });
  it('answers a resend (same seq, same content) with the first outcome', () => {
    expect(classifyRecord(fold(canteenDevice, [first]), 1, 'h1')).toEqual({ kind: 'repeated', first: first.data.records[0] });
  });
  it('flags the same seq with other content (device_seq_reused_with_different_record)', () => {
    expect(classifyRecord(fold(canteenDevice, [first]), 1, 'other')).toEqual({ kind: 'conflict', outcome: 'device_seq_reused_with_different_record' });
    expect(classifyRecord(fold(canteenDevice, [first]), 2, 'h2')).toEqual({ kind: 'new' });
  });
  it('refuses a batch over the named limit (payload_too_large)', () => {
    const records = Array.from({ length: MAX_CANTEEN_BATCH_RECORDS + 1 }, (_, seq) => ({ seq, recordHash: `h${seq}`, outcome: 'meal_recorded' as const }));
    given(canteenDevice).when(batch(records)).thenFails('payload_too_large');
  });
  it('treats a seq recorded twice as a bug in the caller (invariant), not a refusal', () => {
    expect(() =>
      given(canteenDevice, [first])
        .when(batch([{ seq: 1, recordHash: 'h1', outcome: 'meal_recorded' }]))
        .events(),
    ).toThrow(/invariant violated/);
    expect(() => fold(canteenDevice, [first, first])).toThrow(/recorded once/);
  });
});
