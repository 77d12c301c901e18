/**
 * The one contract every event store adapter passes (memory, postgres, kurrentdb).
 * Each test writes to its own fresh streams and reads `$all` from the head it saw first, so the
 * suite runs against a shared store (a KurrentDB server may already hold other events).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EventIdConflictError,
  WrongExpectedVersionError,
  type EventMetadata,
  type EventStore,
  type ExpectedVersion,
  type NewEvent,
  type RecordedEvent,
} from './port';

export interface ContractSubject {
  readonly store: EventStore;
  /** Releases what makeStore created (database, container); runs after store.close(). */
  readonly dispose?: () => Promise<void>;
}

/** How long a subscription may take to deliver what is already appended. */
const DELIVERY_TIMEOUT_MS = 10_000;
/** A ~1 MB payload: large enough to cross protocol frame and TOAST limits. */
const LARGE_PAYLOAD_BYTES = 1_000_000;

const FIXED_INSTANT = '2025-09-01T08:00:00.000Z';

let streamCounter = 0;
/** A stream name no other test (or earlier run against the same server) uses. */
export function freshStream(prefix = 'contract'): string {
  return `${prefix}-${randomUUID().slice(0, 8)}-${streamCounter++}`;
}

export function metadata(overrides: Partial<EventMetadata> = {}): EventMetadata {
  return {
    commandId: 'cmd-1',
    correlationId: 'corr-1',
    causationId: 'cmd-1',
    actor: { role: 'family', id: 'family-1' },
    recordedAt: FIXED_INSTANT,
    ...overrides,
  };
}

export function newEvent(type: string, data: unknown, overrides: Partial<NewEvent> = {}): NewEvent {
  return { id: randomUUID(), type, data, metadata: metadata(), ...overrides };
}

function numbered(count: number, type = 'MealRecorded'): NewEvent[] {
  return Array.from({ length: count }, (_, i) => newEvent(type, { n: i, amountTiyn: 1_000 * i }));
}

/** Reads `$all` after `after` in batches until the end, returning only events of the given streams. */
async function readAllOf(store: EventStore, after: bigint, streams: readonly string[], maxCount = 500): Promise<RecordedEvent[]> {
  const wanted = new Set(streams);
  const found: RecordedEvent[] = [];
  for (let position = after; ;) {
    const batch = await store.readAll({ after: position, maxCount });
    if (batch.length === 0) return found;
    for (const e of batch) if (wanted.has(e.stream)) found.push(e);
    position = batch.at(-1)!.position;
  }
}

/** How long `$all` may lag behind commits: Postgres readers wait for transactions anywhere on the server. */
const SETTLE_TIMEOUT_MS = 10_000;
const SETTLE_POLL_MS = 20;

/** `readAllOf` once at least `count` events of the streams are readable (or the timeout passed). */
async function settledAll(store: EventStore, after: bigint, streams: readonly string[], count: number, maxCount = 500): Promise<RecordedEvent[]> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  for (;;) {
    const found = await readAllOf(store, after, streams, maxCount);
    if (found.length >= count || Date.now() > deadline) return found;
    await new Promise((r) => setTimeout(r, SETTLE_POLL_MS));
  }
}

/** The head once it has reached `position` (it may lag behind commits, see settledAll). */
async function headAtLeast(store: EventStore, position: bigint): Promise<bigint> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  for (;;) {
    const head = await store.headPosition();
    if (head >= position || Date.now() > deadline) return head;
    await new Promise((r) => setTimeout(r, SETTLE_POLL_MS));
  }
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** Collects `count` events of the given streams from a subscription, failing after a timeout. */
async function take(iterator: AsyncIterator<RecordedEvent>, streams: readonly string[], count: number): Promise<RecordedEvent[]> {
  const wanted = new Set(streams);
  const got: RecordedEvent[] = [];
  const deadline = Date.now() + DELIVERY_TIMEOUT_MS;
  while (got.length < count) {
    const remaining = deadline - Date.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`subscription delivered ${got.length}/${count} in time`)), remaining);
    });
    const next = await Promise.race([iterator.next(), timeout]).finally(() => clearTimeout(timer));
    if (next.done) throw new Error(`subscription ended after ${got.length}/${count}`);
    if (wanted.has(next.value.stream)) got.push(next.value);
  }
  return got;
}

