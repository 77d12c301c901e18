/** Reading the feedback outbox: what the forwarder sends next, and a family's feedback with its status. */
import type { Pool } from '../../adapters/postgres/pool';

export interface DueFeedback {
  readonly feedbackId: string;
  readonly familyId: string;
  readonly stream: string;
  readonly program: 'school-meals' | 'food-vouchers';
  readonly kind: 'rating' | 'complaint';
  readonly rating?: number;
  readonly voucherId?: string;
  readonly textRef?: string;
  /** Submitted before texts moved to the vault: the text is in the event itself. */
  readonly legacyText: boolean;
  readonly addressee: { readonly code: string; readonly name: string };
  readonly concerns: { readonly shopId?: string; readonly schoolId?: string; readonly voucherId?: string };
  readonly attempts: number;
  readonly submittedAt: string;
}

export interface FeedbackView {
  readonly feedbackId: string;
  readonly program: string;
  readonly kind: string;
  readonly rating?: number;
  readonly voucherId?: string;
  readonly addressee: { readonly code: string; readonly name: string };
  readonly concerns: { readonly shopId?: string; readonly schoolId?: string };
  /** pending (with the next try), forwarded (with e-Otinish's reference) or not_delivered. */
  readonly status: string;
  readonly attempts: number;
  readonly nextAttemptAt?: string;
  readonly eotinishRef?: string;
  readonly submittedAt: string;
  readonly forwardedAt?: string;
}

interface Row {
  feedback_id: string;
  family_id: string;
  stream: string;
  program: 'school-meals' | 'food-vouchers';
  kind: 'rating' | 'complaint';
  rating: number | null;
  voucher_id: string | null;
  text_ref: string | null;
  legacy_text: boolean;
  addressee_code: string;
  addressee_name: string;
  shop_id: string | null;
  school_id: string | null;
  status: string;
  attempts: number;
  next_attempt_at: Date | null;
  eotinish_ref: string | null;
  submitted_at: Date;
  forwarded_at: Date | null;
}

/** Pending feedback whose next try is due, oldest due first. */
export async function dueFeedback(pool: Pool, now: string, limit: number): Promise<DueFeedback[]> {
  const { rows } = await pool.query<Row>(
    `select * from feedback_outbox where status = 'pending' and next_attempt_at <= $1 order by next_attempt_at, feedback_id limit $2`,
    [now, limit],
  );
  return rows.map((r) => ({
    feedbackId: r.feedback_id,
    familyId: r.family_id,
    stream: r.stream,
    program: r.program,
    kind: r.kind,
    ...(r.rating !== null ? { rating: r.rating } : {}),
    ...(r.voucher_id ? { voucherId: r.voucher_id } : {}),
    ...(r.text_ref ? { textRef: r.text_ref } : {}),
    legacyText: r.legacy_text,
    addressee: { code: r.addressee_code, name: r.addressee_name },
    concerns: {
      ...(r.shop_id ? { shopId: r.shop_id } : {}),
      ...(r.school_id ? { schoolId: r.school_id } : {}),
      ...(r.voucher_id ? { voucherId: r.voucher_id } : {}),
    },
    attempts: r.attempts,
    submittedAt: r.submitted_at.toISOString(),
  }));
}

/** A family's ratings and complaints, newest first, with where each one is. */
export async function familyFeedback(pool: Pool, familyId: string, limit = 200): Promise<FeedbackView[]> {
  const { rows } = await pool.query<Row>('select * from feedback_outbox where family_id = $1 order by submitted_at desc, feedback_id limit $2', [
    familyId,
    limit,
  ]);
  return rows.map((r) => ({
    feedbackId: r.feedback_id,
    program: r.program,
    kind: r.kind,
    ...(r.rating !== null ? { rating: r.rating } : {}),
    ...(r.voucher_id ? { voucherId: r.voucher_id } : {}),
    addressee: { code: r.addressee_code, name: r.addressee_name },
    concerns: { ...(r.shop_id ? { shopId: r.shop_id } : {}), ...(r.school_id ? { schoolId: r.school_id } : {}) },
    status: r.status,
    attempts: r.attempts,
    ...(r.status === 'pending' && r.next_attempt_at ? { nextAttemptAt: r.next_attempt_at.toISOString() } : {}),
    ...(r.eotinish_ref ? { eotinishRef: r.eotinish_ref } : {}),
    submittedAt: r.submitted_at.toISOString(),
    ...(r.forwarded_at ? { forwardedAt: r.forwarded_at.toISOString() } : {}),
  }));
}
