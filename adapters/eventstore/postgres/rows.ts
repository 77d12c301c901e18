/**
 * What every part of the Postgres event store shares: the events table's columns, how a position
 * is made, and how a row becomes a RecordedEvent.
 *
 * Global order. An event's position is (writing transaction's xid8 << 16) + its index in that
 * transaction, computed inside the INSERT. Readers of `$all` return only events of transactions
 * older than the oldest transaction still running (`pg_snapshot_xmin(pg_current_snapshot())`),
 * so what they see is a prefix of the log that later commits can never extend in the middle:
 * no event is skipped, and positions are strictly increasing in read order (Emmett orders by
 * (transaction_id, global_position) for the same reason; here the pair is one number).
 */
import type { Pool, PoolClient } from '../../postgres/pool';
import type { RecordedEvent } from '../port';

/** Bits of a position taken by the event's index inside its transaction (see MAX_EVENTS_PER_APPEND). */
export const POSITION_INDEX_BITS = 16;

/** Positions below this belong to transactions that finished before every running one began writing. */
export const VISIBLE_BELOW = `(pg_snapshot_xmin(pg_current_snapshot())::text::bigint << ${POSITION_INDEX_BITS})`;
export const TRANSACTION_BASE = `(pg_current_xact_id()::text::bigint << ${POSITION_INDEX_BITS})`;
export const COLUMNS = 'position, stream, stream_version, id, type, data, metadata';

export type Queryable = Pick<Pool | PoolClient, 'query'>;

/** A row of COLUMNS, read with rowMode 'array' (no per-row object keyed by column name to build and drop). */
export type EventRow = [position: bigint, stream: string, streamVersion: bigint, id: string, type: string, data: unknown, metadata: RecordedEvent['metadata']];

export function toRecorded(row: EventRow): RecordedEvent {
  // int8 arrives as bigint where the pool's parser is installed (adapters/postgres/pool.ts), else as a string.
  return { id: row[3], type: row[4], data: row[5], metadata: row[6], stream: row[1], streamVersion: BigInt(row[2]), position: BigInt(row[0]) };
}
