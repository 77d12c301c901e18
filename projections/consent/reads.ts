/**
 * What the consent services, the scheduler and the SMS dispatcher read, behind one interface:
 * - Postgres: the read models of this folder (kept by the projection runner);
 * - memory: the same answers folded from the event store on demand (tests, the simulator's
 *   fastest mode), catching up from its last position at every call.
 */
import type { EventStore } from '../../adapters/eventstore/port';
import { parseRecorded } from '../../adapters/eventstore/ledger-events';
import type { Pool } from '../../adapters/postgres/pool';
import type { DeadlineKind, LedgerEventType } from '../../domain/events';
import { addSeconds } from '../../domain/shared/calendar';
import type { Recorded } from '../projection';
import { holdDeadlineId } from '../../domain/vouchers/food-wallet';
import { casesOfRecipients, type CaseRoute } from './consent-cases';
import { CASE_ENDINGS, dueDeadlines, type DeadlineCursor, type DueDeadline } from './deadlines';
import { pendingSms, SMS_RETRY_BACKOFF_SECONDS, type PendingSms } from './sms-outbox';

export interface ConsentReads {
  casesOfRecipients(personIds: readonly string[]): Promise<CaseRoute[]>;
  dueDeadlines(now: string, limit: number, after?: DeadlineCursor): Promise<DueDeadline[]>;
  pendingSms(now: string, limit: number): Promise<PendingSms[]>;
}

export function createPostgresConsentReads(pool: Pool): ConsentReads {
  return {
    casesOfRecipients: (personIds) => casesOfRecipients(pool, personIds),
    dueDeadlines: (now, limit, after) => dueDeadlines(pool, now, limit, after),
    pendingSms: (now, limit) => pendingSms(pool, now, limit),
  };
}

interface MemCase extends CaseRoute {
  readonly recipientPersonId: string;
}
interface MemSms extends PendingSms {
  status: 'pending' | 'sent' | 'failed';
  nextAttemptAt: string;
}

/** The events the memory reads fold (the others are not parsed). */
const FOLDED: ReadonlySet<string> = new Set<LedgerEventType>([
  'ConsentCaseOpened',
  'ConsentCaseReopened',
  'SmsRequested',
  'SmsSent',
  'SmsFailed',
  ...CASE_ENDINGS,
  'DeadlineScheduled',
  'DeadlineFired',
  'FoodPurchaseCaptured',
  'FoodPurchaseVoided',
]);