export function eventStoreContract(name: string, makeStore: () => Promise<ContractSubject>): void {
  describe(`event store contract: ${name}`, () => {
    let subject: ContractSubject;
    const store = (): EventStore => subject.store;

    beforeAll(async () => {
      subject = await makeStore();
    });
    afterAll(async () => {
      await subject?.store.close();
      await subject?.dispose?.();
    });

    describe('when reading streams', () => {
      it('returns an empty array for a stream that does not exist', async () => {
        expect(await store().readStream(freshStream('missing'))).toEqual([]);
      });

      it('returns events in append order with 0-based versions and increasing positions', async () => {
        const stream = freshStream();
        const events = numbered(3);
        const result = await store().append(stream, events, 'no_stream');
        const read = await store().readStream(stream);
        expect(read.map((e) => [e.id, e.type, e.data, e.streamVersion, e.stream])).toEqual(events.map((e, i) => [e.id, e.type, e.data, BigInt(i), stream]));
        expect(read.map((e) => e.metadata)).toEqual(events.map((e) => e.metadata));
        expect(read[0]!.position < read[1]!.position && read[1]!.position < read[2]!.position).toBe(true);
        expect(result).toEqual({ nextExpectedVersion: 2n, lastPosition: read[2]!.position, repeated: false });
      });

      it('reads from a version and at most maxCount events', async () => {
        const stream = freshStream();
        await store().append(stream, numbered(5), 'no_stream');
        const read = await store().readStream(stream, { fromVersion: 1n, maxCount: 3 });
        expect(read.map((e) => e.streamVersion)).toEqual([1n, 2n, 3n]);
      });

      it('reads several streams at once, each from its own version, answered in the order asked', async () => {
        const [a, b, missing] = [freshStream(), freshStream(), freshStream('missing')];
        await store().appendMany([
          { stream: a, expectedVersion: 'no_stream', events: numbered(3) },
          { stream: b, expectedVersion: 'no_stream', events: numbered(2) },
        ]);
        const read = await store().readStreams([{ stream: b, fromVersion: 1n }, { stream: missing }, { stream: a }, { stream: a, fromVersion: 3n }]);
        expect(read.map((events) => events.map((e) => [e.stream, e.streamVersion]))).toEqual([
          [[b, 1n]],
          [],
          [
            [a, 0n],
            [a, 1n],
            [a, 2n],
          ],
          [],
        ]);
        // Each answer is what readStream gives for the same stream and version.
        expect(read[0]).toEqual(await store().readStream(b, { fromVersion: 1n }));
        expect(read[2]).toEqual(await store().readStream(a));
      });

      it('answers a stream named twice twice, and no streams with nothing', async () => {
        const stream = freshStream();
        await store().append(stream, numbered(2), 'no_stream');
        const [whole, suffix] = await store().readStreams([{ stream }, { stream, fromVersion: 1n }]);
        expect(whole!.map((e) => e.streamVersion)).toEqual([0n, 1n]);
        expect(suffix!.map((e) => e.streamVersion)).toEqual([1n]);
        expect(await store().readStreams([])).toEqual([]);
      });

      it('implements readStreams itself (the fallback is for wrappers only)', () => {
        expect(typeof store().readStreams).toBe('function');
      });
    });

    describe('when appending with an expected version', () => {
      const cases: { name: string; setup: number; expected: (setup: number) => ExpectedVersion; ok: boolean }[] = [
        { name: 'no_stream on a missing stream', setup: 0, expected: () => 'no_stream', ok: true },
        { name: 'no_stream on an existing stream', setup: 2, expected: () => 'no_stream', ok: false },
        { name: 'stream_exists on a missing stream', setup: 0, expected: () => 'stream_exists', ok: false },
        { name: 'stream_exists on an existing stream', setup: 2, expected: () => 'stream_exists', ok: true },
        { name: 'any on a missing stream', setup: 0, expected: () => 'any', ok: true },
        { name: 'any on an existing stream', setup: 2, expected: () => 'any', ok: true },
        { name: 'the exact last version', setup: 2, expected: () => 1n, ok: true },
        { name: 'a stale version', setup: 3, expected: () => 1n, ok: false },
        { name: 'a version ahead of the stream', setup: 2, expected: () => 5n, ok: false },
        { name: 'version 0 on a missing stream', setup: 0, expected: () => 0n, ok: false },
      ];
      for (const c of cases) {
        it(`${c.ok ? 'accepts' : 'refuses'} ${c.name}`, async () => {
          const stream = freshStream();
          if (c.setup > 0) await store().append(stream, numbered(c.setup), 'no_stream');
          const attempt = store().append(stream, numbered(1, 'Later'), c.expected(c.setup));
          if (c.ok) {
            const result = await attempt;
            expect(result.nextExpectedVersion).toBe(BigInt(c.setup));
            expect(result.repeated).toBe(false);
          } else {
            const error = await rejection(attempt);
            expect(error).toBeInstanceOf(WrongExpectedVersionError);
            expect((error as WrongExpectedVersionError).actual).toBe(c.setup === 0 ? undefined : BigInt(c.setup - 1));
          }
          expect((await store().readStream(stream)).length).toBe(c.setup + (c.ok ? 1 : 0));
        });
      }

      it('lets exactly one of two racing writers with the same expected version win', async () => {
        const stream = freshStream();
        await store().append(stream, numbered(1), 'no_stream');
        const outcomes = await Promise.allSettled([store().append(stream, numbered(1), 0n), store().append(stream, numbered(1), 0n)]);
        expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
        const failed = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
        expect(failed.reason).toBeInstanceOf(WrongExpectedVersionError);
        expect((await store().readStream(stream)).length).toBe(2);
      });
    });

    describe('when the same events are appended again', () => {
      for (const expected of ['no_stream', 'any', 'exact'] as const) {
        it(`returns the first result and writes nothing (expected ${expected})`, async () => {
          const stream = freshStream();
          const version: ExpectedVersion = expected === 'exact' ? 0n : expected;
          const setup = expected === 'exact' ? await store().append(stream, numbered(1), 'no_stream') : undefined;
          const head = await headAtLeast(store(), setup?.lastPosition ?? 0n);
          const events = numbered(2);
          const first = await store().append(stream, events, version);
          // A retry carries the same ids and content; only metadata such as recordedAt may differ.
          const retry = events.map((e) => ({ ...e, metadata: metadata({ recordedAt: '2025-09-01T08:00:05.000Z' }) }));
          const again = await store().append(stream, retry, version);
          expect(again).toEqual({ ...first, repeated: true });
          const total = expected === 'exact' ? 3 : 2;
          expect((await store().readStream(stream)).length).toBe(total);
          const inAll = await settledAll(store(), head, [stream], 2);
          expect(inAll).toHaveLength(2);
          expect(inAll.map((e) => e.position).at(-1)).toBe(first.lastPosition);
          expect(inAll.filter((e) => events.some((x) => x.id === e.id))).toHaveLength(2);
        });
      }

      it('refuses the same event id with different data', async () => {
        const stream = freshStream();
        const event = newEvent('MealRecorded', { amountTiyn: 1_000 });
        await store().append(stream, [event], 'no_stream');
        const error = await rejection(store().append(stream, [{ ...event, data: { amountTiyn: 2_000 } }], 'no_stream'));
        expect(error).toBeInstanceOf(EventIdConflictError);
        expect((error as EventIdConflictError).eventId).toBe(event.id);
      });

      it('refuses the same event id with a different type', async () => {
        const stream = freshStream();
        const event = newEvent('MealRecorded', { amountTiyn: 1_000 });
        await store().append(stream, [event], 'any');
        const error = await rejection(store().append(stream, [{ ...event, type: 'MealCancelled' }], 'any'));
        expect(error).toBeInstanceOf(EventIdConflictError);
      });

      it('treats a repeated appendMany as one repeat', async () => {
        const [a, b] = [freshStream(), freshStream()];
        const writes = [
          { stream: a, expectedVersion: 'no_stream' as const, events: numbered(2) },
          { stream: b, expectedVersion: 'no_stream' as const, events: numbered(1) },
        ];
        const first = await store().appendMany(writes);
        const again = await store().appendMany(writes);
        expect(again).toEqual(first.map((r) => ({ ...r, repeated: true })));
        expect((await store().readStream(a)).length + (await store().readStream(b)).length).toBe(3);
      });
    });

    describe('when appending to several streams at once', () => {
      it('writes all streams, in order, with one result per write', async () => {
        const [a, b] = [freshStream(), freshStream()];
        const head = await store().headPosition();
        const results = await store().appendMany([
          { stream: a, expectedVersion: 'no_stream', events: numbered(2) },
          { stream: b, expectedVersion: 'no_stream', events: numbered(3) },
        ]);
        expect(results.map((r) => r.nextExpectedVersion)).toEqual([1n, 2n]);
        const all = await settledAll(store(), head, [a, b], 5);
        expect(all.map((e) => e.stream)).toEqual([a, a, b, b, b]);
        expect(results[1]!.lastPosition).toBe(all.at(-1)!.position);
      });

      it('writes nothing when one stream conflicts', async () => {
        const [a, b] = [freshStream(), freshStream()];
        const before = await store().append(b, numbered(1), 'no_stream');
        const head = await headAtLeast(store(), before.lastPosition);
        const error = await rejection(
          store().appendMany([
            { stream: a, expectedVersion: 'no_stream', events: numbered(2) },
            { stream: b, expectedVersion: 'no_stream', events: numbered(1) },
          ]),
        );
        expect(error).toBeInstanceOf(WrongExpectedVersionError);
        expect((error as WrongExpectedVersionError).stream).toBe(b);
        expect(await store().readStream(a)).toEqual([]);
        expect((await store().readStream(b)).length).toBe(1);
        expect(await readAllOf(store(), head, [a, b])).toEqual([]);
      });

      it('checks every exact expected version: ahead of the stream, behind it, or right', async () => {
        const [a, b, c] = [freshStream(), freshStream(), freshStream()];
        await store().append(a, numbered(2), 'no_stream');
        const before = await store().append(b, numbered(1), 'no_stream');
        const head = await headAtLeast(store(), before.lastPosition);
        for (const aheadOrBehind of [5n, 0n]) {
          const error = await rejection(
            store().appendMany([
              { stream: a, expectedVersion: aheadOrBehind, events: numbered(1) },
              { stream: c, expectedVersion: 'no_stream', events: numbered(1) },
            ]),
          );
          expect(error).toBeInstanceOf(WrongExpectedVersionError);
          expect((error as WrongExpectedVersionError).stream).toBe(a);
        }
        expect(await readAllOf(store(), head, [a, c])).toEqual([]);
        const results = await store().appendMany([
          { stream: c, expectedVersion: 'no_stream', events: numbered(2) },
          { stream: a, expectedVersion: 1n, events: numbered(1) },
          { stream: b, expectedVersion: 0n, events: numbered(3) },
        ]);
        expect(results.map((r) => r.nextExpectedVersion)).toEqual([1n, 2n, 3n]);
        const all = await settledAll(store(), head, [a, b, c], 6);
        expect(all.map((e) => [e.stream, e.streamVersion])).toEqual([
          [c, 0n],
          [c, 1n],
          [a, 2n],
          [b, 1n],
          [b, 2n],
          [b, 3n],
        ]);
        expect(results[2]!.lastPosition).toBe(all.at(-1)!.position);
      });

      it('refuses the same stream twice in one call', async () => {
        const a = freshStream();
        await expect(
          store().appendMany([
            { stream: a, expectedVersion: 'any', events: numbered(1) },
            { stream: a, expectedVersion: 'any', events: numbered(1) },
          ]),
        ).rejects.toThrow(/distinct/);
      });
    });

    describe('when reading $all', () => {
      it('reads from a middle position (exclusive) and in batches, in position order', async () => {
        const streams = [freshStream(), freshStream()];
        const head = await store().headPosition();
        for (let i = 0; i < 12; i++) await store().append(streams[i % 2]!, numbered(2), 'any');
        const all = await settledAll(store(), head, streams, 24, 5);
        expect(all).toHaveLength(24);
        for (let i = 1; i < all.length; i++) expect(all[i]!.position > all[i - 1]!.position).toBe(true);
        const middle = all[9]!.position;
        const rest = await readAllOf(store(), middle, streams, 7);
        expect(rest.map((e) => e.id)).toEqual(all.slice(10).map((e) => e.id));
      });

      it('moves the head position to the last appended event', async () => {
        const result = await store().append(freshStream(), numbered(2), 'no_stream');
        const head = await headAtLeast(store(), result.lastPosition);
        expect(head).toBeGreaterThanOrEqual(result.lastPosition);
        expect(await store().readAll({ after: head })).toEqual([]);
      });
    });

    describe('when subscribing', () => {
      it('catches up, goes live, and ends when closed', async () => {
        const stream = freshStream();
        const head = await store().headPosition();
        await store().append(stream, numbered(3), 'no_stream');
        const subscription = store().subscribe({ after: head });
        const iterator = subscription[Symbol.asyncIterator]();
        const caughtUp = await take(iterator, [stream], 3);
        expect(caughtUp.map((e) => e.streamVersion)).toEqual([0n, 1n, 2n]);
        const live = take(iterator, [stream], 2);
        await store().append(stream, numbered(2), 2n);
        expect((await live).map((e) => e.streamVersion)).toEqual([3n, 4n]);
        const ended = iterator.next();
        await subscription.close();
        expect((await ended).done).toBe(true);
      });

      it('ends an idle subscription promptly on close', async () => {
        const last = await store().append(freshStream(), numbered(1), 'no_stream');
        const subscription = store().subscribe({ after: await headAtLeast(store(), last.lastPosition) });
        const iterator = subscription[Symbol.asyncIterator]();
        const next = iterator.next();
        const started = Date.now();
        await subscription.close();
        expect((await next).done).toBe(true);
        expect(Date.now() - started).toBeLessThan(2_000);
      });
    });

    describe('when payloads are large or not ASCII', () => {
      it('round-trips a ~1 MB event', async () => {
        const stream = freshStream();
        const rows = Array.from({ length: LARGE_PAYLOAD_BYTES / 100 }, (_, i) => ({ row: i, note: 'x'.repeat(80) }));
        await store().append(stream, [newEvent('TabelImported', { rows })], 'no_stream');
        const [read] = await store().readStream(stream);
        expect(JSON.stringify(read!.data).length).toBeGreaterThan(LARGE_PAYLOAD_BYTES);
        expect(read!.data).toEqual({ rows });
      });

      it('round-trips Kazakh and Russian text and emoji in data, metadata and stream names', async () => {
        const stream = freshStream('әмиян-кошелёк');
        const data = { title: 'Әлеуметтік әмиян', ru: 'Социальный кошелёк', emoji: '🍎🥛🇰🇿', mixed: 'Қазақстан — Казахстан' };
        const event = newEvent('ДеректерЖазылды', data, { metadata: metadata({ actor: { role: 'мектеп', id: 'Мектеп №7' } }) });
        const head = await store().headPosition();
        await store().append(stream, [event], 'no_stream');
        const [read] = await store().readStream(stream);
        expect(read).toMatchObject({ stream, type: event.type, data, metadata: event.metadata });
        expect((await settledAll(store(), head, [stream], 1)).map((e) => e.data)).toEqual([data]);
      });
    });
  });
}
