/**
 * Postgres group commit: appends with known versions arriving side by side go out as one
 * statement, and each keeps its own verdict — a stale one in the group fails alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../../test/pg';
import type { Pool } from '../postgres/pool';
import { freshStream, newEvent } from './contract';
import { WrongExpectedVersionError, type EventStore } from './port';
import { createPostgresEventStore, GROUP_COMMIT_MAX_MEMBER_EVENTS } from './postgres';

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

describe('postgres group commit', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let store: EventStore;
  let statements: string[];
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

  const inserts = () => statements.filter((s) => s.startsWith('swl_append'));

  it('given ten appends to new streams side by side, then one statement writes them, each with its own versions and positions', async () => {
    const streams = Array.from({ length: 10 }, (_, i) => freshStream(`till-${i}`));
    statements.length = 0;
    const results = await Promise.all(streams.map((s, i) => store.append(s, [newEvent('Held', { i })], 'no_stream')));
    expect(inserts()).toEqual(['swl_append_many']);
    expect(results.map((r) => r.nextExpectedVersion)).toEqual(streams.map(() => 0n));
    expect(new Set(results.map((r) => r.lastPosition)).size).toBe(10);
    for (const [i, s] of streams.entries()) {
      const [event] = await store.readStream(s);
      expect([event!.data, event!.position]).toEqual([{ i }, results[i]!.lastPosition]);
    }
  });

  it('given big appends side by side, then each commits alone (a big batch is its own statement; grouping them serialised parallel writers)', async () => {
    const streams = Array.from({ length: 4 }, (_, i) => freshStream(`bulk-${i}`));
    const batch = (i: number) => Array.from({ length: GROUP_COMMIT_MAX_MEMBER_EVENTS + 1 }, (_, k) => newEvent('Recorded', { i, k }));
    statements.length = 0;
    const results = await Promise.all(streams.map((s, i) => store.append(s, batch(i), 'no_stream')));
    expect(inserts().filter((name) => name === 'swl_append_many')).toEqual([]);
    expect(inserts()).toHaveLength(4);
    expect(results.map((r) => r.nextExpectedVersion)).toEqual(streams.map(() => BigInt(GROUP_COMMIT_MAX_MEMBER_EVENTS)));
  });

  it('given one stale append among them, then it alone fails with a version conflict and the others commit', async () => {
    const streams = Array.from({ length: 6 }, (_, i) => freshStream(`shop-${i}`));
    for (const s of streams) await store.append(s, [newEvent('Opened', {})], 'no_stream');
    await store.append(streams[3]!, [newEvent('Moved', {})], 0n); // stream 3 is now at version 1
    const outcomes = await Promise.allSettled(streams.map((s) => store.append(s, [newEvent('Captured', {})], 0n)));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect((outcomes[3] as PromiseRejectedResult).reason).toBeInstanceOf(WrongExpectedVersionError);
    for (const [i, s] of streams.entries())
      expect((await store.readStream(s)).map((e) => e.type)).toEqual(i === 3 ? ['Opened', 'Moved'] : ['Opened', 'Captured']);
  });

  it('given an atomic multi-stream append in the group, then it stays all or nothing', async () => {
    const [a, b, c] = [freshStream('hold'), freshStream('index'), freshStream('other')];
    await store.append(b, [newEvent('Taken', {})], 'no_stream');
    const [pair, lone] = await Promise.allSettled([
      store.appendMany([
        { stream: a, expectedVersion: 'no_stream', events: [newEvent('Held', {})] },
        { stream: b, expectedVersion: 'no_stream', events: [newEvent('Registered', {})] },
      ]),
      store.append(c, [newEvent('Held', {})], 'no_stream'),
    ]);
    expect([pair.status, lone.status]).toEqual(['rejected', 'fulfilled']);
    expect(await store.readStream(a)).toEqual([]);
    expect((await store.readStream(b)).map((e) => e.type)).toEqual(['Taken']);
  });
});
