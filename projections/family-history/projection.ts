/**
 * Family history: an index of every event touching a family, in log order (position, type,
 * stream, recordedAt), for the auditor's replay. An event names its family in metadata.familyId
 * or data.familyId; one that names none (a device's meal record, a deadline firing) is indexed
 * under the family that owns its stream, learnt from the stream's earlier events. The index holds
 * no event data: the replay and the "as of" answer read the events themselves (as-of.ts).
 */
import { kindOf } from '../../domain/streams';
import type { LedgerEventType } from '../../domain/events';
import type { RegistryEvent } from '../../domain/registry/events';
import type { ProductCatalogueEvent } from '../../domain/catalogue/events';
import type { Projection, Recorded, Sql } from '../projection';
import { InsertRows, Rows, col } from '../shared/batch-sql';
import { familyOf } from '../shared/events';

export const FAMILY_HISTORY = 'family_history';

const ddl = `
create table family_streams (
  stream    text primary key,
  family_id text not null
);
create index family_streams_family on family_streams (family_id);
create table family_events (
  family_id   text not null,
  position    bigint not null,
  type        text not null,
  stream      text not null,
  recorded_at timestamptz not null,
  primary key (family_id, position)
);
`;

/**
 * Every catalogue type about families (a Record, so a new event type does not compile until it is
 * listed); registry events are about shops, schools and devices, the product catalogue about
 * products: never a family.
 */
const EVERY_TYPE: Record<Exclude<LedgerEventType, RegistryEvent['type'] | ProductCatalogueEvent['type']>, true> = {
  DeadlineScheduled: true,
  DeadlineFired: true,
  EligibilityListReceived: true,
  ListRowAccepted: true,
  ListRowContinued: true,
  ListRowRejected: true,
  EligibilityListProcessed: true,
  SchoolListRecorded: true,
  PersonMonthClaimed: true,
  StandingConsentRecorded: true,
  ConsentCaseOpened: true,
  ConsentCaseReopened: true,
  ConsentUndeliverable: true,
  ConsentNotRequired: true,
  ConsentPhoneNotFound: true,
  SmsRequested: true,
  SmsSent: true,
  SmsFailed: true,
  SmsReplyReceived: true,
  ConsentGiven: true,
  ConsentRefused: true,
  ConsentTimedOut: true,
  MealVoucherIssued: true,
  MealVoucherActivated: true,
  MealServed: true,
  MealRefused: true,
  MealVoucherExpired: true,
  MealVoucherListed: true,
  MealVoucherTransferred: true,
  MealVoucherSuspended: true,
  CanteenBatchReceived: true,
  FoodVouchersIssued: true,
  FoodVoucherActivated: true,
  FoodPurchaseAuthorized: true,
  FoodPurchaseCaptured: true,
  FoodPurchaseVoided: true,
  FoodHoldExpired: true,
  // Money out names shops and schools, not families: indexed only if a family owned the stream (never).
  SettlementWindowClosed: true,
  ShopStatementIssued: true,
  CanteenPaymentOrderIssued: true,
  PayoutIssued: true,
  PayoutConfirmed: true,
  PayoutFailed: true,
  PayoutBatchCreated: true,
  FoodHoldRegistered: true,
  FoodVouchersLapsed: true,
  FeedbackSubmitted: true,
  FeedbackForwardFailed: true,
  FeedbackForwarded: true,
  PersonForgotten: true,
};

/** List streams hold rows of many families: an accepted row is indexed, the stream is not owned. */
const sharedStream = (stream: string) => {
  const kind = kindOf(stream);
  return kind === 'list' || kind === 'canteen';
};

function build(events: readonly Recorded[]): Sql[] {
  const owners = new InsertRows('family_streams', [col('stream', 'text'), col('family_id', 'text')], 1);
  // One row per event: its position makes the key unique within a batch, so no key set is kept.
  const named = new Rows([col('family_id', 'text'), col('position', 'bigint'), col('type', 'text'), col('stream', 'text'), col('recorded_at', 'timestamptz')]);
  const orphans = new Rows([col('position', 'bigint'), col('type', 'text'), col('stream', 'text'), col('recorded_at', 'timestamptz')]);
  for (const e of events) {
    const family = familyOf(e);
    if (family) {
      if (!sharedStream(e.stream)) owners.add([e.stream, family]);
      named.add([family, e.position, e.type, e.stream, e.metadata.recordedAt]);
    } else if (!sharedStream(e.stream)) {
      orphans.add([e.position, e.type, e.stream, e.metadata.recordedAt]);
    }
  }
  return [
    ...owners.toSql(),
    ...named.toSql((src) => `insert into family_events (family_id, position, type, stream, recorded_at) select * from ${src('n')} on conflict do nothing`),
    ...orphans.toSql(
      (src) =>
        `insert into family_events (family_id, position, type, stream, recorded_at) select s.family_id, o.position, o.type, o.stream, o.recorded_at ` +
        `from ${src('o')} join family_streams s on s.stream = o.stream on conflict do nothing`,
    ),
  ];
}

export const familyHistoryProjection: Projection = {
  name: FAMILY_HISTORY,
  canHandle: Object.keys(EVERY_TYPE) as LedgerEventType[],
  migrations: [{ id: '0205_family_history', sql: ddl }],
  tables: ['family_streams', 'family_events'],
  // One row per event (keyed by its position), never read back here: a rebuild indexes it after the load.
  appendOnlyTables: ['family_events'],
  apply: build,
};
