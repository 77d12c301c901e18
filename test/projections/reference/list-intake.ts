/**
 * The event-by-event SQL list intake had before it was written a batch at a time
 * (projections/list-intake/projection.ts), kept as the reference its equivalence test compares against.
 */
import type { Recorded, Sql } from '../../../projections/projection';
import { sql } from '../../../projections/projection';
import { parseStream } from '../../../domain/streams';
import { invariant } from '../../../domain/shared/decider';

/** The source of a row event's list, from its stream (`list-{source}-{listId}`). */
function sourceOf(event: Recorded): string {
  const name = parseStream(event.stream);
  invariant(name?.kind === 'list', `a list row event outside a list stream: ${event.stream}`);
  return name.source;
}

export function applyOne(event: Recorded): Sql[] {
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
