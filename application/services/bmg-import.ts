/**
 * The BMG phone import (seed 004 p. 15–17; seed 001 appendix 1 p. 7–8): BMG (or an operator on
 * its behalf) opens a load with its freshness stamp, sends it in numbered chunks, and completes it
 * once every chunk is in. Each step is idempotent — a resent chunk answers its first receipt and
 * changes nothing — so an upload that broke off resumes by sending what the load's status says is
 * missing. Row checks, first failing wins: malformed_row (a CSV line with the wrong number of
 * fields) → invalid_iin (check digit, birth date) → invalid_phone (not a Kazakh mobile number) →
 * duplicate_row (the IIN appeared earlier in the same chunk). Rejected rows are named by line,
 * never echoed: the receipt carries no IIN and no number.
 */
import type { ChunkReceipt, ChunkRejection, DirectoryLoads, LoadHeader, LoadMode, LoadStatus } from '../../adapters/bmg/directory-postgres';
import { chunkContentHash } from '../../adapters/bmg/directory-postgres';
import { normalisePhone } from '../../adapters/vault/vault';
import { parseIin } from '../../domain/shared/iin';
import type { CommandMetadata } from '../../domain/shared/decider';
import { refuse } from '../../domain/shared/errors';

/** Rows in one chunk at most: one transaction, one vault statement per DIRECTORY_WRITE_BATCH rows. */
export const BMG_MAX_CHUNK_ROWS = 10_000;
/** Chunks in one load at most (10,000 × 10,000 rows covers the country). */
export const BMG_MAX_CHUNKS = 10_000;
/** Kazakh mobile numbers, normalised: 11 digits starting with 7. */
const MOBILE = /^7\d{10}$/;

export type BmgRow = { readonly line: number; readonly iin: string; readonly phone: string } | { readonly line: number; readonly malformed: string };

export interface BmgImport {
  openLoad(header: LoadHeader, meta: CommandMetadata): Promise<{ readonly created: boolean; readonly load: LoadStatus }>;
  receiveChunk(chunk: { readonly loadId: string; readonly chunkNo: number; readonly rows: readonly BmgRow[] }, meta: CommandMetadata): Promise<ChunkReceipt>;
  completeLoad(loadId: string, chunkCount: number, meta: CommandMetadata): Promise<LoadStatus>;
  loadStatus(loadId: string): Promise<LoadStatus>;
  recentLoads(limit: number): Promise<LoadStatus[]>;
  /**
   * A whole load in one call (the CLI, tests): open, chunks of `chunkRows`, complete; the same
   * `loadId` again resumes it. `onChunk` sees each receipt (progress).
   */
  importAll(
    entries: readonly (readonly [string, string])[],
    options: {
      readonly loadId: string;
      readonly asOf: string;
      readonly mode: LoadMode;
      readonly chunkRows?: number;
      readonly onChunk?: (receipt: ChunkReceipt, chunks: number) => void;
    },
    meta: CommandMetadata,
  ): Promise<LoadStatus>;
}

/** The chunk's rows split into the valid entries and the rejections, in line order. */
export function checkRows(rows: readonly BmgRow[]): { entries: { iin: string; phone: string }[]; rejected: ChunkRejection[] } {
  const entries: { iin: string; phone: string }[] = [];
  const rejected: ChunkRejection[] = [];
  const seen = new Map<string, number>();
  for (const row of rows) {
    if ('malformed' in row) {
      rejected.push({ line: row.line, code: 'malformed_row', detail: row.malformed });
      continue;
    }
    const iin = row.iin.trim();
    const parsed = parseIin(iin);
    if (!parsed.ok) {
      rejected.push({ line: row.line, code: 'invalid_iin', detail: parsed.reason });
      continue;
    }
    const phone = normalisePhone(row.phone);
    if (!MOBILE.test(phone)) {
      rejected.push({ line: row.line, code: 'invalid_phone', detail: 'not a Kazakh mobile number (+7 7xx xxx xx xx)' });
      continue;
    }
    const earlier = seen.get(iin);
    if (earlier !== undefined) {
      rejected.push({ line: row.line, code: 'duplicate_row', detail: `same IIN as line ${earlier}` });
      continue;
    }
    seen.set(iin, row.line);
    entries.push({ iin, phone });
  }
  return { entries, rejected };
}

export function createBmgImport(loads: DirectoryLoads): BmgImport {
  async function loadStatus(loadId: string): Promise<LoadStatus> {
    return (await loads.loadStatus(loadId)) ?? refuse('load_not_found', loadId);
  }

  const service: BmgImport = {
    async openLoad(header, meta) {
      const opened = await loads.openLoad(header, meta.now);
      if (opened.kind === 'different')
        refuse('load_already_opened_with_different_header', `${header.loadId} was opened as ${opened.load.mode} as of ${opened.load.asOf}`);
      return { created: opened.kind === 'opened', load: opened.load };
    },

    async receiveChunk(chunk, meta) {
      if (chunk.rows.length > BMG_MAX_CHUNK_ROWS) refuse('validation_failed', `at most ${BMG_MAX_CHUNK_ROWS} rows per chunk`);
      const { entries, rejected } = checkRows(chunk.rows);
      // The hash covers every row as sent (rejected ones too): a resend must be the same chunk.
      const contentHash = chunkContentHash(
        chunk.rows.map((r) => ('malformed' in r ? { iin: `#${r.line}`, phone: r.malformed } : { iin: r.iin, phone: r.phone })),
      );
      const result = await loads.applyChunk({
        loadId: chunk.loadId,
        chunkNo: chunk.chunkNo,
        contentHash,
        rows: chunk.rows.length,
        entries,
        rejected,
        at: meta.now,
      });
      switch (result.kind) {
        case 'applied':
        case 'repeated':
          return result.receipt;
        case 'no_load':
          return refuse('load_not_found', `${chunk.loadId}: open it first (PUT /v1/bmg/loads/${chunk.loadId})`);
        case 'different_content':
          return refuse('chunk_already_received_with_different_content', `chunk ${chunk.chunkNo} of ${chunk.loadId}`);
        case 'completed':
          return refuse('load_already_completed', `${chunk.loadId} is complete; open a new load`);
      }
    },

    async completeLoad(loadId, chunkCount, meta) {
      const result = await loads.completeLoad(loadId, chunkCount, meta.now);
      switch (result.kind) {
        case 'completed':
        case 'repeated':
          return result.load;
        case 'no_load':
          return refuse('load_not_found', loadId);
        case 'missing_chunks':
          return refuse('load_incomplete', `chunks not received (or beyond the count): ${result.missing.slice(0, 50).join(', ')}`);
        case 'different_count':
          return refuse('load_already_completed', `${loadId} was completed with ${result.load.chunkCount} chunks`);
      }
    },

    loadStatus,
    recentLoads: (limit) => loads.recentLoads(limit),

    async importAll(entries, options, meta) {
      const chunkRows = options.chunkRows ?? BMG_MAX_CHUNK_ROWS;
      await service.openLoad({ loadId: options.loadId, asOf: options.asOf, mode: options.mode }, meta);
      const chunks = Math.max(1, Math.ceil(entries.length / chunkRows));
      for (let k = 0; k < chunks; k++) {
        const rows = entries.slice(k * chunkRows, (k + 1) * chunkRows).map(([iin, phone], i) => ({ line: k * chunkRows + i + 1, iin, phone }));
        const receipt = await service.receiveChunk({ loadId: options.loadId, chunkNo: k + 1, rows }, meta);
        options.onChunk?.(receipt, chunks);
      }
      return service.completeLoad(options.loadId, chunks, meta);
    },
  };
  return service;
}
