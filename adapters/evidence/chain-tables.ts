/** Reads of the chain's tables (0751_event_chain.sql) shared by the chainer, checkpoints, verifier and proofs. */
import type { PoolClient } from '../postgres/pool';
import { GENESIS_HASH } from './chain-definition';

type Queryable = Pick<PoolClient, 'query'>;

/** Advisory-lock key held by whoever extends the chain or signs a checkpoint (projections use 7_117_200/201, migrations 7_117_001). */
export const CHAIN_LOCK = 7_117_300;

export interface ChainHead {
  /** 0n before the first block. */
  readonly seq: bigint;
  readonly lastPosition: bigint;
  readonly hash: Buffer;
}

/** A block as stored. */
export interface StoredBlock {
  readonly seq: bigint;
  readonly firstPosition: bigint;
  readonly lastPosition: bigint;
  readonly eventCount: number;
  readonly positions: readonly bigint[];
  /** The leaves, 32 bytes each, in position order. */
  readonly leaves: Buffer;
  readonly eventsRoot: Buffer;
  readonly previousHash: Buffer;
  readonly hash: Buffer;
  readonly chainedAt: string;
}

/** A checkpoint as stored: the payload text exactly as signed. */
export interface StoredCheckpoint {
  readonly seq: bigint;
  readonly day: string;
  readonly blockSeq: bigint;
  readonly payload: string;
  readonly signature: string;
  readonly keyId: string;
}

export async function chainHead(db: Queryable): Promise<ChainHead> {
  const { rows } = await db.query<{ seq: bigint; last_position: bigint; hash: Buffer }>(
    'select seq, last_position, hash from event_chain order by seq desc limit 1',
  );
  const head = rows[0];
  return head ? { seq: BigInt(head.seq), lastPosition: BigInt(head.last_position), hash: head.hash } : { seq: 0n, lastPosition: 0n, hash: GENESIS_HASH };
}

const BLOCK_COLUMNS = 'seq, first_position, last_position, event_count, positions, leaves, events_root, previous_hash, hash, chained_at';

type BlockRow = {
  seq: bigint;
  first_position: bigint;
  last_position: bigint;
  event_count: number;
  positions: (string | bigint)[];
  leaves: Buffer;
  events_root: Buffer;
  previous_hash: Buffer;
  hash: Buffer;
  chained_at: Date;
};

const toBlock = (r: BlockRow): StoredBlock => ({
  seq: BigInt(r.seq),
  firstPosition: BigInt(r.first_position),
  lastPosition: BigInt(r.last_position),
  eventCount: r.event_count,
  positions: r.positions.map((p) => BigInt(p)),
  leaves: r.leaves,
  eventsRoot: r.events_root,
  previousHash: r.previous_hash,
  hash: r.hash,
  chainedAt: r.chained_at.toISOString(),
});

/** Blocks with seq in (after, after + limit], in order. */
export async function blocksAfter(db: Queryable, after: bigint, limit: number): Promise<StoredBlock[]> {
  const { rows } = await db.query<BlockRow>(`select ${BLOCK_COLUMNS} from event_chain where seq > $1 order by seq limit $2`, [after, limit]);
  return rows.map(toBlock);
}

/** The block holding each position (one per distinct block), by position. */
export async function blocksHolding(db: Queryable, positions: readonly bigint[]): Promise<Map<bigint, StoredBlock>> {
  if (positions.length === 0) return new Map();
  const { rows } = await db.query<BlockRow & { position: bigint }>(
    `select p.position, ${BLOCK_COLUMNS.split(', ')
      .map((c) => `b.${c}`)
      .join(', ')}
     from unnest($1::bigint[]) as p(position)
     cross join lateral (select * from event_chain where last_position >= p.position order by last_position limit 1) b
     where b.first_position <= p.position`,
    [positions],
  );
  return new Map(rows.map((r) => [BigInt(r.position), toBlock(r)]));
}

/** Block hashes and event counts with seq in (from, to], in order. */
export async function blockHashesBetween(db: Queryable, from: bigint, to: bigint): Promise<{ hash: Buffer; eventCount: number }[]> {
  const { rows } = await db.query<{ hash: Buffer; event_count: number }>(
    'select hash, event_count from event_chain where seq > $1 and seq <= $2 order by seq',
    [from, to],
  );
  return rows.map((r) => ({ hash: r.hash, eventCount: r.event_count }));
}

export async function storedCheckpoints(db: Queryable, options: { fromSeq?: bigint; limit?: number } = {}): Promise<StoredCheckpoint[]> {
  const { rows } = await db.query<{ seq: bigint; day: string; block_seq: bigint; payload: string; signature: string; key_id: string }>(
    'select seq, day, block_seq, payload, signature, key_id from chain_checkpoints where seq >= $1 order by seq limit $2',
    [options.fromSeq ?? 0n, options.limit ?? null],
  );
  return rows.map((r) => ({ seq: BigInt(r.seq), day: r.day, blockSeq: BigInt(r.block_seq), payload: r.payload, signature: r.signature, keyId: r.key_id }));
}

export async function lastCheckpoint(db: Queryable): Promise<StoredCheckpoint | undefined> {
  const { rows } = await db.query<{ seq: bigint; day: string; block_seq: bigint; payload: string; signature: string; key_id: string }>(
    'select seq, day, block_seq, payload, signature, key_id from chain_checkpoints order by seq desc limit 1',
  );
  const r = rows[0];
  return r ? { seq: BigInt(r.seq), day: r.day, blockSeq: BigInt(r.block_seq), payload: r.payload, signature: r.signature, keyId: r.key_id } : undefined;
}
