/**
 * The command path's per-process stream cache: a command reads only the events after the version
 * it holds, and the answer is always the stream's whole history — also when another process
 * (another store object over the same log) appended meanwhile, and after a version conflict.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryEventStore } from '../adapters/eventstore/memory';
import type { EventStore, ReadStreamOptions } from '../adapters/eventstore/port';
import type { CommandMetadata, Decider } from '../domain/shared/decider';
import { decideAcross, foldRecorded, forgetStream, handle, MAX_CONFLICT_RETRIES, readStream, TornRead } from './command-path';

type Counter = { status: 'Counting'; n: number };
type Add = { type: 'Add'; data: { by: number }; metadata: CommandMetadata };
type Added = { type: 'Added'; data: { by: number; total: number } };
const counter: Decider<Counter, Add, Added> = {
  initialState: () => ({ status: 'Counting', n: 0 }),
  decide: (c, s) => [{ type: 'Added', data: { by: c.data.by, total: s.n + c.data.by } }],
  evolve: (s, e) => ({ status: 'Counting', n: e.data.total }),
};
const add = (by: number, commandId: string): Add => ({ type: 'Add', data: { by }, metadata: { commandId, now: '2026-03-02T09:00:00.000Z', actor: { role: 'test', id: 't' } } });

/** Another "process" over the same log: a distinct store object, so a distinct cache; it records what it was asked to read. */
function view(store: EventStore): EventStore & { reads: (ReadStreamOptions | undefined)[] } {
  const reads: (ReadStreamOptions | undefined)[] = [];
  return { ...store, reads, readStream: (s, o) => (reads.push(o), store.readStream(s, o)) };
}

describe('command path stream cache', () => {
  it('given a cached stream, when it is read again, then only the events after the cached version are asked for', async () => {
    const log = createMemoryEventStore();
    const a = view(log);
    await handle(a, 'counter-1', counter, add(1, 'c1'));
    await handle(a, 'counter-1', counter, add(2, 'c2'));
    const events = await readStream(a, 'counter-1');
    expect(events.map((e) => e.streamVersion)).toEqual([0n, 1n]);
    // first command: a whole read of an empty stream (nothing to cache); second: a whole read, cached at version 0;
    // the read above: only what came after version 0 (the second command's event).
    expect(a.reads).toEqual([undefined, undefined, { fromVersion: 1n }]);
  });

  it('given another process appended meanwhile, when this one decides, then it sees the whole history and appends after it', async () => {
    const log = createMemoryEventStore();
    const a = view(log);
    const b = view(log);
    await handle(a, 'counter-1', counter, add(1, 'c1'));
    await readStream(a, 'counter-1');
    await handle(b, 'counter-1', counter, add(10, 'c2'));
    const { state } = await handle(a, 'counter-1', counter, add(100, 'c3'));
    expect(state.n).toBe(111);
    expect((await log.readStream('counter-1')).map((e) => (e.data as Added['data']).total)).toEqual([1, 11, 111]);
  });

  it('given a cache that is stale in a way suffix reads cannot see, when a command conflicts, then the retry reads the stream whole and succeeds', async () => {
    const log = createMemoryEventStore();
    // One store object (one cache) that can be told to answer the next suffix read with nothing.
    let hideNextSuffix = false;
    const reads: (ReadStreamOptions | undefined)[] = [];
    const a: EventStore = {
      ...log,
      readStream: async (s, o) => {
        reads.push(o);
        if (hideNextSuffix && o?.fromVersion !== undefined) return (hideNextSuffix = false), [];
        return log.readStream(s, o);
      },
    };
    await handle(a, 'counter-1', counter, add(1, 'c1'));
    await readStream(a, 'counter-1');
    await log.append('counter-1', [
      { id: '00000000-0000-4000-8000-000000000001', type: 'Added', data: { by: 5, total: 6 }, metadata: { commandId: 'ext', correlationId: 'ext', causationId: 'ext', actor: { role: 't', id: 't' }, recordedAt: '2026-03-02T09:00:00.000Z' } },
    ]);
    hideNextSuffix = true;
    reads.length = 0;
    const { state } = await handle(a, 'counter-1', counter, add(2, 'c2'));
    expect(state.n).toBe(8);
    expect(reads).toEqual([{ fromVersion: 1n }, undefined]);
  });

  it('a repeated command is recognised from cached events, and forgetStream makes the next read a whole one', async () => {
    const log = createMemoryEventStore();
    const a = view(log);
    const first = await handle(a, 'counter-1', counter, add(1, 'c1'));
    await readStream(a, 'counter-1');
    const again = await handle(a, 'counter-1', counter, add(1, 'c1'));
    expect(again.repeated).toBe(true);
    expect(again.events).toEqual(first.events);
    forgetStream(a, 'counter-1');
    await readStream(a, 'counter-1');
    expect(a.reads.at(-1)).toEqual(undefined);
  });

  it('keeps at most `capacity` streams (least recently used out)', async () => {
    const log = createMemoryEventStore();
    const a = view(log);
    for (const s of ['s1', 's2', 's3']) await handle(a, s, counter, add(1, `${s}-c`));
    for (const s of ['s1', 's2', 's3']) await readStream(a, s, 2);
    a.reads.length = 0;
    await readStream(a, 's1', 2);
    await readStream(a, 's3', 2);
    expect(a.reads).toEqual([undefined, { fromVersion: 1n }]);
  });
});

