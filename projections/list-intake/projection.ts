/**
 * `list_intake`: every eligibility list the service took (SDU's food lists, NOBD's school lists),
 * with its rows accepted and rejected so far and whether it is processed — the operator's view of
 * list intake (GET /v1/ops/summary). No person is named: a list is its id, source, program, month
 * and school.
 */
import type { Projection, Recorded, Sql } from '../projection';
import { eachEvent, sql } from '../projection';
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

function apply(event: Recorded): Sql[] {
  const e = event;
  switch (e.type) {
    case 'EligibilityListReceived': {
      const d = e.data;
      return [
        sql(
          `insert into list_intake (source, list_id, program, month, school_id, row_count, received_at) values ($1, $2, $3, $4, $5, $6, $7)
           on conflict (source, list_id) do nothing`,
          d.source,
          d.listId,
          d.program,
          d.month,
          d.schoolId ?? null,
          d.rowCount,
          d.receivedAt,
        ),
      ];
    }
    case 'ListRowAccepted':
      return [sql('update list_intake set accepted = accepted + 1 where source = $1 and list_id = $2', sourceOf(event), e.data.listId)];
    case 'ListRowRejected':
      return [sql('update list_intake set rejected = rejected + 1 where source = $1 and list_id = $2', sourceOf(event), e.data.listId)];
    case 'EligibilityListProcessed':
      return [sql('update list_intake set processed_at = $3 where source = $1 and list_id = $2', sourceOf(event), e.data.listId, event.metadata.recordedAt)];
    default:
      return [];
  }
}

export const listIntakeProjection: Projection = {
  name: 'list_intake',
  canHandle: ['EligibilityListReceived', 'ListRowAccepted', 'ListRowRejected', 'EligibilityListProcessed'],
  migrations: [{ id: '0701_list_intake', sql: ddl }],
  tables: ['list_intake'],
  apply: eachEvent(apply),
};
