/**
 * StreamStates, the one owner of per-process stream state: a command reads only the events after
 * the prefix held, folds only them onto the held state, and the answer is always the stream's whole
 * history and state — also when another process appended meanwhile, after a conflict, and with
 * capacity 0 (nothing held). What it stores is frozen: a decider that mutates a state fails at once.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryEventStore } from '../adapters/eventstore/memory';
import type { EventStore, ReadStreamOptions, StreamRead } from '../adapters/eventstore/port';
import { evolveEach, type CommandMetadata, type Decider } from '../domain/shared/decider';
import type { SmsFailed } from '../domain/events';
import { parseRecorded, StoredEventInvalid, type LedgerRecorded } from '../adapters/eventstore/ledger-events';
import { decideAcross, handle, type Loaded } from './command-path';
import { createStreamStates } from './stream-states';

/**
 * A counter written as catalogue events, since everything read is parsed against the catalogue:
 * each step is an SmsFailed whose `attempt` is the running total.
 */
type Counter = { status: 'Counting'; n: number };
type Add = { type: 'Add'; data: { by: number }; metadata: CommandMetadata };
type Added = SmsFailed;
const NOW = '2026-03-02T09:00:00.000Z';
const counted = (total: number): Added => ({
  type: 'SmsFailed',
  data: { caseId: 'counter', messageId: `m-${total}`, failedAt: NOW, reason: 'counted', attempt: total, willRetry: false },
});
const evolveCounter = (_s: Counter, e: Added): Counter => ({ status: 'Counting', n: e.data.attempt });
const counter: Decider<Counter, Add, Added> = {
  initialState: () => ({ status: 'Counting', n: 0 }),
  decide: (c, s) => [counted(s.n + c.data.by)],
  evolve: evolveCounter,
  evolveAll: evolveEach(evolveCounter),
};
const meta = (commandId: string): CommandMetadata => ({ commandId, now: NOW, actor: { role: 'test', id: 't' } });
const add = (by: number, commandId: string): Add => ({ type: 'Add', data: { by }, metadata: meta(commandId) });
const tick = (stream: string) => ({ stream, events: [counted(0)] });
const metadataOf = (commandId: string) => ({ commandId, correlationId: 'x', causationId: 'x', actor: { role: 't', id: 't' }, recordedAt: NOW });
const external = (n: number) => ({ id: `00000000-0000-4000-8000-00000000000${n}`, ...counted(6), metadata: metadataOf(`ext-${n}`) });

/** A process's view of the log: its own StreamStates over a store that records what it is asked. */
function processOver(log: EventStore, capacity = 100) {
  const reads: (ReadStreamOptions | undefined)[] = [];
  const batches: StreamRead[][] = [];
  const store: EventStore = {
    ...log,
    readStream: (stream, options) => (reads.push(options), log.readStream(stream, options)),
    readStreams: (many) => (batches.push([...many]), log.readStreams(many)),
  };
  return { states: createStreamStates(store, { capacity, freeze: true }), reads, batches };
}

/** The counter with a count of events evolved: a decider object of its own, so its held folds are its own. */
function counting() {
  const calls = { evolved: 0 };
  const decider: Decider<Counter, Add, Added> = { ...counter, evolveAll: (s, events) => ((calls.evolved += events.length), counter.evolveAll(s, events)) };
  return { decider, calls };
}

