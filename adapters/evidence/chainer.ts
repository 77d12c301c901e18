/**
 * The chainer: binds committed events into the hash chain, after they commit, in global-position
 * order (docs/EVIDENCE.md; definition in chain-definition.ts; tables in 0751_event_chain.sql).
 *
 * Why after commit and not inside the append: a chain link inside every append's transaction
 * would make each append wait for the previous one's hash — one writer at a time, and group
 * commit's whole point gone. Instead a pass reads what the store's `$all` readers may see (events
 * of transactions older than every running one: a prefix of the log that later commits can never
 * extend in the middle, adapters/eventstore/postgres.ts) and appends ONE block for all of it.
 * Appenders never wait and never meet the chainer. A block holds whole transactions only, so the
 * chain's "committed batch" is the set of transactions a pass found committed.
 *
 * One chainer per database: each pass holds a transaction-level advisory lock, and a block's
 * sequence number is the table's primary key, so even two chainers that both ran could not fork
 * the chain. Leaves are computed by Postgres (swl_event_leaf): 32 bytes per event cross the wire
 * instead of the event. The verifier (verify.ts) recomputes them in JavaScript from the text.
 */
import type { Pool, PoolClient } from '../postgres/pool';
import type { Clock } from '../clock/clock';
import { addDays, localDate } from '../../domain/shared/calendar';
import { POSITION_INDEX_BITS, VISIBLE_BELOW } from '../eventstore/postgres/rows';
import { blockHash, HASH_BYTES, merkleRoot } from './chain-definition';
import { chainHead, CHAIN_LOCK, type ChainHead } from './chain-tables';
import { createCheckpoint, type Checkpoint, type CheckpointSigner } from './checkpoints';

/** A block's events per pass at most: bounds a pass's memory and its transaction's length. */
export const MAX_BLOCK_EVENTS = 10_000;
/**
 * How often the chainer runs while the service is up. Each pass that finds events is one block,
 * so this bounds the chain's length (≤ 17,280 blocks a day) as much as it bounds the lag.
 */
export const DEFAULT_CHAIN_INTERVAL_MS = 5_000;
/** How long `catchUp` waits for events held back by a transaction still running elsewhere on the server. */
const CATCH_UP_WAIT_MS = 10_000;
const CATCH_UP_POLL_MS = 5;
/** Largest number of events one transaction can append (positions keep 16 bits for the index). */
const TRANSACTION_SPAN = 1n << BigInt(POSITION_INDEX_BITS);

const LEAF = 'swl_event_leaf(position, stream, stream_version, id, type, data, metadata)';
const READ_LEAVES = `select position, ${LEAF} from events where position > $1 and position < ${VISIBLE_BELOW} order by position limit $2`;
/** The rest of one transaction's events (a transaction larger than a block is one block). */
const READ_TRANSACTION = `select position, ${LEAF} from events where position > $1 and position < $2 order by position`;
const INSERT_BLOCK = `insert into event_chain (seq, first_position, last_position, event_count, positions, leaves, events_root, previous_hash, hash)
  values ($1, $2, $3, $4, $5::bigint[], $6, $7, $8, $9)`;

export interface ChainerOptions {
  readonly pool: Pool;
  readonly clock: Clock;
  /** Signs the daily checkpoints; without one no checkpoint is made. */
  readonly signer?: CheckpointSigner;
  readonly intervalMs?: number;
  readonly maxBlockEvents?: number;
  /** Days of checkpoints are local days here. */
  readonly timeZone?: string;
  readonly onError?: (error: unknown) => void;
}

export interface Chainer {
  /** Chains and checkpoints in the background every interval. */
  start(): void;
  stop(): Promise<void>;
  /** Chains every event committed before the call (as many blocks as it takes); returns the head. */
  catchUp(): Promise<ChainHead>;
  /** Signs the checkpoint closing `day` over the head now, unless that day (or a later one) has one. */
  checkpoint(day: string): Promise<Checkpoint | undefined>;
}

