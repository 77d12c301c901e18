/**
 * Signed daily checkpoints of the hash chain (docs/EVIDENCE.md, "Checkpoints"). A checkpoint is a
 * JSON text — the payload — and an Ed25519 signature over its UTF-8 bytes. Published (GET
 * /v1/evidence/checkpoints), it lets anyone hold the operator to the chain as it stood: a later
 * rewrite of anything before it no longer matches a signature they keep.
 *
 * The payload names the head block and its hash, and `blocksRoot`, the Merkle root (RFC 6962)
 * over the hashes of the blocks it adds to the previous checkpoint, so that an evidence bundle
 * proves an event's block under a checkpoint with a short path instead of every block between.
 * `previousCheckpoint` (SHA-256 of the previous payload) chains the checkpoints themselves.
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import type { Pool } from '../postgres/pool';
import { CHECKPOINT_KIND, HASH_BYTES, merkleRoot } from './chain-definition';
import { blockHashesBetween, chainHead, CHAIN_LOCK, lastCheckpoint, type StoredCheckpoint } from './chain-tables';

export interface CheckpointSigner {
  /** Hex SHA-256 of the public key's SPKI DER encoding. */
  readonly keyId: string;
  readonly publicKeyPem: string;
  sign(payload: Buffer): Buffer;
}

/** The signed fields, in this order. Numbers that may pass 2^53 are decimal strings. */
export interface CheckpointPayload {
  readonly kind: typeof CHECKPOINT_KIND;
  readonly seq: string;
  /** The local day this checkpoint closes. */
  readonly day: string;
  /** When it was signed. */
  readonly at: string;
  /** The chain's head block when signed ("0": the chain was empty). */
  readonly blockSeq: string;
  readonly blockHash: string;
  readonly lastPosition: string;
  /** Events in the chain up to the head block. */
  readonly eventCount: string;
  /** The first block this checkpoint adds (blockSeq + 1 when it adds none). */
  readonly fromBlockSeq: string;
  /** Merkle root of the hashes of blocks fromBlockSeq … blockSeq. */
  readonly blocksRoot: string;
  /** Hex SHA-256 of the previous checkpoint's payload (64 zeros for the first). */
  readonly previousCheckpoint: string;
  readonly keyId: string;
}

export interface Checkpoint extends StoredCheckpoint {
  readonly fields: CheckpointPayload;
}

export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

/** A signer from PEM keys; refuses a pair whose halves do not belong together. */
export function createCheckpointSigner(privateKeyPem: string, publicKeyPem: string): CheckpointSigner {
  const privateKey = createPrivateKey(privateKeyPem);
  const publicKey = createPublicKey(publicKeyPem);
  if (privateKey.asymmetricKeyType !== 'ed25519' || publicKey.asymmetricKeyType !== 'ed25519') throw new Error('checkpoint keys must be Ed25519');
  const probe = Buffer.from('swl checkpoint key probe');
  if (!verify(null, probe, publicKey, sign(null, probe, privateKey))) throw new Error('the checkpoint public key does not match its private key');
  return {
    keyId: keyIdOf(publicKey),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    sign: (payload) => sign(null, payload, privateKey),
  };
}

export function parseCheckpoint(stored: StoredCheckpoint): Checkpoint {
  return { ...stored, fields: JSON.parse(stored.payload) as CheckpointPayload };
}

/** Whether the signature over the payload verifies under the public key. */
export function signatureHolds(checkpoint: Pick<StoredCheckpoint, 'payload' | 'signature'>, publicKeyPem: string): boolean {
  try {
    return verify(null, Buffer.from(checkpoint.payload, 'utf8'), createPublicKey(publicKeyPem), Buffer.from(checkpoint.signature, 'base64'));
  } catch {
    return false;
  }
}

const ZERO_HASH_HEX = '0'.repeat(HASH_BYTES * 2);

/**
 * Signs the checkpoint closing `day` over the chain's head now; undefined when `day` or a later
 * day already has one. Holds the chain's lock, so the head cannot move while it is read.
 */
export async function createCheckpoint(pool: Pool, signer: CheckpointSigner, when: { day: string; at: string }): Promise<Checkpoint | undefined> {
  const client = await pool.connect();
  try {
    await client.query(`begin; select pg_advisory_xact_lock(${CHAIN_LOCK})`);
    const previous = await lastCheckpoint(client);
    if (previous && previous.day >= when.day) {
      await client.query('commit');
      return undefined;
    }
    const head = await chainHead(client);
    const from = previous?.blockSeq ?? 0n;
    const blocks = await blockHashesBetween(client, from, head.seq);
    const previousFields = previous ? parseCheckpoint(previous).fields : undefined;
    const fields: CheckpointPayload = {
      kind: CHECKPOINT_KIND,
      seq: String((previous?.seq ?? 0n) + 1n),
      day: when.day,
      at: when.at,
      blockSeq: head.seq.toString(),
      blockHash: head.hash.toString('hex'),
      lastPosition: head.lastPosition.toString(),
      eventCount: (BigInt(previousFields?.eventCount ?? '0') + BigInt(blocks.reduce((n, b) => n + b.eventCount, 0))).toString(),
      fromBlockSeq: (from + 1n).toString(),
      blocksRoot: merkleRoot(blocks.map((b) => b.hash)).toString('hex'),
      previousCheckpoint: previous ? createHash('sha256').update(previous.payload, 'utf8').digest('hex') : ZERO_HASH_HEX,
      keyId: signer.keyId,
    };
    const payload = JSON.stringify(fields);
    const signature = signer.sign(Buffer.from(payload, 'utf8')).toString('base64');
    await client.query('insert into chain_checkpoints (seq, day, block_seq, payload, signature, key_id) values ($1, $2, $3, $4, $5, $6)', [
      fields.seq,
      fields.day,
      fields.blockSeq,
      payload,
      signature,
      signer.keyId,
    ]);
    await client.query('commit');
    return { seq: BigInt(fields.seq), day: fields.day, blockSeq: head.seq, payload, signature, keyId: signer.keyId, fields };
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
