/**
 * Tracing a figure: the events its report row counts (figure_events), read back from the log,
 * recounted (reports.ts), and set beside what the report states now.
 */
import type { Pool } from '../../adapters/postgres/pool';
import { eventsAt } from '../../adapters/evidence/events-at';
import { parseRecorded } from '../../adapters/eventstore/ledger-events';
import type { Recorded } from '../projection';
import { keyParts, type ReportName } from './projection';
import { FIGURE_REPORTS, type Measures } from './reports';

/** Most events one trace reads; a wider key is refused (narrow it: a school, a day, a pupil). */
export const MAX_TRACED_EVENTS = 250_000;
/** Most keys one listing returns. */
export const MAX_FIGURE_KEYS = 10_000;

export interface FigureTrace {
  readonly report: ReportName;
  readonly figure: string;
  /** The key's parts by name (a prefix names fewer). */
  readonly key: Readonly<Record<string, string>>;
  /** Recounted from `events`. */
  readonly recounted: Measures;
  /** As the report states it now (undefined: the report has no such row, or none for a prefix). */
  readonly reported: Measures | undefined;
  /** Every reported measure equals its recount. */
  readonly agrees: boolean | undefined;
  readonly events: readonly Recorded[];
}

export class TraceTooWideError extends Error {
  override readonly name = 'TraceTooWideError';
}

const PREFIX_MATCH = `report = $1 and (figure = $2 or (figure >= $2 || '/' and figure < $2 || '0'))`;

/** Positions of the events under a figure (or every figure under a key prefix). */
export async function figurePositions(pool: Pool, report: ReportName, figure: string): Promise<bigint[]> {
  const { rows } = await pool.query<{ position: bigint }>(`select distinct position from figure_events where ${PREFIX_MATCH} order by position limit $3`, [
    report,
    figure,
    MAX_TRACED_EVENTS + 1,
  ]);
  if (rows.length > MAX_TRACED_EVENTS) throw new TraceTooWideError(`${report} ${figure} counts more than ${MAX_TRACED_EVENTS} events: name a narrower key`);
  return rows.map((r) => BigInt(r.position));
}

export async function traceFigure(pool: Pool, report: ReportName, figure: string, now: Date): Promise<FigureTrace> {
  const definition = FIGURE_REPORTS[report];
  const parts = keyParts(figure);
  const events = (await eventsAt(pool, await figurePositions(pool, report, figure))).map((e) => parseRecorded(e.event));
  const recounted = definition.recount(events, parts);
  const reported = await definition.reported(pool, parts, now);
  return {
    report,
    figure,
    key: Object.fromEntries(parts.map((p, i) => [definition.keyNames[i] ?? `part${i + 1}`, p])),
    recounted,
    reported,
    agrees: reported === undefined ? undefined : sameMeasures(recounted, reported),
    events,
  };
}

/** Every measure of either side has the same value in both (an absent one counts as 0). */
export function sameMeasures(a: Measures, b: Measures): boolean {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].every((k) => (a[k] ?? 0) === (b[k] ?? 0));
}

/** The figures of a report, optionally under a key prefix, in key order. */
export async function figureKeys(pool: Pool, report: ReportName, prefix?: string): Promise<string[]> {
  const { rows } = await pool.query<{ figure: string }>(
    prefix === undefined
      ? 'select distinct figure from figure_events where report = $1 order by figure limit $2'
      : `select distinct figure from figure_events where ${PREFIX_MATCH} order by figure limit $3`,
    prefix === undefined ? [report, MAX_FIGURE_KEYS] : [report, prefix, MAX_FIGURE_KEYS],
  );
  return rows.map((r) => r.figure);
}
