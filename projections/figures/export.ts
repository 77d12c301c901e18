/** A traced figure as a CSV a person can open: one line per event it counts. */
import { writeCsv } from '../../adapters/csv/write';
import type { FigureTrace } from './queries';

export const TRACE_COLUMNS = ['position', 'recorded_at', 'stream', 'stream_version', 'type', 'event_id', 'actor_role', 'actor_id'] as const;

export function traceCsv(trace: FigureTrace): string {
  return writeCsv(
    TRACE_COLUMNS,
    trace.events.map((e) => [
      e.position.toString(),
      e.metadata.recordedAt,
      e.stream,
      e.streamVersion.toString(),
      e.type,
      e.id,
      e.metadata.actor.role,
      e.metadata.actor.id,
    ]),
  );
}
