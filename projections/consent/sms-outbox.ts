/**
 * `sms_outbox`: every SMS a consent case asked for, with its delivery state. The dispatcher
 * (adapters/sms/dispatcher.ts) reads pending rows, joins the phone from the vault at send time,
 * and reports back; a failure with willRetry makes the row pending again after a backoff.
 */
import { type Projection, type Recorded, type Sql } from '../projection';
import { col, Rows } from '../shared/batch-sql';
import { roundsByKey } from '../shared/rounds';
import type { Queryable } from './queries';
import { renderSms } from '../../domain/programs/sms';

/** The decider's backoff (retryAt is written by it; older events without one fall back to this). */
export { SMS_RETRY_BACKOFF_SECONDS } from '../../domain/consent/consent-case';
import { SMS_RETRY_BACKOFF_SECONDS } from '../../domain/consent/consent-case';

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
/**
 * The text is the annex's template; the names are filled at pull time from the vault, so the row
 * keeps whom it is about (the pupil) and its language. `next_attempt_at` honours quiet hours: a
 * message's `notBefore`, a retry's `retryAt`.
 */
const personalisedDdl = `
alter table sms_outbox add column about_person_id text, add column language text;
`;

const REQUESTED = [
  col('message_id', 'text'),
  col('case_stream', 'text'),
  col('case_id', 'text'),
  col('recipient_person_id', 'text'),
  col('role', 'text'),
  col('kind', 'text'),
  col('text', 'text'),
  col('reply_by', 'timestamptz'),
  col('requested_at', 'timestamptz'),
  col('not_before', 'timestamptz'),
  col('about_person_id', 'text'),
  col('language', 'text'),
];
const SENT = [col('message_id', 'text'), col('sent_at', 'timestamptz'), col('gateway_ref', 'text')];
const FAILED = [
  col('message_id', 'text'),
  col('attempt', 'integer'),
  col('status', 'text'),
  col('reason', 'text'),
  col('failed_at', 'timestamptz'),
  col('retry_at', 'timestamptz'),
];

/** One round's statements (no message twice in a round, so their order does not matter). */
function roundSql(round: readonly Recorded[]): Sql[] {
  const requested = new Rows(REQUESTED);
  const sent = new Rows(SENT);
  const failed = new Rows(FAILED);
  for (const e of round) {
    switch (e.type) {
      case 'SmsRequested': {
        const d = e.data;
        requested.add([
          d.messageId,
          e.stream,
          d.caseId,
          d.recipientPersonId,
          d.role,
          d.kind,
          d.text,
          d.replyBy ?? null,
          e.metadata.recordedAt,
          d.notBefore ?? null,
          d.aboutPersonId ?? null,
          d.language ?? null,
        ]);
        break;
      }
      case 'SmsSent':
        sent.add([e.data.messageId, e.data.sentAt, e.data.gatewayRef ?? null]);
        break;
      case 'SmsFailed': {
        const d = e.data;
        failed.add([d.messageId, d.attempt, d.willRetry ? 'pending' : 'failed', d.reason, d.failedAt, d.retryAt ?? null]);
        break;
      }
      default:
        break;
    }
  }
  return [
    ...requested.toSql(
      (source) =>
        `insert into sms_outbox (message_id, case_stream, case_id, recipient_person_id, role, kind, text, status, reply_by, requested_at, next_attempt_at, about_person_id, language)
         select message_id, case_stream, case_id, recipient_person_id, role, kind, text, 'pending', reply_by, requested_at, coalesce(not_before, requested_at), about_person_id, language
         from ${source('r')} on conflict (message_id) do nothing`,
    ),
    ...sent.toSql(
      (source) =>
        `update sms_outbox o set status = 'sent', sent_at = u.sent_at, gateway_ref = u.gateway_ref from ${source('u')} where o.message_id = u.message_id`,
    ),
    ...failed.toSql(
      (source) =>
        `update sms_outbox o set attempts = u.attempt, status = u.status, last_error = u.reason,
           next_attempt_at = coalesce(u.retry_at, u.failed_at + make_interval(secs => ${SMS_RETRY_BACKOFF_SECONDS}::integer * u.attempt))
         from ${source('u')} where o.message_id = u.message_id`,
    ),
  ];
}

