/**
 * The one command path, used by the API, the scheduler and the simulators:
 * load stream(s) → fold (evolve) → decide → append with the expected version(s).
 * - Idempotent by command id: when a stream already holds events of this command, the first
 *   result is returned and nothing is decided again.
 * - Optimistic concurrency: on a version conflict the whole thing is retried on fresh state.
 * - All streams of one decision are appended atomically (appendMany).
 * What it reads and folds goes through StreamStates (stream-states.ts), which owns every held state.
 */
import type { EventMetadata, NewEvent, StreamWrite } from '../adapters/eventstore/port';
import type { LedgerRecorded } from '../adapters/eventstore/ledger-events';
import { WrongExpectedVersionError } from '../adapters/eventstore/port';
import type { CommandMetadata, Decider } from '../domain/shared/decider';
import type { LedgerEvent } from '../domain/events';
import { invariant } from '../domain/shared/decider';
import { eventId } from '../domain/shared/ids';
import { DomainError, TornRead } from '../domain/shared/errors';
import type { StreamStates } from './stream-states';

export { TornRead } from '../domain/shared/errors';

/** Conflicting writers on one stream are rare (one family, one pupil); give up after this many tries. */
export const MAX_CONFLICT_RETRIES = 8;

export interface Decision {
  readonly stream: string;
  readonly events: readonly LedgerEvent[];
  /** Merged into each event's metadata (familyId, program…). */
  readonly metadata?: Partial<EventMetadata>;
}

export interface Outcome {
  /** The events of this command as stored (or as first stored, when repeated). */
  readonly events: readonly (LedgerEvent & { readonly stream: string })[];
  readonly repeated: boolean;
}

/** Loaded state of a stream: its events and the version to expect when appending. */
export interface Loaded {
  readonly stream: string;
  readonly events: readonly LedgerRecorded[];
  readonly version: bigint | undefined;
}

export interface DecideOptions {
  /**
   * Streams almost always new (an index entry): the first attempt does not read them and appends with
   * "no stream"; one that exists conflicts, and the retry reads every stream (a repeat is still found).
   */
  readonly expectNew?: readonly string[];
}

/**
 * Decides across several streams: `decide` sees every stream's history and returns what to append
 * where. Used for one-stream commands too (see `handle`).
 */
export async function decideAcross(
  states: StreamStates,
  streamNames: readonly string[],
  meta: CommandMetadata,
  decide: (loaded: ReadonlyMap<string, Loaded>) => readonly Decision[],
  options: DecideOptions = {},
): Promise<Outcome> {
  for (let attempt = 1; ; attempt++) {
    const assumedNew = attempt === 1 ? (options.expectNew ?? []) : [];
    const loaded = await load(states, streamNames, assumedNew);
    const earlier = eventsOfCommand(loaded, meta.commandId);
    // A repeat seen on a partial read: read every stream, so the answer holds all its events.
    if (earlier.length > 0)
      return { events: assumedNew.length > 0 ? eventsOfCommand(await load(states, streamNames, []), meta.commandId) : earlier, repeated: true };
    let decided: readonly Decision[];
    try {
      decided = decide(loaded);
    } catch (error) {
      if (!(error instanceof TornRead) || attempt >= MAX_CONFLICT_RETRIES) throw error;
      states.forget(loaded.keys());
      continue;
    }
    const decisions = decided.filter((d) => d.events.length > 0);
    if (decisions.length === 0) return { events: [], repeated: false };
    const writes = toWrites(decisions, loaded, meta);
    try {
      await (writes.length === 1 ? states.store.append(writes[0]!.stream, writes[0]!.events, writes[0]!.expectedVersion) : states.store.appendMany(writes));
      return { events: decisions.flatMap((d) => d.events.map((e) => ({ ...e, stream: d.stream }))), repeated: false };
    } catch (error) {
      if (!(error instanceof WrongExpectedVersionError)) throw error;
      states.forget(writes.map((w) => w.stream));
      if (attempt >= MAX_CONFLICT_RETRIES) throw new DomainError('version_conflict', error.message);
    }
  }
}

/** One stream, one decider. */
export async function handle<State, Command extends { metadata: CommandMetadata }, Event extends LedgerEvent>(
  states: StreamStates,
  stream: string,
  decider: Decider<State, Command, Event>,
  command: Command,
  metadata?: Partial<EventMetadata>,
): Promise<Outcome & { state: State }> {
  let state = decider.initialState();
  const outcome = await decideAcross(states, [stream], command.metadata, (loaded) => {
    state = states.fold(decider, loaded.get(stream)!.events);
    const events = decider.decide(command, state);
    state = decider.evolveAll(state, events);
    return [{ stream, events, ...(metadata ? { metadata } : {}) }];
  });
  return { ...outcome, state };
}

/** The streams' histories (those assumed new are not read). */
async function load(states: StreamStates, streamNames: readonly string[], assumedNew: readonly string[]): Promise<Map<string, Loaded>> {
  const skipped = new Set(assumedNew);
  const unique = [...new Set(streamNames)].filter((stream) => !skipped.has(stream));
  const histories = await states.read(unique);
  const loaded = new Map(unique.map((stream, i) => [stream, { stream, events: histories[i]!, version: histories[i]!.at(-1)?.streamVersion }]));
  for (const stream of skipped) loaded.set(stream, { stream, events: [], version: undefined });
  return loaded;
}

function eventsOfCommand(loaded: ReadonlyMap<string, Loaded>, commandId: string): Outcome['events'] {
  const found: Outcome['events'][number][] = [];
  for (const { events } of loaded.values()) for (const e of events) if (e.metadata.commandId === commandId) found.push(e);
  return found;
}

function toWrites(decisions: readonly Decision[], loaded: ReadonlyMap<string, Loaded>, meta: CommandMetadata): StreamWrite[] {
  let index = 0;
  return decisions.map((decision) => {
    invariant(loaded.has(decision.stream), `decision for unloaded stream ${decision.stream}`);
    const version = loaded.get(decision.stream)!.version;
    const { commandId, correlationId = commandId, causationId = commandId, actor, now: recordedAt } = meta;
    const metadata = { commandId, correlationId, causationId, actor, recordedAt, ...decision.metadata };
    const events: NewEvent[] = decision.events.map((e) => ({ id: eventId(commandId, index++), type: e.type, data: e.data, metadata }));
    return { stream: decision.stream, expectedVersion: version === undefined ? 'no_stream' : version, events };
  });
}