describe('a decision that sees its streams disagree (torn read)', () => {
  const meta = (commandId: string): CommandMetadata => ({ commandId, now: '2026-03-02T09:00:00.000Z', actor: { role: 'test', id: 't' } });

  it('is retried on fresh reads, and the retry decides', async () => {
    const store = createMemoryEventStore();
    let calls = 0;
    const outcome = await decideAcross(store, ['torn-a', 'torn-b'], meta('torn-1'), () => {
      calls++;
      if (calls === 1) throw new TornRead('a and b disagree');
      return [{ stream: 'torn-a', events: [{ type: 'Added', data: { by: 1, total: 1 } }] }];
    });
    expect(calls).toBe(2);
    expect(outcome.events).toHaveLength(1);
  });

  it('that persists is thrown: then it was a bug, not a race', async () => {
    const store = createMemoryEventStore();
    let calls = 0;
    const error = await decideAcross(store, ['torn-c'], meta('torn-2'), () => {
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
      store,
      ['owner-1', 'index-k'],
      meta(commandId),
      (loaded) => {
        if (loaded.get('index-k')!.events.length > 0) throw new Error('already registered');
        return [
          { stream: 'owner-1', events: [{ type: 'Registered', data: { commandId } }] },
          { stream: 'index-k', events: [{ type: 'Entry', data: { commandId } }] },
        ];
      },
      { expectNew: ['index-k'] },
    );

  it('given the stream does not exist, when deciding, then it is not read at all', async () => {
    const store = view(createMemoryEventStore());
    const reads: string[] = [];
    const counted: EventStore = { ...store, readStream: (s, o) => (reads.push(s), store.readStream(s, o)) };
    await register(counted, 'r1');
    expect(reads).toEqual(['owner-1']);
    expect((await store.readStream('index-k')).map((e) => e.type)).toEqual(['Entry']);
  });

  it('given it exists after all, when deciding, then the append conflicts and the retry sees it', async () => {
    const store = createMemoryEventStore();
    await register(store, 'r1');
    expect(await register(store, 'r2').catch((e: Error) => e.message)).toBe('already registered');
    expect((await store.readStream('owner-1')).map((e) => e.data)).toEqual([{ commandId: 'r1' }]);
  });

  it('given the same command again, then its first outcome is returned, not a refusal', async () => {
    const store = createMemoryEventStore();
    await register(store, 'r1');
    const again = await register(store, 'r1');
    expect(again.repeated).toBe(true);
    expect(again.events.map((e) => e.stream)).toEqual(['owner-1', 'index-k']);
  });
});

describe('folding a stream (foldRecorded)', () => {
  /** The counter decider with a count of evolve calls; a decider object of its own, so its held folds are its own. */
  const counting = () => {
    const calls = { evolve: 0 };
    const decider: Decider<Counter, Add, Added> = { ...counter, evolve: (s, e) => (calls.evolve++, counter.evolve(s, e)) };
    return { decider, calls };
  };

  it('given a history folded once, when it grows by a suffix, then only the suffix is evolved and the state is the whole fold', async () => {
    const log = createMemoryEventStore();
    const { decider, calls } = counting();
    for (let i = 1; i <= 5; i++) await handle(log, 'counter-f', counter, add(i, `f${i}`));
    expect(foldRecorded(decider, await readStream(log, 'counter-f')).n).toBe(15);
    expect(calls.evolve).toBe(5);
    await handle(log, 'counter-f', counter, add(10, 'f6'));
    calls.evolve = 0;
    expect(foldRecorded(decider, await readStream(log, 'counter-f')).n).toBe(25);
    expect(calls.evolve).toBe(1);
  });

  it('given another history under the same stream name and event ids (a reset store), then it is folded from the start', async () => {
    const { decider, calls } = counting();
    const first = createMemoryEventStore();
    await handle(first, 'counter-g', counter, add(1, 'g1'));
    expect(foldRecorded(decider, await first.readStream('counter-g')).n).toBe(1);
    const second = createMemoryEventStore();
    await handle(second, 'counter-g', counter, add(7, 'g1'));
    await handle(second, 'counter-g', counter, add(1, 'g2'));
    calls.evolve = 0;
    expect(foldRecorded(decider, await second.readStream('counter-g')).n).toBe(8);
    expect(calls.evolve).toBe(2);
  });
});
