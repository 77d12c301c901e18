/**
 * The in-memory event store: domain tests, property tests and the simulator's fastest mode.
 * Same semantics as the Postgres adapter (one contract suite, contract.ts), including how an
 * idempotent repeat is recognised, so a simulation behaves like production.
 *
 * Also home of the pieces every adapter shares: the verdict on a write that may not fit
 * (`judgeWrite`, `settleMany`), content equality for repeats, and the catch-up subscription.
 */
import {
  DEFAULT_READ_BATCH,
  EventIdConflictError,
  WrongExpectedVersionError,
  type AppendResult,
  type EventStore,
  type ExpectedVersion,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type StreamRead,
  type StreamWrite,
  type Subscription,
} from './port';

/** Positions of one transaction are packed under its id (see postgres/rows.ts); this bounds an append. */
export const MAX_EVENTS_PER_APPEND = 65_535;

interface StoredStream {
  readonly events: RecordedEvent[];
  readonly byId: Map<string, RecordedEvent>;
}

export function createMemoryEventStore(): EventStore {
  const all: RecordedEvent[] = [];
  const streams = new Map<string, StoredStream>();
  const wakeup = new Wakeup();
  const subscriptions = new Set<Subscription>();

  const judge = (write: StreamWrite): Verdict => {
    const stored = streams.get(write.stream);
    const current = stored ? BigInt(stored.events.length - 1) : undefined;
    return judgeWrite(write, current, (id) => stored?.byId.get(id));
  };

  const write = ({ stream, events }: StreamWrite): AppendResult => {
    let stored = streams.get(stream);
    if (!stored) streams.set(stream, (stored = { events: [], byId: new Map() }));
    for (const event of events) {
      const recorded: RecordedEvent = {
        ...frozenCopy(event),
        stream,
        streamVersion: BigInt(stored.events.length),
        position: BigInt(all.length + 1),
      };
      all.push(recorded);
      stored.events.push(recorded);
      stored.byId.set(recorded.id, recorded);
    }
    const last = stored.events.at(-1)!;
    return { nextExpectedVersion: last.streamVersion, lastPosition: last.position, repeated: false };
  };

  const readStream = (stream: string, options?: ReadStreamOptions): RecordedEvent[] => {
    const events = streams.get(stream)?.events ?? [];
    const from = Number(options?.fromVersion ?? 0n);
    return events.slice(from, options?.maxCount === undefined ? undefined : from + options.maxCount);
  };

  const appendMany = async (writes: readonly StreamWrite[]): Promise<AppendResult[]> => {
    assertWrites(writes);
    const settled = settleMany(writes.map(judge));
    if (settled !== 'write') return settled;
    const results = writes.map(write);
    wakeup.notify();
    return results;
  };

  return {
    kind: 'memory',
    append: async (stream, events, expectedVersion = 'any') => (await appendMany([{ stream, events, expectedVersion }]))[0]!,
    appendMany,
    readStream: async (stream, options?: ReadStreamOptions) => readStream(stream, options),
    readStreams: async (reads: readonly StreamRead[]) => reads.map((r) => readStream(r.stream, r)),
    // Positions are dense here (1, 2, 3…), so `after` is also the array index to start from.
    readAll: async (options?: ReadAllOptions) => {
      const from = Number(options?.after ?? 0n);
      return all.slice(from, from + (options?.maxCount ?? DEFAULT_READ_BATCH));
    },
    headPosition: async () => BigInt(all.length),
    subscribe: (options) => {
      const subscription = catchUpSubscription({
        after: options?.after ?? 0n,
        read: async (after, maxCount) => all.slice(Number(after), Number(after) + maxCount),
        wakeup,
      });
      return tracked(subscriptions, subscription);
    },
    close: async () => {
      await Promise.all([...subscriptions].map((s) => s.close()));
      subscriptions.clear();
    },
  };
}

