/** Test helpers for read models: a migrated database, appending histories, and table snapshots. */
import type { EventStore, NewEvent, RecordedEvent } from '../../adapters/eventstore/port';
import type { Pool } from '../../adapters/postgres/pool';
import { coreMigrations } from '../../adapters/postgres/migrate';
import { freshDatabase } from '../pg';
import type { Projection } from '../../projections/projection';
import { projectionMigrations } from '../../projections/runner';
import { ledgerProjections } from '../../app/read-models';

export { ledgerProjections };
import type { HistoryItem } from './history';
import type { LedgerEvent } from '../../domain/events';

export async function readModelDatabase(projections: readonly Projection[] = ledgerProjections) {
  return freshDatabase([...coreMigrations(), ...projectionMigrations(projections)]);
}

/** Appends items in order, one append per run of consecutive items of the same stream. */
export async function appendAll(store: EventStore, items: Iterable<HistoryItem>): Promise<bigint> {
  let last = 0n;
  let stream: string | undefined;
  let run: NewEvent[] = [];
  const flush = async () => {
    if (stream && run.length) last = (await store.append(stream, run, 'any')).lastPosition;
    run = [];
  };
  for (const item of items) {
    if (item.stream !== stream) {
      await flush();
      stream = item.stream;
    }
    run.push(item.event);
  }
  await flush();
  return last;
}

/** Every row of every table, in a stable order (bigint as strings, dates as ISO). */
export async function snapshot(pool: Pool, tables: readonly string[]): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const table of tables) {
    const { rows } = await pool.query(`select * from ${table}`);
    out[table] = rows
      .map((r) => JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)))
      .sort()
      .map((s) => JSON.parse(s) as unknown);
  }
  return out;
}

export const tablesOf = (projections: readonly Projection[]) => projections.flatMap((p) => p.tables);

/** A recorded event for `apply` unit checks. */
export function recorded(stream: string, position: bigint, event: NewEvent): RecordedEvent {
  return { ...event, stream, streamVersion: 0n, position };
}

let counter = 0;
/** One catalogue event as a history item, recorded at `at` (metadata filled like the command path does). */
export function item(stream: string, event: LedgerEvent, at: string, familyId?: string): HistoryItem {
  const n = counter++;
  return {
    stream,
    event: {
      id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
      type: event.type,
      data: event.data,
      metadata: {
        commandId: `test-${n}`,
        correlationId: `test-${n}`,
        causationId: `test-${n}`,
        actor: { role: 'test', id: 'test' },
        recordedAt: at,
        ...(familyId ? { familyId } : {}),
      },
    },
  };
}

/** Empties every read model and checkpoint, appends `items` to a new memory store and projects them. */
export async function projectFresh(pool: Pool, items: readonly HistoryItem[], projections: readonly Projection[] = ledgerProjections) {
  for (const t of tablesOf(projections)) await pool.query(`truncate ${t}`);
  await pool.query('truncate projection_checkpoints');
  const { createMemoryEventStore } = await import('../../adapters/eventstore/memory');
  const { createRunner } = await import('../../projections/runner');
  const store = createMemoryEventStore();
  await appendAll(store, items);
  // Small fixtures go three events at a time (exercising batch joins); big histories in bulk.
  const runner = createRunner({ pool, store, projections, batchSize: items.length < 200 ? 3 : 500 });
  await runner.catchUp();
  await runner.stop();
  return { store, runner };
}
