/**
 * `sms_outbox`: every SMS a consent case asked for, with its delivery state. The dispatcher
 * (adapters/sms/dispatcher.ts) reads pending rows, joins the phone from the vault at send time,
 * and reports back; a failure with willRetry makes the row pending again after a backoff.
 */
import type { Projection, Recorded, Sql } from '../projection';
import { sql } from '../projection';
import { asLedger } from '../shared/events';
import type { Queryable } from './queries';

/** Wait before re-offering a failed SMS: this many seconds × the attempt number. */
export const SMS_RETRY_BACKOFF_SECONDS = 60;

const ddl = `
create table sms_outbox (
  message_id          text primary key,
  case_stream         text not null,
  case_id             text not null,
  recipient_person_id text not null,
  role                text not null,
  kind                text not null,
  text                text not null,
  status              text not null,
  attempts            integer not null default 0,
  reply_by            timestamptz,
  requested_at        timestamptz not null,
  next_attempt_at     timestamptz not null,
  sent_at             timestamptz,
  gateway_ref         text,
  last_error          text
);
create index sms_outbox_pending on sms_outbox (next_attempt_at, message_id) where status = 'pending';
create index sms_outbox_case on sms_outbox (case_stream);
`;

function apply(event: Recorded): Sql[] {
  const e = asLedger(event);
  switch (e.type) {
    case 'SmsRequested': {
      const d = e.data;
      return [
        sql(
          `insert into sms_outbox (message_id, case_stream, case_id, recipient_person_id, role, kind, text, status, reply_by, requested_at, next_attempt_at)
           values ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9, $9) on conflict (message_id) do nothing`,
          d.messageId, event.stream, d.caseId, d.recipientPersonId, d.role, d.kind, d.text, d.replyBy ?? null, event.metadata.recordedAt,
        ),
      ];
    }
    case 'SmsSent':
      return [sql(`update sms_outbox set status = 'sent', sent_at = $2, gateway_ref = $3 where message_id = $1`, e.data.messageId, e.data.sentAt, e.data.gatewayRef ?? null)];
    case 'SmsFailed': {
      const d = e.data;
      return [
        sql(
          `update sms_outbox set attempts = $2, status = $3, last_error = $4,
             next_attempt_at = $5::timestamptz + make_interval(secs => $6::integer * $2::integer)
           where message_id = $1`,
          d.messageId, d.attempt, d.willRetry ? 'pending' : 'failed', d.reason, d.failedAt, SMS_RETRY_BACKOFF_SECONDS,
        ),
      ];
    }
    default:
      return [];
  }
}

export const smsOutboxProjection: Projection = {
  name: 'sms_outbox',
  canHandle: ['SmsRequested', 'SmsSent', 'SmsFailed'],
  migrations: [{ id: '0210_sms_outbox', sql: ddl }],
  tables: ['sms_outbox'],
  apply,
};

export interface PendingSms {
  readonly messageId: string;
  readonly caseStream: string;
  readonly recipientPersonId: string;
  readonly kind: string;
  readonly text: string;
  readonly attempts: number;
}

/** Pending messages due for a (re)try at `now`, oldest first. */
export async function pendingSms(db: Queryable, now: string, limit: number): Promise<PendingSms[]> {
  const { rows } = await db.query<{ message_id: string; case_stream: string; recipient_person_id: string; kind: string; text: string; attempts: number }>(
    `select message_id, case_stream, recipient_person_id, kind, text, attempts from sms_outbox
     where status = 'pending' and next_attempt_at <= $1 order by next_attempt_at, message_id limit $2`,
    [now, limit],
  );
  return rows.map((r) => ({ messageId: r.message_id, caseStream: r.case_stream, recipientPersonId: r.recipient_person_id, kind: r.kind, text: r.text, attempts: r.attempts }));
}
