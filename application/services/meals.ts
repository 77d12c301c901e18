/**
 * School-meal services: activation by the parent, QR tokens for the pupil, and canteen batches.
 *
 * A canteen batch (up to MAX_CANTEEN_BATCH_RECORDS records) is one atomic append across the
 * device's stream and every pupil stream it touches (decideAcross): either the whole batch with
 * all its meals is recorded, or nothing is. Per-record results come back in order; a record seen
 * before (same device, same seq, same content) returns its first outcome with `repeated: true`.
 */
import { mealRef, targetOfRef } from '../../domain/vouchers/voucher-ref';
import { createHash } from 'node:crypto';
import { createQrSigner, epochSeconds, expiresAtOf, type QrSigner } from '../../adapters/qr/tokens';
import type { CanteenRecordOutcome, MealVoucherEvent } from '../../domain/events';
import { streams } from '../../domain/events';
import type { Code } from '../../domain/shared/codes';
import { localDate, schoolYearOf } from '../../domain/shared/calendar';
import type { CommandMetadata } from '../../domain/shared/decider';
import { invariant } from '../../domain/shared/decider';
import { DomainError, refuse } from '../../domain/shared/errors';
import { canteenDevice, classifyRecord, MAX_CANTEEN_BATCH_RECORDS, type CanteenDeviceState, type RecordLookup } from '../../domain/vouchers/canteen-device';
import { parseVoucherId } from '../../domain/vouchers/ids';
import { createMealVoucherDecider, type MealVoucherState, type RecordMeal } from '../../domain/vouchers/meal-voucher';
import { decideAcross, handle, TornRead, type Decision } from '../command-path';
import type { CanteenBatch, CanteenRecord, CanteenRecordResult, LedgerServices, QrToken } from './contract';
import { resolveDeps, type ResolvedDeps, type VoucherServiceDeps } from './deps';

const PROGRAM = 'school-meals';

/** A record resolved to its pupil's stream, or to an outcome decided before any stream is read. */
interface ResolvedRecord {
  readonly seq: number;
  readonly recordHash: string;
  readonly method: 'qr' | 'card';
  readonly scannedAt: string;
  readonly target?: { readonly stream: string; readonly tokenNonce?: string; readonly tokenExpiresAt?: string };
  readonly early?: Code;
}

export interface MealServices {
  activateMealVoucher: LedgerServices['activateVoucher'];
  issueMealQrToken(input: { familyId: string; voucherId: string }, meta: CommandMetadata): Promise<QrToken>;
  syncCanteenBatch: LedgerServices['syncCanteenBatch'];
}

