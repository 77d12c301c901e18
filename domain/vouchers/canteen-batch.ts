/**
 * A canteen batch's decision across streams: the device's stream (which records it synced, with
 * their outcomes) and the stream of every pupil a record names. Pure: the command path loads the
 * streams, folds them (StreamStates) and appends the decisions atomically
 * (application/services/meals.ts).
 *
 * Each record is judged against the device's history and the records before it in this batch (a
 * seq seen before with the same content is a resend: its first outcome, `repeated`; with other
 * content, a conflict), then against its pupil's meal voucher (RecordMeal). A record resolved to
 * an outcome before any stream was read (a bad token, outside the school year) keeps it.
 */
import type { CanteenEvent, CanteenRecordOutcome, MealVoucherEvent } from '../events';
import { streams } from '../streams';
import type { Code } from '../shared/codes';
import type { CommandMetadata } from '../shared/decider';
import { invariant } from '../shared/decider';
import { TornRead } from '../shared/errors';
import { canteenDevice, classifyRecord, type CanteenDeviceState, type RecordLookup } from './canteen-device';
import type { createMealVoucherDecider, MealVoucherState, RecordMeal } from './meal-voucher';

const PROGRAM = 'school-meals';

/** The batch as the device sent it (device and school from its token). */
export interface CanteenBatchHeader {
  readonly deviceId: string;
  readonly schoolId: string;
  readonly batchId: string;
}

/** A record resolved to its pupil's stream, or to an outcome decided before any stream is read. */
export interface ResolvedRecord {
  readonly seq: number;
  readonly recordHash: string;
  readonly method: 'qr' | 'card';
  readonly scannedAt: string;
  readonly target?: { readonly stream: string; readonly tokenNonce?: string; readonly tokenExpiresAt?: string };
  readonly early?: Code;
}

export interface CanteenRecordResult {
  readonly seq: number;
  readonly outcome: Code;
  readonly voucherId?: string;
  /**
   * The meal was recorded after its month's табель became final (seed 002: by the 5th of the next
   * month): it is on no sheet and will not be paid; the device is told at once, not only the табель.
   */
  readonly late?: true;
  /** True when this record was already received before (a resend): the first outcome is returned. */
  readonly repeated: boolean;
}

/** What to append where: the device's stream first, then each pupil stream with new events. */
export interface StreamDecision {
  readonly stream: string;
  readonly events: readonly (CanteenEvent | MealVoucherEvent)[];
  readonly metadata: { readonly program: string; readonly familyId?: string };
}

type MealVoucherDecider = ReturnType<typeof createMealVoucherDecider>;

/** What a device is told of a pupil no voucher knows. */
export const unknownPupil = (method: ResolvedRecord['method']): Code => (method === 'card' ? 'card_not_recognised' : 'voucher_not_found');

/** A record's answer from a history that holds it (a resend or a conflicting reuse of its seq). */
export function answerFromHistory(state: RecordLookup, r: ResolvedRecord): CanteenRecordResult {
  const verdict = classifyRecord(state, r.seq, r.recordHash);
  if (verdict.kind === 'repeated') {
    const { outcome, voucherId, late } = verdict.first;
    return { seq: r.seq, outcome, ...(voucherId ? { voucherId } : {}), ...(late ? { late } : {}), repeated: true };
  }
  invariant(verdict.kind === 'conflict', `record ${r.seq} of a repeated batch is not in the device stream`);
  return { seq: r.seq, outcome: verdict.outcome, repeated: false };
}

