/**
 * School-meal services: activation by the parent, QR tokens for the pupil, and canteen batches.
 *
 * A canteen batch (up to MAX_CANTEEN_BATCH_RECORDS records) is one atomic append across the
 * device's stream and every pupil stream it touches (decideAcross): either the whole batch with
 * all its meals is recorded, or nothing is. The decision is the domain's
 * (domain/vouchers/canteen-batch.ts); here records are resolved (token verified, card pseudonymised)
 * and hashed, streams loaded and the outcome appended, as the device may see it.
 */
import { mealRef, targetOfRef } from '../../domain/vouchers/voucher-ref';
import { createHash } from 'node:crypto';
import { createQrSigner, epochSeconds, expiresAtOf, type QrSigner } from '../../adapters/qr/tokens';
import { streams } from '../../domain/events';
import { localDate, schoolYearOf } from '../../domain/shared/calendar';
import type { CommandMetadata } from '../../domain/shared/decider';
import { DomainError, refuse } from '../../domain/shared/errors';
import { canteenDevice, MAX_CANTEEN_BATCH_RECORDS } from '../../domain/vouchers/canteen-device';
import { answerFromHistory, decideCanteenBatch, unknownPupil, type ResolvedRecord } from '../../domain/vouchers/canteen-batch';
import { parseVoucherId } from '../../domain/vouchers/ids';
import { createMealVoucherDecider } from '../../domain/vouchers/meal-voucher';
import { decideAcross, handle } from '../command-path';
import type { CanteenBatch, CanteenRecord, CanteenRecordResult, LedgerServices, QrToken } from './contract';
import { resolveDeps, type ResolvedDeps, type VoucherServiceDeps } from './deps';

const PROGRAM = 'school-meals';

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
    if (state.status === 'None' || state.familyId !== input.familyId || state.voucherId !== input.voucherId)
      return refuse('voucher_not_found', input.voucherId);
    if (state.status === 'Expired') refuse('voucher_expired');
    if (state.status === 'Issued') refuse('voucher_not_active');
    const e = epochSeconds(meta.now) + deps.meals.qrTokenTtlSeconds;
    const payload = { v: mealRef(ref.pupilId, ref.schoolYear), n: deps.nonce().toString('base64url'), e, p: PROGRAM } as const;
    return { token: qr.sign(payload), expiresAt: expiresAtOf(payload) };
  }

  async function syncCanteenBatch(batch: CanteenBatch, meta: CommandMetadata): Promise<{ results: readonly CanteenRecordResult[] }> {
    deps.counterparts.admitDevice(batch.deviceId, batch.schoolId);
    if (batch.records.length > MAX_CANTEEN_BATCH_RECORDS) refuse('payload_too_large', `at most ${MAX_CANTEEN_BATCH_RECORDS} records per batch`, 'records');
    batch.records.forEach(checkRecordShape);
    const resolved = await Promise.all(batch.records.map((r) => resolveRecord(deps, qr, r)));
    const canteenStream = streams.canteen(batch.deviceId);
    const mealStreams = [...new Set(resolved.flatMap((r) => (r.target ? [r.target.stream] : [])))];
    let results: CanteenRecordResult[] = [];
    const outcome = await decideAcross(states, [canteenStream, ...mealStreams], meta, (loaded) => {
      const decided = decideCanteenBatch(decider, batch, resolved, meta, states.fold(canteenDevice, loaded.get(canteenStream)!.events), (s) =>
        states.fold(decider, loaded.get(s)!.events),
      );
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

function checkRecordShape(record: CanteenRecord, i: number): void {
  if ((record.token === undefined) === (record.cardIin === undefined))
    refuse('validation_failed', 'a record has a token or a card read, not both', `records.${i}`);
  if (!Number.isSafeInteger(record.seq) || record.seq < 0) refuse('validation_failed', 'seq is a non-negative integer', `records.${i}.seq`);
  if (Number.isNaN(Date.parse(record.scannedAt))) refuse('validation_failed', 'scannedAt is an ISO instant', `records.${i}.scannedAt`);
}

/** Hash of the record as sent, with the card's IIN replaced by its pseudonym (no IIN in any hash). */
function hashRecord(seq: number, scannedAt: string, token: string | undefined, personId: string | undefined): string {
  return createHash('sha256')
    .update(JSON.stringify({ seq, scannedAt, token: token ?? null, card: personId ?? null }))
    .digest('hex');
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
