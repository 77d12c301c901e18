/**
 * given / when / then for any Decider (STYLE.md "Tests"):
 *   given(decider, [events]).when(command).then([events])     exact `{type, data}` list
 *   given(decider, [events]).when(command).thenFails('code')  a DomainError with that code
 *   …thenState((state, events) => …) / …events()              for partial assertions
 * `then` also folds the new events onto the history, so an event `evolve` cannot take fails here.
 * Test-only (imports vitest); works for every decider in domain/ (consent, lists, vouchers).
 */
import { expect } from 'vitest';
import type { CommandMetadata, Decider, DomainEvent } from '../domain/shared/decider';
import { fold } from '../domain/shared/decider';
import { DomainError } from '../domain/shared/errors';
import type { Code } from '../domain/shared/codes';
import { frozen } from '../domain/shared/freeze';

/** Command metadata at a fixed instant; the command id defaults to one derived from the instant. */
export function meta(now: string, commandId = `cmd-${now}`, actor = { role: 'test', id: 'test' }): CommandMetadata {
  return { commandId, now, actor };
}

export interface When<S, E> {
  then(expected: readonly E[]): E[];
  events(): E[];
  thenState(check: (state: S, events: E[]) => void): void;
  thenFails(code: Code): DomainError;
}

export function given<S, C, E extends DomainEvent>(unfrozen: Decider<S, C, E>, history: readonly E[] = []) {
  // States are deep-frozen: a decide or evolve that mutates one fails here (see freeze.ts).
  const decider = frozen(unfrozen);
  return {
    when(command: C): When<S, E> {
      const run = () => decider.decide(command, fold(decider, history));
      return {
        then(expected) {
          const events = run();
          expect(events).toEqual(expected);
          fold(decider, [...history, ...events]);
          return events;
        },
        events() {
          const events = run();
          fold(decider, [...history, ...events]);
          return events;
        },
        thenState(check) {
          const events = run();
          check(fold(decider, [...history, ...events]), events);
        },
        thenFails(code) {
          let thrown: unknown;
          try {
            run();
          } catch (error) {
            thrown = error;
          }
          expect(thrown, `expected refusal ${code}`).toBeInstanceOf(DomainError);
          expect((thrown as DomainError).code).toBe(code);
          return thrown as DomainError;
        },
      };
    },
    /** The state the history folds to. */
    state(): S {
      return fold(decider, history);
    },
  };
}
