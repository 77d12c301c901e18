/**
 * Chain proofs for a set of events (docs/EVIDENCE.md "Evidence bundles"): each event as the chain
 * hashed it, the audit path from its leaf to its block's events root, each block's header (so
 * its hash recomputes), the audit path from the block's hash to the `blocksRoot` of the signed
 * checkpoint that added it, and that checkpoint with its signature. Anyone holding the proofs
 * and a public key they trust can check, offline, that the events are the ones the operator
 * signed — scripts/verify-bundle.mjs does, with nothing but Node.
 */
import type { PoolClient } from '../postgres/pool';
import { merklePath } from './chain-definition';
import { blockHashesBetween, blocksHolding, storedCheckpoints, type StoredBlock, type StoredCheckpoint } from './chain-tables';
import { parseCheckpoint } from './checkpoints';
import { eventsAt } from './events-at';

type Queryable = Pick<PoolClient, 'query'>;

/** An event exactly as the chain hashed it (numbers as decimal strings). */
export interface ProvenEvent {
  readonly position: string;
  readonly stream: string;
  readonly streamVersion: string;
  readonly id: string;
  readonly type: string;
  /** `data::text` and `metadata::text`: hash these, never a re-serialisation. */
  readonly data: string;
  readonly metadata: string;
  /** Index of its leaf among its block's leaves, and the audit path (hex) to the block's events root. */
  readonly block: string;
  readonly leafIndex: number;
  readonly leafPath: readonly string[];
}

export interface ProvenBlock {
  readonly seq: string;
  readonly firstPosition: string;
  readonly lastPosition: string;
  readonly eventCount: number;
  readonly previousHash: string;
  readonly eventsRoot: string;
  readonly hash: string;
  /** The checkpoint that added this block, its index among that checkpoint's blocks and the audit path to `blocksRoot`; absent while no checkpoint covers it. */
  readonly checkpoint?: string;
  readonly blockIndex?: number;
  readonly blockPath?: readonly string[];
}

export interface ChainProofs {
  readonly events: readonly ProvenEvent[];
  readonly blocks: readonly ProvenBlock[];
  /** The checkpoints the blocks are under: payload as signed, signature (base64), key id. */
  readonly checkpoints: readonly { readonly seq: string; readonly payload: string; readonly signature: string; readonly keyId: string }[];
  /** Positions asked for that no block holds yet (committed after the chain's head). */
  readonly unchained: readonly string[];
}

const hex = (b: Buffer) => b.toString('hex');
const leavesOf = (block: StoredBlock): Buffer[] => Array.from({ length: block.eventCount }, (_, i) => block.leaves.subarray(i * 32, i * 32 + 32));

/** The first checkpoint whose head is at or after the block: the one that added it. */
function coveringCheckpoint(checkpoints: readonly StoredCheckpoint[], seq: bigint): StoredCheckpoint | undefined {
  return checkpoints.find((c) => c.blockSeq >= seq);
}

export async function chainProofs(db: Queryable, positions: readonly bigint[]): Promise<ChainProofs> {
  const events = await eventsAt(db, positions);
  const holding = await blocksHolding(
    db,
    events.map((e) => e.text.position),
  );
  const checkpoints = await storedCheckpoints(db);
  const blocks = new Map<bigint, ProvenBlock>();
  const used = new Map<bigint, StoredCheckpoint>();
  const blockHashesOf = new Map<bigint, Buffer[]>();
  for (const block of holding.values()) {
    if (blocks.has(block.seq)) continue;
    const checkpoint = coveringCheckpoint(checkpoints, block.seq);
    let under: Pick<ProvenBlock, 'checkpoint' | 'blockIndex' | 'blockPath'> = {};
    if (checkpoint) {
      const from = BigInt(parseCheckpoint(checkpoint).fields.fromBlockSeq);
      let hashes = blockHashesOf.get(checkpoint.seq);
      if (!hashes) {
        hashes = (await blockHashesBetween(db, from - 1n, checkpoint.blockSeq)).map((b) => b.hash);
        blockHashesOf.set(checkpoint.seq, hashes);
      }
      const index = Number(block.seq - from);
      under = { checkpoint: checkpoint.seq.toString(), blockIndex: index, blockPath: merklePath(hashes, index).map(hex) };
      used.set(checkpoint.seq, checkpoint);
    }
    blocks.set(block.seq, {
      seq: block.seq.toString(),
      firstPosition: block.firstPosition.toString(),
      lastPosition: block.lastPosition.toString(),
      eventCount: block.eventCount,
      previousHash: hex(block.previousHash),
      eventsRoot: hex(block.eventsRoot),
      hash: hex(block.hash),
      ...under,
    });
  }
  const proven: ProvenEvent[] = [];
  const unchained: string[] = [];
  for (const { text } of events) {
    const block = holding.get(text.position);
    if (!block) {
      unchained.push(text.position.toString());
      continue;
    }
    const leafIndex = block.positions.indexOf(text.position);
    proven.push({
      position: text.position.toString(),
      stream: text.stream,
      streamVersion: text.streamVersion.toString(),
      id: text.id,
      type: text.type,
      data: text.data,
      metadata: text.metadata,
      block: block.seq.toString(),
      leafIndex,
      leafPath: merklePath(leavesOf(block), leafIndex).map(hex),
    });
  }
  return {
    events: proven,
    blocks: [...blocks.values()].sort((a, b) => Number(BigInt(a.seq) - BigInt(b.seq))),
    checkpoints: [...used.values()]
      .sort((a, b) => Number(a.seq - b.seq))
      .map((c) => ({ seq: c.seq.toString(), payload: c.payload, signature: c.signature, keyId: c.keyId })),
    unchained,
  };
}
