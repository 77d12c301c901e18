/**
 * The command path: a decision that sees its streams disagree is retried, streams expected to be
 * new are not read, a repeated command answers its first outcome. (What it holds between commands
 * is StreamStates' job: stream-states.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { createMemoryEventStore } from '../adapters/eventstore/memory';
import type { EventStore } from '../adapters/eventstore/port';
import type { CommandMetadata } from '../domain/shared/decider';
import { decideAcross, MAX_CONFLICT_RETRIES, TornRead } from './command-path';
import { testStates } from '../test/stream-states';

describe('a decision that sees its streams disagree (torn read)', () => {
  const meta = (commandId: string): CommandMetadata => ({ commandId, now: '2026-03-02T09:00:00.000Z', actor: { role: 'test', id: 't' } });

  it('is retried on fresh reads, and the retry decides', async () => {
    const store = createMemoryEventStore();
    let calls = 0;
    const outcome = await decideAcross(testStates(store), ['torn-a', 'torn-b'], meta('torn-1'), () => {
      calls++;
      if (calls === 1) throw new TornRead('a and b disagree');
      return [{ stream: 'torn-a', events: [{ type: 'ConsentPhoneNotFound', data: { caseId: 'torn-a' } }] }];
    });
    expect(calls).toBe(2);
    expect(outcome.events).toHaveLength(1);
  });

  it('that persists is thrown: then it was a bug, not a race', async () => {
    const store = createMemoryEventStore();
    let calls = 0;
    const error = await decideAcross(testStates(store), ['torn-c'], meta('torn-2'), () => {
      calls++;
      throw new TornRead('always');
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TornRead);
    expect(calls).toBe(MAX_CONFLICT_RETRIES);
  });
});

describe('streams expected to be new (expectNew)', () => {
  const meta = (commandId: string): CommandMetadata => ({ commandId, now: '2026-03-02T09:00:00.000Z', actor: { role: 'test', id: 't' } });
  /** Registers a key once: refuses when the index stream already holds an entry. */
  const register = (store: EventStore, commandId: string) =>
    decideAcross(
      testStates(store),
      ['owner-1', 'index-k'],
      meta(commandId),
      (loaded) => {
        if (loaded.get('index-k')!.events.length > 0) throw new Error('already registered');
        return [
          // Catalogue events (whatever is read back is parsed against the catalogue), standing for an owner and its index entry.
          { stream: 'owner-1', events: [{ type: 'ConsentPhoneNotFound', data: { caseId: commandId } }] },
          { stream: 'index-k', events: [{ type: 'ConsentTimedOut', data: { caseId: commandId, at: '2026-03-02T09:00:00.000Z' } }] },
        ];
      },
      { expectNew: ['index-k'] },
    );

  it('given the stream does not exist, when deciding, then it is not read at all', async () => {
    const store = createMemoryEventStore();
    const reads: string[] = [];
    const counted: EventStore = { ...store, readStream: (s, o) => (reads.push(s), store.readStream(s, o)) };
    await register(counted, 'r1');
    expect(reads).toEqual(['owner-1']);
    expect((await store.readStream('index-k')).map((e) => e.type)).toEqual(['ConsentTimedOut']);
  });

  it('given it exists after all, when deciding, then the append conflicts and the retry sees it', async () => {
    const store = createMemoryEventStore();
    await register(store, 'r1');
    expect(await register(store, 'r2').catch((e: Error) => e.message)).toBe('already registered');
    expect((await store.readStream('owner-1')).map((e) => e.data)).toEqual([{ caseId: 'r1' }]);
  });

  it('given the same command again, then its first outcome is returned, not a refusal', async () => {
    const store = createMemoryEventStore();
    await register(store, 'r1');
    const again = await register(store, 'r1');
    expect(again.repeated).toBe(true);
    expect(again.events.map((e) => e.stream)).toEqual(['owner-1', 'index-k']);
  });
});