/** Every statement names one message's row: a batch is written in rounds (shared/rounds.ts). */
function apply(events: readonly Recorded[]): Sql[] {
  return roundsByKey(events, (e) => (e.data as { messageId: string }).messageId).flatMap(roundSql);
}

export const smsOutboxProjection: Projection = {
  name: 'sms_outbox',
  canHandle: ['SmsRequested', 'SmsSent', 'SmsFailed'],
  migrations: [
    { id: '0210_sms_outbox', sql: ddl },
    { id: '0601_sms_outbox_personalised', sql: personalisedDdl },
  ],
  tables: ['sms_outbox'],
  apply,
};

export interface PendingSms {
  readonly messageId: string;
  readonly caseStream: string;
  readonly recipientPersonId: string;
  readonly kind: string;
  /** The template: names are filled at pull time (domain/programs/sms.ts renderSms). */
  readonly text: string;
  readonly attempts: number;
  /** The pupil a meals SMS is about (whose name fills `{pupilName}`). */
  readonly aboutPersonId?: string;
  readonly language?: string;
}

/** Pending messages due for a (re)try at `now`, oldest first. */
export async function pendingSms(db: Queryable, now: string, limit: number): Promise<PendingSms[]> {
  const { rows } = await db.query<{
    message_id: string;
    case_stream: string;
    recipient_person_id: string;
    kind: string;
    text: string;
    attempts: number;
    about_person_id: string | null;
    language: string | null;
  }>(
    `select message_id, case_stream, recipient_person_id, kind, text, attempts, about_person_id, language from sms_outbox
     where status = 'pending' and next_attempt_at <= $1 order by next_attempt_at, message_id limit $2`,
    [now, limit],
  );
  return rows.map((r) => ({
    messageId: r.message_id,
    caseStream: r.case_stream,
    recipientPersonId: r.recipient_person_id,
    kind: r.kind,
    text: r.text,
    attempts: r.attempts,
    ...(r.about_person_id ? { aboutPersonId: r.about_person_id } : {}),
    ...(r.language ? { language: r.language } : {}),
  }));
}

/** A pending message as the gateway gets it: the phone and the names joined from the vault, the template filled. */
export interface OutboundMessage {
  readonly messageId: string;
  readonly caseId: string;
  readonly kind: string;
  readonly text: string;
  readonly phone: string;
  readonly language?: string;
}

/**
 * The pulled page, personalised: the recipient's and the pupil's full names fill the annex's
 * blanks (renderSms). A person without a phone in the vault (forgotten) is skipped; a missing name
 * leaves its blank out. Names and phones exist only in this answer, never in an event or a row.
 */
export function personalise(due: readonly PendingSms[], phones: ReadonlyMap<string, string>, names: ReadonlyMap<string, string>): OutboundMessage[] {
  const out: OutboundMessage[] = [];
  for (const m of due) {
    const phone = phones.get(m.recipientPersonId);
    if (!phone) continue;
    const recipientName = names.get(m.recipientPersonId);
    const pupilName = m.aboutPersonId ? names.get(m.aboutPersonId) : undefined;
    const text = renderSms(m.text, { ...(recipientName ? { recipientName } : {}), ...(pupilName ? { pupilName } : {}) });
    out.push({ messageId: m.messageId, caseId: m.caseStream, kind: m.kind, text, phone, ...(m.language ? { language: m.language } : {}) });
  }
  return out;
}

/** Whose names a page needs: every recipient and every pupil it is about. */
export const peopleOf = (due: readonly PendingSms[]): string[] => [
  ...new Set(due.flatMap((m) => (m.aboutPersonId ? [m.recipientPersonId, m.aboutPersonId] : [m.recipientPersonId]))),
];
