/**
 * What the evidence routes read (docs/EVIDENCE.md), as one port: the hash chain's published
 * checkpoints and its verifier. app/system.ts implements it over adapters/evidence/.
 */
import type { VerifyReport } from '../adapters/evidence/verify';
import type { ReportName } from '../projections/figures/projection';
import type { FigureTrace } from '../projections/figures/queries';
import type { FamilyBundle } from '../projections/family-history/bundle';

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
  /** A figure of a report opened to the events it counts, recounted beside what the report states. */
  traceFigure(report: ReportName, figure: string): Promise<FigureTrace>;
  /** The figures of a report (under a key prefix), in key order. */
  figureKeys(report: ReportName, prefix?: string): Promise<readonly string[]>;
  /** A family's evidence bundle: its events with chain proofs, its state as of the instants (default: now), the figures they count in. */
  familyBundle(familyId: string, asOf: readonly string[]): Promise<FamilyBundle>;
}
