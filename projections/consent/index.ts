/** The consent read models: the SMS outbox, case routing, and the deadline queue. */
import type { Migration } from '../../adapters/postgres/migrate';
import type { Projection } from '../projection';
import { consentCasesProjection } from './consent-cases';
import { deadlinesProjection } from './deadlines';
import { smsOutboxProjection } from './sms-outbox';

export const consentProjections: readonly Projection[] = [smsOutboxProjection, consentCasesProjection, deadlinesProjection];
export const migrations: readonly Migration[] = consentProjections.flatMap((p) => p.migrations);

export { consentCasesProjection, casesOfRecipients, type CaseRoute } from './consent-cases';
export { deadlinesProjection, dueDeadlines, type DueDeadline, type DeadlineCursor } from './deadlines';
export { smsOutboxProjection, pendingSms, peopleOf, personalise, SMS_RETRY_BACKOFF_SECONDS, type OutboundMessage, type PendingSms } from './sms-outbox';
export type { Queryable } from './queries';
export { createMemoryConsentReads, createPostgresConsentReads, type ConsentReads } from './reads';
