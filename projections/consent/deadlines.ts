/**
 * `deadlines`: every DeadlineScheduled of any stream (consent, meal vouchers, food wallets, holds)
 * until its DeadlineFired. The scheduler (application/scheduler.ts) reads the due ones in keyset pages.
 * A deadline that became moot before it fell due is left out (`settled_at`): a hold's expiry once
 * the shop captured or voided the hold, and every deadline of a consent case once the case ended
 * (consent given or refused, no phone, not required, timed out). Firing them would change nothing —
 * the decider would record only the firing — and there are many: every purchase schedules an
 * expiry, every case a reminder, though most families answer before it.
 */
import type { Projection, Recorded, Sql } from '../projection';
import { sql } from '../projection';
import { col, InsertRows, Rows } from '../shared/batch-sql';
import type { DeadlineKind, FoodPurchaseCaptured, FoodPurchaseVoided, LedgerEvent } from '../../domain/events';
import { holdDeadlineId } from '../../domain/vouchers/food-wallet';
import type { Queryable } from './queries';

const ddl = `
create table deadlines (
  stream      text not null,
  deadline_id text not null,
  kind        text not null,
  due_at      timestamptz not null,
  fired       boolean not null default false,
  fired_at    timestamptz,
  primary key (stream, deadline_id)
);
create index deadlines_due on deadlines (due_at, stream, deadline_id) where not fired;
`;
/** When the deadline became moot before it fell due (a hold settled before its expiry). */
const settledDdl = `
alter table deadlines add column settled_at timestamptz;
drop index deadlines_due;
create index deadlines_due on deadlines (due_at, stream, deadline_id) where not fired and settled_at is null;
`;

function apply(e: Recorded): Sql[] {
  switch (e.type) {
    case 'DeadlineScheduled':
      return [
        sql(
          `insert into deadlines (stream, deadline_id, kind, due_at) values ($1, $2, $3, $4) on conflict (stream, deadline_id) do nothing`,
          e.data.stream,
          e.data.deadlineId,
          e.data.kind,
          e.data.dueAt,
        ),
      ];
    case 'DeadlineFired':
      return [sql(`update deadlines set fired = true, fired_at = $3 where stream = $1 and deadline_id = $2`, e.stream, e.data.deadlineId, e.data.firedAt)];
    case 'FoodPurchaseCaptured':
    case 'FoodPurchaseVoided':
      return [sql(`update deadlines set settled_at = $3 where stream = $1 and deadline_id = $2`, e.stream, holdDeadlineId(e.data.holdId), settledAt(e))];
    default:
      return isCaseEnd(e)
        ? [sql(`update deadlines set settled_at = $2 where stream = $1 and not fired and settled_at is null`, e.stream, e.metadata.recordedAt)]
        : [];
  }
}

/** The events that end a consent case: after one, none of the case's deadlines can change anything. */
export const CASE_ENDINGS = [
  'ConsentGiven',
  'ConsentRefused',
  'ConsentTimedOut',
  'ConsentUndeliverable',
  'ConsentPhoneNotFound',
  'ConsentNotRequired',
] as const;
const caseEndings: ReadonlySet<string> = new Set(CASE_ENDINGS);
const isCaseEnd = (e: LedgerEvent): boolean => caseEndings.has(e.type);

const SCHEDULED = [col('stream', 'text'), col('deadline_id', 'text'), col('kind', 'text'), col('due_at', 'timestamptz')];
const FIRED = [col('stream', 'text'), col('deadline_id', 'text'), col('fired_at', 'timestamptz')];
const SETTLED = [col('stream', 'text'), col('deadline_id', 'text'), col('settled_at', 'timestamptz')];
const ENDED = [col('stream', 'text'), col('settled_at', 'timestamptz')];

/**
 * A batch as three statements: every schedule (the first of a key wins, as `do nothing` does one by
 * one), then every firing and every settled hold (the last of a key sets its time, as one-by-one
 * updates do). That order equals the log's as long as no key is fired or settled before it is
 * scheduled within the batch; a batch where that happens (the deciders never do it) is applied
 * event by event.
 */
