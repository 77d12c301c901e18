/**
 * Ratings and complaints about the service (seed 001 appendix 2 p. 12: via e-Otinish), in the
 * stream `feedback-{familyId}`: submitted, then forwarded to e-Otinish with its reference.
 */
import type { FeedbackEvent, ProgramCode } from '../events';
import { evolveEach, invariant, unreachable, type CommandMetadata, type Decider } from '../shared/decider';
import { refuse } from '../shared/errors';

/** Longest complaint text we keep and forward. */
export const MAX_FEEDBACK_TEXT = 2000;
export const RATING_MIN = 1;
export const RATING_MAX = 5;

export interface SubmitFeedback {
  readonly type: 'SubmitFeedback';
  readonly data: {
    readonly feedbackId: string;
    readonly familyId: string;
    readonly program: ProgramCode;
    readonly voucherId?: string;
    readonly kind: 'rating' | 'complaint';
    readonly rating?: number;
    /** Validated here; only its length reaches the event (the text itself is in the vault under `textRef`). */
    readonly text?: string;
    readonly textRef?: string;
    /** Who wrote it. */
    readonly personId?: string;
  };
  readonly metadata: CommandMetadata;
}
export interface RecordFeedbackForwarded {
  readonly type: 'RecordFeedbackForwarded';
  readonly data: { readonly feedbackId: string; readonly eotinishRef: string };
  readonly metadata: CommandMetadata;
}
export type FeedbackCommand = SubmitFeedback | RecordFeedbackForwarded;

export interface FeedbackState {
  /** feedbackId → e-Otinish reference once forwarded. */
  readonly items: ReadonlyMap<string, { readonly eotinishRef?: string }>;
}

function submit(command: SubmitFeedback, state: FeedbackState): FeedbackEvent[] {
  const d = command.data;
  if (state.items.has(d.feedbackId)) return [];
  if (d.kind === 'rating' && !(Number.isInteger(d.rating) && d.rating! >= RATING_MIN && d.rating! <= RATING_MAX))
    refuse('validation_failed', `a rating is an integer ${RATING_MIN}–${RATING_MAX}`, 'rating');
  if (d.kind === 'complaint' && !d.text?.trim()) refuse('validation_failed', 'a complaint needs a text', 'text');
  if (d.text !== undefined && d.text.length > MAX_FEEDBACK_TEXT) refuse('validation_failed', `at most ${MAX_FEEDBACK_TEXT} characters`, 'text');
  const { text, ...rest } = d;
  invariant(text === undefined || d.textRef !== undefined, 'a feedback text is kept in the vault before it is recorded');
  return [{ type: 'FeedbackSubmitted', data: { ...rest, ...(text !== undefined ? { textLength: text.length } : {}), submittedAt: command.metadata.now } }];
}

function forwarded(command: RecordFeedbackForwarded, state: FeedbackState): FeedbackEvent[] {
  const item = state.items.get(command.data.feedbackId);
  invariant(item !== undefined, `feedback ${command.data.feedbackId} is forwarded after it was submitted`);
  if (item.eotinishRef !== undefined) return [];
  return [{ type: 'FeedbackForwarded', data: { ...command.data, forwardedAt: command.metadata.now } }];
}

export function evolveFeedback(state: FeedbackState, event: FeedbackEvent): FeedbackState {
  const items = new Map(state.items);
  switch (event.type) {
    case 'FeedbackSubmitted':
      items.set(event.data.feedbackId, {});
      return { items };
    case 'FeedbackForwarded':
      items.set(event.data.feedbackId, { eotinishRef: event.data.eotinishRef });
      return { items };
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
      case 'RecordFeedbackForwarded':
        return forwarded(command, state);
      default:
        return unreachable(command, 'feedback command');
    }
  },
  evolve: evolveFeedback,
  evolveAll: evolveEach(evolveFeedback),
};
