import { describe, it } from 'vitest';
import type { FeedbackEvent } from '../events';
import { given, meta } from '../../test/given';
import { feedback, FORWARD_BACKOFF_MAX_SECONDS, MAX_FORWARD_ATTEMPTS, nextAttemptAt, type RecordForwardAttempt, type SubmitFeedback } from './feedback';

const AT = '2026-03-10T06:00:00.000Z';
const ROUTE = { addressee: { code: 'akimat:akmola', name: 'Акимат Акмолинской области' }, concerns: { shopId: 'shop-1' } };
const submitted: FeedbackEvent = {
  type: 'FeedbackSubmitted',
  data: {
    feedbackId: 'f1',
    familyId: 'fam-1',
    program: 'food-vouchers',
    voucherId: 'fv~fam-1~2026-03~1',
    kind: 'complaint',
    textLength: 5,
    textRef: 'feedback-text:f1',
    ...ROUTE,
    submittedAt: AT,
  },
};
const submit = (data: Partial<SubmitFeedback['data']> = {}): SubmitFeedback => ({
  type: 'SubmitFeedback',
  data: {
    feedbackId: 'f1',
    familyId: 'fam-1',
    program: 'food-vouchers',
    voucherId: 'fv~fam-1~2026-03~1',
    kind: 'complaint',
    textLength: 5,
    textRef: 'feedback-text:f1',
    ...ROUTE,
    ...data,
  },
  metadata: meta(AT),
});
const tried = (attempt: number, result: { ok: true; eotinishRef: string } | { ok: false; retry: boolean; reason: string }, at = AT): RecordForwardAttempt => ({
  type: 'RecordForwardAttempt',
  data: { feedbackId: 'f1', attempt, ...result },
  metadata: meta(at, `try-${attempt}`),
});
const failed = (attempt: number, at = AT): FeedbackEvent => ({
  type: 'FeedbackForwardFailed',
  data: { feedbackId: 'f1', attempt, reason: 'HTTP 503', willRetry: true, nextAttemptAt: nextAttemptAt(at, attempt), at },
});

describe('feedback: submitted, then forwarded through the outbox', () => {
  it('records a complaint with its addressee and the text’s vault reference, never the text', () => {
    given(feedback).when(submit()).then([submitted]);
  });
  it('a repeat of the same feedback records nothing', () => {
    given(feedback, [submitted]).when(submit()).then([]);
  });
  it('refuses a rating outside 1–5 and a complaint without text', () => {
    given(feedback)
      .when(submit({ kind: 'rating', rating: 6 }))
      .thenFails('validation_failed');
    given(feedback)
      .when(submit({ textLength: 0 }))
      .thenFails('validation_failed');
  });
  it('a failed try is recorded with the next one due after a doubling backoff', () => {
    given(feedback, [submitted])
      .when(tried(1, { ok: false, retry: true, reason: 'HTTP 503' }))
      .then([failed(1)]);
    given(feedback, [submitted, failed(1)])
      .when(tried(2, { ok: false, retry: true, reason: 'HTTP 503' }))
      .then([failed(2)]);
  });
  it('the backoff is capped', () => {
    given(feedback, [submitted])
      .when(tried(12, { ok: false, retry: true, reason: 'timeout' }))
      .thenState((_s, [event]) => {
        if (event?.type !== 'FeedbackForwardFailed') throw new Error('expected a failed try');
        if (event.data.nextAttemptAt !== new Date(Date.parse(AT) + FORWARD_BACKOFF_MAX_SECONDS * 1000).toISOString())
          throw new Error(`backoff not capped: ${event.data.nextAttemptAt}`);
      });
  });
  it('e-Otinish’s reference ends it; a late or repeated try records nothing', () => {
    const forwarded: FeedbackEvent = { type: 'FeedbackForwarded', data: { feedbackId: 'f1', eotinishRef: 'EOT-1', forwardedAt: AT, attempt: 2 } };
    given(feedback, [submitted, failed(1)])
      .when(tried(2, { ok: true, eotinishRef: 'EOT-1' }))
      .then([forwarded]);
    given(feedback, [submitted, failed(1), forwarded])
      .when(tried(3, { ok: true, eotinishRef: 'EOT-9' }))
      .then([]);
    given(feedback, [submitted, failed(1)])
      .when(tried(1, { ok: false, retry: true, reason: 'HTTP 503' }))
      .then([]);
  });
  it('a refusal, or the last allowed try, gives up: no further try is due', () => {
    given(feedback, [submitted])
      .when(tried(1, { ok: false, retry: false, reason: 'HTTP 422' }))
      .then([{ type: 'FeedbackForwardFailed', data: { feedbackId: 'f1', attempt: 1, reason: 'HTTP 422', willRetry: false, at: AT } }]);
    given(feedback, [submitted])
      .when(tried(MAX_FORWARD_ATTEMPTS, { ok: false, retry: true, reason: 'timeout' }))
      .then([{ type: 'FeedbackForwardFailed', data: { feedbackId: 'f1', attempt: MAX_FORWARD_ATTEMPTS, reason: 'timeout', willRetry: false, at: AT } }]);
  });
});