/** Same semantics as the Postgres read models, folded in memory. Ms-precision ISO strings compare as instants. */
export function createMemoryConsentReads(store: EventStore): ConsentReads {
  let position = 0n;
  const cases = new Map<string, MemCase>();
  const deadlines = new Map<string, DueDeadline & { fired: boolean }>();
  /** Deadline keys per stream, so an ended case finds its own without a scan. */
  const keysOfStream = new Map<string, string[]>();
  const deadlinesOf = (stream: string) => (keysOfStream.get(stream) ?? []).map((key) => deadlines.get(key)!);
  const sms = new Map<string, MemSms>();

  function apply(e: Recorded): void {
    switch (e.type) {
      case 'ConsentCaseOpened':
        if (!cases.has(e.stream))
          cases.set(e.stream, { caseStream: e.stream, program: e.data.program, recipientPersonId: '', open: true, openedAt: e.data.openedAt });
        return;
      case 'ConsentCaseReopened': {
        const c = cases.get(e.stream);
        if (c) cases.set(e.stream, { ...c, open: true, recipientPersonId: '' });
        return;
      }
      case 'SmsRequested': {
        const c = cases.get(e.stream);
        if (c && e.data.kind === 'consent_request') cases.set(e.stream, { ...c, recipientPersonId: e.data.recipientPersonId });
        const d = e.data;
        if (!sms.has(d.messageId))
          sms.set(d.messageId, {
            messageId: d.messageId,
            caseStream: e.stream,
            recipientPersonId: d.recipientPersonId,
            kind: d.kind,
            text: d.text,
            attempts: 0,
            ...(d.aboutPersonId ? { aboutPersonId: d.aboutPersonId } : {}),
            ...(d.language ? { language: d.language } : {}),
            status: 'pending',
            nextAttemptAt: d.notBefore ?? e.metadata.recordedAt,
          });
        return;
      }
      case 'SmsSent': {
        const m = sms.get(e.data.messageId);
        if (m) m.status = 'sent';
        return;
      }
      case 'SmsFailed': {
        const m = sms.get(e.data.messageId);
        if (m) {
          const nextAttemptAt = e.data.retryAt ?? addSeconds(e.data.failedAt, SMS_RETRY_BACKOFF_SECONDS * e.data.attempt);
          sms.set(m.messageId, { ...m, attempts: e.data.attempt, status: e.data.willRetry ? 'pending' : 'failed', nextAttemptAt });
        }
        return;
      }
      case 'ConsentGiven':
      case 'ConsentRefused':
      case 'ConsentTimedOut':
      case 'ConsentUndeliverable':
      case 'ConsentPhoneNotFound':
      case 'ConsentNotRequired': {
        const c = cases.get(e.stream);
        if (c) cases.set(e.stream, { ...c, open: false });
        // The ended case's deadlines are moot: no longer offered (as in the Postgres model).
        for (const d of deadlinesOf(e.stream)) d.fired = true;
        return;
      }
      case 'DeadlineScheduled': {
        const key = `${e.data.stream}\u0000${e.data.deadlineId}`;
        if (!deadlines.has(key)) {
          deadlines.set(key, { stream: e.data.stream, deadlineId: e.data.deadlineId, kind: e.data.kind as DeadlineKind, dueAt: e.data.dueAt, fired: false });
          keysOfStream.set(e.data.stream, [...(keysOfStream.get(e.data.stream) ?? []), key]);
        }
        return;
      }
      case 'DeadlineFired': {
        const d = deadlines.get(`${e.stream}\u0000${e.data.deadlineId}`);
        if (d) d.fired = true;
        return;
      }
      case 'FoodPurchaseCaptured':
      case 'FoodPurchaseVoided': {
        // A settled hold's expiry is moot: it is no longer offered (as in the Postgres model).
        const d = deadlines.get(`${e.stream}\u0000${holdDeadlineId(e.data.holdId)}`);
        if (d) d.fired = true;
        return;
      }
      default:
        return;
    }
  }

  async function catchUp(): Promise<void> {
    for (;;) {
      const batch = await store.readAll({ after: position, maxCount: 1000 });
      if (batch.length === 0) return;
      for (const event of batch) if (FOLDED.has(event.type)) apply(parseRecorded(event));
      position = batch.at(-1)!.position;
    }
  }
  const iso = (s: string) => new Date(s).toISOString();

  return {
    async casesOfRecipients(personIds) {
      await catchUp();
      const wanted = new Set(personIds);
      return [...cases.values()]
        .filter((c) => c.recipientPersonId && wanted.has(c.recipientPersonId))
        .sort(
          (a, b) =>
            Number(b.open) - Number(a.open) || (a.openedAt < b.openedAt ? 1 : a.openedAt > b.openedAt ? -1 : 0) || a.caseStream.localeCompare(b.caseStream),
        );
    },
    async dueDeadlines(now, limit, after) {
      await catchUp();
      const key = (d: DeadlineCursor) => [iso(d.dueAt), d.stream, d.deadlineId] as const;
      const cmp = (a: readonly string[], b: readonly string[]) => {
        for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
        return 0;
      };
      return [...deadlines.values()]
        .filter((d) => !d.fired && iso(d.dueAt) <= iso(now) && (!after || cmp(key(d), key(after)) > 0))
        .sort((a, b) => cmp(key(a), key(b)))
        .slice(0, limit)
        .map(({ fired: _fired, ...d }) => ({ ...d, dueAt: iso(d.dueAt) }));
    },
    async pendingSms(now, limit) {
      await catchUp();
      return [...sms.values()]
        .filter((m) => m.status === 'pending' && iso(m.nextAttemptAt) <= iso(now))
        .sort((a, b) =>
          iso(a.nextAttemptAt) < iso(b.nextAttemptAt) ? -1 : iso(a.nextAttemptAt) > iso(b.nextAttemptAt) ? 1 : a.messageId.localeCompare(b.messageId),
        )
        .slice(0, limit)
        .map(({ status: _s, nextAttemptAt: _n, ...m }) => m);
    },
  };
}
