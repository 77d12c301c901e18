/**
 * Ratings and complaints about the service (seed 001 appendix 2 p. 12; seed 004 p. 29), in the
 * stream `feedback-{familyId}`: submitted (to the addressee the seeds name, about the shop or the
 * canteen), then forwarded to e-Otinish through the outbox — each try recorded, failures backed
 * off, until e-Otinish gives its reference or refuses for good. The citizen's free text is not in
 * any event: it is in the vault (`textRef`), so forgetting the person erases it.
 *
 * Refusals: validation_failed (rating outside 1–5, an empty complaint, text too long).
 * Forwarding a feedback that was never submitted, or after it was forwarded, is a bug (invariant)
 * or a repeat (nothing), respectively.
 */
import type { FeedbackAddressee, FeedbackConcerns, FeedbackEvent, ProgramCode } from '../events';
import { addSeconds, type Instant } from '../shared/calendar';
import type { CommandMetadata, Decider } from '../shared/decider';
import { evolveEach, invariant, unreachable } from '../shared/decider';
import { refuse } from '../shared/errors';

/** Longest complaint text we keep and forward. */
export const MAX_FEEDBACK_TEXT = 2000;
export const RATING_MIN = 1;
export const RATING_MAX = 5;
/** The first retry waits this long; each further one twice as long, up to FORWARD_BACKOFF_MAX_SECONDS. */
export const FORWARD_BACKOFF_SECONDS = 60;
export const FORWARD_BACKOFF_MAX_SECONDS = 6 * 3600;
/** Tries before the outbox gives up and shows the feedback as not delivered (about 3 days of backoff). */
export const MAX_FORWARD_ATTEMPTS = 16;

export interface SubmitFeedback {
  readonly type: 'SubmitFeedback';
  readonly data: {
    readonly feedbackId: string;
    readonly familyId: string;
    readonly program: ProgramCode;
    readonly voucherId?: string;
    readonly kind: 'rating' | 'complaint';
    readonly rating?: number;
    /** The text's length: the text itself went to the vault under `textRef`. */
    readonly textLength?: number;
    readonly textRef?: string;
    readonly addressee: FeedbackAddressee;
    readonly concerns: FeedbackConcerns;
    /** Who wrote it. */
    readonly personId?: string;
  };
  readonly metadata: CommandMetadata;
}
export interface RecordForwardAttempt {
  readonly type: 'RecordForwardAttempt';
  readonly data: { readonly feedbackId: string; readonly attempt: number } & (
    { readonly ok: true; readonly eotinishRef: string } | { readonly ok: false; readonly retry: boolean; readonly reason: string }
  );
  readonly metadata: CommandMetadata;
}
export type FeedbackCommand = SubmitFeedback | RecordForwardAttempt;

export interface FeedbackItem {
  readonly attempts: number;
  readonly eotinishRef?: string;
  readonly failed?: boolean;
}
export interface FeedbackState {
  readonly items: ReadonlyMap<string, FeedbackItem>;
}

/** When the try after `attempt` failed tries is due. */
export function nextAttemptAt(at: Instant, attempt: number): Instant {
  return addSeconds(at, Math.min(FORWARD_BACKOFF_SECONDS * 2 ** (attempt - 1), FORWARD_BACKOFF_MAX_SECONDS));
}

function submit(command: SubmitFeedback, state: FeedbackState): FeedbackEvent[] {
  const d = command.data;
  if (state.items.has(d.feedbackId)) return [];
  if (d.kind === 'rating' && !(Number.isInteger(d.rating) && d.rating! >= RATING_MIN && d.rating! <= RATING_MAX))
    refuse('validation_failed', `a rating is an integer ${RATING_MIN}–${RATING_MAX}`, 'rating');
  if (d.kind === 'complaint' && !(d.textLength && d.textRef)) refuse('validation_failed', 'a complaint needs a text', 'text');
  if (d.textLength !== undefined && d.textLength > MAX_FEEDBACK_TEXT) refuse('validation_failed', `at most ${MAX_FEEDBACK_TEXT} characters`, 'text');
  return [{ type: 'FeedbackSubmitted', data: { ...d, submittedAt: command.metadata.now } }];
}

function attempt(command: RecordForwardAttempt, state: FeedbackState): FeedbackEvent[] {
  const d = command.data;
  const item = state.items.get(d.feedbackId);
  invariant(item !== undefined, `feedback ${d.feedbackId} is forwarded after it was submitted`);
  // A repeat of a try already recorded, or a late try after the reference came: nothing new.
  if (item.eotinishRef !== undefined || item.failed || d.attempt <= item.attempts) return [];
  const at = command.metadata.now;
  if (d.ok) return [{ type: 'FeedbackForwarded', data: { feedbackId: d.feedbackId, eotinishRef: d.eotinishRef, forwardedAt: at, attempt: d.attempt } }];
  const willRetry = d.retry && d.attempt < MAX_FORWARD_ATTEMPTS;
  return [
    {
      type: 'FeedbackForwardFailed',
      data: {
        feedbackId: d.feedbackId,
        attempt: d.attempt,
        reason: d.reason.slice(0, 100),
        willRetry,
        at,
        ...(willRetry ? { nextAttemptAt: nextAttemptAt(at, d.attempt) } : {}),
      },
    },
  ];
}

export function evolveFeedback(state: FeedbackState, event: FeedbackEvent): FeedbackState {
  const items = new Map(state.items);
  switch (event.type) {
    case 'FeedbackSubmitted':
      items.set(event.data.feedbackId, { attempts: 0 });
      return { items };
    case 'FeedbackForwardFailed': {
      const item = items.get(event.data.feedbackId);
      invariant(item !== undefined, 'a try of an unknown feedback');
      items.set(event.data.feedbackId, { attempts: event.data.attempt, ...(event.data.willRetry ? {} : { failed: true }) });
      return { items };
    }
    case 'FeedbackForwarded': {
      const item = items.get(event.data.feedbackId);
      items.set(event.data.feedbackId, { attempts: event.data.attempt ?? (item?.attempts ?? 0) + 1, eotinishRef: event.data.eotinishRef });
      return { items };
    }
    default:
      return unreachable(event, 'feedback event');
  }
}

export const feedback: Decider<FeedbackState, FeedbackCommand, FeedbackEvent> = {
  initialState: () => ({ items: new Map() }),
  decide(command, state) {
    switch (command.type) {
      case 'SubmitFeedback':
        return submit(command, state);
      case 'RecordForwardAttempt':
        return attempt(command, state);
      default:
        return unreachable(command, 'feedback command');
    }
  },
  evolve: evolveFeedback,
  evolveAll: evolveEach(evolveFeedback),
};
