/**
 * A canteen device's stream `canteen-{deviceId}`: every record it ever synced, by sequence number.
 * Offline devices resend (seed 002: the business wallet stores records and forwards them later),
 * so `(deviceId, seq)` is the record's identity: a resend is answered with the first outcome and
 * changes nothing; the same seq with other content is a device fault, refused per record.
 *
 * The meal decisions themselves live in the pupils' streams (meal-voucher.ts); the service writes
 * this stream and every touched meal stream in one atomic append.
 */
import type { CanteenBatchReceived, CanteenEvent, CanteenRecordOutcome } from '../events';
import type { Instant } from '../shared/calendar';
import type { Code } from '../shared/codes';
import { evolveEach, invariant, unreachable, type CommandMetadata, type Decider } from '../shared/decider';
import { refuse } from '../shared/errors';

/** Records one device may send in one sync: one atomic append, bounded. */
export const MAX_CANTEEN_BATCH_RECORDS = 500;

export interface RecordCanteenBatch {
  readonly type: 'RecordCanteenBatch';
  readonly data: {
    readonly deviceId: string;
    readonly schoolId: string;
    readonly batchId: string;
    readonly receivedAt: Instant;
    /** The batch's new records with the outcome their meal streams gave them. */
    readonly records: readonly CanteenRecordOutcome[];
  };
  readonly metadata: CommandMetadata;
}
export type CanteenDeviceCommand = RecordCanteenBatch;

export interface CanteenDeviceState {
  readonly records: ReadonlyMap<number, CanteenRecordOutcome>;
}

/** What a record of an incoming batch is, before any meal stream is asked. */
export type RecordVerdict =
  | { readonly kind: 'new' }
  | { readonly kind: 'repeated'; readonly first: CanteenRecordOutcome }
  | { readonly kind: 'conflict'; readonly outcome: Extract<Code, 'device_seq_reused_with_different_record'> };

/** Where a device's records are looked up by seq: its state, or a view over it (the service adds a batch's own records). */
export interface RecordLookup {
  readonly records: Pick<CanteenDeviceState['records'], 'get'>;
}

export function classifyRecord(state: RecordLookup, seq: number, recordHash: string): RecordVerdict {
  const first = state.records.get(seq);
  if (!first) return { kind: 'new' };
  if (first.recordHash === recordHash) return { kind: 'repeated', first };
  return { kind: 'conflict', outcome: 'device_seq_reused_with_different_record' };
}

function recordBatch(command: RecordCanteenBatch, state: CanteenDeviceState): CanteenEvent[] {
  const d = command.data;
  if (d.records.length > MAX_CANTEEN_BATCH_RECORDS) refuse('payload_too_large', `at most ${MAX_CANTEEN_BATCH_RECORDS} records per batch`, 'records');
  const seqs = new Set<number>();
  for (const r of d.records) {
    // Only new records reach this stream; the service answers repeats from the state.
    invariant(classifyRecord(state, r.seq, r.recordHash).kind === 'new' && !seqs.has(r.seq), `device ${d.deviceId} seq ${r.seq} recorded once`);
    seqs.add(r.seq);
  }
  if (d.records.length === 0) return [];
  const event: CanteenBatchReceived = { type: 'CanteenBatchReceived', data: { ...d } };
  return [event];
}

export function evolveCanteenDevice(state: CanteenDeviceState, event: CanteenEvent): CanteenDeviceState {
  switch (event.type) {
    case 'CanteenBatchReceived': {
      const records = new Map(state.records);
      for (const r of event.data.records) {
        invariant(!records.has(r.seq), `device ${event.data.deviceId} seq ${r.seq} recorded once`);
        records.set(r.seq, r);
      }
      return { records };
    }
    default:
      return unreachable(event.type, 'canteen event');
  }
}

export const canteenDevice: Decider<CanteenDeviceState, CanteenDeviceCommand, CanteenEvent> = {
  initialState: () => ({ records: new Map() }),
  decide: (command, state) => {
    switch (command.type) {
      case 'RecordCanteenBatch':
        return recordBatch(command, state);
      default:
        return unreachable(command.type, 'canteen command');
    }
  },
  evolve: evolveCanteenDevice,
  evolveAll: evolveEach(evolveCanteenDevice),
};