describe('reading through held prefixes', () => {
  it('given a held stream, when it is read again, then only the events after it are asked for', async () => {
    const { states, reads } = processOver(createMemoryEventStore());
    await handle(states, 'counter-1', counter, add(1, 'c1'));
    await handle(states, 'counter-1', counter, add(2, 'c2'));
    expect((await states.history('counter-1')).map((e) => e.streamVersion)).toEqual([0n, 1n]);
    // an empty stream (nothing to hold), then a whole read held at version 0, then only what came after it
    expect(reads).toEqual([undefined, undefined, { fromVersion: 1n }]);
  });

  it('given another process appended meanwhile, when this one decides, then it sees the whole history and appends after it', async () => {
    const log = createMemoryEventStore();
    const a = processOver(log);
    const b = processOver(log);
    await handle(a.states, 'counter-1', counter, add(1, 'c1'));
    await a.states.history('counter-1');
    await handle(b.states, 'counter-1', counter, add(10, 'c2'));
    expect((await handle(a.states, 'counter-1', counter, add(100, 'c3'))).state.n).toBe(111);
    expect((await log.readStream('counter-1')).map((e) => (e.data as Added['data']).attempt)).toEqual([1, 11, 111]);
  });

  it('given a held prefix that is stale in a way suffix reads cannot see, when a command conflicts, then the retry reads the stream whole', async () => {
    const log = createMemoryEventStore();
    let hideNextSuffix = false;
    const reads: (ReadStreamOptions | undefined)[] = [];
    const store: EventStore = {
      ...log,
      readStream: async (s, o) => {
        reads.push(o);
        if (hideNextSuffix && o?.fromVersion !== undefined) return ((hideNextSuffix = false), []);
        return log.readStream(s, o);
      },
    };
    const states = createStreamStates(store, { capacity: 100, freeze: true });
    await handle(states, 'counter-1', counter, add(1, 'c1'));
    await states.history('counter-1');
    await log.append('counter-1', [external(1)]);
    hideNextSuffix = true;
    reads.length = 0;
    expect((await handle(states, 'counter-1', counter, add(2, 'c2'))).state.n).toBe(8);
    expect(reads).toEqual([{ fromVersion: 1n }, undefined]);
  });

  it('a repeated command is recognised from held events, and forget makes the next read a whole one', async () => {
    const { states, reads } = processOver(createMemoryEventStore());
    const first = await handle(states, 'counter-1', counter, add(1, 'c1'));
    await states.history('counter-1');
    const again = await handle(states, 'counter-1', counter, add(1, 'c1'));
    expect(again).toMatchObject({ repeated: true, events: first.events });
    states.forget(['counter-1']);
    await states.history('counter-1');
    expect(reads.at(-1)).toEqual(undefined);
  });

  it('holds at most `capacity` streams (least recently used out)', async () => {
    const { states, reads } = processOver(createMemoryEventStore(), 2);
    for (const s of ['s1', 's2', 's3']) await handle(states, s, counter, add(1, `${s}-c`));
    for (const s of ['s1', 's2', 's3']) await states.history(s);
    reads.length = 0;
    await states.history('s1');
    await states.history('s3');
    expect(reads).toEqual([undefined, { fromVersion: 1n }]);
  });

  it('given several streams, some held, then one readStreams asks the held ones from after their version and the rest whole', async () => {
    const log = createMemoryEventStore();
    const { states, batches } = processOver(log);
    await decideAcross(states, ['s1', 's2'], meta('c1'), () => [tick('s1'), tick('s2')]);
    await states.history('s1');
    await log.append('s1', [external(1)]);
    batches.length = 0;
    let seen: Record<string, bigint[]> = {};
    const versions = (loaded: ReadonlyMap<string, Loaded>) => Object.fromEntries([...loaded].map(([s, l]) => [s, l.events.map((e) => e.streamVersion)]));
    await decideAcross(states, ['s1', 's2', 's3'], meta('c2'), (loaded) => ((seen = versions(loaded)), []));
    expect(batches).toEqual([[{ stream: 's1', fromVersion: 1n }, { stream: 's2' }, { stream: 's3' }]]);
    expect(seen).toEqual({ s1: [0n, 1n], s2: [0n], s3: [] });
  });

  it('given a suffix that does not follow the held prefix (a store reset under us), then the stream is read again whole', async () => {
    const log = createMemoryEventStore();
    await log.append('s1', [1, 2, 3].map(external));
    const reads: (string | undefined)[] = [];
    // Answers every suffix from version 0: not dense after what is held.
    const skewed: EventStore = { ...log, readStream: (s, o) => (reads.push(o ? 'suffix' : 'whole'), log.readStream(s)) };
    const states = createStreamStates(skewed, { capacity: 10, freeze: true });
    await states.history('s1');
    expect((await states.history('s1')).map((e) => e.streamVersion)).toEqual([0n, 1n, 2n]);
    expect(reads).toEqual(['whole', 'suffix', 'whole']);
  });
});

