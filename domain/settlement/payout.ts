/**
 * The payout of one payable (a shop statement or a canteen payment order), attempt by attempt:
 * issued → confirmed (booked by the paying agent) | failed (rejected) → issued again…
 *
 * Nothing is paid twice: a payable with a confirmed attempt accepts no new attempt; a new attempt
 * is issued only after the last one failed; a result already recorded is recorded again as
 * nothing (a confirmation file imported twice changes nothing); a result that contradicts one
 * already recorded is refused and shows up in reconciliation, never absorbed.
 *
 * Refusal precedence (IssuePayout): payout_amount_not_positive → payout_already_confirmed →
 * payout_pending → payout_amount_changed.
 * Refusal precedence (RecordPayoutResult): payout_unknown_reference → payout_amount_mismatch →
 * payout_result_conflict.
 */
import { createHash } from 'node:crypto';
import type { CommandMetadata, Decider } from '../shared/decider';
import { evolveEach, invariant, unreachable } from '../shared/decider';
import { refuse } from '../shared/errors';
import type { Tiyn } from '../shared/money';
import type { PayableKind, Payee, PayoutConfirmed, PayoutFailed, PayoutIssued } from './events';

export interface IssuePayout {
  readonly type: 'IssuePayout';
  readonly data: { readonly payableId: string; readonly kind: PayableKind; readonly amountTiyn: Tiyn; readonly payee: Payee; readonly batchId: string };
  readonly metadata: CommandMetadata;
}

export interface RecordPayoutResult {
  readonly type: 'RecordPayoutResult';
  readonly data: {
    readonly endToEndId: string;
    readonly status: 'booked' | 'rejected';
    readonly amountTiyn: Tiyn;
    readonly bankReference?: string;
    readonly reason?: string;
    /** When the agent booked or rejected it (from the file); the command's `now` is when we learnt it. */
    readonly at: string;
    readonly importId: string;
  };
  readonly metadata: CommandMetadata;
}

export type PayoutCommand = IssuePayout | RecordPayoutResult;
export type PayoutEvent = PayoutIssued | PayoutConfirmed | PayoutFailed;

export type AttemptStatus = 'issued' | 'confirmed' | 'failed';
export interface Attempt {
  readonly attempt: number;
  readonly endToEndId: string;
  readonly amountTiyn: Tiyn;
  readonly status: AttemptStatus;
}
export interface PayoutState {
  /** Set by the first attempt. */
  readonly payableId?: string;
  readonly attempts: readonly Attempt[];
}

/**
 * ISO 20022 end-to-end ids are at most 35 characters: a digest of the payable id (stable, so the
 * agent's file names the same payable however long our id is) and the attempt number.
 */
export function endToEndIdOf(payableId: string, attempt: number): string {
  const digest = createHash('sha256').update(payableId).digest('base64url').replace(/[-_]/g, '').slice(0, 24).toUpperCase();
  return `SW${digest}-${attempt}`;
}

function issuePayout(command: IssuePayout, state: PayoutState): PayoutIssued[] {
  const { payableId, kind, amountTiyn, payee, batchId } = command.data;
  if (amountTiyn <= 0) refuse('payout_amount_not_positive', `${payableId} owes ${amountTiyn} tiyn`);
  if (state.attempts.some((a) => a.status === 'confirmed')) refuse('payout_already_confirmed', payableId);
  const last = state.attempts.at(-1);
  if (last?.status === 'issued') refuse('payout_pending', `${last.endToEndId} awaits the paying agent's confirmation`);
  if (last && last.amountTiyn !== amountTiyn) refuse('payout_amount_changed', `${payableId}: ${last.amountTiyn} tiyn before, ${amountTiyn} now`);
  const attempt = state.attempts.length + 1;
  return [
    {
      type: 'PayoutIssued',
      data: { payableId, kind, endToEndId: endToEndIdOf(payableId, attempt), attempt, batchId, amountTiyn, payee, issuedAt: command.metadata.now },
    },
  ];
}

function recordResult(command: RecordPayoutResult, state: PayoutState, payableId: string): (PayoutConfirmed | PayoutFailed)[] {
  const { endToEndId, status, amountTiyn, bankReference, reason, at, importId } = command.data;
  const target = state.attempts.find((a) => a.endToEndId === endToEndId);
  if (!target) refuse('payout_unknown_reference', endToEndId);
  if (target.amountTiyn !== amountTiyn) refuse('payout_amount_mismatch', `${endToEndId}: issued ${target.amountTiyn} tiyn, the agent reports ${amountTiyn}`);
  const wanted: AttemptStatus = status === 'booked' ? 'confirmed' : 'failed';
  if (target.status === wanted) return [];
  if (target.status !== 'issued') refuse('payout_result_conflict', `${endToEndId} is already ${target.status}; the agent now reports ${status}`);
  if (wanted === 'confirmed' && state.attempts.some((a) => a.status === 'confirmed'))
    refuse('payout_result_conflict', `${payableId} is already paid by another attempt`);
  const common = { payableId, endToEndId, attempt: target.attempt, amountTiyn, importId };
  if (wanted === 'confirmed') return [{ type: 'PayoutConfirmed', data: { ...common, bankReference: bankReference ?? '', bookedAt: at } }];
  return [{ type: 'PayoutFailed', data: { ...common, reason: reason ?? 'rejected', failedAt: at } }];
}

function withStatus(state: PayoutState, endToEndId: string, status: AttemptStatus): PayoutState {
  invariant(
    state.attempts.some((a) => a.endToEndId === endToEndId && a.status === 'issued'),
    `a result for ${endToEndId} needs an issued attempt`,
  );
  return { ...state, attempts: state.attempts.map((a) => (a.endToEndId === endToEndId ? { ...a, status } : a)) };
}

/** One decider per payout stream (`payout-{payableId}`). */
export const payoutDecider: Decider<PayoutState, PayoutCommand, PayoutEvent> = {
  initialState: () => ({ attempts: [] }),
  decide(command, state) {
    switch (command.type) {
      case 'IssuePayout':
        return issuePayout(command, state);
      case 'RecordPayoutResult':
        if (state.payableId === undefined) refuse('payout_unknown_reference', command.data.endToEndId);
        return recordResult(command, state, state.payableId);
      default:
        return unreachable(command, 'command');
    }
  },
  evolve: evolvePayout,
  evolveAll: evolveEach(evolvePayout),
};

/** What a payout stream says about its payable's money. */
export function payoutStatus(state: PayoutState): 'unpaid' | 'pending' | 'paid' | 'failed' {
  if (state.attempts.some((a) => a.status === 'confirmed')) return 'paid';
  const last = state.attempts.at(-1);
  if (!last) return 'unpaid';
  return last.status === 'issued' ? 'pending' : 'failed';
}

function evolvePayout(state: PayoutState, event: PayoutEvent): PayoutState {
  switch (event.type) {
    case 'PayoutIssued': {
      invariant(
        state.attempts.every((a) => a.status === 'failed'),
        `attempt ${event.data.attempt} issued while another is open or paid`,
      );
      const attempt: Attempt = { attempt: event.data.attempt, endToEndId: event.data.endToEndId, amountTiyn: event.data.amountTiyn, status: 'issued' };
      return { payableId: event.data.payableId, attempts: [...state.attempts, attempt] };
    }
    case 'PayoutConfirmed':
      return withStatus(state, event.data.endToEndId, 'confirmed');
    case 'PayoutFailed':
      return withStatus(state, event.data.endToEndId, 'failed');
    default:
      return unreachable(event, 'event');
  }
}