function build(events: readonly Recorded[]): Sql[] {
  const scheduled = new InsertRows('deadlines', SCHEDULED, 2);
  const fired = new Map<string, readonly unknown[]>();
  const firstScheduledAt = new Map<string, bigint>();
  const lastScheduledInStream = new Map<string, bigint>();
  for (const e of events) {
    if (e.type !== 'DeadlineScheduled') continue;
    const key = keyOf(e.data.stream, e.data.deadlineId);
    if (!firstScheduledAt.has(key)) firstScheduledAt.set(key, e.position);
    lastScheduledInStream.set(e.data.stream, e.position);
    scheduled.add([e.data.stream, e.data.deadlineId, e.data.kind, e.data.dueAt]);
  }
  const settled = new Map<string, readonly unknown[]>();
  const ended = new Map<string, readonly unknown[]>();
  for (const e of events) {
    if (isCaseEnd(e)) {
      // A deadline scheduled after its case ended, in the same batch, must stay: one by one then.
      if ((lastScheduledInStream.get(e.stream) ?? -1n) > e.position) return events.flatMap(apply);
      if (!ended.has(e.stream)) ended.set(e.stream, [e.stream, e.metadata.recordedAt]);
      continue;
    }
    let into: Map<string, readonly unknown[]>;
    let row: readonly unknown[];
    // A firing after its case ended (the scheduler read the model before the ending reached it):
    // one by one, the ending settles the deadline first; the batch would fire it first.
    if (e.type === 'DeadlineFired' && ended.has(e.stream)) return events.flatMap(apply);
    if (e.type === 'DeadlineFired') [into, row] = [fired, [e.stream, e.data.deadlineId, e.data.firedAt]];
    else if (e.type === 'FoodPurchaseCaptured' || e.type === 'FoodPurchaseVoided')
      [into, row] = [settled, [e.stream, holdDeadlineId(e.data.holdId), settledAt(e)]];
    else continue;
    const key = keyOf(e.stream, row[1] as string);
    if ((firstScheduledAt.get(key) ?? -1n) > e.position) return events.flatMap(apply);
    into.delete(key);
    into.set(key, row);
  }
  const firings = new Rows(FIRED);
  for (const row of fired.values()) firings.add(row);
  const settlements = new Rows(SETTLED);
  for (const row of settled.values()) settlements.add(row);
  const endings = new Rows(ENDED);
  for (const row of ended.values()) endings.add(row);
  return [
    ...scheduled.toSql(),
    ...firings.toSql(
      (source) => `update deadlines d set fired = true, fired_at = f.fired_at from ${source('f')} where d.stream = f.stream and d.deadline_id = f.deadline_id`,
    ),
    ...settlements.toSql(
      (source) => `update deadlines d set settled_at = s.settled_at from ${source('s')} where d.stream = s.stream and d.deadline_id = s.deadline_id`,
    ),
    ...endings.toSql(
      (source) => `update deadlines d set settled_at = c.settled_at from ${source('c')} where d.stream = c.stream and not d.fired and d.settled_at is null`,
    ),
  ];
}

const settledAt = (e: FoodPurchaseCaptured | FoodPurchaseVoided) => (e.type === 'FoodPurchaseCaptured' ? e.data.capturedAt : e.data.at);

const keyOf = (stream: string, deadlineId: string) => `${stream}\u0000${deadlineId}`;

export const deadlinesProjection: Projection = {
  name: 'deadlines',
  canHandle: ['DeadlineScheduled', 'DeadlineFired', 'FoodPurchaseCaptured', 'FoodPurchaseVoided', ...CASE_ENDINGS],
  migrations: [
    { id: '0212_deadlines', sql: ddl },
    { id: '0213_deadlines_settled', sql: settledDdl },
  ],
  tables: ['deadlines'],
  apply: build,
};

export interface DueDeadline {
  readonly stream: string;
  readonly deadlineId: string;
  readonly kind: DeadlineKind;
  readonly dueAt: string;
}
/** Keyset position of a page: the last deadline returned. */
export type DeadlineCursor = Pick<DueDeadline, 'dueAt' | 'stream' | 'deadlineId'>;

/** Not-yet-fired deadlines due at or before `now`, in (due_at, stream, id) order after `after`. */
export async function dueDeadlines(db: Queryable, now: string, limit: number, after?: DeadlineCursor): Promise<DueDeadline[]> {
  const { rows } = await db.query<{ stream: string; deadline_id: string; kind: DeadlineKind; due_at: Date }>(
    after
      ? `select stream, deadline_id, kind, due_at from deadlines where not fired and settled_at is null and due_at <= $1
           and (due_at, stream, deadline_id) > ($3::timestamptz, $4::text, $5::text)
         order by due_at, stream, deadline_id limit $2`
      : `select stream, deadline_id, kind, due_at from deadlines where not fired and settled_at is null and due_at <= $1
         order by due_at, stream, deadline_id limit $2`,
    after ? [now, limit, after.dueAt, after.stream, after.deadlineId] : [now, limit],
  );
  return rows.map((r) => ({ stream: r.stream, deadlineId: r.deadline_id, kind: r.kind, dueAt: r.due_at.toISOString() }));
}