export function createMealServices(rawDeps: VoucherServiceDeps): MealServices {
  const deps = resolveDeps(rawDeps);
  // Its own tokens are verified from memory, others in full (adapters/qr/tokens.ts).
  const qr = createQrSigner(deps.qrKeys);
  const decider = createMealVoucherDecider(deps.meals);
  const states = deps.states;

  async function activateMealVoucher(input: { familyId: string; voucherId: string; byPersonId: string }, meta: CommandMetadata) {
    const ref = parseVoucherId(input.voucherId);
    if (ref?.program !== PROGRAM) return refuse('voucher_not_found', input.voucherId);
    await handle(states, ref.stream, decider, { type: 'ActivateMealVoucher', data: input, metadata: meta }, { familyId: input.familyId, program: PROGRAM });
    return { voucherId: input.voucherId, status: 'active' as const };
  }

  async function issueMealQrToken(input: { familyId: string; voucherId: string }, meta: CommandMetadata): Promise<QrToken> {
    const ref = parseVoucherId(input.voucherId);
    if (ref?.program !== PROGRAM) return refuse('voucher_not_found', input.voucherId);
    const state = states.fold(decider, await states.history(ref.stream));
    if (state.status === 'None' || state.familyId !== input.familyId || state.voucherId !== input.voucherId) return refuse('voucher_not_found', input.voucherId);
    if (state.status === 'Expired') refuse('voucher_expired');
    if (state.status === 'Issued') refuse('voucher_not_active');
    const e = epochSeconds(meta.now) + deps.meals.qrTokenTtlSeconds;
    const payload = { v: mealRef(ref.pupilId, ref.schoolYear), n: deps.nonce().toString('base64url'), e, p: PROGRAM } as const;
    return { token: qr.sign(payload), expiresAt: expiresAtOf(payload) };
  }


  async function syncCanteenBatch(batch: CanteenBatch, meta: CommandMetadata): Promise<{ results: readonly CanteenRecordResult[] }> {
    if (batch.records.length > MAX_CANTEEN_BATCH_RECORDS) refuse('payload_too_large', `at most ${MAX_CANTEEN_BATCH_RECORDS} records per batch`, 'records');
    batch.records.forEach(checkRecordShape);
    const resolved = await Promise.all(batch.records.map((r) => resolveRecord(deps, qr, r)));
    const canteenStream = streams.canteen(batch.deviceId);
    const mealStreams = [...new Set(resolved.flatMap((r) => (r.target ? [r.target.stream] : [])))];
    let results: CanteenRecordResult[] = [];
    const outcome = await decideAcross(states, [canteenStream, ...mealStreams], meta, (loaded) => {
      const decided = decideBatch(decider, batch, resolved, meta, states.fold(canteenDevice, loaded.get(canteenStream)!.events), (s) => states.fold(decider, loaded.get(s)!.events));
      results = decided.results;
      return decided.decisions;
    });
    if (!outcome.repeated) return { results: results.map((result, i) => asTheDeviceSees(result, resolved[i]!)) };
    // The same command again: answer every record from what the device stream holds now.
    const state = states.fold(canteenDevice, await states.history(canteenStream));
    return { results: resolved.map((r) => asTheDeviceSees(answerFromHistory(state, r), r)) };
  }

  return { activateMealVoucher, issueMealQrToken, syncCanteenBatch };
}

/**
 * A canteen knows the pupils of its own school (the wallet sends it their IINs on activation, seed
 * 001 appendix 2 p. 6), no others. A record of another school's pupil is answered exactly as one of
 * an unknown pupil — no voucher id, no code of its own — or a device could scan any IIN and learn
 * whether that child is on a free-meals list. The ledger keeps the truth: the pupil's stream
 * records the refusal (device_wrong_school) for the pupil's own school and family to see.
 */
function asTheDeviceSees(result: CanteenRecordResult, record: ResolvedRecord): CanteenRecordResult {
  if (result.outcome !== 'device_wrong_school') return result;
  return { seq: result.seq, outcome: unknownPupil(record.method), repeated: result.repeated };
}

/** What a device is told of a pupil no voucher knows. */
const unknownPupil = (method: ResolvedRecord['method']): Code => (method === 'card' ? 'card_not_recognised' : 'voucher_not_found');

function checkRecordShape(record: CanteenRecord, i: number): void {
  if ((record.token === undefined) === (record.cardIin === undefined)) refuse('validation_failed', 'a record has a token or a card read, not both', `records.${i}`);
  if (!Number.isSafeInteger(record.seq) || record.seq < 0) refuse('validation_failed', 'seq is a non-negative integer', `records.${i}.seq`);
  if (Number.isNaN(Date.parse(record.scannedAt))) refuse('validation_failed', 'scannedAt is an ISO instant', `records.${i}.scannedAt`);
}

/** Hash of the record as sent, with the card's IIN replaced by its pseudonym (no IIN in any hash). */
function hashRecord(seq: number, scannedAt: string, token: string | undefined, personId: string | undefined): string {
  return createHash('sha256').update(JSON.stringify({ seq, scannedAt, token: token ?? null, card: personId ?? null })).digest('hex');
}

