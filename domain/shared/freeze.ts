/**
 * Deciders' states are immutable values: `evolve` returns a new state and `decide` only reads it.
 * The command path relies on that (application/stream-states.ts holds folded states per stream and
 * folds only new events onto them). In dev and test it deep-freezes what it holds, so a decider
 * that mutates a state in place fails with a TypeError instead of corrupting a held state.
 */
const refuse = (kind: string) => () => {
  throw new TypeError(`a decider state is immutable: ${kind} on a frozen state`);
};

export function deepFreeze<T>(value: T, seen = new WeakSet<object>()): T {
  if (value === null || typeof value !== 'object' || seen.has(value as object) || Object.isFrozen(value)) return value;
  seen.add(value as object);
  if (value instanceof Map) {
    for (const [k, v] of value) {
      deepFreeze(k, seen);
      deepFreeze(v, seen);
    }
    Object.defineProperties(value, { set: { value: refuse('Map.set') }, delete: { value: refuse('Map.delete') }, clear: { value: refuse('Map.clear') } });
  } else if (value instanceof Set) {
    for (const v of value) deepFreeze(v, seen);
    Object.defineProperties(value, { add: { value: refuse('Set.add') }, delete: { value: refuse('Set.delete') }, clear: { value: refuse('Set.clear') } });
  } else {
    for (const v of Object.values(value as object)) deepFreeze(v, seen);
  }
  return Object.freeze(value);
}

/** The decider with every state it hands out deep-frozen. */
export function frozen<D extends { initialState(): unknown; evolve(state: never, event: never): unknown }>(decider: D): D {
  return {
    ...decider,
    initialState: () => deepFreeze(decider.initialState()),
    evolve: (state: never, event: never) => deepFreeze(decider.evolve(state, event)),
  };
}
