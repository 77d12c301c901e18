/**
 * A halted projection: one that cannot apply the event after its checkpoint (a bug in its SQL, a
 * column narrower than the data, a constraint the event breaks). It stops alone, just before that
 * event, and says so where an operator looks: the event, its position and type, the error and
 * since when are kept on the projection's checkpoint row (so every process and /v1/ops/projections,
 * /metrics and /health see them), and cleared by the next batch it applies. The way out is in
 * README.md ("When a read model halts"): fix the cause, restart, and rebuild the model when the
 * fix changes how earlier events project.
 */
import type { RecordedEvent } from '../../adapters/eventstore/port';
import type { Pool } from '../../adapters/postgres/pool';
import type { Migration } from '../../adapters/postgres/migrate';

export interface Halt {
  readonly projection: string;
  /** The event it cannot apply. */
  readonly eventId: string;
  readonly eventPosition: bigint;
  readonly eventType: string;
  /** The error's message, and Postgres' SQLSTATE when the database refused the statement. */
  readonly error: string;
  readonly errorCode?: string;
  /** First failure of this halt (ISO instant from the runner's clock). */
  readonly since: string;
  /** Tries that failed on it so far. */
  readonly failures: number;
}

export const haltMigration: Migration = {
  id: '0300_projection_halts',
  sql: `alter table projection_checkpoints
  add column halt_event_id       text,
  add column halt_event_position bigint,
  add column halt_event_type     text,
  add column halt_error          text,
  add column halt_error_code     text,
  add column halted_since        timestamptz,
  add column halt_failures       integer not null default 0;`,
};

/** SET clause that ends a halt: part of every checkpoint update that applied a batch. */
export const clearHalt =
  'halt_event_id = null, halt_event_position = null, halt_event_type = null, halt_error = null, halt_error_code = null, halted_since = null, halt_failures = 0';

/** Thrown by a live batch that failed on one event even when applied alone. */
export class ProjectionHalted extends Error {
  override readonly name = 'ProjectionHalted';
  readonly errorCode: string | undefined;
  constructor(
    readonly projection: string,
    readonly event: Pick<RecordedEvent, 'id' | 'position' | 'type'>,
    override readonly cause: unknown,
  ) {
    super(`projection ${projection} cannot apply event ${event.id} (position ${event.position}, ${event.type}): ${messageOf(cause)}`);
    const code = (cause as { code?: unknown } | undefined)?.code;
    this.errorCode = typeof code === 'string' ? code : undefined;
  }
}

/** A caller waited for models that are halted: waiting longer would not help. */
export class ProjectionHaltedError extends Error {
  override readonly name = 'ProjectionHaltedError';
  constructor(readonly halts: readonly Halt[]) {
    super(`read model${halts.length > 1 ? 's' : ''} halted: ${halts.map((h) => `${h.projection} at event ${h.eventId} (${h.error})`).join('; ')}`);
  }
}

export async function recordHalt(pool: Pool, halted: ProjectionHalted, now: Date): Promise<void> {
  await pool.query(
    'update projection_checkpoints set halt_event_id = $2, halt_event_position = $3, halt_event_type = $4, halt_error = $5, halt_error_code = $6, ' +
      'halted_since = coalesce(halted_since, $7::timestamptz), halt_failures = halt_failures + 1 where name = $1',
    [halted.projection, halted.event.id, halted.event.position, halted.event.type, messageOf(halted.cause), halted.errorCode ?? null, now.toISOString()],
  );
}

/** The halt on a checkpoint row (`select *`), if any. */
export function haltOf(row: Record<string, unknown>): Halt | undefined {
  if (row.halted_since === null || row.halted_since === undefined) return undefined;
  return {
    projection: String(row.name),
    eventId: String(row.halt_event_id),
    eventPosition: BigInt(row.halt_event_position as bigint),
    eventType: String(row.halt_event_type),
    error: String(row.halt_error),
    ...(row.halt_error_code ? { errorCode: String(row.halt_error_code) } : {}),
    since: (row.halted_since as Date).toISOString(),
    failures: Number(row.halt_failures),
  };
}

/** An error's own message (no stack); Postgres' messages name the type or constraint, not the row. */
function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
