/**
 * Stream state, owned in one place: the recent streams' histories, the states deciders folded from
 * them (every fold memo: wallets, vouchers, lists, canteen devices) and what settled index streams
 * say (a shop's hold → its family-month), per process, on ONE bounded LRU (lru-cache). The
 * composition root builds one and hands it to the command path and the services.
 *
 * The one invalidation rule. An entry holds a prefix of one stream's history, starting at version
 * 0, and only what was computed from that prefix (folded states, a settled index's answer). Events
 * are immutable and versions dense, so a prefix stays a prefix: an entry is extended by the suffix
 * read after it, and dropped when the LRU evicts it, when a read shows it is no prefix (the suffix
 * does not start right after it), or when the command path is refused an append to the stream
 * (`forget`). Nothing else changes an entry.
 *
 * Events enter here parsed (adapters/eventstore/ledger-events.ts parseRecorded), each once: a
 * held prefix is never parsed again, only the suffix read after it. One that does not parse fails
 * the read (StoredEventInvalid, naming the event and the zod path) and nothing of it is held.
 *
 * Capacity 0 holds nothing: every read is a whole one and every fold starts from the initial state
 * (STREAM_CACHE_CAPACITY=0; `npm run test:uncached` runs the suite so). With `freeze` (dev and
 * test) every event and state stored is deep-frozen, so a decider that mutates a state fails at
 * once instead of corrupting a held one.
 */
import { LRUCache } from 'lru-cache';
import type { EventStore, RecordedEvent } from '../adapters/eventstore/port';
import { parseRecorded, type LedgerRecorded } from '../adapters/eventstore/ledger-events';
import type { Decider } from '../domain/shared/decider';
import { deepFreeze } from '../domain/shared/freeze';

/**
 * Entries held by default: a POS pair touches two (the family-month and its hold index), a canteen
 * batch one per pupil plus the device. Sized for the bench's busiest case (bench:e2e POS, canteen).
 */
export const DEFAULT_STREAM_CACHE_CAPACITY = 50_000;

export interface StreamStatesOptions {
  /** Entries held (0: none). */
  readonly capacity: number;
  /** Deep-freeze what is stored (dev and test). */
  readonly freeze: boolean;
}

/** What folding needs of a decider. */
export type Folding<State, Event> = Pick<Decider<State, never, Event>, 'initialState' | 'evolveAll'>;

export interface StreamStates {
  readonly store: EventStore;
  /** Each stream's whole history, parsed, read through the held prefixes in one round trip. The arrays are shared: never mutate them. */
  read(streams: readonly string[]): Promise<(readonly LedgerRecorded[])[]>;
  /** One stream's whole history (`read` of one). */
  history(stream: string): Promise<readonly LedgerRecorded[]>;
  /** The decider's state after `events` (a whole history as `read` gave it): the held fold plus the events after it. */
  fold<State, Event>(decider: Folding<State, Event>, events: readonly LedgerRecorded[]): State;
  /**
   * What a settled stream says: one written once and never again (an index stream). A held answer
   * is returned without a read; else the stream is read and `parse` asked (undefined: not there yet).
   */
  settled<T>(stream: string, parse: (events: readonly LedgerRecorded[]) => T | undefined): Promise<T | undefined>;
  /** The writer of a settled stream records its answer (so its own later reads need none). */
  settle<T>(stream: string, answer: T): void;
  /** The streams' next reads are whole ones (an append to them was refused). */
  forget(streams: Iterable<string>): void;
}

interface HeldFold {
  readonly state: unknown;
  /** The last event folded (the same object the held history holds at its index). */
  readonly last: LedgerRecorded;
  readonly index: number;
}

interface Entry {
  readonly events: readonly LedgerRecorded[];
  /** Per decider object: its state after a prefix of `events`. */
  readonly folds: Map<object, HeldFold>;
  readonly settled?: { readonly answer: unknown };
}

