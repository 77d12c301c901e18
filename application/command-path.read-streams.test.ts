/**
 * A decision across several streams loads them with one `readStreams` call through the command
 * path's cache: only each held stream's suffix is asked for, and the answer is still every
 * stream's whole history (also for a wrapper store that lacks readStreams).
 */
import { describe, expect, it } from 'vitest';
import { createMemoryEventStore } from '../adapters/eventstore/memory';
import type { EventStore, ReadStreamOptions, StreamRead } from '../adapters/eventstore/port';
import type { CommandMetadata } from '../domain/shared/decider';
import { decideAcross, readStream, type Loaded } from './command-path';

const meta = (commandId: string): CommandMetadata => ({ commandId, now: '2026-03-02T09:00:00.000Z', actor: { role: 'test', id: 't' } });
const tick = (stream: string) => ({ stream, events: [{ type: 'Ticked', data: {} }] });

/** Another "process" over the same log (its own cache), recording what it is asked to read. */
function view(log: EventStore, options: { withReadStreams: boolean }) {
  const batches: StreamRead[][] = [];
  const singles: { stream: string; options: ReadStreamOptions | undefined }[] = [];
  const store: EventStore = {
    ...log,
    readStream: (stream, o) => (singles.push({ stream, options: o }), log.readStream(stream, o)),
    readStreams: options.withReadStreams ? (reads) => (batches.push([...reads]), log.readStreams!(reads)) : undefined,
  };
  if (!options.withReadStreams) delete (store as { readStreams?: unknown }).readStreams;
  return { store, batches, singles };
}

/** The versions each stream had when the decision saw it. */
const versions = (loaded: ReadonlyMap<string, Loaded>) => Object.fromEntries([...loaded].map(([s, l]) => [s, l.events.map((e) => e.streamVersion)]));

describe('command path: loading several streams', () => {
  it('given some streams held in the cache, when a decision loads them, then one readStreams asks the held ones from after their version and the rest whole', async () => {
    const log = createMemoryEventStore();
    const a = view(log, { withReadStreams: true });
    await decideAcross(a.store, ['s1', 's2'], meta('c1'), () => [tick('s1'), tick('s2')]);
    await readStream(a.store, 's1');
    await log.append('s1', [{ id: '00000000-0000-4000-8000-000000000001', type: 'Ticked', data: {}, metadata: { commandId: 'x', correlationId: 'x', causationId: 'x', actor: { role: 't', id: 't' }, recordedAt: '2026-03-02T09:00:00.000Z' } }]);
    a.batches.length = 0;
    let seen: Record<string, bigint[]> = {};
    await decideAcross(a.store, ['s1', 's2', 's3'], meta('c2'), (loaded) => ((seen = versions(loaded)), []));
    expect(a.batches).toEqual([[{ stream: 's1', fromVersion: 1n }, { stream: 's2' }, { stream: 's3' }]]);
    expect(seen).toEqual({ s1: [0n, 1n], s2: [0n], s3: [] });
  });

  it('given a held stream whose suffix does not follow its version (a store reset under us), then that stream is read again whole', async () => {
    const log = createMemoryEventStore();
    await log.append('s1', [1, 2, 3].map((n) => ({ id: `00000000-0000-4000-8000-00000000000${n}`, type: 'Ticked', data: {}, metadata: { commandId: 'x', correlationId: 'x', causationId: 'x', actor: { role: 't', id: 't' }, recordedAt: '2026-03-02T09:00:00.000Z' } })));
    const a = view(log, { withReadStreams: true });
    await readStream(a.store, 's1');
    // A store that answers the suffix from version 0 again: not dense after the held version 2.
    const skewed: EventStore = { ...a.store, readStreams: (reads) => log.readStreams!(reads.map((r) => ({ stream: r.stream }))) };
    let seen: Record<string, bigint[]> = {};
    await decideAcross(skewed, ['s1', 's2'], meta('c1'), (loaded) => ((seen = versions(loaded)), []));
    expect(seen).toEqual({ s1: [0n, 1n, 2n], s2: [] });
    expect(a.singles.at(-1)).toEqual({ stream: 's1', options: undefined });
  });

  it('given a wrapper store without readStreams, then the streams are read one by one, still through the cache', async () => {
    const log = createMemoryEventStore();
    const a = view(log, { withReadStreams: false });
    await decideAcross(a.store, ['s1', 's2'], meta('c1'), () => [tick('s1'), tick('s2')]);
    a.singles.length = 0;
    let seen: Record<string, bigint[]> = {};
    await decideAcross(a.store, ['s1', 's2'], meta('c2'), (loaded) => ((seen = versions(loaded)), []));
    expect(seen).toEqual({ s1: [0n], s2: [0n] });
    // Not cached by the first decision (it read empty streams), so read whole; then cached.
    expect(a.singles).toEqual([{ stream: 's1', options: undefined }, { stream: 's2', options: undefined }]);
    a.singles.length = 0;
    await decideAcross(a.store, ['s1', 's2'], meta('c3'), () => []);
    expect(a.singles).toEqual([{ stream: 's1', options: { fromVersion: 1n } }, { stream: 's2', options: { fromVersion: 1n } }]);
  });

  it('a repeated command is recognised across the streams loaded together', async () => {
    const log = createMemoryEventStore();
    const a = view(log, { withReadStreams: true });
    const first = await decideAcross(a.store, ['s1', 's2'], meta('c1'), () => [tick('s1'), tick('s2')]);
    const again = await decideAcross(a.store, ['s1', 's2'], meta('c1'), () => [tick('s1'), tick('s2')]);
    expect(again).toEqual({ events: first.events, repeated: true });
    expect((await log.readStream('s1')).length).toBe(1);
  });
});
