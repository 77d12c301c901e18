/**
 * The verifier: recomputes the hash chain from the events as they are now and names the first
 * place where the log differs from what was chained (docs/EVIDENCE.md, "Verifying").
 *
 * It trusts nothing it recomputes: every leaf from the event's stored text (in JavaScript, not
 * with the database's swl_event_leaf), every block's root and hash, every link, and every
 * checkpoint's signature, its head hash and the Merkle root of the blocks it adds. It starts at
 * the first block, or at a signed checkpoint whose signature holds (then what came before is taken
 * on that signature). Events committed after the chain's head are counted, not judged: the
 * chainer has not reached them yet.
 */
import { createHash, createPublicKey } from 'node:crypto';
import type { Pool, PoolClient } from '../postgres/pool';
import { blockHash, eventLeaf, GENESIS_HASH, HASH_BYTES, merkleRoot, type StoredEventText } from './chain-definition';
import { blocksAfter, chainHead, storedCheckpoints, type StoredBlock } from './chain-tables';
import { keyIdOf, parseCheckpoint, signatureHolds, type Checkpoint } from './checkpoints';

export type ProblemKind =
  /** An event's content differs from its leaf. */
  | 'event_altered'
  /** A chained event is gone. */
  | 'event_missing'
  /** An event sits among chained positions but was never chained. */
  | 'event_inserted'
  /** A block's own fields do not hash to what it says (its leaves, root or hash were edited). */
  | 'block_altered'
  /** A block does not follow its predecessor (sequence gap, or previous hash differs). */
  | 'chain_broken'
  /** A checkpoint's signature does not verify, or it is signed by an unknown key. */
  | 'checkpoint_signature'
  /** The chain no longer has the head or block set a signed checkpoint names: history before it was rewritten. */
  | 'checkpoint_mismatch';

export interface Problem {
  readonly kind: ProblemKind;
  readonly detail: string;
  readonly blockSeq?: string;
  readonly position?: string;
  readonly eventId?: string;
  readonly stream?: string;
  readonly streamVersion?: string;
  readonly checkpointSeq?: string;
}

export interface VerifyReport {
  readonly ok: boolean;
  /** Where verification started: the first block, or a checkpoint taken on its signature. */
  readonly from: { readonly checkpointSeq: string; readonly day: string } | 'start';
  readonly blocksVerified: number;
  readonly eventsVerified: number;
  readonly head: { readonly blockSeq: string; readonly lastPosition: string };
  /** Committed after the chain's head: not chained yet. */
  readonly eventsNotYetChained: number;
  readonly checkpointsVerified: number;
  /** The first problem first; at most MAX_PROBLEMS. */
  readonly problems: readonly Problem[];
}

export interface VerifyOptions {
  /** PEMs of the keys checkpoints may be signed with. */
  readonly publicKeys: readonly string[];
  /** Start at this checkpoint (its seq, or 'latest') instead of the first block. */
  readonly fromCheckpoint?: bigint | 'latest';
  readonly onProgress?: (events: number) => void;
}

export const MAX_PROBLEMS = 100;
const BLOCK_PAGE = 200;
const EVENT_PAGE = 5_000;
const READ_EVENTS =
  'select position, stream, stream_version, id::text, type, data::text, metadata::text from events where position > $1 order by position limit $2';

export class ChainStartError extends Error {
  override readonly name = 'ChainStartError';
}

