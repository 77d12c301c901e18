/**
 * The command path's per-process stream cache: a command reads only the events after the version
 * it holds, and the answer is always the stream's whole history — also when another process
 * (another store object over the same log) appended meanwhile, and after a version conflict.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryEventStore } from '../adapters/eventstore/memory';
import type { EventStore, ReadStreamOptions } from '../adapters/eventstore/port';
import type { CommandMetadata, Decider } from '../domain/shared/decider';
import { refuse } from '../domain/shared/errors';
import { decideAcross, foldRecorded, forgetStream, handle, readStream } from './command-path';

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
  it('given a stream this process appended to, when its next command runs, then it reads nothing; a read asks only for what came after', async () => {
    const log = createMemoryEventStore();
    const a = view(log);
    await handle(a, 'counter-1', counter, add(1, 'c1'));
    await handle(a, 'counter-1', counter, add(2, 'c2'));
    const events = await readStream(a, 'counter-1');
    expect(events.map((e) => e.streamVersion)).toEqual([0n, 1n]);
    // first command: a whole read of an empty stream; its append is held, so the second reads nothing
    // (its append proves the held version current); the read above asks only for what came after version 1.
    expect(a.reads).toEqual([undefined, { fromVersion: 2n }]);
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

  it('given held state that another process made stale, when a command appends on it, then the conflict drops it and the retry reads it whole', async () => {
    const log = createMemoryEventStore();
    const a = view(log);
    const b = view(log);
    await handle(a, 'counter-1', counter, add(1, 'c1'));
    await handle(b, 'counter-1', counter, add(5, 'c-other'));
    a.reads.length = 0;
    const { state } = await handle(a, 'counter-1', counter, add(2, 'c2'));
    expect(state.n).toBe(8);
    expect(a.reads).toEqual([undefined]);
  });

  it('given held state that would refuse, when the stream moved on elsewhere, then the refusal is checked on a fresh read', async () => {
    const log = createMemoryEventStore();
    const a = view(log);
    const picky: Decider<Counter, Add, Added> = { ...counter, decide: (c, s) => (s.n === 1 ? refuse('voucher_not_active') : counter.decide(c, s)) };
    await handle(a, 'counter-1', counter, add(1, 'c1'));
    await handle(view(log), 'counter-1', counter, add(5, 'c-other'));
    const { state } = await handle(a, 'counter-1', picky, add(2, 'c2'));
    expect(state.n).toBe(8);
    await expect(handle(view(log), 'counter-2', picky, add(1, 'c3')).then(() => handle(view(log), 'counter-2', picky, add(1, 'c4')))).rejects.toMatchObject({ code: 'voucher_not_active' });
  });

  it('given a held stream a decision only reads, then it is read (not trusted) before the decision counts', async () => {
    const log = createMemoryEventStore();
    const a = view(log);
    await handle(a, 'limit', counter, add(1, 'l1'));
    await handle(view(log), 'limit', counter, add(9, 'l2'));
    let seenLimit = -1;
    await decideAcross(a, ['limit', 'counter-1'], add(0, 'x').metadata, (loaded) => {
      seenLimit = foldRecorded(counter, loaded.get('limit')!.events).n;
      return [{ stream: 'counter-1', events: [{ type: 'Added', data: { by: 1, total: 1 } }] }];
    });
    expect(seenLimit).toBe(10);
  });

  it('a repeated command is recognised from cached events, and forgetStream makes the next read a whole one', async () => {
    const log = createMemoryEventStore();
    const a = view(log);
    const first = await handle(a, 'counter-1', counter, add(1, 'c1'));
    await readStream(a, 'counter-1');
    const again = await handle(a, 'counter-1', counter, add(1, 'c1'));
    expect(again.repeated).toBe(true);
    expect(again.events).toEqual(first.events);
    expect(a.reads).toEqual([undefined, { fromVersion: 1n }]);
    forgetStream(a, 'counter-1');
    await readStream(a, 'counter-1');
    expect(a.reads.at(-1)).toEqual(undefined);
  });

  it('keeps at most `capacity` streams (least recently used out)', async () => {
    const log = createMemoryEventStore();
    const a = view(log);
    for (const s of ['s1', 's2', 's3']) await handle(a, s, counter, add(1, `${s}-c`));
    for (const s of ['s1', 's2', 's3']) forgetStream(a, s);
    for (const s of ['s1', 's2', 's3']) await readStream(a, s, 2);
    a.reads.length = 0;
    await readStream(a, 's1', 2);
    await readStream(a, 's3', 2);
    expect(a.reads).toEqual([undefined, { fromVersion: 1n }]);
  });
});
