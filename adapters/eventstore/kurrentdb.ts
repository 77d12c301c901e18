/**
 * The KurrentDB adapter (the maintained EventStoreDB line), through @kurrent/kurrentdb-client.
 *
 * Mapping:
 * - expected versions map one to one (any / no_stream / stream_exists / revision); the server checks them.
 * - positions are the events' commit positions in the server's log (bigint; sparse, like ours).
 * - event ids are passed through (they must be UUIDs, which the port's ids are).
 * - metadata is stored as the event's JSON metadata; multi-stream appends only carry string
 *   properties, so there it travels as one JSON string under METADATA_PROPERTY and is unpacked on read.
 * - `$all` reads and subscriptions leave out system events ($-prefixed streams and types).
 *
 * Repeats: the server treats a repeated event id as an idempotent write but neither reports that
 * nor compares content, so before appending this adapter looks at the events after the expected
 * version (or, for `any`/`stream_exists`, the stream's events) and judges the write as the other
 * adapters do. Two identical appends racing each other may both report `repeated: false` (the
 * server still writes once).
 *
 * appendMany uses `multiStreamAppend`, which needs KurrentDB ≥ 25.1; older servers refuse it and
 * the error says so.
 */
import {
  ANY,
  BACKWARDS,
  END,
  FORWARDS,
  KurrentDBClient,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  StreamNotFoundError,
  WrongExpectedVersionError as KurrentWrongExpectedVersion,
  excludeSystemEvents,
  jsonEvent,
  type AllStreamResolvedEvent,
  type AppendStreamState,
  type EventData,
  type ReadPosition,
  type ResolvedEvent,
} from '@kurrent/kurrentdb-client';
import {
  DEFAULT_READ_BATCH,
  WrongExpectedVersionError,
  type AppendResult,
  type EventMetadata,
  type EventStore,
  type ExpectedVersion,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type StreamWrite,
  type Subscription,
} from './port';
import { assertWrites, judgeWrite, settleMany, tracked, type ExistingEvent, type Verdict } from './memory';

/** Property that carries our metadata, as JSON, in multi-stream appends (string values only there). */
export const METADATA_PROPERTY = 'swl-metadata';

export function createKurrentEventStore(connectionString: string): EventStore {
  const client = KurrentDBClient.connectionString(connectionString);
  const subscriptions = new Set<Subscription>();

  const append = async (stream: string, events: readonly NewEvent[], expectedVersion: ExpectedVersion = 'any'): Promise<AppendResult> => {
    const write: StreamWrite = { stream, events, expectedVersion };
    assertWrites([write]);
    const verdict = await judge(client, write);
    if (verdict.kind === 'repeated') return verdict.result;
    if (verdict.kind === 'rejected') throw verdict.error;
    try {
      const result = await client.appendToStream(
        stream,
        events.map((e) => toEventData(e, false)),
        { streamState: toStreamState(expectedVersion) },
      );
      return { nextExpectedVersion: result.nextExpectedRevision, lastPosition: result.position?.commit ?? 0n, repeated: false };
    } catch (error) {
      throw translate(error);
    }
  };

  const appendMany = async (writes: readonly StreamWrite[]): Promise<AppendResult[]> => {
    assertWrites(writes);
    if (writes.length === 1) return [await append(writes[0]!.stream, writes[0]!.events, writes[0]!.expectedVersion)];
    const settled = settleMany(await Promise.all(writes.map((w) => judge(client, w))));
    if (settled !== 'write') return settled;
    try {
      const result = await client.multiStreamAppend(
        writes.map((w) => ({ streamName: w.stream, expectedState: toStreamState(w.expectedVersion), events: w.events.map((e) => toEventData(e, true)) })),
      );
      // The server reports one position for the whole append: the log position of its commit.
      return writes.map((w, i) => ({ nextExpectedVersion: result.responses[i]!.revision, lastPosition: result.position, repeated: false }));
    } catch (error) {
      throw translate(error, 'appendMany needs KurrentDB ≥ 25.1 (multiStreamAppend)');
    }
  };

  return {
    kind: 'kurrentdb',
    append,
    appendMany,
    readStream: (stream, options) => readStream(client, stream, options),
    // No multi-stream read in the gRPC API; the reads run side by side.
    readStreams: (reads) => Promise.all(reads.map((r) => readStream(client, r.stream, r))),
    readAll: (options) => readAll(client, options),
    headPosition: async () => {
      for await (const resolved of client.readAll({ fromPosition: END, direction: BACKWARDS, maxCount: 1, filter: excludeSystemEvents() }))
        if (resolved.event) return resolved.event.position.commit;
      return 0n;
    },
    subscribe: (options) => tracked(subscriptions, subscribeToAll(client, options?.after ?? 0n)),
    close: async () => {
      await Promise.all([...subscriptions].map((s) => s.close()));
      await client.dispose();
    },
  };
}

function toStreamState(expected: ExpectedVersion): AppendStreamState {
  if (expected === 'any') return ANY;
  if (expected === 'no_stream') return NO_STREAM;
  if (expected === 'stream_exists') return STREAM_EXISTS;
  return expected;
}

