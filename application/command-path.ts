/**
 * The one command path, used by the API, the scheduler and the simulators:
 * load stream(s) → fold (evolve) → decide → append with the expected version(s).
 * - Idempotent by command id: when a stream already holds events of this command, the first
 *   result is returned and nothing is decided again.
 * - Optimistic concurrency: on a version conflict the whole thing is retried on fresh state.
 * - All streams of one decision are appended atomically (appendMany).
 */
import type { EventStore, EventMetadata, NewEvent, RecordedEvent, StreamWrite } from '../adapters/eventstore/port';
import { readStreams, WrongExpectedVersionError } from '../adapters/eventstore/port';
import type { CommandMetadata, Decider, DomainEvent } from '../domain/shared/decider';
import { eventId } from '../domain/shared/ids';
import { DomainError } from '../domain/shared/errors';

/**
 * Thrown by a decision that sees its streams disagree: the streams of one command are read by
 * separate queries, so a concurrent multi-stream append can land between two reads. The command
 * is retried on fresh reads like a version conflict; if it persists, it was a real bug.
 */
export class TornRead extends Error {
  override readonly name = 'TornRead';
}

/** Conflicting writers on one stream are rare (one family, one pupil); give up after this many tries. */
export const MAX_CONFLICT_RETRIES = 8;
/**
 * Streams whose events each process keeps (per store, least recently used out). A command then
 * reads only the events after the version it holds (`readStream({fromVersion})`): one short
 * round trip instead of the whole history. Events are immutable and versions dense, so the held
 * prefix plus the suffix is the stream; a version conflict drops the streams involved and the
 * retry reads them whole.
 */
export const STREAM_CACHE_STREAMS = 20_000;

export interface Decision {
  readonly stream: string;
  readonly events: readonly DomainEvent[];
  /** Merged into each event's metadata (familyId, program…). */
  readonly metadata?: Partial<EventMetadata>;
}

export interface Outcome {
  /** The events of this command as stored (or as first stored, when repeated). */
  readonly events: readonly Pick<RecordedEvent, 'type' | 'data' | 'stream'>[];
  readonly repeated: boolean;
}

/** Loaded state of a stream: its events and the version to expect when appending. */
export interface Loaded {
  readonly stream: string;
  readonly events: readonly RecordedEvent[];
  readonly version: bigint | undefined;
}

/**
 * Decides across several streams: `decide` sees every stream's history and returns what to append
 * where. Used for one-stream commands too (see `handle`).
 */
export async function decideAcross(
  store: EventStore,
  streamNames: readonly string[],
  meta: CommandMetadata,
  decide: (loaded: ReadonlyMap<string, Loaded>) => readonly Decision[],
  options: DecideOptions = {},
): Promise<Outcome> {
  for (let attempt = 1; ; attempt++) {
    const partial = attempt === 1 && options.expectNew !== undefined && options.expectNew.length > 0;
    const loaded = partial ? await loadAllBut(store, streamNames, options.expectNew!) : await loadAll(store, streamNames);
    const earlier = eventsOfCommand(loaded, meta.commandId);
    // A repeat seen on a partial read: read every stream, so the answer holds all its events.
    if (earlier.length > 0) return { events: partial ? eventsOfCommand(await loadAll(store, streamNames), meta.commandId) : earlier, repeated: true };
    let decided: readonly Decision[];
    try {
      decided = decide(loaded);
    } catch (error) {
      if (!(error instanceof TornRead) || attempt >= MAX_CONFLICT_RETRIES) throw error;
      for (const stream of loaded.keys()) forgetStream(store, stream);
      continue;
    }
    const decisions = decided.filter((d) => d.events.length > 0);
    if (decisions.length === 0) return { events: [], repeated: false };
    const writes = toWrites(decisions, loaded, meta);
    try {
      await (writes.length === 1 ? store.append(writes[0]!.stream, writes[0]!.events, writes[0]!.expectedVersion) : store.appendMany(writes));
      return { events: writes.flatMap((w) => w.events.map((e) => ({ type: e.type, data: e.data, stream: w.stream }))), repeated: false };
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) for (const w of writes) forgetStream(store, w.stream);
      if (error instanceof WrongExpectedVersionError && attempt < MAX_CONFLICT_RETRIES) continue;
      if (error instanceof WrongExpectedVersionError) throw new DomainError('version_conflict', error.message);
      throw error;
    }
  }
}

