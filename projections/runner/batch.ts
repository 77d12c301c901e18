/**
 * Batches of `$all` into sinks: the pipeline the live runner and a rebuild share. A sink is where a
 * batch goes: the live model (with its checkpoint) or a rebuild's shadow.
 */
import type { EventStore, RecordedEvent } from '../../adapters/eventstore/port';
import { parseRecorded } from '../../adapters/eventstore/ledger-events';
import { invariant } from '../../domain/shared/decider';
import type { Projection, Recorded, Sql } from '../projection';

/** Batches read ahead of the slowest model's writes (each model writes on its own connection). */
export const PIPELINE_DEPTH = 2;

export interface Sink {
  readonly projection: Projection;
  position: bigint;
  /** false: the sink no longer continues from `position` (checkpoint moved elsewhere). */
  write(events: readonly RecordedEvent[], last: bigint): Promise<boolean>;
}

export type StatementsFor = (p: Projection, events: readonly RecordedEvent[]) => readonly Sql[];

/**
 * The SQL of a batch for one projection: only the events it handles, each parsed against the
 * catalogue first (adapters/eventstore/ledger-events.ts). An event that does not parse throws here,
 * so only the projections that handle it halt on it (live.ts), named with its id, position and
 * zod path; the others go on. Each event is parsed once however many projections handle it.
 */
export function statementsOf(projections: readonly Projection[]): StatementsFor {
  const handles = new Map(projections.map((p) => [p.name, new Set<string>(p.canHandle)]));
  // Keyed by the raw event object a batch read returned: gone with the batch.
  const parsedEvents = new WeakMap<RecordedEvent, Recorded>();
  const parsed = (event: RecordedEvent): Recorded => {
    let recorded = parsedEvents.get(event);
    if (recorded === undefined) parsedEvents.set(event, (recorded = parseRecorded(event)));
    return recorded;
  };
  return (p, events) => {
    const handled = handles.get(p.name);
    invariant(handled, `statements asked for projection ${p.name}, which the runner was not given`);
    const mine: Recorded[] = [];
    for (const event of events) if (handled.has(event.type)) mine.push(parsed(event));
    if (mine.length === 0) return [];
    return p.apply(mine);
  };
}

/**
 * Reads batches from `after` into every sink. Each sink writes the batches in order on its own
 * connection at its own pace; reading goes on while they write, at most PIPELINE_DEPTH batches
 * ahead of the slowest sink (memory stays flat). A sink that fails or returns false is dropped.
 */
export async function drive(
  store: EventStore,
  sinks: Sink[],
  after: bigint,
  size: number,
  failed: (sink: Sink, error: unknown) => void,
  until?: bigint,
): Promise<number> {
  const active = new Set(sinks);
  const tails = new Map<Sink, Promise<void>>(sinks.map((s) => [s, Promise.resolve()]));
  /** Per batch in flight: settles when every sink is done with it. */
  const inFlight: Promise<unknown>[] = [];
  const write = (sink: Sink, events: readonly RecordedEvent[], last: bigint) => async () => {
    if (!active.has(sink)) return;
    try {
      if (!(await sink.write(events, last))) active.delete(sink);
    } catch (error) {
      active.delete(sink);
      failed(sink, error);
    }
  };
  const read = (from: bigint) => {
    const batch = store.readAll({ after: from, maxCount: size });
    batch.catch(() => undefined); // awaited below; a prefetch nobody awaits must not crash the process
    return batch;
  };
  let applied = 0;
  let next = read(after);
  try {
    while (active.size > 0) {
      let events = await next;
      const full = events.length === size;
      if (until !== undefined) events = events.filter((e) => e.position <= until);
      if (events.length === 0) break;
      const last = events[events.length - 1]!.position;
      const more = full && (until === undefined || last < until);
      const writes = [...active].map((sink) => {
        const tail = tails.get(sink)!.then(write(sink, events, last));
        tails.set(sink, tail);
        return tail;
      });
      inFlight.push(Promise.all(writes));
      applied += events.length;
      if (!more) break;
      if (inFlight.length >= PIPELINE_DEPTH) await inFlight.shift();
      next = read(last);
    }
  } finally {
    await Promise.all(tails.values());
  }
  return applied;
}