export function createChainer(options: ChainerOptions): Chainer {
  const { pool, clock } = options;
  const maxEvents = options.maxBlockEvents ?? MAX_BLOCK_EVENTS;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let lastCheckpointDay: string | undefined;

  /** Chains what is visible now, a block at a time, until a pass finds its block not full. */
  const chainVisible = async (): Promise<ChainHead> => {
    for (;;) {
      const { head, more } = await chainOnce(pool, maxEvents);
      if (!more) return head;
    }
  };

  /**
   * Chains every event committed before the call. The visibility horizon is cluster-wide, so a
   * transaction anywhere on the server (another database too) can hold committed events back
   * for a moment: wait for them, briefly, as the store's readers wait for their own writes.
   */
  const catchUp = async (): Promise<ChainHead> => {
    const { rows } = await pool.query<{ last: bigint }>('select coalesce(max(position), 0)::bigint as last from events');
    const target = BigInt(rows[0]!.last);
    const deadline = performance.now() + CATCH_UP_WAIT_MS;
    for (;;) {
      const head = await chainVisible();
      if (head.lastPosition >= target || performance.now() > deadline) return head;
      await new Promise((resolve) => setTimeout(resolve, CATCH_UP_POLL_MS));
    }
  };

  const checkpoint = async (day: string) => {
    if (!options.signer) return undefined;
    const made = await createCheckpoint(pool, options.signer, { day, at: clock.now().toISOString() });
    lastCheckpointDay = made?.day ?? lastCheckpointDay;
    return made;
  };

  /** The day that ended last; signed once the clock is past it. */
  const closeYesterday = async () => {
    const yesterday = addDays(localDate(clock.now(), options.timeZone), -1);
    if (lastCheckpointDay !== undefined && lastCheckpointDay >= yesterday) return;
    await checkpoint(yesterday);
    lastCheckpointDay ??= yesterday;
  };

  const pass = async () => {
    try {
      await chainVisible();
      await closeYesterday();
    } catch (error) {
      options.onError?.(error);
    }
  };

  let started = false;
  return {
    start() {
      if (started) return;
      started = true;
      const tick = () => {
        running = pass().finally(() => {
          if (started) timer = setTimeout(tick, options.intervalMs ?? DEFAULT_CHAIN_INTERVAL_MS).unref();
        });
      };
      tick();
    },
    async stop() {
      started = false;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await running;
    },
    catchUp: () => serialised(catchUp),
    checkpoint: (day) => serialised(() => checkpoint(day)),
  };

  /** One pass at a time in this process (the advisory lock orders processes). */
  function serialised<T>(work: () => Promise<T>): Promise<T> {
    const next = running.then(work, work);
    running = next.catch(() => undefined);
    return next;
  }
}

/** Appends one block of what is committed after the head; `more`: the block was full, more may be waiting. */
async function chainOnce(pool: Pool, maxEvents: number): Promise<{ head: ChainHead; more: boolean }> {
  const client = await pool.connect();
  try {
    await client.query(`begin; select pg_advisory_xact_lock(${CHAIN_LOCK})`);
    const head = await chainHead(client);
    const { events, full } = await readWholeTransactions(client, head.lastPosition, maxEvents);
    if (events.length === 0) {
      await client.query('commit');
      return { head, more: false };
    }
    const leaves = events.map((e) => e.leaf);
    const header = {
      seq: head.seq + 1n,
      firstPosition: events[0]!.position,
      lastPosition: events.at(-1)!.position,
      eventCount: events.length,
      previousHash: head.hash,
      eventsRoot: merkleRoot(leaves),
    };
    const hash = blockHash(header);
    await client.query(INSERT_BLOCK, [
      header.seq,
      header.firstPosition,
      header.lastPosition,
      header.eventCount,
      events.map((e) => e.position),
      Buffer.concat(leaves),
      header.eventsRoot,
      header.previousHash,
      hash,
    ]);
    await client.query('commit');
    return { head: { seq: header.seq, lastPosition: header.lastPosition, hash }, more: full };
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

interface Leaf {
  readonly position: bigint;
  readonly leaf: Buffer;
}

/**
 * Up to `maxEvents` visible events after `after`, cut at a transaction's end: when the read is
 * full its last transaction may go on beyond it, so that transaction waits for the next block —
 * unless it is the only one read, then the block takes all of it.
 */
async function readWholeTransactions(client: PoolClient, after: bigint, maxEvents: number): Promise<{ events: Leaf[]; full: boolean }> {
  const read = async (text: string, values: unknown[]) =>
    (await client.query<[bigint, Buffer]>({ text, values, rowMode: 'array' })).rows.map(([position, leaf]) => {
      if (leaf.length !== HASH_BYTES) throw new Error(`invariant violated: leaf of ${position} has ${leaf.length} bytes`);
      return { position: BigInt(position), leaf };
    });
  const events = await read(READ_LEAVES, [after, maxEvents]);
  if (events.length < maxEvents) return { events, full: false };
  const transactionOf = (position: bigint) => position >> BigInt(POSITION_INDEX_BITS);
  const last = transactionOf(events.at(-1)!.position);
  if (transactionOf(events[0]!.position) !== last) return { events: events.filter((e) => transactionOf(e.position) !== last), full: true };
  const rest = await read(READ_TRANSACTION, [events.at(-1)!.position, (last + 1n) * TRANSACTION_SPAN]);
  return { events: [...events, ...rest], full: true };
}
