/**
 * The hash chain's definition, version 1 — the one place that says which bytes are hashed.
 * docs/EVIDENCE.md states the same in words for outsiders, and scripts/verify-bundle.mjs is an
 * independent re-implementation of it (app/evidence-bundle.test.ts checks bundles made here with it).
 *
 *   ns(s)         = the netstring of s: its UTF-8 byte length in decimal, ":", s, ","
 *   leaf(event)   = SHA-256(UTF-8( ns("swl.event.v1") ns(position) ns(stream) ns(stream_version)
 *                                  ns(id) ns(type) ns(data as Postgres prints jsonb) ns(metadata likewise) ))
 *   root(hashes)  = the Merkle tree hash of RFC 6962 §2.1 over the hashes as they are:
 *                   root([]) = SHA-256(""), root([h]) = h,
 *                   root(h[0..n)) = SHA-256(0x01 ‖ root(h[0..k)) ‖ root(h[k..n))),
 *                   k the largest power of two below n
 *   block hash    = SHA-256(UTF-8( ns("swl.block.v1") ns(seq) ns(first_position) ns(last_position)
 *                                  ns(event_count) ns(hex(previous block hash)) ns(hex(root of its leaves)) ))
 *                   the previous hash of block 1 is 32 zero bytes
 *
 * Numbers are decimal without leading zeros, hex is lowercase. Netstrings make every field's end
 * unambiguous without escaping anything; one text per leaf is also what Postgres hashes fastest
 * (swl_event_leaf, 0751_event_chain.sql). A leaf's text starts with a digit, never with 0x01, so a
 * leaf can never be taken for an inner node of a tree.
 */
import { createHash } from 'node:crypto';

export const CHAIN_VERSION = 1;
export const HASH_BYTES = 32;
export const EVENT_TAG = 'swl.event.v1';
export const BLOCK_TAG = 'swl.block.v1';
export const CHECKPOINT_KIND = 'swl.checkpoint.v1';
/** The previous hash of block 1. */
export const GENESIS_HASH = Buffer.alloc(HASH_BYTES);

/** An event as stored, its JSON exactly as Postgres prints it (`data::text`, `metadata::text`). */
export interface StoredEventText {
  readonly position: bigint;
  readonly stream: string;
  readonly streamVersion: bigint;
  readonly id: string;
  readonly type: string;
  readonly data: string;
  readonly metadata: string;
}

export interface BlockHeader {
  readonly seq: bigint;
  readonly firstPosition: bigint;
  readonly lastPosition: bigint;
  readonly eventCount: number;
  readonly previousHash: Buffer;
  readonly eventsRoot: Buffer;
}

/** The netstring of a text: UTF-8 byte length, ":", the text, ",". */
export function netstring(value: string): string {
  return `${Buffer.byteLength(value, 'utf8')}:${value},`;
}

const sha256 = (...parts: Buffer[]): Buffer => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
};

const sha256Text = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

export function eventLeaf(event: StoredEventText): Buffer {
  return sha256Text(
    netstring(EVENT_TAG) +
      netstring(event.position.toString()) +
      netstring(event.stream) +
      netstring(event.streamVersion.toString()) +
      netstring(event.id) +
      netstring(event.type) +
      netstring(event.data) +
      netstring(event.metadata),
  );
}

export function blockHash(header: BlockHeader): Buffer {
  return sha256Text(
    netstring(BLOCK_TAG) +
      netstring(header.seq.toString()) +
      netstring(header.firstPosition.toString()) +
      netstring(header.lastPosition.toString()) +
      netstring(String(header.eventCount)) +
      netstring(header.previousHash.toString('hex')) +
      netstring(header.eventsRoot.toString('hex')),
  );
}

const INNER_NODE = Buffer.from([0x01]);

/** The largest power of two strictly below n (n ≥ 2). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** RFC 6962 Merkle tree hash over hashes taken as the tree's leaves. */
export function merkleRoot(hashes: readonly Buffer[]): Buffer {
  if (hashes.length === 0) return sha256(Buffer.alloc(0));
  if (hashes.length === 1) return hashes[0]!;
  const k = split(hashes.length);
  return sha256(INNER_NODE, merkleRoot(hashes.slice(0, k)), merkleRoot(hashes.slice(k)));
}

/** The audit path of RFC 6962 §2.1.1: the sibling hashes from leaf `index` up to the root. */
export function merklePath(hashes: readonly Buffer[], index: number): Buffer[] {
  if (index < 0 || index >= hashes.length) throw new Error(`invariant violated: leaf ${index} of ${hashes.length}`);
  if (hashes.length === 1) return [];
  const k = split(hashes.length);
  return index < k
    ? [...merklePath(hashes.slice(0, k), index), merkleRoot(hashes.slice(k))]
    : [...merklePath(hashes.slice(k), index - k), merkleRoot(hashes.slice(0, k))];
}

/** The root an audit path leads to from `leaf` at `index` of `size` leaves (RFC 9162 §2.1.3.2). */
export function rootFromPath(leaf: Buffer, index: number, size: number, path: readonly Buffer[]): Buffer {
  if (index < 0 || index >= size) throw new Error(`invariant violated: leaf ${index} of ${size}`);
  let fn = index;
  let sn = size - 1;
  let hash = leaf;
  for (const sibling of path) {
    if (sn === 0) return Buffer.alloc(0); // a path longer than the tree: no root
    if (fn % 2 === 1 || fn === sn) {
      hash = sha256(INNER_NODE, sibling, hash);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      hash = sha256(INNER_NODE, hash, sibling);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn === 0 ? hash : Buffer.alloc(0);
}