/** Keeps a subscription in `open` until it closes, so the store's close() can end the ones still running. */
export function tracked(open: Set<Subscription>, subscription: Subscription): Subscription {
  const wrapped: Subscription = {
    [Symbol.asyncIterator]: () => subscription[Symbol.asyncIterator](),
    close: async () => {
      open.delete(wrapped);
      await subscription.close();
    },
  };
  open.add(wrapped);
  return wrapped;
}

/** Stored data is what JSON can carry, as in the other adapters, and later mutation of the caller's objects cannot change history. */
function frozenCopy(event: NewEvent): NewEvent {
  return {
    id: event.id,
    type: event.type,
    data: JSON.parse(JSON.stringify(event.data)) as unknown,
    metadata: JSON.parse(JSON.stringify(event.metadata)) as NewEvent['metadata'],
  };
}

// ---------------------------------------------------------------------------------------------
// Shared by the adapters: validating writes and judging the ones that do not simply fit.

/** Event ids are UUIDs in every adapter (a uuid column in Postgres, KurrentDB's own rule), written the way Postgres returns them. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Rejects what no adapter accepts: empty appends, oversized appends, a stream written twice in one call. */
export function assertWrites(writes: readonly StreamWrite[]): void {
  if (writes.length === 0) throw new Error('appendMany needs at least one write');
  const seen = new Set<string>();
  let total = 0;
  for (const write of writes) {
    if (write.events.length === 0) throw new Error(`append to ${write.stream}: no events`);
    if (seen.has(write.stream)) throw new Error(`appendMany: stream ${write.stream} appears twice; streams must be distinct`);
    if (typeof write.expectedVersion === 'bigint' && write.expectedVersion < 0n)
      throw new Error(`append to ${write.stream}: expected version must be ≥ 0 (use 'no_stream')`);
    for (const event of write.events) if (!UUID.test(event.id)) throw new Error(`append to ${write.stream}: event id ${event.id} is not a lowercase UUID`);
    seen.add(write.stream);
    total += write.events.length;
  }
  if (total > MAX_EVENTS_PER_APPEND) throw new Error(`one append holds at most ${MAX_EVENTS_PER_APPEND} events, got ${total}`);
}

/** What an event already in the stream looks like, for the repeat check. */
export interface ExistingEvent {
  readonly type: string;
  readonly data: unknown;
  readonly streamVersion: bigint;
  readonly position: bigint;
}

export type Verdict =
  | { readonly kind: 'fits' }
  | { readonly kind: 'repeated'; readonly result: AppendResult; readonly error: WrongExpectedVersionError }
  | { readonly kind: 'rejected'; readonly error: Error };

/**
 * Decides whether a write fits the stream as it is now.
 * Ids are looked up only for `any` and `stream_exists`; with `no_stream` or an exact version the
 * version itself tells a retry apart (a retry arrives with the version it was first sent with, which
 * the stream has since passed) — the same rule KurrentDB applies, and it spares Postgres an id index.
 */
export function judgeWrite(write: StreamWrite, current: bigint | undefined, existing: (id: string) => ExistingEvent | undefined): Verdict {
  const { stream, expectedVersion: expected, events } = write;
  const checksIds = expected === 'any' || expected === 'stream_exists';
  const found = events.map((e) => existing(e.id));
  if (versionFits(expected, current) && (!checksIds || found.every((f) => f === undefined))) return { kind: 'fits' };
  const wrongVersion = new WrongExpectedVersionError(stream, expected, current);
  for (const [i, event] of events.entries()) {
    const stored = found[i];
    if (stored && !(stored.type === event.type && sameJson(stored.data, event.data)))
      return { kind: 'rejected', error: new EventIdConflictError(stream, event.id) };
  }
  if (!found.every((f) => f !== undefined)) return { kind: 'rejected', error: wrongVersion };
  const last = found.reduce((a, b) => (b.streamVersion > a.streamVersion ? b : a));
  const lastPosition = found.reduce((max, f) => (f.position > max ? f.position : max), 0n);
  return { kind: 'repeated', result: { nextExpectedVersion: last.streamVersion, lastPosition, repeated: true }, error: wrongVersion };
}

