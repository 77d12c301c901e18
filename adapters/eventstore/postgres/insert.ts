/**
 * The INSERT statements behind an append (append.ts decides which one runs): one stream, several
 * streams in a transaction, several streams in one statement, and the second look (`judge`) after
 * a refused insert.
 */
import type { Pool } from '../../postgres/pool';
import type { AppendResult, ExpectedVersion, StreamWrite } from '../port';
import { judgeWrite, type Verdict } from '../memory';
import type { KnownVersions } from './known-versions';
import { TRANSACTION_BASE, type Queryable } from './rows';

/** Writers with `any` may lose a race for the next version; they retry, but not forever. */
export const MAX_RACE_RETRIES = 20;
const UNIQUE_VIOLATION = '23505';
const VERSION_KEY = 'events_stream_version_key';

const CURRENT_VERSION = 'select max(stream_version) as current from events where stream = $1';
const FIND_IDS = 'select id, type, data, stream_version, position from events where stream = $1 and id = any($2::uuid[])';

/** `exact_seen`: an exact version this process has seen committed, so it needs no existence check. */
type VersionKind = 'exact' | 'exact_seen' | 'no_stream' | 'any' | 'stream_exists';

const kindOf = (expected: ExpectedVersion, seen?: bigint): VersionKind =>
  typeof expected !== 'bigint' ? expected : seen !== undefined && expected <= seen ? 'exact_seen' : 'exact';

/**
 * The INSERT for one stream. Parameters: $1 stream, $2 index offset inside the transaction,
 * $3 ids, $4 types, $5 data, $6 metadata (scalars for one event, arrays for a batch), $7 the exact
 * expected version. Zero rows back means the guard refused it.
 */
function insertSql(kind: VersionKind, batch: boolean): string {
  const idMatch = batch ? 'id = any($3::uuid[])' : 'id = $3::uuid';
  const base = {
    exact: '$7::bigint',
    exact_seen: '$7::bigint',
    no_stream: '-1',
    any: 'coalesce((select max(stream_version) from events where stream = $1), -1)',
    stream_exists: '(select max(stream_version) from events where stream = $1)',
  }[kind];
  const guard = {
    exact: 'where exists (select from events where stream = $1 and stream_version = $7::bigint)',
    exact_seen: '',
    no_stream: '',
    any: `where not exists (select from events where stream = $1 and ${idMatch})`,
    stream_exists: `where exists (select from events where stream = $1) and not exists (select from events where stream = $1 and ${idMatch})`,
  }[kind];
  // One event: plain expressions, no FROM (a subquery node here measurably slows the common case).
  const row = batch
    ? `${TRANSACTION_BASE} + $2::int + e.ord - 1, $1, ${base} + e.ord, e.id, e.type, e.data, e.metadata ` +
      'from unnest($3::uuid[], $4::text[], $5::jsonb[], $6::jsonb[]) with ordinality as e(id, type, data, metadata, ord)'
    : `${TRANSACTION_BASE} + $2::int, $1, ${base} + 1, $3::uuid, $4::text, $5::jsonb, $6::jsonb`;
  const insert = `insert into events (position, stream, stream_version, id, type, data, metadata) select ${row} ${guard} `;
  // One short row back, whatever the batch size: result rows cost the client more than the server.
  return batch
    ? `with appended as (${insert} returning position, stream_version) select max(position), max(stream_version) from appended having count(*) > 0`
    : `${insert} returning ${versionKnownUpfront(kind) ? 'position' : 'position, stream_version'}`;
}

/** The adapter's own INSERT, for tests that must hold an append's transaction open (postgres.concurrency.test.ts). */
export const appendStatement = (expected: ExpectedVersion, batch = false): string => insertSql(kindOf(expected), batch);

/** Kinds whose resulting version the client can compute: one column less to describe and parse per append. */
const versionKnownUpfront = (kind: VersionKind): boolean => kind === 'exact' || kind === 'exact_seen' || kind === 'no_stream';

const VERSION_KINDS = ['exact', 'exact_seen', 'no_stream', 'any', 'stream_exists'] as const;
/** Prepared statement names per kind: [one event, a batch]. */
const STATEMENT_NAMES = Object.fromEntries(VERSION_KINDS.map((k) => [k, [`swl_append_${k}_one`, `swl_append_${k}_batch`] as const])) as Record<
  VersionKind,
  readonly [string, string]
>;
const STATEMENTS = new Map<string, string>(
  VERSION_KINDS.flatMap((kind) => [false, true].map((batch) => [STATEMENT_NAMES[kind][batch ? 1 : 0], insertSql(kind, batch)] as const)),
);

/** One stream's INSERT; undefined when the guard or the unique version key refused it. */
export async function insert(db: Queryable, write: StreamWrite, offset: number, known: KnownVersions): Promise<AppendResult | undefined> {
  const kind = kindOf(write.expectedVersion, known.get(write.stream));
  const batch = write.events.length > 1;
  const name = STATEMENT_NAMES[kind][batch ? 1 : 0];
  const e = write.events;
  const values: unknown[] = batch
    ? [write.stream, offset, e.map((x) => x.id), e.map((x) => x.type), e.map((x) => JSON.stringify(x.data)), e.map((x) => JSON.stringify(x.metadata))]
    : [write.stream, offset, e[0]!.id, e[0]!.type, JSON.stringify(e[0]!.data), JSON.stringify(e[0]!.metadata)];
  if (kind === 'exact' || kind === 'exact_seen') values.push(write.expectedVersion);
  try {
    const { rows } = await db.query<[bigint, bigint?]>({ name, text: STATEMENTS.get(name)!, values, rowMode: 'array' });
    const last = rows[0];
    if (!last) return undefined;
    const nextExpectedVersion = batch || !versionKnownUpfront(kind) ? BigInt(last[1]!) : (kind === 'no_stream' ? -1n : (write.expectedVersion as bigint)) + 1n;
    return { nextExpectedVersion, lastPosition: BigInt(last[0]), repeated: false };
  } catch (error) {
    if (isVersionConflict(error)) return undefined;
    throw error;
  }
}