export interface DecideOptions {
  /**
   * Streams that almost always do not exist yet (a new index entry): the first attempt does not read
   * them and appends with "no stream". If one exists after all, the append conflicts and the retry
   * reads every stream, so the decision still sees it (and a repeated command is still found: its
   * events are in the other streams too).
   */
  readonly expectNew?: readonly string[];
}

/** One stream, one decider. */
export async function handle<State, Command extends { metadata: CommandMetadata }, Event extends DomainEvent>(
  store: EventStore,
  stream: string,
  decider: Decider<State, Command, Event>,
  command: Command,
  metadata?: Partial<EventMetadata>,
): Promise<Outcome & { state: State }> {
  let state = decider.initialState();
  const outcome = await decideAcross(store, [stream], command.metadata, (loaded) => {
    state = foldRecorded(decider, loaded.get(stream)!.events);
    const events = decider.decide(command, state);
    state = events.reduce(decider.evolve, state);
    return [{ stream, events, ...(metadata ? { metadata } : {}) }];
  });
  return { ...outcome, state };
}

/**
 * A stream's state: evolve over its whole history. The state a decider last folded for a stream
 * is kept per process (per decider, least recently used out), so the next fold of the same
 * history, grown by a suffix, evolves only the suffix: deciders' states are immutable values. The
 * held state is used only when the history given holds, at the held version, the very event object
 * the state was folded up to (the stream cache hands out the same objects for a held prefix; any
 * other read of the stream, or another store with the same stream names, folds from the start).
 */
export function foldRecorded<State, Event>(
  decider: Pick<Decider<State, never, Event>, 'initialState' | 'evolve' | 'evolveAll'>,
  events: readonly RecordedEvent[],
): State {
  const first = events[0];
  if (first === undefined) return decider.initialState();
  const memo = foldsOf(decider);
  const held = memo.get(first.stream) as HeldFold<State> | undefined;
  const at = held ? Number(held.version) : -1;
  const usable = held !== undefined && first.streamVersion === 0n && events[at] === held.last;
  let state = usable ? held.state : decider.initialState();
  const from = usable ? at + 1 : 0;
  const toEvent = (e: RecordedEvent) => ({ type: e.type, data: e.data }) as Event;
  if (decider.evolveAll && events.length - from > 1) state = decider.evolveAll(state, events.slice(from).map(toEvent));
  else for (let i = from; i < events.length; i++) state = decider.evolve(state, toEvent(events[i]!));
  const last = events[events.length - 1]!;
  if (first.streamVersion === 0n && last.streamVersion === BigInt(events.length - 1)) {
    memo.delete(first.stream);
    memo.set(first.stream, { version: last.streamVersion, last, state });
    if (memo.size > STREAM_CACHE_STREAMS) memo.delete(memo.keys().next().value!);
  }
  return state;
}

interface HeldFold<State> {
  readonly version: bigint;
  readonly last: RecordedEvent;
  readonly state: State;
}

/** Per decider object: stream → the state last folded (a Map in recency order). */
const folds = new WeakMap<object, Map<string, HeldFold<unknown>>>();

function foldsOf(decider: object): Map<string, HeldFold<unknown>> {
  let memo = folds.get(decider);
  if (!memo) folds.set(decider, (memo = new Map()));
  return memo;
}

async function loadAll(store: EventStore, streamNames: readonly string[]): Promise<Map<string, Loaded>> {
  const unique = [...new Set(streamNames)];
  const histories = unique.length === 1 ? [await readStream(store, unique[0]!)] : await readStreamsCached(store, unique);
  return new Map(
    unique.map((stream, i) => {
      const events = histories[i]!;
      return [stream, { stream, events, version: events.at(-1)?.streamVersion }];
    }),
  );
}

/**
 * Several streams' whole histories through the same cache as `readStream` (held prefix + the
 * suffix after it), asked in one `readStreams` call: one round trip for a canteen batch's hundreds
 * of pupil streams and, on Postgres, one snapshot (fewer TornRead retries). A suffix that does not
 * start right after the held version is read again whole, as `readStream` does.
 */
