/**
 * Ratings and complaints (seed 001 appendix 2 p. 12; seed 004 p. 27 "History"): recorded in
 * `feedback-{familyId}`, then forwarded to e-Otinish and the reference recorded. A failed
 * forward leaves the submission recorded without a reference; a retry of the same request
 * (same command id) forwards it again and records the reference once.
 */
import { streams } from '../../domain/events';
import type { CommandMetadata } from '../../domain/shared/decider';
import { nameUuid, childId } from '../../domain/shared/ids';
import { refuse } from '../../domain/shared/errors';
import { afterDays } from '../../domain/people/personal-data';
import { feedback, type SubmitFeedback } from '../../domain/vouchers/feedback';
import { parseVoucherId } from '../../domain/vouchers/ids';
import { createFoodWalletDecider } from '../../domain/vouchers/food-wallet';
import { createMealVoucherDecider } from '../../domain/vouchers/meal-voucher';
import { handle } from '../command-path';
import type { LedgerServices } from './contract';
import { resolveDeps, type VoucherServiceDeps } from './deps';

export interface FeedbackServices {
  submitFeedback: LedgerServices['submitFeedback'];
}

export function createFeedbackServices(rawDeps: VoucherServiceDeps): FeedbackServices {
  const deps = resolveDeps(rawDeps);
  const meals = createMealVoucherDecider(deps.meals);
  const food = createFoodWalletDecider(deps.food);

  /** A voucher named in feedback must be the family's own (else voucher_not_found). */
  async function checkVoucher(familyId: string, voucherId: string): Promise<void> {
    const ref = parseVoucherId(voucherId);
    if (!ref) return refuse('voucher_not_found', voucherId);
    const events = await deps.states.history(ref.stream);
    const state = ref.program === 'school-meals' ? deps.states.fold(meals, events) : deps.states.fold(food, events);
    if (state.status === 'None' || state.familyId !== familyId) refuse('voucher_not_found', voucherId);
  }

  async function submitFeedback(input: Parameters<LedgerServices['submitFeedback']>[0], meta: CommandMetadata) {
    if (input.voucherId !== undefined) await checkVoucher(input.familyId, input.voucherId);
    const feedbackId = nameUuid(`feedback:${meta.commandId}`);
    const stream = streams.feedback(input.familyId);
    // The text goes to the vault under its writer (forgettable), the event keeps a reference.
    const textRef = input.text !== undefined ? nameUuid(`feedback-text:${meta.commandId}`) : undefined;
    if (textRef !== undefined && (input.personId === undefined || !deps.texts)) refuse('validation_failed', 'a text needs its writer (a citizen token) and a vault to keep it', 'text');
    const command: SubmitFeedback = { type: 'SubmitFeedback', data: { feedbackId, ...input, ...(textRef !== undefined ? { textRef } : {}) }, metadata: meta };
    await handle(deps.states, stream, feedback, command, { familyId: input.familyId, program: input.program });
    // After the decision (a refused complaint keeps nothing); a retry of the same command keeps it again, once.
    if (textRef !== undefined) {
      const program = input.program === 'school-meals' ? deps.meals : deps.food;
      await deps.texts!.keepText(input.personId!, textRef, input.text!, afterDays(meta.now, program.personalData.complaintDays));
    }
    // Read back (a repeated request decides nothing): forward only what has no reference yet.
    const already = deps.states.fold(feedback, await deps.states.history(stream)).items.get(feedbackId)?.eotinishRef;
    if (already !== undefined || !deps.eotinish) return { feedbackId, ...(already !== undefined ? { eotinishRef: already } : {}) };
    const { personId: _writer, ...item } = input;
    const { ref } = await deps.eotinish.forward({ feedbackId, ...item, submittedAt: meta.now });
    const forwardMeta = { ...meta, commandId: childId(meta.commandId, 'forwarded'), causationId: meta.commandId };
    await handle(deps.states, stream, feedback, { type: 'RecordFeedbackForwarded', data: { feedbackId, eotinishRef: ref }, metadata: forwardMeta }, { familyId: input.familyId, program: input.program });
    return { feedbackId, eotinishRef: ref };
  }

  return { submitFeedback };
}
