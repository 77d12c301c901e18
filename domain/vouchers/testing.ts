/**
 * given / when / then for deciders (local helper until domain/testing/given.ts exists):
 *   given(decider, [events]).when(command).then([events])   or   .thenFails('code')
 * `then` compares `{type, data}` exactly; `thenState` checks the state after the new events.
 */
import { expect } from 'vitest';
import type { CommandMetadata, Decider, DomainEvent } from '../shared/decider';
import { fold } from '../shared/decider';
import { DomainError } from '../shared/errors';
import type { Code } from '../shared/codes';

export function meta(now: string, commandId = `cmd-${now}`, actor = { role: 'test', id: 'test' }): CommandMetadata {
  return { commandId, now, actor };
}

export function given<S, C, E extends DomainEvent>(decider: Decider<S, C, E>, history: readonly E[] = []) {
  return {
    when(command: C) {
      const run = () => decider.decide(command, fold(decider, history));
      return {
        then(expected: readonly E[]): E[] {
          const events = run();
          expect(events).toEqual(expected);
          fold(decider, [...history, ...events]); // the new events must evolve cleanly
          return events;
        },
        /** The new events, for partial assertions. */
        events(): E[] {
          return run();
        },
        thenState(check: (state: S, events: E[]) => void): void {
          const events = run();
          check(fold(decider, [...history, ...events]), events);
        },
        thenFails(code: Code): void {
          let thrown: unknown;
          try {
            run();
          } catch (error) {
            thrown = error;
          }
          expect(thrown, `expected refusal ${code}`).toBeInstanceOf(DomainError);
          expect((thrown as DomainError).code).toBe(code);
        },
      };
    },
  };
}