function versionFits(expected: ExpectedVersion, current: bigint | undefined): boolean {
  switch (expected) {
    case 'any':
      return true;
    case 'no_stream':
      return current === undefined;
    case 'stream_exists':
      return current !== undefined;
    default:
      return current === expected;
  }
}

/**
 * The verdict on a multi-stream write: `'write'` when every write fits, the original results when
 * every write is a repeat; otherwise the first error. A repeat mixed with new writes is not a retry
 * of the same call, so it is refused as the version conflict it is.
 */
export function settleMany(verdicts: readonly Verdict[]): 'write' | AppendResult[] {
  for (const v of verdicts) if (v.kind === 'rejected') throw v.error;
  if (verdicts.every((v) => v.kind === 'fits')) return 'write';
  const repeats = verdicts.filter((v) => v.kind === 'repeated');
  if (repeats.length === verdicts.length) return repeats.map((v) => v.result);
  throw repeats[0]!.error;
}

/** JSON equality that ignores key order (jsonb and KurrentDB may reorder keys). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    return a.length === other.length && a.every((item, i) => sameJson(item, other[i]));
  }
  const left = Object.entries(a).filter(([, v]) => v !== undefined);
  const right = b as Record<string, unknown>;
  const rightCount = Object.values(right).filter((v) => v !== undefined).length;
  return left.length === rightCount && left.every(([k, v]) => sameJson(v, right[k]));
}

// ---------------------------------------------------------------------------------------------
// Shared by the adapters: catch-up then live subscriptions.

/**
 * A generation counter with waiters. Readers remember the generation before reading, so a
 * notification that lands between their read and their wait is not lost.
 */
export class Wakeup {
  private generation = 0;
  private readonly waiters = new Set<() => void>();

  get current(): number {
    return this.generation;
  }

  notify(): void {
    this.generation++;
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }

  /** Resolves when notified after `seen`, after `timeoutMs` (the polling fallback), or on abort. */
  wait(seen: number, signal: AbortSignal, timeoutMs?: number): Promise<void> {
    if (this.generation !== seen || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const waiters = this.waiters;
      const timer = timeoutMs === undefined ? undefined : setTimeout(done, timeoutMs);
      function done(): void {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        waiters.delete(done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
      this.waiters.add(done);
    });
  }
}

export interface CatchUpOptions {
  readonly after: bigint;
  /** One batch of events after a position, in position order. */
  readonly read: (after: bigint, maxCount: number) => Promise<RecordedEvent[]>;
  readonly wakeup: Wakeup;
  /** Re-read at least this often even without a wakeup (other processes, aborted transactions). */
  readonly pollIntervalMs?: number;
  readonly batchSize?: number;
}

/** Reads batches until one comes back short, then waits for a wakeup; `close()` ends the iteration. */
export function catchUpSubscription(options: CatchUpOptions): Subscription {
  const batchSize = options.batchSize ?? DEFAULT_READ_BATCH;
  const stop = new AbortController();
  let busy: Promise<unknown> = Promise.resolve();

  async function* events(): AsyncGenerator<RecordedEvent> {
    let position = options.after;
    while (!stop.signal.aborted) {
      const seen = options.wakeup.current;
      const reading = options.read(position, batchSize);
      busy = reading.catch(() => undefined);
      const batch = await reading;
      for (const event of batch) {
        if (stop.signal.aborted) return;
        position = event.position;
        yield event;
      }
      if (batch.length < batchSize) {
        const waiting = options.wakeup.wait(seen, stop.signal, options.pollIntervalMs);
        busy = waiting;
        await waiting;
      }
    }
  }

  const iterator = events();
  return {
    [Symbol.asyncIterator]: () => iterator,
    close: async () => {
      stop.abort();
      // Let a read in flight finish, so the caller may end the pool right after close().
      await busy;
    },
  };
}
