/**
 * Ratings and complaints (seed 001 appendix 2 p. 12; seed 004 p. 29). Submitting records the
 * feedback in `feedback-{familyId}` with its addressee and what it concerns, the free text in the
 * vault only (the event keeps a reference), and answers at once: forwarding is the outbox's job
 * (`forwardDue`, run by the scheduler), which tries e-Otinish, records every try, and backs off
 * until e-Otinish answers with its reference. A retried request (same command id) records nothing
 * new; a try recorded twice (two forwarders racing) is recorded once.
 *
 * Addressee (domain/programs/feedback-routing.ts): meals → the local education body of the
 * pupil's school; food → the akimat of the region of the family's pilot city. What it concerns:
 * the canteen (the voucher's school) or the shop (of the purchase the citizen names by its hold).
 */
import type { Eotinish } from '../../adapters/eotinish/eotinish';
import type { DueFeedback } from '../../projections/feedback/queries';
import { streams } from '../../domain/events';
import { addresseeOf } from '../../domain/programs/feedback-routing';
import type { CommandMetadata } from '../../domain/shared/decider';
import { childId, nameUuid } from '../../domain/shared/ids';
import { refuse } from '../../domain/shared/errors';
import { afterDays } from '../../domain/people/personal-data';
import { feedback, type SubmitFeedback } from '../../domain/vouchers/feedback';
import { parseVoucherId } from '../../domain/vouchers/ids';
import { createFoodWalletDecider } from '../../domain/vouchers/food-wallet';
import { createMealVoucherDecider } from '../../domain/vouchers/meal-voucher';
import { handle } from '../command-path';
import type { StreamStates } from '../stream-states';
import type { FeedbackInput, FeedbackReceipt } from './contract';
import { resolveDeps, type TextKeeper, type VoucherServiceDeps } from './deps';

export interface FeedbackServices {
  submitFeedback(input: FeedbackInput, meta: CommandMetadata): Promise<FeedbackReceipt>;
}

export function createFeedbackServices(rawDeps: VoucherServiceDeps): FeedbackServices {
  const deps = resolveDeps(rawDeps);
  const meals = createMealVoucherDecider(deps.meals);
  const food = createFoodWalletDecider(deps.food);

  /** The voucher must be the family's own (else voucher_not_found); it says where the service was given. */
  async function routeOf(input: FeedbackInput): Promise<Pick<SubmitFeedback['data'], 'addressee' | 'concerns'>> {
    const ref = parseVoucherId(input.voucherId);
    if (!ref || ref.program !== input.program) return refuse('voucher_not_found', input.voucherId);
    const events = await deps.states.history(ref.stream);
    if (ref.program === 'school-meals') {
      const state = deps.states.fold(meals, events);
      if (state.status === 'None' || state.familyId !== input.familyId) return refuse('voucher_not_found', input.voucherId);
      if (input.holdId !== undefined) refuse('validation_failed', 'a school meal has no shop purchase', 'holdId');
      const issued = events.find((e) => e.type === 'MealVoucherIssued')!.data as { region: string };
      return { addressee: addresseeOf({ program: 'school-meals', region: issued.region, schoolId: state.schoolId }), concerns: { schoolId: state.schoolId } };
    }
    const state = deps.states.fold(food, events);
    if (state.status === 'None' || state.familyId !== input.familyId) return refuse('voucher_not_found', input.voucherId);
    const issued = events.find((e) => e.type === 'FoodVouchersIssued')!.data as { city: string };
    let shopId: string | undefined;
    if (input.holdId !== undefined) {
      const hold = events.find((e) => e.type === 'FoodPurchaseAuthorized' && (e.data as { holdId: string }).holdId === input.holdId);
      if (!hold) return refuse('hold_not_found', input.holdId);
      shopId = (hold.data as { shopId: string }).shopId;
    }
    return { addressee: addresseeOf({ program: 'food-vouchers', city: issued.city }, deps.food), concerns: shopId ? { shopId } : {} };
  }

  async function submitFeedback(input: FeedbackInput, meta: CommandMetadata): Promise<FeedbackReceipt> {
    const route = await routeOf(input);
    const feedbackId = nameUuid(`feedback:${meta.commandId}`);
    const text = input.text?.trim() ? input.text : undefined;
    // The text goes to the vault first, sealed under its writer (forgettable, kept for the program's
    // retention): an event never holds it, the outbox never finds an event without its text, and a
    // retry keeps it once.
    const textRef = text ? `feedback-text:${feedbackId}` : undefined;
    if (text && textRef) {
      if (!rawDeps.texts) throw new Error('invariant violated: feedback text without a vault to keep it');
      const program = input.program === 'school-meals' ? deps.meals : deps.food;
      await rawDeps.texts.keepText(input.byPersonId, textRef, text, afterDays(meta.now, program.personalData.complaintDays));
    }
    const stream = streams.feedback(input.familyId);
    const command: SubmitFeedback = {
      type: 'SubmitFeedback',
      data: {
        feedbackId,
        familyId: input.familyId,
        program: input.program,
        voucherId: input.voucherId,
        kind: input.kind,
        personId: input.byPersonId,
        ...(input.rating !== undefined ? { rating: input.rating } : {}),
        ...(text ? { textLength: text.length, textRef } : {}),
        ...route,
      },
      metadata: meta,
    };
    await handle(deps.states, stream, feedback, command, { familyId: input.familyId, program: input.program });
    return { feedbackId, status: 'pending', addressee: route.addressee, concerns: route.concerns };
  }

  return { submitFeedback };
}

