/**
 * Reads: `$all` in position order (never skipping an event that commits later, see rows.ts), one
 * stream, many streams in one statement, and the visible head.
 */
import type { Pool } from '../../postgres/pool';
import { DEFAULT_READ_BATCH, type ReadAllOptions, type ReadStreamOptions, type RecordedEvent, type StreamRead } from '../port';
import type { KnownVersions } from './known-versions';
import { COLUMNS, toRecorded, VISIBLE_BELOW, type EventRow } from './rows';

/** How long a reader waits for this process's own committed appends to become visible. */
const OWN_WRITES_WAIT_MS = 5_000;
const OWN_WRITES_POLL_MS = 2;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** Streams per READ_STREAMS statement: bounds one statement's time on a connection and its result. */
export const MAX_STREAMS_PER_READ = 1_000;

const READ_ALL = `select ${COLUMNS} from events where position > $1 and position < ${VISIBLE_BELOW} order by position limit $2`;
const READ_STREAM = `select ${COLUMNS} from events where stream = $1 and stream_version >= $2 order by stream_version limit $3`;
/**
 * Several streams in one statement, each from its own version (so a caller holding a prefix reads
 * only the suffix); `r.i` says which read a row answers. A LATERAL subquery per stream: one index
 * range scan on (stream, stream_version) each, whatever the planner estimates. (A plain join let
 * the planner pick a hash join over a sequential scan of the whole log when many streams were
 * asked at once — under POS load that read millions of rows a second.)
 */
const READ_STREAMS =
  'select r.i, e.position, e.stream, e.stream_version, e.id, e.type, e.data, e.metadata ' +
  'from unnest($1::text[], $2::bigint[]) with ordinality as r(stream, from_version, i) ' +
  `cross join lateral (select ${COLUMNS} from events where stream = r.stream and stream_version >= r.from_version order by stream_version) e ` +
  'order by r.i, e.stream_version';
const HEAD = `select coalesce(max(position), 0)::bigint as head from events where position < ${VISIBLE_BELOW}`;
const BACKLOG =
  `select count(*)::int as events, (select metadata->>'recordedAt' from events where position > $1 and position < ${VISIBLE_BELOW} order by position limit 1) as oldest ` +
  `from (select from events where position > $1 and position < ${VISIBLE_BELOW} order by position limit $2) backlog`;

/**
 * How many events (at most `limit`) follow `after` in `$all` as a reader may see them now, and
 * when the first of them was recorded: one short row, where reading them to count them sent up to
 * `limit` whole events per call (a projection's lag, asked every second by the load test and by
 * every /metrics scrape, read ~7 times more events than the projections themselves under POS load).
 */
export async function backlogAfter(pool: Pool, after: bigint, limit: number): Promise<{ events: number; oldestRecordedAt?: string }> {
  const { rows } = await pool.query<{ events: number; oldest: string | null }>({ name: 'swl_backlog', text: BACKLOG, values: [after, limit] });
  const row = rows[0]!;
  return { events: row.events, ...(row.oldest === null ? {} : { oldestRecordedAt: row.oldest }) };
}

export interface PostgresReads {
  /** One READ_ALL statement, without waiting for this process's own writes (subscriptions poll). */
  readAllOnce(after: bigint, maxCount: number): Promise<RecordedEvent[]>;
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  headPosition(): Promise<bigint>;
  readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  readStreams(reads: readonly StreamRead[]): Promise<RecordedEvent[][]>;
}

export interface ReadsDeps {
  readonly pool: Pool;
  readonly known: KnownVersions;
  /** Highest position this store instance appended (or found repeated): what its readers must get to see. */
  readonly ownHead: () => bigint;
}

