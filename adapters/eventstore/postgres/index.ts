/**
 * The Postgres event store: the default adapter (schema in adapters/postgres/migrations/0001_events.sql).
 * Its parts, a file per job: rows.ts (the table, positions and the global order), append.ts and
 * insert.ts (appends and their statements), group-commit.ts (appends of one event-loop turn in one
 * statement), reads.ts (`$all`, streams, head; read-your-own-writes), notifier.ts (waking
 * subscribers here and in other processes), known-versions.ts (versions seen committed).
 */
import type { Pool } from '../../postgres/pool';
import type { AppendResult, EventStore, Subscription } from '../port';
import { catchUpSubscription, tracked, Wakeup } from '../memory';
import { createAppender } from './append';
import { KnownVersions } from './known-versions';
import { createNotifier } from './notifier';
import { createPostgresReads } from './reads';

export { EVENTS_CHANNEL } from './notifier';
export { POSITION_INDEX_BITS } from './rows';
export { backlogAfter, MAX_STREAMS_PER_READ } from './reads';
export { appendStatement } from './insert';
export { GROUP_COMMIT_MAX_EVENTS, GROUP_COMMIT_MAX_MEMBER_EVENTS } from './group-commit';

export interface PostgresEventStoreOptions {
  /** Subscriptions re-read at least this often, whatever the notifications say. */
  readonly pollIntervalMs?: number;
  /** Other processes learn of appends through NOTIFY, sent at most once per this interval. */
  readonly notifyIntervalMs?: number;
  /** How many streams' last seen versions to remember (see KnownVersions). */
  readonly knownStreams?: number;
}

const DEFAULT_POLL_INTERVAL_MS = 250;
/** Matches the projection runner's live gathering (50 ms): one NOTIFY statement per gathered batch, not ~100/s. */
const DEFAULT_NOTIFY_INTERVAL_MS = 50;
const DEFAULT_KNOWN_STREAMS = 100_000;

export function createPostgresEventStore(pool: Pool, options: PostgresEventStoreOptions = {}): EventStore {
  const wakeup = new Wakeup();
  const notifier = createNotifier(pool, wakeup, options.notifyIntervalMs ?? DEFAULT_NOTIFY_INTERVAL_MS);
  const subscriptions = new Set<Subscription>();
  const known = new KnownVersions(options.knownStreams ?? DEFAULT_KNOWN_STREAMS);

  let ownHead = 0n;
  const sawOwn = <R extends AppendResult>(result: R): R => {
    if (result.lastPosition > ownHead) ownHead = result.lastPosition;
    return result;
  };
  const appender = createAppender({ pool, known, announce: () => notifier.announce(), sawOwn });
  const reads = createPostgresReads({ pool, known, ownHead: () => ownHead });

  return {
    kind: 'postgres',
    append: appender.append,
    appendMany: appender.appendMany,
    readStream: reads.readStream,
    readStreams: reads.readStreams,
    readAll: reads.readAll,
    headPosition: reads.headPosition,
    subscribe: (opts) => {
      notifier.listen();
      const subscription = catchUpSubscription({
        after: opts?.after ?? 0n,
        read: (after, maxCount) => reads.readAllOnce(after, maxCount),
        wakeup,
        pollIntervalMs: options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
      });
      return tracked(subscriptions, subscription);
    },
    close: async () => {
      await Promise.all([...subscriptions].map((s) => s.close()));
      await notifier.close();
    },
  };
}
