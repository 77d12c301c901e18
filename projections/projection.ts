/**
 * A projection turns events into SQL against its read model (Emmett's raw-SQL projections).
 * `apply` is pure: it returns statements, the runner executes them in the same transaction that
 * advances the projection's checkpoint (projections/runner.ts). Write upserts
 * (`INSERT … ON CONFLICT … DO UPDATE`), never read-modify-write in JavaScript, so that applying
 * is cheap and a rebuild equals the live model.
 */
import type { LedgerRecorded } from '../adapters/eventstore/ledger-events';
import type { Migration } from '../adapters/postgres/migrate';
import type { LedgerEvent, LedgerEventType } from '../domain/events';

export interface Sql {
  readonly text: string;
  readonly values: readonly unknown[];
}

/**
 * A recorded event as the catalogue types it (a `switch` on `type` narrows `data`): parsed against
 * its schema by the runner before any projection sees it (runner/batch.ts statementsOf).
 */
export type Recorded<E extends LedgerEvent = LedgerEvent> = LedgerRecorded<E>;

export interface Projection {
  /** Stable name: the checkpoint key and the `rebuild <name>` argument. */
  readonly name: string;
  readonly canHandle: readonly LedgerEventType[];
  /** DDL for the read model's tables (ids sort after the core's, e.g. `0200_tabel`). */
  readonly migrations: readonly Migration[];
  /** Tables emptied by a rebuild, in an order that respects foreign keys. */
  readonly tables: readonly string[];
  /**
   * The SQL for a batch of handled events, in log order: set-based statements (multi-row upserts
   * over `unnest` arrays) where the model has them, else each event's own (`eachEvent`). Must leave
   * the same rows as applying the events one at a time: the runner applies a failed batch so, to
   * find the event it halts at (runner/halt.ts).
   */
  apply(events: readonly Recorded[]): readonly Sql[];
  /**
   * Optional (added for rebuild speed): tables of `tables` that this projection only ever writes
   * with `insert … on conflict do nothing` (the first write of a key wins), never reads in its own
   * SQL, and whose rows carry the writing event's log position in a `position` column. A rebuild
   * loads them without their unique indexes (inserting random keys into a b-tree costs more than
   * the rows themselves) and builds the indexes after the load, keeping the lowest position per
   * key: the row the live model kept.
   */
  readonly appendOnlyTables?: readonly string[];
}

export const sql = (text: string, ...values: unknown[]): Sql => ({ text, values });

/** The `apply` of a projection whose SQL is written per event. */
export const eachEvent =
  (applyOne: (event: Recorded) => readonly Sql[]) =>
  (events: readonly Recorded[]): readonly Sql[] =>
    events.flatMap(applyOne);