async function resolveRecord(deps: ResolvedDeps, qr: QrSigner, record: CanteenRecord): Promise<ResolvedRecord> {
  const scannedAt = new Date(record.scannedAt).toISOString();
  if (record.cardIin !== undefined) {
    const pupilId = await deps.vault.pseudonymise(record.cardIin);
    const base = { seq: record.seq, recordHash: hashRecord(record.seq, scannedAt, undefined, pupilId), method: 'card' as const, scannedAt };
    const schoolYear = schoolYearOf(localDate(scannedAt, deps.meals.timezone), deps.meals.schoolYear);
    return schoolYear ? { ...base, target: { stream: streams.meals(pupilId, schoolYear) } } : { ...base, early: 'outside_school_year' };
  }
  const base = { seq: record.seq, recordHash: hashRecord(record.seq, scannedAt, record.token, undefined), method: 'qr' as const, scannedAt };
  try {
    const payload = qr.verify(record.token!);
    const target = targetOfRef(payload.p, payload.v);
    if (target.program !== PROGRAM) return { ...base, early: 'qr_token_invalid' };
    return { ...base, target: { stream: target.stream, tokenNonce: payload.n, tokenExpiresAt: expiresAtOf(payload) } };
  } catch (error) {
    if (error instanceof DomainError) return { ...base, early: error.code };
    throw error;
  }
}

function answerFromHistory(state: RecordLookup, r: ResolvedRecord): CanteenRecordResult {
  const verdict = classifyRecord(state, r.seq, r.recordHash);
  if (verdict.kind === 'repeated') {
    const { outcome, voucherId, late } = verdict.first;
    return { seq: r.seq, outcome, ...(voucherId ? { voucherId } : {}), ...(late ? { late } : {}), repeated: true };
  }
  invariant(verdict.kind === 'conflict', `record ${r.seq} of a repeated batch is not in the device stream`);
  return { seq: r.seq, outcome: verdict.outcome, repeated: false };
}

/** Pure: the batch's per-record results and what to append where. */
function decideBatch(
  decider: ReturnType<typeof createMealVoucherDecider>,
  batch: CanteenBatch,
  records: readonly ResolvedRecord[],
  meta: CommandMetadata,
  deviceBefore: CanteenDeviceState,
  stateOf: (stream: string) => MealVoucherState,
): { results: CanteenRecordResult[]; decisions: Decision[] } {
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
    const { outcome, voucherId, late } = r.target ? recordMeal(decider, pupil(r.target.stream), r, batch, meta) : { outcome: r.early!, voucherId: undefined, late: undefined };
    const record: CanteenRecordOutcome = { seq: r.seq, recordHash: r.recordHash, outcome, ...(voucherId ? { voucherId } : {}), ...(late ? { late } : {}) };
    fresh.push(record);
    inBatch.set(r.seq, record);
    results.push({ seq: r.seq, outcome, ...(voucherId ? { voucherId } : {}), ...(late ? { late } : {}), repeated: false });
  }
  const canteenEvents = canteenDevice.decide(
    { type: 'RecordCanteenBatch', data: { deviceId: batch.deviceId, schoolId: batch.schoolId, batchId: batch.batchId, receivedAt: meta.now, records: fresh }, metadata: meta },
    deviceBefore,
  );
  const decisions: Decision[] = [{ stream: canteenStream, events: canteenEvents, metadata: { program: PROGRAM } }];
  for (const [stream, p] of pupils)
    if (p.events.length > 0) decisions.push({ stream, events: p.events, metadata: { program: PROGRAM, ...(p.state.status !== 'None' ? { familyId: p.state.familyId } : {}) } });
  return { results, decisions };
}

function recordMeal(
  decider: ReturnType<typeof createMealVoucherDecider>,
  pupil: { state: MealVoucherState; events: MealVoucherEvent[] },
  r: ResolvedRecord,
  batch: CanteenBatch,
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
  if (events.length !== 1 || event === undefined)
    throw new TornRead(`a new canteen record decides one meal event (device ${batch.deviceId} seq ${r.seq})`);
  pupil.state = decider.evolve(pupil.state, event);
  pupil.events.push(event);
  const voucherId = pupil.state.status === 'None' ? undefined : pupil.state.voucherId;
  if (event.type === 'MealServed') return { outcome: 'meal_recorded', voucherId, ...(event.data.late ? { late: true as const } : {}) };
  invariant(event.type === 'MealRefused', `a meal record yields MealServed or MealRefused, not ${event.type}`);
  return { outcome: event.data.code, voucherId };
}
