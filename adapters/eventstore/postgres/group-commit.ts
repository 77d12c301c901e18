/**
 * Group commit (as TigerBeetle batches a request's events): appends with known versions that
 * arrive in the same turn of the event loop — 32 tills each appending a hold or a capture — go to
 * Postgres as ONE INSERT_ALL_AT_ONCE statement instead of one each. Each append stays atomic and
 * keeps its own verdict: when the group is refused as a whole (one member's version was stale) or
 * fails, every member is answered `undefined` and takes its usual path alone, where the stale one
 * gets its conflict and the others commit. A lone append goes its usual way one turn later.
 */
import type { Pool } from '../../postgres/pool';
import type { AppendResult, StreamWrite } from '../port';
import { insertAllAtOnce } from './insert';
import type { KnownVersions } from './known-versions';

/** Most events one group commit carries (far below the 2^16 indexes of one transaction). */
export const GROUP_COMMIT_MAX_EVENTS = 2_000;
/**
 * Appends of more events than this commit alone, at once: a big append is a big enough statement
 * by itself, and merging 16 writers' 100-event batches into one statement serialised what 16
 * connections write side by side (bench:eventstore, 100-event batches from 16 writers; docs/SIMULATION.md).
 */
export const GROUP_COMMIT_MAX_MEMBER_EVENTS = 16;
export const groupable = (writes: readonly StreamWrite[]) => writes.reduce((n, w) => n + w.events.length, 0) <= GROUP_COMMIT_MAX_MEMBER_EVENTS;

export class GroupCommitter {
  private pending: { writes: readonly StreamWrite[]; resolve: (results: AppendResult[] | undefined) => void }[] = [];

  constructor(
    private readonly pool: Pool,
    private readonly known: KnownVersions,
  ) {}

  /** The results when committed with others; undefined: append alone (nothing was written). */
  commit(writes: readonly StreamWrite[]): Promise<AppendResult[] | undefined> {
    return new Promise((resolve) => {
      if (this.pending.length === 0) setImmediate(() => void this.flush());
      this.pending.push({ writes, resolve });
    });
  }

  private async flush(): Promise<void> {
    const waiting = this.pending;
    this.pending = [];
    const group: typeof waiting = [];
    const streams = new Set<string>();
    let events = 0;
    for (const member of waiting) {
      const size = member.writes.reduce((n, w) => n + w.events.length, 0);
      // Two members on one stream would refuse each other inside one statement: the later goes alone.
      if (member.writes.some((w) => streams.has(w.stream)) || events + size > GROUP_COMMIT_MAX_EVENTS) {
        member.resolve(undefined);
        continue;
      }
      for (const w of member.writes) streams.add(w.stream);
      events += size;
      group.push(member);
    }
    if (group.length < 2) return group.forEach((m) => m.resolve(undefined));
    const results = await insertAllAtOnce(
      this.pool,
      group.flatMap((m) => m.writes),
      this.known,
    ).catch(() => undefined);
    let next = 0;
    for (const member of group) {
      member.resolve(results?.slice(next, next + member.writes.length));
      next += member.writes.length;
    }
  }
}
