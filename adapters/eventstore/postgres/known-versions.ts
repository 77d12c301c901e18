import { LRUCache } from 'lru-cache';

/**
 * The highest version this process has seen committed, per stream (from appends and reads), for
 * the most recently used streams. Events are never deleted, so a version seen once exists for good:
 * an exact expected version at or below it needs no existence check in the INSERT (the unique key
 * still catches a stale one), which was a large part of a single append's cost (bench:eventstore,
 * 1 writer; docs/SIMULATION.md). Commands read the stream before appending, so the usual append hits this.
 */
export class KnownVersions {
  private readonly versions: LRUCache<string, bigint> | undefined;

  constructor(capacity: number) {
    this.versions = capacity > 0 ? new LRUCache({ max: capacity }) : undefined;
  }

  get(stream: string): bigint | undefined {
    return this.versions?.get(stream);
  }

  saw<R extends { nextExpectedVersion: bigint }>(stream: string, result: R): R {
    const before = this.versions?.get(stream);
    if (before === undefined || before < result.nextExpectedVersion) this.versions?.set(stream, result.nextExpectedVersion);
    return result;
  }
}
