/**
 * Postgres-only properties of reading several streams: the reads go out as one statement (also when
 * they arrive as separate readStream calls side by side, through any wrapper), and one statement is
 * one snapshot, so an atomic multi-stream append is never seen half written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../../test/pg';
import type { Pool } from '../postgres/pool';
import { freshStream, newEvent } from './contract';
import type { EventStore } from './port';
import { createPostgresEventStore, MAX_STREAMS_PER_READ } from './postgres';

/** Appends racing the reads in the snapshot test: enough for a torn read to show if reads were separate. */
const RACING_APPENDS = 150;

/** The pool as the store sees it, counting statements by prepared name (or text). */
function counting(pool: Pool): { pool: Pool; statements: string[] } {
  const statements: string[] = [];
  const proxy = new Proxy(pool, {
    get(target, key, receiver) {
      if (key !== 'query') return Reflect.get(target, key, receiver) as unknown;
      return (config: { name?: string; text?: string } | string, ...rest: unknown[]) => {
        statements.push(typeof config === 'string' ? config : (config.name ?? config.text ?? '?'));
        return (target.query as (...a: unknown[]) => unknown)(config, ...rest);
      };
    },
  });
  return { pool: proxy, statements };
}

describe('postgres: reading several streams', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let store: EventStore;
  let statements: string[];
  /** The read statements sent since the test reset the count (an append's delayed NOTIFY may come too). */
  const reads = () => statements.filter((s) => s.startsWith('swl_read'));

  beforeAll(async () => {
    db = await freshDatabase();
    const counted = counting(db.pool);
    statements = counted.statements;
    store = createPostgresEventStore(counted.pool);
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  it('given readStream calls made side by side, then they go out as one statement and each gets its own stream', async () => {
    const names = [freshStream(), freshStream(), freshStream()];
    await store.appendMany(
      names.map((stream, i) => ({ stream, expectedVersion: 'no_stream' as const, events: Array.from({ length: i + 1 }, () => newEvent('Counted', { i })) })),
    );
    statements.length = 0;
    const [a, b, c, missing] = await Promise.all([...names.map((s) => store.readStream(s)), store.readStream(freshStream('missing'))]);
    expect([a, b, c, missing].map((events) => events!.length)).toEqual([1, 2, 3, 0]);
    expect(c!.every((e) => e.stream === names[2])).toBe(true);
    expect(reads()).toEqual(['swl_read_streams']);
  });

  it('given reads from separate callbacks of one event-loop turn (two requests parsed together), then they share the statement', async () => {
    const names = [freshStream(), freshStream()];
    await store.appendMany(names.map((stream) => ({ stream, expectedVersion: 'no_stream' as const, events: [newEvent('Counted', {})] })));
    statements.length = 0;
    // Two callbacks of the same check phase, as two sockets' data events are of one poll phase:
    // no microtask boundary joins them, only the batch being sent from setImmediate does.
    const [a, b] = await Promise.all(
      names.map((stream) => new Promise<number>((resolve, reject) => setImmediate(() => store.readStream(stream).then((e) => resolve(e.length), reject)))),
    );
    expect([a, b]).toEqual([1, 1]);
    expect(reads()).toEqual(['swl_read_streams']);
  });

  it('given a lone read or one with maxCount, then it keeps its own statement', async () => {
    const stream = freshStream();
    await store.append(stream, [newEvent('Counted', {}), newEvent('Counted', {})], 'no_stream');
    statements.length = 0;
    expect((await store.readStream(stream)).length).toBe(2);
    expect((await store.readStream(stream, { maxCount: 1 })).length).toBe(1);
    expect(reads()).toEqual(['swl_read_stream', 'swl_read_stream']);
  });

  it(`given more than ${MAX_STREAMS_PER_READ} streams, then each statement reads at most that many and the answers keep their order`, async () => {
    const stream = freshStream();
    await store.append(stream, [newEvent('Counted', {})], 'no_stream');
    const asked = Array.from({ length: MAX_STREAMS_PER_READ + 2 }, (_, i) => (i % 2 === 0 ? { stream } : { stream: `missing-${i}` }));
    statements.length = 0;
    const answers = await store.readStreams!(asked);
    expect(answers.map((events) => events.length)).toEqual(asked.map((_, i) => (i % 2 === 0 ? 1 : 0)));
    expect(reads()).toEqual(['swl_read_streams', 'swl_read_streams']);
  });

  it('given atomic appends to two streams racing the reads, then every read sees both streams at the same length', async () => {
    const [a, b] = [freshStream(), freshStream()];
    let done = false;
    const seen: [number, number][] = [];
    const writer = (async () => {
      for (let i = 0; i < RACING_APPENDS; i++) {
        const readsBefore = seen.length;
        await store.appendMany([
          { stream: a, expectedVersion: i === 0 ? 'no_stream' : BigInt(i - 1), events: [newEvent('Counted', { i })] },
          { stream: b, expectedVersion: i === 0 ? 'no_stream' : BigInt(i - 1), events: [newEvent('Counted', { i })] },
        ]);
        // A writer faster than the reads would race none of them: wait for a read to end before the next append.
        while (seen.length === readsBefore) await new Promise((tick) => setImmediate(tick));
      }
      done = true;
    })();
    while (!done) {
      const [ea, eb] = await store.readStreams!([{ stream: a }, { stream: b }]);
      seen.push([ea!.length, eb!.length]);
    }
    await writer;
    expect(seen.filter(([x, y]) => x !== y)).toEqual([]);
    expect(seen.length).toBeGreaterThan(1);
  });
});