function toEventData(event: NewEvent, propertiesOnly: boolean): EventData {
  const metadata = propertiesOnly ? { [METADATA_PROPERTY]: JSON.stringify(event.metadata) } : (event.metadata as Record<string, unknown>);
  return jsonEvent({ id: event.id, type: event.type, data: event.data as Record<string, unknown>, metadata });
}

function fromMetadata(raw: unknown): EventMetadata {
  const packed = (raw as Record<string, unknown> | undefined)?.[METADATA_PROPERTY];
  return (typeof packed === 'string' ? JSON.parse(packed) : raw) as EventMetadata;
}

function translate(error: unknown, unsupported?: string): unknown {
  if (error instanceof KurrentWrongExpectedVersion) {
    const actual = error.actualState === NO_STREAM ? undefined : (error.actualState as bigint);
    const expected: ExpectedVersion =
      error.expectedState === ANY || error.expectedState === NO_STREAM || error.expectedState === STREAM_EXISTS
        ? error.expectedState
        : (error.expectedState as bigint);
    return new WrongExpectedVersionError(error.streamName, expected, actual);
  }
  const code = (error as { code?: number }).code;
  if (unsupported && code === 12 /* gRPC UNIMPLEMENTED */) return new Error(unsupported, { cause: error });
  return error;
}

/** System events of the server itself: never part of our log. */
const isSystem = (e: { streamId: string; type: string }): boolean => e.streamId.startsWith('$') || e.type.startsWith('$');

function toRecorded(resolved: ResolvedEvent | AllStreamResolvedEvent): RecordedEvent | undefined {
  const e = resolved.event;
  if (!e || isSystem(e)) return undefined;
  return {
    id: e.id,
    type: e.type,
    data: e.data,
    metadata: fromMetadata(e.metadata),
    stream: e.streamId,
    streamVersion: e.revision,
    position: e.position?.commit ?? 0n,
  };
}

async function readStream(client: KurrentDBClient, stream: string, options?: ReadStreamOptions & { backwards?: boolean }): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  try {
    const reading = client.readStream(stream, {
      fromRevision: options?.backwards ? END : (options?.fromVersion ?? START),
      direction: options?.backwards ? BACKWARDS : FORWARDS,
      ...(options?.maxCount === undefined ? {} : { maxCount: options.maxCount }),
    });
    for await (const resolved of reading) {
      const recorded = toRecorded(resolved);
      if (recorded) events.push(recorded);
    }
  } catch (error) {
    if (error instanceof StreamNotFoundError) return [];
    throw error;
  }
  return events;
}

const fromPosition = (after: bigint): ReadPosition => (after === 0n ? START : { commit: after, prepare: after });

/** `after` is exclusive; the server starts at that position inclusive, so the event there is dropped. */
async function readAll(client: KurrentDBClient, options?: ReadAllOptions): Promise<RecordedEvent[]> {
  const after = options?.after ?? 0n;
  const maxCount = options?.maxCount ?? DEFAULT_READ_BATCH;
  const events: RecordedEvent[] = [];
  const reading = client.readAll({ fromPosition: fromPosition(after), direction: FORWARDS, maxCount: maxCount + 1, filter: excludeSystemEvents() });
  for await (const resolved of reading) {
    const recorded = toRecorded(resolved);
    if (recorded && recorded.position > after && events.length < maxCount) events.push(recorded);
  }
  return events;
}

/** Reads what judging a write needs: the stream's last version and the events that might be this write's first attempt. */
async function judge(client: KurrentDBClient, write: StreamWrite): Promise<Verdict> {
  const [last] = await readStream(client, write.stream, { backwards: true, maxCount: 1 });
  const current = last?.streamVersion;
  const expected = write.expectedVersion;
  const candidates =
    current === undefined
      ? []
      : typeof expected === 'bigint'
        ? current > expected
          ? await readStream(client, write.stream, { fromVersion: expected + 1n, maxCount: write.events.length })
          : []
        : expected === 'no_stream'
          ? await readStream(client, write.stream, { maxCount: write.events.length })
          : await readStream(client, write.stream);
  const byId = new Map<string, ExistingEvent>(candidates.map((e) => [e.id, e]));
  return judgeWrite(write, current, (id) => byId.get(id));
}

function subscribeToAll(client: KurrentDBClient, after: bigint): Subscription {
  const subscription = client.subscribeToAll({ fromPosition: fromPosition(after), filter: excludeSystemEvents() });
  let closed = false;
  async function* events(): AsyncGenerator<RecordedEvent> {
    for await (const resolved of subscription) {
      if (closed) return;
      const recorded = toRecorded(resolved);
      if (recorded && recorded.position > after) yield recorded;
    }
  }
  const iterator = events();
  return {
    [Symbol.asyncIterator]: () => iterator,
    close: async () => {
      closed = true;
      await subscription.unsubscribe();
    },
  };
}