export function createPostgresReads({ pool, known, ownHead }: ReadsDeps): PostgresReads {
  const readAllOnce = async (after: bigint, maxCount: number): Promise<RecordedEvent[]> => {
    const { rows } = await pool.query<EventRow>({ name: 'swl_read_all', text: READ_ALL, values: [after, maxCount], rowMode: 'array' });
    return rows.map(toRecorded);
  };

  /**
   * Read-your-own-writes: the visibility horizon is cluster-wide, so another transaction (even in
   * another database on the same server) can hold back events this process has already committed.
   * A reader that reaches the visible end before this store's last append *as of the call* waits
   * for it, briefly. The target is fixed at the call (under steady writes a moving target would keep
   * every read waiting for the whole bound), and each poll reads only after what it already has.
   */
  const readAll = async (opts?: ReadAllOptions): Promise<RecordedEvent[]> => {
    const maxCount = opts?.maxCount ?? DEFAULT_READ_BATCH;
    const target = ownHead();
    const deadline = performance.now() + OWN_WRITES_WAIT_MS;
    let reached = opts?.after ?? 0n;
    const events: RecordedEvent[] = [];
    for (;;) {
      const more = await readAllOnce(reached, maxCount - events.length);
      for (const e of more) events.push(e);
      reached = events.at(-1)?.position ?? reached;
      if (events.length >= maxCount || reached >= target || performance.now() > deadline) return events;
      await sleep(OWN_WRITES_POLL_MS);
    }
  };

  const headPosition = async (): Promise<bigint> => {
    const target = ownHead();
    const deadline = performance.now() + OWN_WRITES_WAIT_MS;
    for (;;) {
      const head = BigInt((await pool.query({ name: 'swl_head', text: HEAD })).rows[0].head);
      if (head >= target || performance.now() > deadline) return head;
      await sleep(OWN_WRITES_POLL_MS);
    }
  };

  const sawRead = (stream: string, events: RecordedEvent[]): RecordedEvent[] => {
    if (events.length > 0) known.saw(stream, { nextExpectedVersion: events.at(-1)!.streamVersion });
    return events;
  };

  const readOneStream = async (stream: string, opts?: ReadStreamOptions): Promise<RecordedEvent[]> => {
    const values = [stream, opts?.fromVersion ?? 0n, opts?.maxCount ?? null];
    const { rows } = await pool.query<EventRow>({ name: 'swl_read_stream', text: READ_STREAM, values, rowMode: 'array' });
    return sawRead(stream, rows.map(toRecorded));
  };

  const readStreams = async (reads: readonly StreamRead[]): Promise<RecordedEvent[][]> => {
    if (reads.length === 0) return [];
    if (reads.length === 1) return [await readOneStream(reads[0]!.stream, reads[0])];
    const chunks: (readonly StreamRead[])[] = [];
    for (let i = 0; i < reads.length; i += MAX_STREAMS_PER_READ) chunks.push(reads.slice(i, i + MAX_STREAMS_PER_READ));
    const answers = await Promise.all(chunks.map((chunk) => readStreamsOnce(pool, chunk)));
    return answers.flat().map((events, i) => sawRead(reads[i]!.stream, events));
  };

  /**
   * Reads of whole streams or suffixes asked in the same turn of the event loop go out as one
   * READ_STREAMS statement: a command loading its streams side by side, and — because the batch
   * is sent from `setImmediate`, after the turn's I/O callbacks — every request that arrived in
   * that turn (the idempotency lookups batch the same way). A lone read keeps its own prepared
   * statement: fewer statements, fewer socket writes (bench:e2e pos_pairs_per_s; docs/SIMULATION.md).
   */
  const coalescer = new ReadCoalescer(readStreams);

  const readStream = (stream: string, opts?: ReadStreamOptions) =>
    opts?.maxCount === undefined
      ? coalescer.read({ stream, ...(opts?.fromVersion === undefined ? {} : { fromVersion: opts.fromVersion }) })
      : readOneStream(stream, opts);

  return { readAllOnce, readAll, headPosition, readStream, readStreams };
}

/** One READ_STREAMS statement: each read's events, in the order asked. */
async function readStreamsOnce(pool: Pool, reads: readonly StreamRead[]): Promise<RecordedEvent[][]> {
  const values = [reads.map((r) => r.stream), reads.map((r) => r.fromVersion ?? 0n)];
  const { rows } = await pool.query<[bigint, ...EventRow]>({ name: 'swl_read_streams', text: READ_STREAMS, values, rowMode: 'array' });
  const answers: RecordedEvent[][] = reads.map(() => []);
  for (const row of rows) answers[Number(row[0]) - 1]!.push(toRecorded(row.slice(1) as EventRow));
  return answers;
}

/** Gathers the reads asked in one turn of the event loop and answers them with one `readStreams`. */
class ReadCoalescer {
  private pending: { read: StreamRead; resolve: (events: RecordedEvent[]) => void; reject: (error: unknown) => void }[] = [];

  constructor(private readonly readStreams: (reads: readonly StreamRead[]) => Promise<RecordedEvent[][]>) {}

  read(read: StreamRead): Promise<RecordedEvent[]> {
    return new Promise((resolve, reject) => {
      if (this.pending.length === 0) setImmediate(() => this.flush());
      this.pending.push({ read, resolve, reject });
    });
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    this.readStreams(batch.map((p) => p.read)).then(
      (answers) => batch.forEach((p, i) => p.resolve(answers[i]!)),
      (error: unknown) => batch.forEach((p) => p.reject(error)),
    );
  }
}