// ── the outbox ────────────────────────────────────────────────────────────────────────────

/** Feedback forwarded per pass at most (the next pass goes on). */
export const FORWARD_BATCH = 100;

export interface FeedbackForwarderDeps {
  readonly states: StreamStates;
  readonly eotinish: Eotinish;
  readonly texts: Pick<TextKeeper, 'textOf'>;
  readonly due: (now: string, limit: number) => Promise<DueFeedback[]>;
}

/** One pass: every due feedback tried once, each try recorded. Returns how many were forwarded. */
export function createFeedbackForwarder(deps: FeedbackForwarderDeps): { forwardDue(now: string): Promise<number> } {
  async function legacyText(item: DueFeedback): Promise<string | undefined> {
    const events = await deps.states.history(item.stream);
    const submitted = events.find((e) => e.type === 'FeedbackSubmitted' && (e.data as { feedbackId: string }).feedbackId === item.feedbackId);
    return (submitted?.data as { text?: string } | undefined)?.text;
  }

  async function forwardOne(item: DueFeedback, now: string): Promise<boolean> {
    // A forgotten person's text is gone from the vault: the appeal goes without it.
    const text = item.textRef ? await deps.texts.textOf(item.textRef) : item.legacyText ? await legacyText(item) : undefined;
    const result = await deps.eotinish.forward({
      feedbackId: item.feedbackId,
      program: item.program,
      kind: item.kind,
      ...(item.rating !== undefined ? { rating: item.rating } : {}),
      ...(text !== undefined ? { text } : {}),
      addressee: item.addressee,
      concerns: item.concerns,
      submittedAt: item.submittedAt,
    });
    const attempt = item.attempts + 1;
    const meta: CommandMetadata = {
      commandId: childId(`feedback-forward:${item.feedbackId}`, String(attempt)),
      now,
      actor: { role: 'scheduler', id: 'eotinish-outbox' },
    };
    const data = result.ok
      ? { feedbackId: item.feedbackId, attempt, ok: true as const, eotinishRef: result.ref }
      : { feedbackId: item.feedbackId, attempt, ok: false as const, retry: result.retry, reason: result.reason };
    await handle(
      deps.states,
      item.stream,
      feedback,
      { type: 'RecordForwardAttempt', data, metadata: meta },
      { familyId: item.familyId, program: item.program },
    );
    return result.ok;
  }

  return {
    async forwardDue(now) {
      const due = await deps.due(now, FORWARD_BATCH);
      if (due.length === 0) return 0;
      let forwarded = 0;
      for (const item of due) if (await forwardOne(item, now)) forwarded++;
      return forwarded;
    },
  };
}
