/**
 * The read boundary: a stored event enters the application (application/stream-states.ts) and the
 * read models (projections/runner) only through `parseRecorded`, which parses its data and
 * metadata against the catalogue's schemas (domain/event-schemas.ts) instead of casting them.
 *
 * An event that does not parse was written by a bug or corrupted at rest: events are immutable, so
 * retrying cannot help and guessing would spread the damage. It fails loudly, naming the event (id,
 * position, stream and version, type) and every zod path that failed. A read model halts on it
 * alone (projections/runner/halt.ts); a command on its stream fails and the stream stays as it is.
 */
import { z } from 'zod';
import type { LedgerEvent } from '../../domain/events';
import { EVENT_DATA_SCHEMAS, EVENT_METADATA_SCHEMA } from '../../domain/event-schemas';
import type { EventMetadata, RecordedEvent } from './port';

/** A recorded event as the catalogue's discriminated union: a `switch` on `type` narrows `data`. */
export type LedgerRecorded<E extends LedgerEvent = LedgerEvent> = E extends LedgerEvent ? RecordedEvent<E['type'], E['data']> : never;

/** Where a stored event failed its schema: `data.lines.0.lineTiyn: expected number…`. */
export interface EventIssue {
  readonly path: string;
  readonly message: string;
}

export class StoredEventInvalid extends Error {
  override readonly name = 'StoredEventInvalid';
  readonly code = 'stored_event_invalid';
  constructor(
    readonly event: Pick<RecordedEvent, 'id' | 'position' | 'stream' | 'streamVersion' | 'type'>,
    readonly issues: readonly EventIssue[],
  ) {
    super(
      `stored event ${event.id} (position ${event.position}, stream ${event.stream} version ${event.streamVersion}, type ${event.type}) ` +
        `does not parse: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`,
    );
  }
}

const schemaOf = (type: string): z.ZodType | undefined =>
  Object.hasOwn(EVENT_DATA_SCHEMAS, type) ? EVENT_DATA_SCHEMAS[type as keyof typeof EVENT_DATA_SCHEMAS] : undefined;

const issuesOf = (root: string, error: z.ZodError): EventIssue[] =>
  error.issues.map((issue) => ({ path: [root, ...issue.path.map(String)].join('.'), message: issue.message }));

/** The stored event as the catalogue types it, or StoredEventInvalid. The store's own fields (id, stream, positions) are the adapter's. */
export function parseRecorded(event: RecordedEvent): LedgerRecorded {
  const schema = schemaOf(event.type);
  if (schema === undefined) throw new StoredEventInvalid(event, [{ path: 'type', message: `not an event type of the catalogue (domain/events.ts)` }]);
  const data = schema.safeParse(event.data);
  const metadata = EVENT_METADATA_SCHEMA.safeParse(event.metadata);
  if (!data.success || !metadata.success) {
    throw new StoredEventInvalid(event, [
      ...(data.success ? [] : issuesOf('data', data.error)),
      ...(metadata.success ? [] : issuesOf('metadata', metadata.error)),
    ]);
  }
  return {
    id: event.id,
    type: event.type,
    data: data.data,
    metadata: metadata.data as EventMetadata,
    stream: event.stream,
    streamVersion: event.streamVersion,
    position: event.position,
  } as LedgerRecorded;
}
