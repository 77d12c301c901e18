/** Events by their log positions (a traced figure's, a bundle's), parsed as the store reads them, with the text the chain hashed. */
import type { PoolClient } from '../postgres/pool';
import type { RecordedEvent } from '../eventstore/port';
import type { StoredEventText } from './chain-definition';

type Queryable = Pick<PoolClient, 'query'>;

/** Positions per statement: bounds one statement's parameter and result. */
const POSITIONS_PER_READ = 10_000;

export interface EventWithText {
  readonly event: RecordedEvent;
  /** What the chain's leaf is computed from. */
  readonly text: StoredEventText;
}

/** The events at these positions, in position order (absent positions are skipped). */
export async function eventsAt(db: Queryable, positions: readonly bigint[]): Promise<EventWithText[]> {
  const out: EventWithText[] = [];
  const sorted = [...new Set(positions)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (let i = 0; i < sorted.length; i += POSITIONS_PER_READ) {
    const { rows } = await db.query<[bigint, string, bigint, string, string, string, string]>({
      text: 'select position, stream, stream_version, id::text, type, data::text, metadata::text from events where position = any($1::bigint[]) order by position',
      values: [sorted.slice(i, i + POSITIONS_PER_READ)],
      rowMode: 'array',
    });
    for (const [position, stream, streamVersion, id, type, data, metadata] of rows) {
      const text = { position: BigInt(position), stream, streamVersion: BigInt(streamVersion), id, type, data, metadata };
      out.push({
        text,
        event: {
          position: text.position,
          stream,
          streamVersion: text.streamVersion,
          id,
          type,
          data: JSON.parse(data) as unknown,
          metadata: JSON.parse(metadata) as RecordedEvent['metadata'],
        },
      });
    }
  }
  return out;
}