/** The batch's per-record results and what to append where. */
export function decideCanteenBatch(
  decider: MealVoucherDecider,
  batch: CanteenBatchHeader,
  records: readonly ResolvedRecord[],
  meta: CommandMetadata,
  deviceBefore: CanteenDeviceState,
  stateOf: (stream: string) => MealVoucherState,
): { results: CanteenRecordResult[]; decisions: StreamDecision[] } {
  const canteenStream = streams.canteen(batch.deviceId);
  // Later records of this batch see the earlier ones (a seq twice in one batch is a resend): the
  // batch's records are looked up first, then the device's, so nothing is copied per record.
  const inBatch = new Map<number, CanteenRecordOutcome>();
  const device: RecordLookup = { records: { get: (seq) => inBatch.get(seq) ?? deviceBefore.records.get(seq) } };
  const pupils = new Map<string, { state: MealVoucherState; events: MealVoucherEvent[] }>();
  const pupil = (stream: string) => {
    let p = pupils.get(stream);
    if (!p) pupils.set(stream, (p = { state: stateOf(stream), events: [] }));
    return p;
  };
  const fresh: CanteenRecordOutcome[] = [];
  const results: CanteenRecordResult[] = [];
  for (const r of records) {
    const verdict = classifyRecord(device, r.seq, r.recordHash);
    if (verdict.kind !== 'new') {
      results.push(answerFromHistory(device, r));
      continue;
    }
    const { outcome, voucherId, late } = r.target
      ? recordMeal(decider, pupil(r.target.stream), r, batch, meta)
      : { outcome: r.early!, voucherId: undefined, late: undefined };
    const record: CanteenRecordOutcome = { seq: r.seq, recordHash: r.recordHash, outcome, ...(voucherId ? { voucherId } : {}), ...(late ? { late } : {}) };
    fresh.push(record);
    inBatch.set(r.seq, record);
    results.push({ seq: r.seq, outcome, ...(voucherId ? { voucherId } : {}), ...(late ? { late } : {}), repeated: false });
  }
  const canteenEvents = canteenDevice.decide(
    {
      type: 'RecordCanteenBatch',
      data: { deviceId: batch.deviceId, schoolId: batch.schoolId, batchId: batch.batchId, receivedAt: meta.now, records: fresh },
      metadata: meta,
    },
    deviceBefore,
  );
  const decisions: StreamDecision[] = [{ stream: canteenStream, events: canteenEvents, metadata: { program: PROGRAM } }];
  for (const [stream, p] of pupils)
    if (p.events.length > 0)
      decisions.push({ stream, events: p.events, metadata: { program: PROGRAM, ...(p.state.status !== 'None' ? { familyId: p.state.familyId } : {}) } });
  return { results, decisions };
}

function recordMeal(
  decider: MealVoucherDecider,
  pupil: { state: MealVoucherState; events: MealVoucherEvent[] },
  r: ResolvedRecord,
  batch: CanteenBatchHeader,
  meta: CommandMetadata,
): { outcome: Code; voucherId: string | undefined; late?: true } {
  if (pupil.state.status === 'None') return { outcome: unknownPupil(r.method), voucherId: undefined };
  const command: RecordMeal = {
    type: 'RecordMeal',
    data: {
      deviceId: batch.deviceId,
      seq: r.seq,
      deviceSchoolId: batch.schoolId,
      scannedAt: r.scannedAt,
      receivedAt: meta.now,
      method: r.method,
      ...(r.target?.tokenNonce !== undefined ? { tokenNonce: r.target.tokenNonce, tokenExpiresAt: r.target.tokenExpiresAt! } : {}),
    },
    metadata: meta,
  };
  const events = decider.decide(command, pupil.state);
  const [event] = events;
  // The device stream says "new record" but the pupil's stream already holds it: the two were read
  // on either side of a concurrent batch's commit. Retry on fresh reads (a real bug persists).
  if (events.length !== 1 || event === undefined) throw new TornRead(`a new canteen record decides one meal event (device ${batch.deviceId} seq ${r.seq})`);
  pupil.state = decider.evolve(pupil.state, event);
  pupil.events.push(event);
  const voucherId = pupil.state.status === 'None' ? undefined : pupil.state.voucherId;
  if (event.type === 'MealServed') return { outcome: 'meal_recorded', voucherId, ...(event.data.late ? { late: true as const } : {}) };
  invariant(event.type === 'MealRefused', `a meal record yields MealServed or MealRefused, not ${event.type}`);
  return { outcome: event.data.code, voucherId };
}