export function createStreamStates(store: EventStore, options: StreamStatesOptions): StreamStates {
  const entries = options.capacity > 0 ? new LRUCache<string, Entry>({ max: options.capacity }) : undefined;
  const frozen = <T>(value: T): T => (options.freeze ? deepFreeze(value) : value);

  /** Keeps a whole history just read; a longer one a concurrent reader stored meanwhile wins. */
  const remember = (stream: string, events: readonly LedgerRecorded[]): readonly LedgerRecorded[] => {
    if (!entries || events.length === 0) return events;
    const held = entries.get(stream);
    if (held && held.events.length >= events.length) return events;
    for (let i = held?.events.length ?? 0; i < events.length; i++) frozen(events[i]);
    entries.set(stream, { events, folds: held?.folds ?? new Map(), ...(held?.settled ? { settled: held.settled } : {}) });
    return events;
  };

  const parsed = (events: readonly RecordedEvent[]): LedgerRecorded[] => events.map(parseRecorded);

  const readWhole = async (streams: readonly string[]): Promise<LedgerRecorded[][]> =>
    // One stream: readStream, which the Postgres adapter coalesces with other requests' reads of the same turn.
    (streams.length === 1 ? [await store.readStream(streams[0]!)] : await store.readStreams(streams.map((stream) => ({ stream })))).map(parsed);

  const read = async (streams: readonly string[]): Promise<(readonly LedgerRecorded[])[]> => {
    if (!entries) return readWhole(streams);
    const held = streams.map((stream) => entries.get(stream)?.events);
    const reads = streams.map((stream, i) => (held[i]?.length ? { stream, fromVersion: BigInt(held[i].length) } : { stream }));
    const suffixes = (
      reads.length === 1
        ? [await store.readStream(streams[0]!, held[0]?.length ? { fromVersion: BigInt(held[0].length) } : undefined)]
        : await store.readStreams(reads)
    ).map(parsed);
    return Promise.all(
      streams.map(async (stream, i) => {
        const prefix = held[i];
        const suffix = suffixes[i]!;
        if (!prefix?.length) return remember(stream, suffix);
        if (suffix.length === 0) return prefix;
        if (suffix[0]!.streamVersion === BigInt(prefix.length)) return remember(stream, prefix.concat(suffix));
        // Not the suffix of what is held (a store reset under us): the entry goes, the stream is read whole.
        entries.delete(stream);
        return remember(stream, (await readWhole([stream]))[0]!);
      }),
    );
  };

  const fold = <State, Event>(decider: Folding<State, Event>, events: readonly LedgerRecorded[]): State => {
    const first = events[0];
    const last = events.at(-1);
    if (first === undefined || last === undefined) return decider.initialState();
    const entry = entries?.peek(first.stream);
    const held = entry?.folds.get(decider);
    const usable = held !== undefined && events[held.index] === held.last;
    const from = usable ? held.index + 1 : 0;
    const base = usable ? (held.state as State) : decider.initialState();
    const state =
      from === events.length
        ? base
        : decider.evolveAll(
            base,
            events.slice(from).map((e) => ({ type: e.type, data: e.data }) as Event),
          );
    // Kept only for a history the entry holds (the same event objects), so it is computed from that prefix.
    if (entry && entry.events[events.length - 1] === last) entry.folds.set(decider, { state: frozen(state), last, index: events.length - 1 });
    return state;
  };

  const settled = async <T>(stream: string, parse: (events: readonly LedgerRecorded[]) => T | undefined): Promise<T | undefined> => {
    const held = entries?.get(stream)?.settled;
    if (held) return held.answer as T;
    const answer = parse(parsed(await store.readStream(stream)));
    if (answer !== undefined) settle(stream, answer);
    return answer;
  };

  const settle = <T>(stream: string, answer: T): void => {
    if (!entries) return;
    const held = entries.get(stream);
    entries.set(stream, { events: held?.events ?? [], folds: held?.folds ?? new Map(), settled: { answer: frozen(answer) } });
  };

  return {
    store,
    read,
    history: async (stream) => (await read([stream]))[0]!,
    fold,
    settled,
    settle,
    forget: (streams) => {
      for (const stream of streams) entries?.delete(stream);
    },
  };
}
