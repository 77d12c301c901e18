/** StreamStates for tests: frozen (a mutating decider fails at once), capacity from STREAM_CACHE_CAPACITY (`npm run test:uncached` sets 0). */
import type { EventStore } from '../adapters/eventstore/port';
import { createStreamStates, DEFAULT_STREAM_CACHE_CAPACITY, type StreamStates } from '../application/stream-states';

/** The capacity the suite runs with: the default, or STREAM_CACHE_CAPACITY from the environment. */
export const TEST_STREAM_CACHE_CAPACITY =
  process.env.STREAM_CACHE_CAPACITY === undefined ? DEFAULT_STREAM_CACHE_CAPACITY : Number(process.env.STREAM_CACHE_CAPACITY);

export function testStates(store: EventStore, capacity = TEST_STREAM_CACHE_CAPACITY): StreamStates {
  return createStreamStates(store, { capacity, freeze: true });
}
