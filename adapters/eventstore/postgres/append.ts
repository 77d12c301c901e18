/**
 * Appends: one prepared statement each (autocommit), or one group-commit statement shared with the
 * appends of the same event-loop turn (group-commit.ts). The expected-version check is a guard in
 * the INSERT's WHERE plus the unique (stream, stream_version) key; only a refused insert costs a
 * second look (`judge`) to tell a repeat, an id conflict and a version conflict apart.
 */
import type { Pool } from '../../postgres/pool';
import type { AppendResult, ExpectedVersion, StreamWrite } from '../port';
import { assertWrites, settleMany } from '../memory';
import { GroupCommitter, groupable } from './group-commit';
import { insert, insertAll, insertAllAtOnce, judge, MAX_RACE_RETRIES, versionsKnown } from './insert';
import type { KnownVersions } from './known-versions';

export interface Appender {
  append(stream: string, events: StreamWrite['events'], expectedVersion?: ExpectedVersion): Promise<AppendResult>;
  appendMany(writes: readonly StreamWrite[]): Promise<AppendResult[]>;
}

export interface AppenderDeps {
  readonly pool: Pool;
  readonly known: KnownVersions;
  /** After every append attempt (see notifier.ts). */
  readonly announce: () => void;
  /** Every result this process committed or found repeated (read-your-own-writes, reads.ts). */
  readonly sawOwn: <R extends AppendResult>(result: R) => R;
}

export function createAppender({ pool, known, announce, sawOwn }: AppenderDeps): Appender {
  const committer = new GroupCommitter(pool, known);

  const append = async (stream: string, events: StreamWrite['events'], expectedVersion: ExpectedVersion = 'any') => {
    const write: StreamWrite = { stream, events, expectedVersion };
    assertWrites([write]);
    const grouped = groupable([write]) && versionsKnown([write], known) ? await committer.commit([write]) : undefined;
    if (grouped) {
      announce();
      return sawOwn(known.saw(stream, grouped[0]!));
    }
    for (let attempt = 1; attempt <= MAX_RACE_RETRIES; attempt++) {
      const result = await insert(pool, write, 0, known);
      announce();
      if (result) return sawOwn(known.saw(stream, result));
      const verdict = await judge(pool, write);
      if (verdict.kind === 'repeated') return sawOwn(known.saw(stream, verdict.result));
      if (verdict.kind === 'rejected') throw verdict.error;
    }
    throw new Error(`append to ${stream}: lost the race for the next version ${MAX_RACE_RETRIES} times`);
  };

  const appendMany = async (writes: readonly StreamWrite[]): Promise<AppendResult[]> => {
    assertWrites(writes);
    if (writes.length === 1) return [await append(writes[0]!.stream, writes[0]!.events, writes[0]!.expectedVersion)];
    const grouped = groupable(writes) && versionsKnown(writes, known) ? await committer.commit(writes) : undefined;
    if (grouped) {
      announce();
      return grouped.map((r, i) => sawOwn(known.saw(writes[i]!.stream, r)));
    }
    for (let attempt = 1; attempt <= MAX_RACE_RETRIES; attempt++) {
      const results = versionsKnown(writes, known) ? await insertAllAtOnce(pool, writes, known) : await insertAll(pool, writes, known);
      announce();
      if (results) return results.map((r, i) => sawOwn(known.saw(writes[i]!.stream, r)));
      const settled = settleMany(await Promise.all(writes.map((w) => judge(pool, w))));
      if (settled !== 'write') return settled.map(sawOwn);
    }
    throw new Error(`appendMany: lost the race for the next version ${MAX_RACE_RETRIES} times`);
  };

  return { append, appendMany };
}
