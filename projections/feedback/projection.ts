/**
 * `feedback_outbox`: every rating and complaint with its forwarding status — the durable outbox the
 * e-Otinish forwarder reads (what is due: pending, next try due) and what the citizen sees
 * (pending / forwarded with e-Otinish's reference / not delivered). Kept from the feedback
 * stream's events alone, so a rebuild equals the live model and nothing is lost with a process.
 */
import type { Projection, Recorded, Sql } from '../projection';
import { col, Rows } from '../shared/batch-sql';
import { roundsByKey } from '../shared/rounds';

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

const SUBMITTED = [
  col('feedback_id', 'text'),
  col('family_id', 'text'),
  col('stream', 'text'),
  col('program', 'text'),
  col('kind', 'text'),
  col('rating', 'integer'),
  col('voucher_id', 'text'),
  col('text_ref', 'text'),
  col('legacy_text', 'boolean'),
  col('addressee_code', 'text'),
  col('addressee_name', 'text'),
  col('shop_id', 'text'),
  col('school_id', 'text'),
  col('submitted_at', 'timestamptz'),
];
const FAILED = [col('feedback_id', 'text'), col('attempt', 'integer'), col('reason', 'text'), col('status', 'text'), col('next_attempt_at', 'timestamptz')];
const FORWARDED = [col('feedback_id', 'text'), col('eotinish_ref', 'text'), col('forwarded_at', 'timestamptz'), col('attempt', 'integer')];

/** One round's statements (no feedback twice in a round, so their order does not matter). */
function roundSql(round: readonly Recorded[]): Sql[] {
  const submitted = new Rows(SUBMITTED);
  const failed = new Rows(FAILED);
  const forwarded = new Rows(FORWARDED);
  for (const event of round) {
    const e = event;
    switch (e.type) {
      case 'FeedbackSubmitted': {
        const d = e.data;
        submitted.add([
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
        ]);
        break;
      }
      case 'FeedbackForwardFailed': {
        const d = e.data;
        failed.add([d.feedbackId, d.attempt, d.reason, d.willRetry ? 'pending' : 'not_delivered', d.nextAttemptAt ?? null]);
        break;
      }
      case 'FeedbackForwarded':
        forwarded.add([e.data.feedbackId, e.data.eotinishRef, e.data.forwardedAt, e.data.attempt ?? 1]);
        break;
      default:
        break;
    }
  }
  return [
    ...submitted.toSql(
      (source) =>
        `insert into feedback_outbox (${submitted.names}, status, next_attempt_at)
         select *, 'pending', s.submitted_at from ${source('s')} on conflict (feedback_id) do nothing`,
    ),
    ...failed.toSql(
      (source) =>
        `update feedback_outbox f set attempts = greatest(f.attempts, u.attempt), last_reason = u.reason, status = u.status, next_attempt_at = u.next_attempt_at
         from ${source('u')} where f.feedback_id = u.feedback_id and f.status = 'pending'`,
    ),
    ...forwarded.toSql(
      (source) =>
        `update feedback_outbox f set status = 'forwarded', eotinish_ref = u.eotinish_ref, forwarded_at = u.forwarded_at, attempts = greatest(f.attempts, u.attempt),
           next_attempt_at = null from ${source('u')} where f.feedback_id = u.feedback_id`,
    ),
  ];
}

/** Every statement names one feedback's row: a batch is written in rounds (shared/rounds.ts). */
function apply(events: readonly Recorded[]): Sql[] {
  return roundsByKey(events, (e) => (e.data as { feedbackId: string }).feedbackId).flatMap(roundSql);
}

export const feedbackOutboxProjection: Projection = {
  name: FEEDBACK_OUTBOX,
  canHandle: ['FeedbackSubmitted', 'FeedbackForwardFailed', 'FeedbackForwarded'],
  migrations: [{ id: '0520_feedback_outbox', sql: ddl }],
  tables: ['feedback_outbox'],
  apply,
};