export async function verifyChain(pool: Pool, options: VerifyOptions): Promise<VerifyReport> {
  const client = await pool.connect();
  try {
    // One snapshot for the whole walk: events and blocks appended meanwhile are not half-seen.
    await client.query('begin isolation level repeatable read read only');
    const report = await walk(client, options);
    await client.query('commit');
    return report;
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

async function walk(client: PoolClient, options: VerifyOptions): Promise<VerifyReport> {
  const problems: Problem[] = [];
  const note = (problem: Problem) => {
    if (problems.length < MAX_PROBLEMS) problems.push(problem);
  };
  const checkpoints = await checkedCheckpoints(client, options.publicKeys, note);
  const start = startingPoint(checkpoints, options.fromCheckpoint);
  const expectations = new CheckpointExpectations(checkpoints, start, note);
  const events = new EventReader(client, start.lastPosition);
  let previous = { seq: start.blockSeq, hash: start.hash, lastPosition: start.lastPosition };
  let blocksVerified = 0;
  let eventsVerified = 0;
  for (;;) {
    const page = await blocksAfter(client, previous.seq, BLOCK_PAGE);
    if (page.length === 0) break;
    for (const block of page) {
      checkBlock(block, previous, note);
      expectations.passed(block);
      eventsVerified += await checkEvents(block, events, note);
      previous = { seq: block.seq, hash: block.hash, lastPosition: block.lastPosition };
      blocksVerified++;
    }
    options.onProgress?.(eventsVerified);
  }
  expectations.finished(previous.seq);
  const notYet = await client.query<{ n: string }>('select count(*)::text as n from events where position > $1', [previous.lastPosition]);
  const head = await chainHead(client);
  return {
    ok: problems.length === 0,
    from: start.checkpoint ? { checkpointSeq: start.checkpoint.seq.toString(), day: start.checkpoint.day } : 'start',
    blocksVerified,
    eventsVerified,
    head: { blockSeq: head.seq.toString(), lastPosition: head.lastPosition.toString() },
    eventsNotYetChained: Number(notYet.rows[0]!.n),
    checkpointsVerified: checkpoints.filter((c) => c.signatureHolds).length,
    problems,
  };
}

interface CheckedCheckpoint extends Checkpoint {
  readonly signatureHolds: boolean;
}

/** Every checkpoint with its signature checked, and the chain of checkpoints itself. */
async function checkedCheckpoints(client: PoolClient, publicKeys: readonly string[], note: (p: Problem) => void): Promise<CheckedCheckpoint[]> {
  const keys = new Map(publicKeys.map((pem) => [keyIdOf(createPublicKey(pem)), pem]));
  const checked: CheckedCheckpoint[] = [];
  let previousPayload: string | undefined;
  for (const stored of await storedCheckpoints(client)) {
    const checkpoint = parseCheckpoint(stored);
    const key = keys.get(stored.keyId);
    const holds = key !== undefined && signatureHolds(stored, key) && checkpoint.fields.keyId === stored.keyId;
    if (!holds)
      note({
        kind: 'checkpoint_signature',
        checkpointSeq: stored.seq.toString(),
        detail: `checkpoint ${stored.seq} (${stored.day}): ${key ? 'the signature does not verify' : `signed by unknown key ${stored.keyId}`}`,
      });
    const expectedPrevious = previousPayload ? createHash('sha256').update(previousPayload, 'utf8').digest('hex') : '0'.repeat(HASH_BYTES * 2);
    if (checkpoint.fields.previousCheckpoint !== expectedPrevious || checkpoint.fields.seq !== stored.seq.toString())
      note({
        kind: 'checkpoint_mismatch',
        checkpointSeq: stored.seq.toString(),
        detail: `checkpoint ${stored.seq} (${stored.day}) does not follow the checkpoint before it`,
      });
    previousPayload = stored.payload;
    checked.push({ ...checkpoint, signatureHolds: holds });
  }
  return checked;
}

function startingPoint(
  checkpoints: readonly CheckedCheckpoint[],
  from: VerifyOptions['fromCheckpoint'],
): { blockSeq: bigint; hash: Buffer; lastPosition: bigint; checkpoint?: CheckedCheckpoint } {
  if (from === undefined) return { blockSeq: 0n, hash: GENESIS_HASH, lastPosition: 0n };
  const checkpoint = from === 'latest' ? checkpoints.at(-1) : checkpoints.find((c) => c.seq === from);
  if (!checkpoint) throw new ChainStartError(from === 'latest' ? 'There is no checkpoint yet: verify from the start.' : `There is no checkpoint ${from}.`);
  if (!checkpoint.signatureHolds) throw new ChainStartError(`Checkpoint ${checkpoint.seq} (${checkpoint.day}) is not validly signed: verify from the start.`);
  return {
    blockSeq: BigInt(checkpoint.fields.blockSeq),
    hash: Buffer.from(checkpoint.fields.blockHash, 'hex'),
    lastPosition: BigInt(checkpoint.fields.lastPosition),
    checkpoint,
  };
}

function checkBlock(block: StoredBlock, previous: { seq: bigint; hash: Buffer; lastPosition: bigint }, note: (p: Problem) => void): void {
  const seq = block.seq.toString();
  if (block.seq !== previous.seq + 1n) note({ kind: 'chain_broken', blockSeq: seq, detail: `block ${seq} follows block ${previous.seq}: blocks are missing` });
  else if (!block.previousHash.equals(previous.hash))
    note({ kind: 'chain_broken', blockSeq: seq, detail: `block ${seq} does not link to the hash of block ${previous.seq}` });
  const shapeHolds =
    block.positions.length === block.eventCount &&
    block.leaves.length === block.eventCount * HASH_BYTES &&
    block.positions[0] === block.firstPosition &&
    block.positions.at(-1) === block.lastPosition &&
    block.firstPosition > previous.lastPosition &&
    block.positions.every((p, i) => i === 0 || p > block.positions[i - 1]!);
  if (!shapeHolds) return note({ kind: 'block_altered', blockSeq: seq, detail: `block ${seq}: its positions and leaves do not agree with its header` });
  const eventsRoot = merkleRoot(leavesOf(block));
  const hash = blockHash({ ...block, eventsRoot });
  if (!eventsRoot.equals(block.eventsRoot) || !hash.equals(block.hash))
    note({ kind: 'block_altered', blockSeq: seq, detail: `block ${seq}: its recomputed hash differs from the stored one` });
}

export function leavesOf(block: Pick<StoredBlock, 'leaves' | 'eventCount'>): Buffer[] {
  return Array.from({ length: block.eventCount }, (_, i) => block.leaves.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES));
}

/** Merges the events up to block.lastPosition with the block's positions and leaves. */
async function checkEvents(block: StoredBlock, events: EventReader, note: (p: Problem) => void): Promise<number> {
  const leaves = leavesOf(block);
  const seq = block.seq.toString();
  let i = 0;
  let seen = 0;
  const missing = (position: bigint) =>
    note({ kind: 'event_missing', blockSeq: seq, position: position.toString(), detail: `the event chained at position ${position} (block ${seq}) is gone` });
  for (let event = await events.peek(); event && event.position <= block.lastPosition; event = await events.peek()) {
    events.take();
    seen++;
    while (i < block.positions.length && block.positions[i]! < event.position) missing(block.positions[i++]!);
    const where = {
      blockSeq: seq,
      position: event.position.toString(),
      eventId: event.id,
      stream: event.stream,
      streamVersion: event.streamVersion.toString(),
    };
    if (block.positions[i] !== event.position) {
      note({
        kind: 'event_inserted',
        ...where,
        detail: `event ${event.id} at position ${event.position} (${event.stream} #${event.streamVersion}) was never chained`,
      });
      continue;
    }
    if (leaves[i] && !eventLeaf(event).equals(leaves[i]!)) note({ kind: 'event_altered', ...where, detail: alteredDetail(event, block, leaves) });
    i++;
  }
  while (i < block.positions.length) missing(block.positions[i++]!);
  return seen;
}

/** Names the event; when its content was chained at another position of the block, says so (events reordered). */
function alteredDetail(event: StoredEventText & { id: string }, block: StoredBlock, leaves: readonly Buffer[]): string {
  const base = `event ${event.id} at position ${event.position} (${event.stream} #${event.streamVersion}) differs from what was chained in block ${block.seq}`;
  const elsewhere = block.positions.findIndex((position, j) => position !== event.position && eventLeaf({ ...event, position }).equals(leaves[j]!));
  return elsewhere < 0 ? base : `${base}: its content was chained at position ${block.positions[elsewhere]} (events reordered)`;
}

/**
 * What the signed checkpoints say the walk must meet: at each checkpoint's head block, that
 * block's hash and the Merkle root of the blocks since the checkpoint before.
 */
class CheckpointExpectations {
  private readonly pending: CheckedCheckpoint[];
  /** Hashes of the blocks passed since the last settled checkpoint. */
  private segment: Buffer[] = [];

  constructor(
    checkpoints: readonly CheckedCheckpoint[],
    start: { blockSeq: bigint; hash: Buffer; checkpoint?: CheckedCheckpoint },
    private readonly note: (p: Problem) => void,
  ) {
    this.pending = checkpoints.filter((c) => c.signatureHolds && (!start.checkpoint || c.seq > start.checkpoint.seq));
    this.settle(start.blockSeq, start.hash);
  }

  passed(block: StoredBlock): void {
    if (this.pending.length === 0) return;
    this.segment.push(block.hash);
    this.settle(block.seq, block.hash);
  }

  /** Checkpoints naming a block beyond the chain's head: the chain lost blocks. */
  finished(headSeq: bigint): void {
    for (const c of this.pending)
      this.note({
        kind: 'checkpoint_mismatch',
        checkpointSeq: c.seq.toString(),
        detail: `checkpoint ${c.seq} (${c.day}) signed block ${c.fields.blockSeq}, but the chain ends at block ${headSeq}: blocks were removed`,
      });
  }

  /** Every pending checkpoint whose head is this block (several when days passed without events). */
  private settle(blockSeq: bigint, hash: Buffer): void {
    while (this.pending[0] && BigInt(this.pending[0].fields.blockSeq) === blockSeq) {
      const checkpoint = this.pending.shift()!;
      const added = Number(blockSeq - BigInt(checkpoint.fields.fromBlockSeq) + 1n);
      const hashes = added > 0 ? this.segment.slice(-added) : [];
      if (
        hash.toString('hex') !== checkpoint.fields.blockHash ||
        hashes.length !== Math.max(added, 0) ||
        merkleRoot(hashes).toString('hex') !== checkpoint.fields.blocksRoot
      )
        this.note({
          kind: 'checkpoint_mismatch',
          checkpointSeq: checkpoint.seq.toString(),
          blockSeq: blockSeq.toString(),
          detail: `checkpoint ${checkpoint.seq} (${checkpoint.day}) signed block ${blockSeq} with hash ${checkpoint.fields.blockHash}; the chain now differs up to it: history before that checkpoint was rewritten`,
        });
      this.segment = [];
    }
  }
}

/** Events in position order from a starting position, a page at a time. */
class EventReader {
  private buffer: (StoredEventText & { id: string })[] = [];
  private index = 0;
  private done = false;

  constructor(
    private readonly client: PoolClient,
    private cursor: bigint,
  ) {}

  /** The next event not yet taken, or undefined at the end of the log. */
  async peek(): Promise<(StoredEventText & { id: string }) | undefined> {
    if (this.index >= this.buffer.length && !this.done) await this.fill();
    return this.buffer[this.index];
  }

  take(): void {
    this.index++;
  }

  private async fill(): Promise<void> {
    const { rows } = await this.client.query<[bigint, string, bigint, string, string, string, string]>({
      text: READ_EVENTS,
      values: [this.cursor, EVENT_PAGE],
      rowMode: 'array',
    });
    this.buffer = rows.map(([position, stream, streamVersion, id, type, data, metadata]) => ({
      position: BigInt(position),
      stream,
      streamVersion: BigInt(streamVersion),
      id,
      type,
      data,
      metadata,
    }));
    this.index = 0;
    if (this.buffer.length > 0) this.cursor = this.buffer.at(-1)!.position;
    this.done = this.buffer.length < EVENT_PAGE;
  }
}
