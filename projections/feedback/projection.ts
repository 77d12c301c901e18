/**
 * `feedback_outbox`: every rating and complaint with its forwarding status — the durable outbox the
 * e-Otinish forwarder reads (what is due: pending, next try due) and what the citizen sees
 * (pending / forwarded with e-Otinish's reference / not delivered). Kept from the feedback
 * stream's events alone, so a rebuild equals the live model and nothing is lost with a process.
 */
import type { Projection, Recorded, Sql } from '../projection';
import { sql } from '../projection';

export const FEEDBACK_OUTBOX = 'feedback_outbox';

const ddl = `
create table feedback_outbox (
  feedback_id     text primary key,
  family_id       text not null,
  stream          text not null,
  program         text not null,
  kind            text not null,
  rating          integer,
  voucher_id      text,
  text_ref        text,
  legacy_text     boolean not null default false,
  addressee_code  text not null,
  addressee_name  text not null,
  shop_id         text,
  school_id       text,
  status          text not null,
  attempts        integer not null default 0,
  next_attempt_at timestamptz,
  last_reason     text,
  eotinish_ref    text,
  submitted_at    timestamptz not null,
  forwarded_at    timestamptz
);
create index feedback_outbox_due on feedback_outbox (next_attempt_at, feedback_id) where status = 'pending';
create index feedback_outbox_family on feedback_outbox (family_id, submitted_at);
`;

function applyOne(event: Recorded): Sql[] {
  const e = event;
  switch (e.type) {
    case 'FeedbackSubmitted': {
      const d = e.data;
      return [
        sql(
          `insert into feedback_outbox (feedback_id, family_id, stream, program, kind, rating, voucher_id, text_ref, legacy_text, addressee_code, addressee_name,
             shop_id, school_id, status, next_attempt_at, submitted_at)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'pending', $14, $14) on conflict (feedback_id) do nothing`,
          d.feedbackId,
          d.familyId,
          event.stream,
          d.program,
          d.kind,
          d.rating ?? null,
          d.voucherId ?? null,
          d.textRef ?? null,
          d.text !== undefined,
          d.addressee?.code ?? 'unrouted',
          d.addressee?.name ?? 'unrouted (submitted before routing)',
          d.concerns?.shopId ?? null,
          d.concerns?.schoolId ?? null,
          d.submittedAt,
        ),
      ];
    }
    case 'FeedbackForwardFailed': {
      const d = e.data;
      return [
        sql(
          `update feedback_outbox set attempts = greatest(attempts, $2), last_reason = $3, status = $4, next_attempt_at = $5 where feedback_id = $1 and status = 'pending'`,
          d.feedbackId,
          d.attempt,
          d.reason,
          d.willRetry ? 'pending' : 'not_delivered',
          d.nextAttemptAt ?? null,
        ),
      ];
    }
    case 'FeedbackForwarded': {
      const d = e.data;
      return [
        sql(
          `update feedback_outbox set status = 'forwarded', eotinish_ref = $2, forwarded_at = $3, attempts = greatest(attempts, $4), next_attempt_at = null where feedback_id = $1`,
          d.feedbackId,
          d.eotinishRef,
          d.forwardedAt,
          d.attempt ?? 1,
        ),
      ];
    }
    default:
      return [];
  }
}

export const feedbackOutboxProjection: Projection = {
  name: FEEDBACK_OUTBOX,
  canHandle: ['FeedbackSubmitted', 'FeedbackForwardFailed', 'FeedbackForwarded'],
  migrations: [{ id: '0520_feedback_outbox', sql: ddl }],
  tables: ['feedback_outbox'],
  apply: (events) => events.flatMap(applyOne),
};