async function readStreamsCached(store: EventStore, streams: readonly string[]): Promise<(readonly RecordedEvent[])[]> {
  const cache = cacheOf(store);
  const held = streams.map((stream) => cache.get(stream));
  const read = await readStreams(
    store,
    streams.map((stream, i) => (held[i] ? { stream, fromVersion: held[i].version + 1n } : { stream })),
  );
  return Promise.all(
    streams.map(async (stream, i) => {
      const prefix = held[i];
      const suffix = read[i]!;
      if (!prefix) return remember(cache, stream, suffix);
      if (suffix.length === 0) return remember(cache, stream, prefix.events);
      if (suffix[0]!.streamVersion === prefix.version + 1n) return remember(cache, stream, prefix.events.concat(suffix));
      forgetStream(store, stream);
      return readStream(store, stream);
    }),
  );
}

async function loadAllBut(store: EventStore, streamNames: readonly string[], assumedEmpty: readonly string[]): Promise<Map<string, Loaded>> {
  const skipped = new Set(assumedEmpty);
  const loaded = await loadAll(store, streamNames.filter((s) => !skipped.has(s)));
  for (const stream of streamNames) if (skipped.has(stream)) loaded.set(stream, { stream, events: [], version: undefined });
  return loaded;
}

function eventsOfCommand(loaded: ReadonlyMap<string, Loaded>, commandId: string): Outcome['events'] {
  const found: Outcome['events'][number][] = [];
  for (const { events } of loaded.values())
    for (const e of events) if (e.metadata.commandId === commandId) found.push({ type: e.type, data: e.data, stream: e.stream });
  return found;
}

function toWrites(decisions: readonly Decision[], loaded: ReadonlyMap<string, Loaded>, meta: CommandMetadata): StreamWrite[] {
  let index = 0;
  return decisions.map((decision) => {
    const version = loaded.get(decision.stream)?.version;
    const events: NewEvent[] = decision.events.map((e) => ({
      id: eventId(meta.commandId, index++),
      type: e.type,
      data: e.data,
      metadata: {
        commandId: meta.commandId,
        correlationId: meta.correlationId ?? meta.commandId,
        causationId: meta.causationId ?? meta.commandId,
        actor: meta.actor,
        recordedAt: meta.now,
        ...decision.metadata,
      },
    }));
    if (!loaded.has(decision.stream)) throw new Error(`invariant violated: decision for unloaded stream ${decision.stream}`);
    return { stream: decision.stream, expectedVersion: version === undefined ? 'no_stream' : version, events };
  });
}

interface CachedStream {
  readonly events: readonly RecordedEvent[];
  readonly version: bigint;
}

/** Per store instance: a Map in recency order (re-inserted on use; the oldest key goes first). */
const caches = new WeakMap<EventStore, Map<string, CachedStream>>();

function cacheOf(store: EventStore): Map<string, CachedStream> {
  let cache = caches.get(store);
  if (!cache) caches.set(store, (cache = new Map()));
  return cache;
}

/**
 * A stream's whole history, as `store.readStream(stream)`, read through this process's cache:
 * only the events after the cached version travel. The array is shared: do not mutate it.
 */
export async function readStream(store: EventStore, stream: string, capacity = STREAM_CACHE_STREAMS): Promise<readonly RecordedEvent[]> {
  const cache = cacheOf(store);
  const held = cache.get(stream);
  let events: readonly RecordedEvent[];
  if (held) {
    const suffix = await store.readStream(stream, { fromVersion: held.version + 1n });
    // Versions are dense; anything else (a store that was reset under us) is read again whole.
    events = suffix.length === 0 ? held.events : suffix[0]!.streamVersion === held.version + 1n ? held.events.concat(suffix) : await store.readStream(stream);
  } else {
    events = await store.readStream(stream);
  }
  return remember(cache, stream, events, capacity);
}

/** Keeps a stream's history just read as the most recently used one; returns it. */
function remember(cache: Map<string, CachedStream>, stream: string, events: readonly RecordedEvent[], capacity = STREAM_CACHE_STREAMS): readonly RecordedEvent[] {
  const last = events.at(-1);
  if (last === undefined) return events;
  // A concurrent reader may have cached a longer history meanwhile: keep the longer one.
  const now = cache.get(stream);
  if (now && now.version > last.streamVersion) return events;
  cache.delete(stream);
  cache.set(stream, { events, version: last.streamVersion });
  if (cache.size > capacity) cache.delete(cache.keys().next().value!);
  return events;
}

/** Drops a stream from this process's cache (its next read is a whole one). */
export function forgetStream(store: EventStore, stream: string): void {
  caches.get(store)?.delete(stream);
}
