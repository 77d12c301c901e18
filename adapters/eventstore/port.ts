/**
 * The event store port. Three adapters implement it (postgres, kurrentdb, memory) and pass one
 * contract suite (contract.ts). Positions and versions are bigint throughout.
 */

/** Who did it, for the audit trail. `id` is the subject of the caller's token (family, shop, device…). */
export interface Actor {
  readonly role: string;
  readonly id: string;
}

/** Carried by every event. Time comes from the Clock, never from the store. */
export interface EventMetadata {
  /** The command this event came from; event ids are derived from it. */
  readonly commandId: string;
  readonly correlationId: string;
  readonly causationId: string;
  readonly actor: Actor;
  /** ISO-8601 instant from the Clock when the command was decided. */
  readonly recordedAt: string;
  readonly familyId?: string;
  readonly program?: string;
  /** Anything else an adapter or caller wants to keep (kept as-is). */
  readonly [key: string]: unknown;
}

/** An event to append. `id` is deterministic (see eventId in ids.ts): a retried command appends nothing new. */
export interface NewEvent<Type extends string = string, Data = unknown> {
  readonly id: string;
  readonly type: Type;
  readonly data: Data;
  readonly metadata: EventMetadata;
}

export interface RecordedEvent<Type extends string = string, Data = unknown> extends NewEvent<Type, Data> {
  readonly stream: string;
  /** 0-based revision of the event inside its stream. */
  readonly streamVersion: bigint;
  /** Global position in `$all`; strictly increasing in read order, not necessarily dense. */
  readonly position: bigint;
}

/**
 * - `any`: no check;
 * - `no_stream`: the stream must not exist;
 * - `stream_exists`: the stream must have at least one event;
 * - a bigint: the revision of the stream's last event (so `-1n` is not allowed; use `no_stream`).
 */
export type ExpectedVersion = 'any' | 'no_stream' | 'stream_exists' | bigint;

export interface AppendResult {
  /** Revision of the stream's last event after this append. */
  readonly nextExpectedVersion: bigint;
  /** Global position of the last event appended (or of the original, for an idempotent repeat). */
  readonly lastPosition: bigint;
  /** True when every event id was already in the stream with the same content: nothing was written. */
  readonly repeated: boolean;
}

export interface StreamWrite {
  readonly stream: string;
  readonly expectedVersion: ExpectedVersion;
  readonly events: readonly NewEvent[];
}

export interface ReadStreamOptions {
  /** First revision to return (inclusive). Default 0n. */
  readonly fromVersion?: bigint;
  readonly maxCount?: number;
}

/** One stream of a `readStreams` call. */
export interface StreamRead {
  readonly stream: string;
  /** First revision to return (inclusive). Default 0n. */
  readonly fromVersion?: bigint;
}

export interface ReadAllOptions {
  /** Return events with position strictly greater than this. Default 0n (from the start). */
  readonly after?: bigint;
  /** Batch size. Default 1000. */
  readonly maxCount?: number;
}

/** Catch-up then live. Iterate it; `close()` ends the iteration. */
export interface Subscription extends AsyncIterable<RecordedEvent> {
  close(): Promise<void>;
}

export interface EventStore {
  /** Which adapter this is, for logs and metrics. */
  readonly kind: 'postgres' | 'kurrentdb' | 'memory';
  append(stream: string, events: readonly NewEvent[], expectedVersion?: ExpectedVersion): Promise<AppendResult>;
  /** All writes or none. Each stream's expected version is checked. Streams must be distinct. */
  appendMany(writes: readonly StreamWrite[]): Promise<AppendResult[]>;
  /** The stream's events in order; an empty array when the stream does not exist. */
  readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /**
   * Several streams at once: `result[i]` is what `readStream(reads[i].stream, { fromVersion })`
   * returns (`[]` for a missing stream); a stream may be named twice. Postgres answers in one
   * statement: one round trip instead of one per stream (a canteen batch reads hundreds), and one
   * snapshot, so an atomic multi-stream append is seen whole or not at all. Every adapter and
   * every wrapper implements it (a wrapper forwards it).
   */
  readStreams(reads: readonly StreamRead[]): Promise<RecordedEvent[][]>;
  /** One batch of `$all` in position order. Never skips an event that commits later (see adapters). */
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  /** Position of the last event a reader may safely see now (0n when empty). */
  headPosition(): Promise<bigint>;
  subscribe(options?: { after?: bigint }): Subscription;
  close(): Promise<void>;
}

export class WrongExpectedVersionError extends Error {
  override readonly name = 'WrongExpectedVersionError';
  constructor(
    readonly stream: string,
    readonly expected: ExpectedVersion,
    /** Revision of the stream's last event, or undefined when it does not exist. */
    readonly actual: bigint | undefined,
  ) {
    super(`stream ${stream}: expected version ${String(expected)}, actual ${actual === undefined ? 'no stream' : actual}`);
  }
}

/** The same event id was appended before with different content. */
export class EventIdConflictError extends Error {
  override readonly name = 'EventIdConflictError';
  constructor(
    readonly stream: string,
    readonly eventId: string,
  ) {
    super(`stream ${stream}: event ${eventId} exists with different content`);
  }
}

export const DEFAULT_READ_BATCH = 1000;
