/**
 * `deadlines`: every DeadlineScheduled of any stream (consent, meal vouchers, food wallets, holds)
 * until its DeadlineFired. The scheduler (app/scheduler.ts) reads the due ones in keyset pages.
 */
import type { Projection, Recorded, Sql } from '../projection';
import { sql } from '../projection';
import { col, InsertRows, Rows } from '../shared/batch-sql';
import { asLedger } from '../shared/events';
import type { DeadlineKind } from '../../domain/events';
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

function apply(event: Recorded): Sql[] {
  const e = asLedger(event);
  switch (e.type) {
    case 'DeadlineScheduled':
      return [
        sql(
          `insert into deadlines (stream, deadline_id, kind, due_at) values ($1, $2, $3, $4) on conflict (stream, deadline_id) do nothing`,
          e.data.stream, e.data.deadlineId, e.data.kind, e.data.dueAt,
        ),
      ];
    case 'DeadlineFired':
      return [sql(`update deadlines set fired = true, fired_at = $3 where stream = $1 and deadline_id = $2`, event.stream, e.data.deadlineId, e.data.firedAt)];
    default:
      return [];
  }
}

const SCHEDULED = [col('stream', 'text'), col('deadline_id', 'text'), col('kind', 'text'), col('due_at', 'timestamptz')];
const FIRED = [col('stream', 'text'), col('deadline_id', 'text'), col('fired_at', 'timestamptz')];

/**
 * A batch as two statements: every schedule (the first of a key wins, as `do nothing` does one by
 * one), then every firing (the last firing of a key sets fired_at, as one-by-one updates do). That
 * order equals the log's as long as no key is fired before it is scheduled within the batch;
 * a batch where that happens (the deciders never do it) is applied event by event.
 */
function build(events: readonly Recorded[]): Sql[] {
  const scheduled = new InsertRows('deadlines', SCHEDULED, 2);
  const fired = new Map<string, readonly unknown[]>();
  const firstScheduledAt = new Map<string, bigint>();
  for (const event of events) {
    const e = asLedger(event);
    if (e.type !== 'DeadlineScheduled') continue;
    const key = keyOf(e.data.stream, e.data.deadlineId);
    if (!firstScheduledAt.has(key)) firstScheduledAt.set(key, event.position);
    scheduled.add([e.data.stream, e.data.deadlineId, e.data.kind, e.data.dueAt]);
  }
  for (const event of events) {
    const e = asLedger(event);
    if (e.type !== 'DeadlineFired') continue;
    const key = keyOf(event.stream, e.data.deadlineId);
    if ((firstScheduledAt.get(key) ?? -1n) > event.position) return events.flatMap(apply);
    fired.delete(key);
    fired.set(key, [event.stream, e.data.deadlineId, e.data.firedAt]);
  }
  const firings = new Rows(FIRED);
  for (const row of fired.values()) firings.add(row);
  return [
    ...scheduled.toSql(),
    ...firings.toSql((source) => `update deadlines d set fired = true, fired_at = f.fired_at from ${source('f')} where d.stream = f.stream and d.deadline_id = f.deadline_id`),
  ];
}

const keyOf = (stream: string, deadlineId: string) => `${stream}\u0000${deadlineId}`;

export const deadlinesProjection: Projection = {
  name: 'deadlines',
  canHandle: ['DeadlineScheduled', 'DeadlineFired'],
  migrations: [{ id: '0212_deadlines', sql: ddl }],
  tables: ['deadlines'],
  apply,
  applyBatch: build,
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
      ? `select stream, deadline_id, kind, due_at from deadlines where not fired and due_at <= $1
           and (due_at, stream, deadline_id) > ($3::timestamptz, $4::text, $5::text)
         order by due_at, stream, deadline_id limit $2`
      : `select stream, deadline_id, kind, due_at from deadlines where not fired and due_at <= $1
         order by due_at, stream, deadline_id limit $2`,
    after ? [now, limit, after.dueAt, after.stream, after.deadlineId] : [now, limit],
  );
  return rows.map((r) => ({ stream: r.stream, deadlineId: r.deadline_id, kind: r.kind, dueAt: r.due_at.toISOString() }));
}
