import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { item, projectFresh, readModelDatabase } from '../../test/projections/harness';
import type { HistoryItem } from '../../test/projections/history';
import { consentProjections } from './index';
import { deadlineOutlook, smsOutboxStats } from './operations';

const CASE = 'consent-food-vouchers-fam-1~2026-03';
const at = (day: string, time: string) => `2026-03-${day}T${time}:00.000Z`;
const requested = (messageId: string, when: string, notBefore?: string): HistoryItem =>
  item(
    CASE,
    {
      type: 'SmsRequested',
      data: { caseId: CASE, messageId, kind: 'consent_request', recipientPersonId: 'p-1', role: 'mother', text: '…', ...(notBefore ? { notBefore } : {}) },
    },
    when,
  );
const sent = (messageId: string, when: string): HistoryItem => item(CASE, { type: 'SmsSent', data: { caseId: CASE, messageId, sentAt: when } }, when);
const failed = (messageId: string, when: string, attempt: number, willRetry: boolean): HistoryItem =>
  item(CASE, { type: 'SmsFailed', data: { caseId: CASE, messageId, failedAt: when, reason: 'no network', attempt, willRetry } }, when);
const scheduled = (deadlineId: string, kind: 'consent_reminder' | 'consent_timeout', dueAt: string): HistoryItem =>
  item(CASE, { type: 'DeadlineScheduled', data: { deadlineId, kind, dueAt, stream: CASE } }, at('05', '04:00'));

describe('what the operator watches of SMS and deadlines', () => {
  let db: Awaited<ReturnType<typeof readModelDatabase>>;
  beforeAll(async () => {
    db = await readModelDatabase(consentProjections);
    await projectFresh(
      db.pool,
      [
        // Older than the window: sent.
        requested('m0', at('01', '05:00')),
        sent('m0', at('01', '05:01')),
        // In the window: one sent after a failed try, one failed for good after two, one due now, one waiting for 09:00.
        requested('m1', at('10', '05:00')),
        failed('m1', at('10', '05:01'), 1, true),
        sent('m1', at('10', '05:10')),
        requested('m2', at('10', '05:00')),
        failed('m2', at('10', '05:01'), 1, true),
        failed('m2', at('10', '05:20'), 2, false),
        requested('m3', at('10', '06:00')),
        requested('m4', at('10', '06:00'), at('11', '04:00')),
        scheduled('r-1', 'consent_reminder', at('10', '04:00')),
        scheduled('t-1', 'consent_timeout', at('10', '12:00')),
        scheduled('t-2', 'consent_timeout', at('12', '12:00')),
      ],
      consentProjections,
    );
  });
  afterAll(async () => db?.drop());

  it('counts the outbox: due now, waiting for its window, and the window’s delivery failure rate', async () => {
    const stats = await smsOutboxStats(db.pool, at('10', '07:00'), at('09', '07:00'));
    expect(stats).toEqual({
      dueNow: 1,
      waiting: 1,
      requested: 4,
      sent: 1,
      failedForGood: 1,
      failedAttempts: 3,
      failureRate: 3 / 4,
      oldestDueAt: at('10', '06:00'),
    });
  });

  it('has no failure rate when nothing was reported', async () => {
    expect((await smsOutboxStats(db.pool, at('10', '07:00'), at('11', '00:00'))).failureRate).toBeNull();
  });

  it('names overdue deadlines and the next ones by kind and time only', async () => {
    const outlook = await deadlineOutlook(db.pool, at('10', '07:00'), at('11', '07:00'), 10);
    expect(outlook).toEqual({
      overdue: 1,
      overdueSince: at('10', '04:00'),
      next: [
        { kind: 'consent_timeout', dueAt: at('10', '12:00'), count: 1 },
        { kind: 'consent_timeout', dueAt: at('12', '12:00'), count: 1 },
      ],
      comingByKind: { consent_timeout: 1 },
    });
  });
});