/**
 * All writes in one transaction, or none. Streams are written in name order so two calls over the
 * same streams wait for each other instead of deadlocking.
 */
export async function insertAll(pool: Pool, writes: readonly StreamWrite[], known: KnownVersions): Promise<AppendResult[] | undefined> {
  const order = writes.map((_, i) => i).sort((a, b) => (writes[a]!.stream < writes[b]!.stream ? -1 : 1));
  // Positions still follow the caller's order: each write's events take the indexes after the previous write's.
  const offsets = writes.map((_, i) => writes.slice(0, i).reduce((n, w) => n + w.events.length, 0));
  const client = await pool.connect();
  try {
    await client.query('begin');
    const results: AppendResult[] = [];
    for (const i of order) {
      const result = await insert(client, writes[i]!, offsets[i]!, known);
      if (!result) {
        await client.query('rollback');
        return undefined;
      }
      results[i] = result;
    }
    await client.query('commit');
    return results;
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** Every write names its version (exact or no stream): one statement can append them all. */
export function versionsKnown(writes: readonly StreamWrite[], known: KnownVersions): boolean {
  return writes.every((w) => {
    const kind = kindOf(w.expectedVersion, known.get(w.stream));
    return kind === 'exact' || kind === 'exact_seen' || kind === 'no_stream';
  });
}

/**
 * Several streams in ONE statement (one round trip instead of begin + an INSERT per stream +
 * commit: a canteen batch touches hundreds of streams). All or nothing: when an exact expected
 * version names an event that does not exist, nothing is inserted; when another writer got there
 * first, the unique (stream, stream_version) key refuses the whole statement. Rows go in stream
 * order (as insertAll locks them) while positions keep the caller's order.
 */
const INSERT_ALL_AT_ONCE = `with input as (
    select * from jsonb_to_recordset($1::jsonb)
      as t(stream text, base bigint, ord int, off int, id uuid, type text, data jsonb, metadata jsonb, guard bool)
  ),
  refused as (
    select from input i
    where i.guard and i.ord = 1 and not exists (select from events e where e.stream = i.stream and e.stream_version = i.base)
  ),
  appended as (
    insert into events (position, stream, stream_version, id, type, data, metadata)
    select ${TRANSACTION_BASE} + i.off, i.stream, i.base + i.ord, i.id, i.type, i.data, i.metadata
    from input i where not exists (select from refused)
    returning position, stream, stream_version
  )
  select stream, max(position), max(stream_version) from appended group by stream`;

export async function insertAllAtOnce(pool: Pool, writes: readonly StreamWrite[], known: KnownVersions): Promise<AppendResult[] | undefined> {
  const offsets = writes.map((_, i) => writes.slice(0, i).reduce((n, w) => n + w.events.length, 0));
  const order = writes.map((_, i) => i).sort((a, b) => (writes[a]!.stream < writes[b]!.stream ? -1 : 1));
  // One JSON document of rows (data and metadata nested as they are): one native JSON.stringify,
  // where nine text[]/jsonb[] parameters had pg escape every quote of every event's JSON in JS.
  const input: object[] = [];
  for (const i of order) {
    const w = writes[i]!;
    const kind = kindOf(w.expectedVersion, known.get(w.stream));
    // A string: jsonb_to_recordset casts it to bigint exactly, beyond 2^53 too.
    const base = kind === 'no_stream' ? '-1' : String(w.expectedVersion);
    w.events.forEach((e, j) => {
      input.push({
        stream: w.stream,
        base,
        ord: j + 1,
        off: offsets[i]! + j,
        id: e.id,
        type: e.type,
        data: e.data,
        metadata: e.metadata,
        guard: kind === 'exact',
      });
    });
  }
  try {
    const { rows } = await pool.query<[string, bigint, bigint]>({
      name: 'swl_append_many',
      text: INSERT_ALL_AT_ONCE,
      values: [JSON.stringify(input)],
      rowMode: 'array',
    });
    if (rows.length !== writes.length) return undefined;
    const byStream = new Map(rows.map((r) => [r[0], r]));
    return writes.map((w) => {
      const r = byStream.get(w.stream)!;
      return { nextExpectedVersion: BigInt(r[2]), lastPosition: BigInt(r[1]), repeated: false };
    });
  } catch (error) {
    if (isVersionConflict(error)) return undefined;
    throw error;
  }
}

/** The slow path after a refused insert: is it a repeat, an id conflict, a version conflict, or a lost race? */
export async function judge(db: Queryable, write: StreamWrite): Promise<Verdict> {
  const ids = write.events.map((e) => e.id);
  const [current, found] = await Promise.all([
    db.query({ name: 'swl_current_version', text: CURRENT_VERSION, values: [write.stream] }),
    db.query({ name: 'swl_find_ids', text: FIND_IDS, values: [write.stream, ids] }),
  ]);
  const currentVersion = current.rows[0].current;
  const byId = new Map(
    found.rows.map((r) => [r.id as string, { type: r.type, data: r.data, streamVersion: BigInt(r.stream_version), position: BigInt(r.position) }]),
  );
  return judgeWrite(write, currentVersion === null ? undefined : BigInt(currentVersion), (id) => byId.get(id));
}

function isVersionConflict(error: unknown): boolean {
  const e = error as { code?: string; constraint?: string };
  return e.code === UNIQUE_VIOLATION && e.constraint === VERSION_KEY;
}
