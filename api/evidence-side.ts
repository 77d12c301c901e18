/**
 * What the evidence routes read (docs/EVIDENCE.md), as one port: the hash chain's published
 * checkpoints and its verifier. app/system.ts implements it over adapters/evidence/.
 */
import type { VerifyReport } from '../adapters/evidence/verify';

/** A checkpoint as published: the payload text exactly as signed, and its signature. */
export interface PublishedCheckpoint {
  readonly seq: string;
  readonly day: string;
  readonly payload: string;
  /** Ed25519 over UTF-8(payload), base64. */
  readonly signature: string;
  readonly keyId: string;
}

export interface EvidenceSide {
  /** The keys checkpoints are signed with (the current one first). */
  publicKeys(): readonly { readonly keyId: string; readonly publicKeyPem: string }[];
  /** Checkpoints with seq > `after`, oldest first. */
  checkpoints(after: bigint, limit: number): Promise<readonly PublishedCheckpoint[]>;
  /** Recomputes the chain from the start, or from a checkpoint ('latest' or its seq); undefined: no such checkpoint. */
  verify(from: 'start' | 'latest' | bigint, onProgress?: (events: number) => void): Promise<VerifyReport | undefined>;
}
