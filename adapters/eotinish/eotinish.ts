/**
 * e-Otinish (citizens' complaints platform; seed 001 appendix 2 p. 12, seed 002): ratings and
 * complaints are forwarded there. A port with an in-memory implementation; the reference returned
 * is what FeedbackForwarded records.
 */
export interface FeedbackItem {
  readonly feedbackId: string;
  readonly familyId: string;
  readonly program: 'school-meals' | 'food-vouchers';
  readonly voucherId?: string;
  readonly kind: 'rating' | 'complaint';
  readonly rating?: number;
  readonly text?: string;
  readonly submittedAt: string;
}

export interface Eotinish {
  /** Idempotent by feedbackId: forwarding the same item again returns the first reference. */
  forwardFeedback(item: FeedbackItem): Promise<{ readonly ref: string }>;
  /** Alias with the shape application/services/deps.ts (FeedbackForwarder) expects. */
  forward(item: FeedbackItem): Promise<{ readonly ref: string }>;
}

export function createMemoryEotinish(): Eotinish & { readonly forwarded: ReadonlyMap<string, FeedbackItem & { ref: string }> } {
  const forwarded = new Map<string, FeedbackItem & { ref: string }>();
  const forwardFeedback = async (item: FeedbackItem) => {
    const earlier = forwarded.get(item.feedbackId);
    if (earlier) return { ref: earlier.ref };
    const ref = `EOT-${String(forwarded.size + 1).padStart(8, '0')}`;
    forwarded.set(item.feedbackId, { ...item, ref });
    return { ref };
  };
  return { forwarded, forwardFeedback, forward: forwardFeedback };
}