describe('folding through held states', () => {
  it('given a history folded once, when it grows by a suffix, then only the suffix is evolved and the state is the whole fold', async () => {
    const { states } = processOver(createMemoryEventStore());
    const { decider, calls } = counting();
    for (let i = 1; i <= 5; i++) await handle(states, 'counter-f', counter, add(i, `f${i}`));
    expect(states.fold(decider, await states.history('counter-f')).n).toBe(15);
    expect(calls.evolved).toBe(5);
    await handle(states, 'counter-f', counter, add(10, 'f6'));
    calls.evolved = 0;
    expect(states.fold(decider, await states.history('counter-f')).n).toBe(25);
    expect(calls.evolved).toBe(1);
  });

  it('given a history that is not the held one (other event objects), then it is folded from the start', async () => {
    const log = createMemoryEventStore();
    const { states } = processOver(log);
    const { decider, calls } = counting();
    for (let i = 1; i <= 3; i++) await handle(states, 'counter-g', counter, add(i, `g${i}`));
    states.fold(decider, await states.history('counter-g'));
    calls.evolved = 0;
    expect(states.fold(decider, (await log.readStream('counter-g')).map(parseRecorded)).n).toBe(6);
    expect(calls.evolved).toBe(3);
  });

  it('with capacity 0 nothing is held: every read is whole, every fold starts from the initial state, and the answers are the same', async () => {
    const { states, reads } = processOver(createMemoryEventStore(), 0);
    const { decider, calls } = counting();
    for (let i = 1; i <= 4; i++) await handle(states, 'counter-z', decider, add(i, `z${i}`));
    expect(reads.every((r) => r === undefined)).toBe(true);
    calls.evolved = 0;
    expect(states.fold(decider, await states.history('counter-z')).n).toBe(10);
    expect(calls.evolved).toBe(4);
  });

  it('a decider that mutates a held state fails at once (what is held is frozen)', async () => {
    const { states } = processOver(createMemoryEventStore());
    const mutating: Decider<Counter, Add, Added> = {
      ...counter,
      decide: (c, s) => ((s.n += 0), counter.decide(c, s)),
    };
    await handle(states, 'counter-m', mutating, add(1, 'm1'));
    await states.history('counter-m');
    await expect(handle(states, 'counter-m', mutating, add(1, 'm2'))).rejects.toThrow(TypeError);
  });
});

describe('events enter parsed', () => {
  it('a stored event that does not parse fails the read, naming the event and the path; nothing of it is held, the next read parses again', async () => {
    const log = createMemoryEventStore();
    const { states, reads } = processOver(log);
    await handle(states, 'counter-p', counter, add(1, 'p1'));
    await states.history('counter-p');
    // Written past the deciders (a bug or corruption): attempt is text.
    await log.append('counter-p', [{ ...external(1), data: { ...counted(6).data, attempt: 'six' } }]);
    const error = await states.history('counter-p').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoredEventInvalid);
    expect((error as StoredEventInvalid).message).toMatch(
      /^stored event 00000000-0000-4000-8000-000000000001 \(position 2, stream counter-p version 1, type SmsFailed\) does not parse: data\.attempt: /,
    );
    reads.length = 0;
    await expect(handle(states, 'counter-p', counter, add(1, 'p2'))).rejects.toBeInstanceOf(StoredEventInvalid);
    // The held prefix stays what it was (version 0, parsed); the bad suffix is read and refused again, not held.
    expect(reads).toEqual([{ fromVersion: 1n }]);
  });

  it("what is held is the parsed event, not the store's object", async () => {
    const log = createMemoryEventStore();
    const { states } = processOver(log);
    await log.append('counter-q', [external(2)]);
    const [held] = await states.history('counter-q');
    const [raw] = await log.readStream('counter-q');
    expect(held).toEqual(raw);
    expect(held).not.toBe(raw);
  });
});

describe('settled streams (an index written once)', () => {
  const parse = (events: readonly LedgerRecorded[]) => (events[0]?.type === 'SmsFailed' ? events[0].data.attempt : undefined);

  it('answers from what is held without a read, and the writer can settle it without one', async () => {
    const log = createMemoryEventStore();
    const { states, reads } = processOver(log);
    expect(await states.settled('index-1', parse)).toBeUndefined();
    await log.append('index-1', [external(1)]);
    expect(await states.settled('index-1', parse)).toBe(6);
    states.settle('index-2', 42);
    reads.length = 0;
    expect([await states.settled('index-1', parse), await states.settled('index-2', parse)]).toEqual([6, 42]);
    expect(reads).toEqual([]);
  });

  it('with capacity 0 reads every time', async () => {
    const log = createMemoryEventStore();
    const { states, reads } = processOver(log, 0);
    await log.append('index-1', [external(1)]);
    states.settle('index-1', 6);
    expect([await states.settled('index-1', parse), await states.settled('index-1', parse)]).toEqual([6, 6]);
    expect(reads).toHaveLength(2);
  });
});
