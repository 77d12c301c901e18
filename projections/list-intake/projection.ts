/**
 * `list_intake`: every eligibility list the service took (SDU's food lists, NOBD's school lists),
 * with its rows accepted and rejected so far and whether it is processed — the operator's view of
 * list intake (GET /v1/ops/summary). No person is named: a list is its id, source, program, month
 * and school.
 */
import type { Projection, Recorded, Sql } from '../projection';
import { col, Rows } from '../shared/batch-sql';
import { parseStream } from '../../domain/streams';
import { invariant } from '../../domain/shared/decider';

const ddl = `
create table list_intake (
  source       text not null,
  list_id      text not null,
  program      text not null,
  month        text not null,
  school_id    text,
  row_count    integer not null,
  received_at  timestamptz not null,
  accepted     integer not null default 0,
  rejected     integer not null default 0,
  processed_at timestamptz,
  primary key (source, list_id)
);
create index list_intake_received on list_intake (received_at desc);
`;

/** The source of a row event's list, from its stream (`list-{source}-{listId}`). */
function sourceOf(event: Recorded): string {
  const name = parseStream(event.stream);
  invariant(name?.kind === 'list', `a list row event outside a list stream: ${event.stream}`);
  return name.source;
}

/** Counts and the last processed time a run of row events adds to a list's row. */
interface Delta {
  accepted: number;
  rejected: number;
  processedAt: string | null;
}

/** One list's events in a batch: what they add before its first Received, that insert, and what they add after. */
interface ListFold {
  readonly key: readonly [source: string, listId: string];
  readonly before: Delta;
  received?: readonly unknown[];
  readonly after: Delta;
}

const noDelta = (): Delta => ({ accepted: 0, rejected: 0, processedAt: null });
const moved = (d: Delta) => d.accepted !== 0 || d.rejected !== 0 || d.processedAt !== null;

/**
 * Folds a batch per list (pure). A row event before the list's Received in the batch adds to the
 * row already stored, if there is one (as the live update did, finding none otherwise); the insert
 * does nothing when the row was there; what comes after adds to whichever row stands.
 */
export function foldListIntake(events: readonly Recorded[]): ListFold[] {
  const lists = new Map<string, ListFold>();
  const listOf = (source: string, listId: string): ListFold => {
    const id = `${source}\u0000${listId}`;
    let fold = lists.get(id);
    if (!fold) lists.set(id, (fold = { key: [source, listId], before: noDelta(), after: noDelta() }));
    return fold;
  };
  for (const event of events) {
    const e = event;
    if (e.type === 'EligibilityListReceived') {
      const d = e.data;
      const fold = listOf(d.source, d.listId);
      fold.received ??= [d.program, d.month, d.schoolId ?? null, d.rowCount, d.receivedAt];
      continue;
    }
    if (e.type !== 'ListRowAccepted' && e.type !== 'ListRowRejected' && e.type !== 'EligibilityListProcessed') continue;
    const fold = listOf(sourceOf(event), e.data.listId);
    const delta = fold.received ? fold.after : fold.before;
    if (e.type === 'ListRowAccepted') delta.accepted++;
    else if (e.type === 'ListRowRejected') delta.rejected++;
    else delta.processedAt = event.metadata.recordedAt;
  }
  return [...lists.values()];
}

const DELTA = [col('source', 'text'), col('list_id', 'text'), col('accepted', 'integer'), col('rejected', 'integer'), col('processed_at', 'timestamptz')];

function deltaSql(rows: Rows): Sql[] {
  return rows.toSql(
    (source) =>
      `update list_intake l set accepted = l.accepted + d.accepted, rejected = l.rejected + d.rejected, processed_at = coalesce(d.processed_at, l.processed_at)
       from ${source('d')} where l.source = d.source and l.list_id = d.list_id`,
  );
}

/** Three statements a batch: the additions to stored rows, the new lists, the additions after them. */
function apply(events: readonly Recorded[]): Sql[] {
  const before = new Rows(DELTA);
  const received = new Rows([
    col('source', 'text'),
    col('list_id', 'text'),
    col('program', 'text'),
    col('month', 'text'),
    col('school_id', 'text'),
    col('row_count', 'integer'),
    col('received_at', 'timestamptz'),
  ]);
  const after = new Rows(DELTA);
  for (const fold of foldListIntake(events)) {
    if (moved(fold.before)) before.add([...fold.key, fold.before.accepted, fold.before.rejected, fold.before.processedAt]);
    if (fold.received) received.add([...fold.key, ...fold.received]);
    if (moved(fold.after)) after.add([...fold.key, fold.after.accepted, fold.after.rejected, fold.after.processedAt]);
  }
  return [
    ...deltaSql(before),
    ...received.toSql((source) => `insert into list_intake (${received.names}) select * from ${source('r')} on conflict (source, list_id) do nothing`),
    ...deltaSql(after),
  ];
}

export const listIntakeProjection: Projection = {
  name: 'list_intake',
  canHandle: ['EligibilityListReceived', 'ListRowAccepted', 'ListRowRejected', 'EligibilityListProcessed'],
  migrations: [{ id: '0701_list_intake', sql: ddl }],
  tables: ['list_intake'],
  apply,
};
