/**
 * Batch SQL against the event-by-event SQL it replaced: the same events, applied by the reference one
 * at a time and by the projection in batches of the given sizes, must leave the same rows.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import type { Pool } from '../../adapters/postgres/pool';
import type { Projection, Recorded, Sql } from '../../projections/projection';
import { snapshot } from './harness';

export interface Equivalence {
  readonly expected: Record<string, unknown[]>;
  readonly actual: Record<string, unknown[]>;
}

/** Rows of the projection's tables after the reference (one event at a time) and after the batches. */
export async function batchesAgainstReference(
  pool: Pool,
  projection: Projection,
  reference: (event: Recorded) => readonly Sql[],
  events: readonly Recorded[],
  batchSizes: readonly number[],
  /** Columns the reference does not write (added with the batch SQL), per table. */
  ignored: Readonly<Record<string, readonly string[]>> = {},
): Promise<Equivalence> {
  const reset = async () => {
    for (const t of projection.tables) await pool.query(`truncate ${t}`);
  };
  const runAll = async (statements: readonly Sql[]) => {
    for (const s of statements) await pool.query(s.text, s.values as unknown[]);
  };
  const rows = async () => {
    const snap = await snapshot(pool, projection.tables);
    for (const [table, columns] of Object.entries(ignored))
      snap[table] = snap[table]!.map((r) => Object.fromEntries(Object.entries(r as Record<string, unknown>).filter(([k]) => !columns.includes(k))));
    return snap;
  };
  await reset();
  for (const e of events) await runAll(reference(e));
  const expected = await rows();
  await reset();
  for (let at = 0, i = 0; at < events.length; i++) {
    const size = Math.max(1, batchSizes[i % batchSizes.length]!);
    await runAll(projection.apply(events.slice(at, at + size)));
    at += size;
  }
  return { expected, actual: await rows() };
}

/** Recorded events at positions 1…n, a minute apart (`recordedAt`), from (stream, type, data[, metadata]). */
export function recordedEvents(list: readonly { stream: string; type: string; data: unknown; metadata?: Record<string, unknown> }[]): Recorded[] {
  return list.map(
    (s, i) =>
      ({
        id: `e${i}`,
        stream: s.stream,
        streamVersion: 0n,
        position: BigInt(i + 1),
        type: s.type,
        data: s.data,
        metadata: { recordedAt: new Date(Date.UTC(2025, 8, 1) + i * 60_000).toISOString(), ...s.metadata },
      }) as unknown as Recorded,
  );
}

/**
 * The property every batch-SQL model keeps: for any list of events the arbitrary draws (`length`
 * bounds), split into batches of any sizes (1 to `maxBatch`), the projection leaves the rows the
 * reference leaves applying them one at a time.
 */
export async function assertAnySplitMatchesReference<T extends { stream: string; type: string; data: unknown; metadata?: Record<string, unknown> }>(
  pool: Pool,
  projection: Projection,
  reference: (event: Recorded) => readonly Sql[],
  event: fc.Arbitrary<T>,
  options: { minLength: number; maxLength?: number; maxBatch?: number; ignored?: Readonly<Record<string, readonly string[]>>; numRuns?: number },
): Promise<void> {
  await fc.assert(
    fc.asyncProperty(
      fc.array(event, { minLength: options.minLength, maxLength: options.maxLength ?? 30 }),
      fc.array(fc.integer({ min: 1, max: options.maxBatch ?? 12 }), { minLength: 1, maxLength: 6 }),
      async (list, sizes) => {
        const { expected, actual } = await batchesAgainstReference(pool, projection, reference, recordedEvents(list), sizes, options.ignored);
        expect(actual).toEqual(expected);
      },
    ),
    { numRuns: options.numRuns ?? 60 },
  );
}
