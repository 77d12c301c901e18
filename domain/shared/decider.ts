/**
 * A decider is data plus pure functions (Emmett's shape): no I/O, no clock, no randomness.
 * Time and ids a decision needs arrive on the command.
 */
export interface Decider<State, Command, Event> {
  initialState(): State;
  /** Returns the events that the command causes, or throws a DomainError with a stable code. */
  decide(command: Command, state: State): Event[];
  evolve(state: State, event: Event): State;
  /**
   * Evolve over many events at once, equal to folding `evolve` over them: what the command path
   * folds with. Most deciders take `evolveEach(evolve)`; one whose state holds big collections
   * copies them once for a run of events instead of once per event (the list decider).
   */
  evolveAll(state: State, events: readonly Event[]): State;
}

/** The `evolveAll` of a decider with nothing to gain from folding many events at once. */
export function evolveEach<State, Event>(evolve: (state: State, event: Event) => State): (state: State, events: readonly Event[]) => State {
  return (state, events) => events.reduce(evolve, state);
}

/** What every command carries besides its payload. */
export interface CommandMetadata {
  /** Client's id or Idempotency-Key: the seed of the resulting event ids. */
  readonly commandId: string;
  /** ISO-8601 instant from the Clock. */
  readonly now: string;
  readonly actor: { readonly role: string; readonly id: string };
  readonly correlationId?: string;
  readonly causationId?: string;
}

/** Domain events are plain `{ type, data }`; the store adds id, metadata, stream and positions. */
export interface DomainEvent<Type extends string = string, Data = unknown> {
  readonly type: Type;
  readonly data: Data;
}

export function fold<State, Event>(decider: Pick<Decider<State, unknown, Event>, 'initialState' | 'evolve'>, events: readonly Event[]): State {
  return events.reduce(decider.evolve, decider.initialState());
}

/** For `switch` exhaustiveness: `default: return unreachable(x)`. */
export function unreachable(value: never, what = 'value'): never {
  throw new Error(`unhandled ${what}: ${JSON.stringify(value)}`);
}

/** A broken invariant in our own code: a bug, not a refusal. */
export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`invariant violated: ${message}`);
}
