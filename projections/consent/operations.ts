/**
 * What an operator watches of the consent read models: the SMS outbox (what the gateway may take
 * now, what waits for the sending window or a retry, how deliveries went) and the deadline queue
 * (what is overdue, what comes next). Counts and kinds only: no phone, person or stream is named.
 */
import type { DeadlineKind } from '../../domain/events';
import type { Queryable } from './queries';

export interface SmsOutboxStats {
  /** Pending and due: the gateway may pull them now. */
  readonly dueNow: number;
  /** Pending, waiting for the sending window (quiet hours) or a retry's backoff. */
  readonly waiting: number;
  /** Of the messages requested since `since`: sent, failed for good, and delivery attempts that failed. */
  readonly requested: number;
  readonly sent: number;
  readonly failedForGood: number;
  readonly failedAttempts: number;
  /** failedAttempts / (failedAttempts + sent); null when nothing was reported. */
  readonly failureRate: number | null;
  /** The oldest message the gateway may pull now has waited since then. */
  readonly oldestDueAt?: string;
}

export async function smsOutboxStats(db: Queryable, now: string, since: string): Promise<SmsOutboxStats> {
  const { rows } = await db.query<{
    due: string;
    waiting: string;
    oldest: Date | null;
    requested: string;
    sent: string;
    failed: string;
    attempts: string | null;
  }>(
    `select
       count(*) filter (where status = 'pending' and next_attempt_at <= $1) as due,
       count(*) filter (where status = 'pending' and next_attempt_at > $1) as waiting,
       min(next_attempt_at) filter (where status = 'pending' and next_attempt_at <= $1) as oldest,
       count(*) filter (where requested_at >= $2) as requested,
       count(*) filter (where requested_at >= $2 and status = 'sent') as sent,
       count(*) filter (where requested_at >= $2 and status = 'failed') as failed,
       sum(attempts) filter (where requested_at >= $2) as attempts
     from sms_outbox`,
    [now, since],
  );
  const r = rows[0]!;
  const sent = Number(r.sent);
  const failedAttempts = Number(r.attempts ?? 0);
  return {
    dueNow: Number(r.due),
    waiting: Number(r.waiting),
    requested: Number(r.requested),
    sent,
    failedForGood: Number(r.failed),
    failedAttempts,
    failureRate: failedAttempts + sent > 0 ? failedAttempts / (failedAttempts + sent) : null,
    ...(r.oldest ? { oldestDueAt: r.oldest.toISOString() } : {}),
  };
}

export interface DeadlineOutlook {
  /** Due at or before now, neither fired nor moot: the scheduler is behind on these. */
  readonly overdue: number;
  readonly overdueSince?: string;
  /** The next instants deadlines fall due, soonest first: kind, instant and how many (no stream named). */
  readonly next: readonly { readonly kind: DeadlineKind; readonly dueAt: string; readonly count: number }[];
  /** Deadlines due within the coming `horizonHours`, by kind. */
  readonly comingByKind: Readonly<Record<string, number>>;
}

export async function deadlineOutlook(db: Queryable, now: string, until: string, limit: number): Promise<DeadlineOutlook> {
  const open = 'not fired and settled_at is null';
  const [overdue, next, coming] = await Promise.all([
    db.query<{ n: string; since: Date | null }>(`select count(*) as n, min(due_at) as since from deadlines where ${open} and due_at <= $1`, [now]),
    db.query<{ kind: DeadlineKind; due_at: Date; n: string }>(
      `select kind, due_at, count(*) as n from deadlines where ${open} and due_at > $1 group by kind, due_at order by due_at, kind limit $2`,
      [now, limit],
    ),
    db.query<{ kind: string; n: string }>(
      `select kind, count(*) as n from deadlines where ${open} and due_at > $1 and due_at <= $2 group by kind order by kind`,
      [now, until],
    ),
  ]);
  const o = overdue.rows[0]!;
  return {
    overdue: Number(o.n),
    ...(o.since ? { overdueSince: o.since.toISOString() } : {}),
    next: next.rows.map((r) => ({ kind: r.kind, dueAt: r.due_at.toISOString(), count: Number(r.n) })),
    comingByKind: Object.fromEntries(coming.rows.map((r) => [r.kind, Number(r.n)])),
  };
}
