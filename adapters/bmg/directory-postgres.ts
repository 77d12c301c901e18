/**
 * БМГ (BMG) bulk directory: BMG delivers its subscriber numbers by IIN as loads; each load arrives
 * in numbered chunks and is completed when every chunk is in (seed 004 p. 16: BMG answers for the
 * numbers being current; seed 001 appendix 1 p. 7: PEP checks the number in BMG before any SMS).
 *
 * Where things live:
 *   - the phone itself: in the vault (`vault.upsertPeople`), the one home of personal data;
 *   - `bmg_directory`: which pseudonymous person BMG lists and which load said so (no IIN, no phone);
 *   - `bmg_loads`, `bmg_load_chunks`: each load's freshness stamp (`as_of`, BMG's own time of the
 *     export) and the receipt of every chunk, so a resent chunk answers its first receipt.
 *
 * A chunk is applied once: the load's row is locked for the whole apply (chunks of one load go one
 * after another), the chunk number is checked, the vault is written, then the directory rows and
 * the chunk's receipt commit together. A crash between the vault write and the commit leaves the
 * vault holding numbers nobody looks up (lookups go through `bmg_directory`); the retry writes the
 * same numbers again. A `full` load is a whole snapshot: completing it drops everyone it did not
 * list from the directory and clears their number in the vault. A `delta` load only adds and updates.
 */
import { createHash } from 'node:crypto';
import type { Migration } from '../postgres/migrate';
import type { Pool, PoolClient } from '../postgres/pool';
import type { Vault } from '../vault/vault';
import type { DirectoryStamp, ForgettableDirectory, PhoneDirectory, PhoneLookup } from './phone-directory';

export type LoadMode = 'full' | 'delta';

export interface LoadHeader {
  readonly loadId: string;
  /** BMG's own time of the export: how fresh the numbers are. */
  readonly asOf: string;
  readonly mode: LoadMode;
}

export interface ChunkRejection {
  /** Line of the CSV (header = 1) or position in the JSON array (first = 1). */
  readonly line: number;
  readonly code: string;
  readonly detail?: string;
}

export interface ChunkReceipt {
  readonly loadId: string;
  readonly chunkNo: number;
  readonly rows: number;
  readonly applied: number;
  readonly rejected: readonly ChunkRejection[];
  readonly repeated: boolean;
}

export interface LoadStatus extends LoadHeader {
  readonly status: 'receiving' | 'completed';
  readonly openedAt: string;
  readonly completedAt?: string;
  readonly chunks: readonly number[];
  readonly rowsApplied: number;
  readonly rowsRejected: number;
  /** Set once completed: how many chunks the load had, and (full loads) how many numbers it removed. */
  readonly chunkCount?: number;
  readonly removed?: number;
}

export type OpenResult = { readonly kind: 'opened' | 'same'; readonly load: LoadStatus } | { readonly kind: 'different'; readonly load: LoadStatus };
export type ChunkResult =
  { readonly kind: 'applied' | 'repeated'; readonly receipt: ChunkReceipt } | { readonly kind: 'no_load' | 'different_content' | 'completed' };
export type CompleteResult =
  | { readonly kind: 'completed' | 'repeated'; readonly load: LoadStatus }
  | { readonly kind: 'no_load' }
  | { readonly kind: 'missing_chunks'; readonly missing: readonly number[] }
  | { readonly kind: 'different_count'; readonly load: LoadStatus };

/** What the import service needs of the directory's storage. */
export interface DirectoryLoads {
  openLoad(header: LoadHeader, at: string): Promise<OpenResult>;
  /** `entries` are the chunk's valid rows (IIN trimmed, phone normalised); `rejected` goes into the receipt as it is. */
  applyChunk(chunk: {
    readonly loadId: string;
    readonly chunkNo: number;
    readonly contentHash: string;
    readonly rows: number;
    readonly entries: readonly { readonly iin: string; readonly phone: string }[];
    readonly rejected: readonly ChunkRejection[];
    readonly at: string;
  }): Promise<ChunkResult>;
  completeLoad(loadId: string, chunkCount: number, at: string): Promise<CompleteResult>;
  loadStatus(loadId: string): Promise<LoadStatus | undefined>;
  /** The newest loads first. */
  recentLoads(limit: number): Promise<LoadStatus[]>;
  /** The load lookups are judged against: the latest completed one. */
  current(): Promise<DirectoryStamp | undefined>;
}

/** 0051 kept its id so that databases which applied it stay in step; 0500 replaces its table. */
const legacyBmgMigration: Migration = { id: '0051_bmg', sql: 'create table bmg_phones (iin text primary key, phone text not null);' };

const bmgDirectoryMigration: Migration = {
  id: '0500_bmg_directory',
  // bmg_phones (0051) held numbers in clear beside the vault: they move to the vault through the
  // import; a database that had some must load BMG again (README, "BMG").
  sql: `drop table if exists bmg_phones;
create table bmg_loads (
  load_id       text primary key,
  as_of         timestamptz not null,
  mode          text not null,
  opened_at     timestamptz not null,
  completed_at  timestamptz,
  chunk_count   integer,
  rows_applied  integer not null default 0,
  rows_rejected integer not null default 0,
  removed       integer
);
create index bmg_loads_completed on bmg_loads (completed_at desc) where completed_at is not null;
create table bmg_load_chunks (
  load_id      text not null,
  chunk_no     integer not null,
  content_hash text not null,
  receipt      jsonb not null,
  applied_at   timestamptz not null,
  primary key (load_id, chunk_no)
);
create table bmg_directory (
  person_id  text primary key,
  load_id    text not null,
  updated_at timestamptz not null
);
create index bmg_directory_load on bmg_directory (load_id);`,
};

export const bmgMigrations: readonly Migration[] = [legacyBmgMigration, bmgDirectoryMigration];

/** Rows per directory statement (and per vault upsert) when a chunk is written. */
export const DIRECTORY_WRITE_BATCH = 5_000;

interface LoadRow {
  load_id: string;
  as_of: Date;
  mode: LoadMode;
  opened_at: Date;
  completed_at: Date | null;
  chunk_count: number | null;
  rows_applied: number;
  rows_rejected: number;
  removed: number | null;
  chunks: number[] | null;
}

const LOAD_COLUMNS = `l.load_id, l.as_of, l.mode, l.opened_at, l.completed_at, l.chunk_count, l.rows_applied, l.rows_rejected, l.removed,
  (select array_agg(c.chunk_no order by c.chunk_no) from bmg_load_chunks c where c.load_id = l.load_id) as chunks`;

function statusOf(row: LoadRow): LoadStatus {
  return {
    loadId: row.load_id,
    asOf: row.as_of.toISOString(),
    mode: row.mode,
    status: row.completed_at ? 'completed' : 'receiving',
    openedAt: row.opened_at.toISOString(),
    ...(row.completed_at ? { completedAt: row.completed_at.toISOString() } : {}),
    chunks: row.chunks ?? [],
    rowsApplied: row.rows_applied,
    rowsRejected: row.rows_rejected,
    ...(row.chunk_count !== null ? { chunkCount: row.chunk_count } : {}),
    ...(row.removed !== null ? { removed: row.removed } : {}),
  };
}

export function createPostgresPhoneDirectory(pool: Pool, vault: Vault): PhoneDirectory & DirectoryLoads & ForgettableDirectory {
  const statusIn = async (db: Pool | PoolClient, loadId: string): Promise<LoadStatus | undefined> => {
    const { rows } = await db.query<LoadRow>(`select ${LOAD_COLUMNS} from bmg_loads l where l.load_id = $1`, [loadId]);
    return rows[0] ? statusOf(rows[0]) : undefined;
  };
  const current = async (): Promise<DirectoryStamp | undefined> => {
    const { rows } = await pool.query<{ load_id: string; as_of: Date }>(
      'select load_id, as_of from bmg_loads where completed_at is not null order by completed_at desc, as_of desc, load_id desc limit 1',
    );
    return rows[0] ? { loadId: rows[0].load_id, asOf: rows[0].as_of.toISOString() } : undefined;
  };

  async function inTransaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    try {
      await client.query('begin');
      const result = await work(client);
      await client.query('commit');
      return result;
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  const directory: PhoneDirectory & DirectoryLoads & ForgettableDirectory = {
    // The number itself is in the vault (forgotten there); this drops the row that says BMG lists the person.
    async forget(iins) {
      if (iins.length === 0) return;
      await pool.query('delete from bmg_directory where person_id = any($1::text[])', [iins.map((iin) => vault.pseudonymise(iin))]);
    },
    async lookupMany(iins): Promise<PhoneLookup> {
      const byPerson = new Map<string, string>();
      for (const iin of iins) byPerson.set(vault.pseudonymise(iin), iin.trim());
      const [listed, stamp] = await Promise.all([
        byPerson.size === 0
          ? Promise.resolve([])
          : pool
              .query<{ person_id: string; load_id: string }>('select person_id, load_id from bmg_directory where person_id = any($1::text[])', [
                [...byPerson.keys()],
              ])
              .then((r) => r.rows),
        current(),
      ]);
      const numbers = listed.length === 0 ? new Map<string, string>() : await vault.phonesOf(listed.map((r) => r.person_id));
      const phones = new Map<string, { phone: string; from: string }>();
      for (const row of listed) {
        const phone = numbers.get(row.person_id);
        if (phone) phones.set(byPerson.get(row.person_id)!, { phone, from: `load:${row.load_id}` });
      }
      return { phones, directory: { source: 'bmg-load', ...(stamp ? stamp : {}) } };
    },

    async openLoad(header, at) {
      const inserted = await pool.query('insert into bmg_loads (load_id, as_of, mode, opened_at) values ($1, $2, $3, $4) on conflict (load_id) do nothing', [
        header.loadId,
        header.asOf,
        header.mode,
        at,
      ]);
      const load = (await statusIn(pool, header.loadId))!;
      if ((inserted.rowCount ?? 0) > 0) return { kind: 'opened', load };
      const same = Date.parse(load.asOf) === Date.parse(header.asOf) && load.mode === header.mode;
      return same ? { kind: 'same', load } : { kind: 'different', load };
    },

    async applyChunk(chunk) {
      return inTransaction(async (client): Promise<ChunkResult> => {
        const { rows } = await client.query<{ completed_at: Date | null }>('select completed_at from bmg_loads where load_id = $1 for update', [chunk.loadId]);
        if (!rows[0]) return { kind: 'no_load' };
        const earlier = await client.query<{ content_hash: string; receipt: ChunkReceipt }>(
          'select content_hash, receipt from bmg_load_chunks where load_id = $1 and chunk_no = $2',
          [chunk.loadId, chunk.chunkNo],
        );
        const first = earlier.rows[0];
        if (first)
          return first.content_hash === chunk.contentHash ? { kind: 'repeated', receipt: { ...first.receipt, repeated: true } } : { kind: 'different_content' };
        if (rows[0].completed_at) return { kind: 'completed' };
        for (let i = 0; i < chunk.entries.length; i += DIRECTORY_WRITE_BATCH) {
          const batch = chunk.entries.slice(i, i + DIRECTORY_WRITE_BATCH);
          const ids = await vault.upsertPeople(batch.map((e) => ({ iin: e.iin, phone: e.phone })));
          await client.query(
            `insert into bmg_directory (person_id, load_id, updated_at) select p, $2, $3 from unnest($1::text[]) as p
             on conflict (person_id) do update set load_id = excluded.load_id, updated_at = excluded.updated_at`,
            [[...new Set(ids)], chunk.loadId, chunk.at],
          );
        }
        const receipt: ChunkReceipt = {
          loadId: chunk.loadId,
          chunkNo: chunk.chunkNo,
          rows: chunk.rows,
          applied: chunk.entries.length,
          rejected: chunk.rejected,
          repeated: false,
        };
        await client.query('insert into bmg_load_chunks (load_id, chunk_no, content_hash, receipt, applied_at) values ($1, $2, $3, $4, $5)', [
          chunk.loadId,
          chunk.chunkNo,
          chunk.contentHash,
          JSON.stringify(receipt),
          chunk.at,
        ]);
        await client.query('update bmg_loads set rows_applied = rows_applied + $2, rows_rejected = rows_rejected + $3 where load_id = $1', [
          chunk.loadId,
          chunk.entries.length,
          chunk.rejected.length,
        ]);
        return { kind: 'applied', receipt };
      });
    },

    async completeLoad(loadId, chunkCount, at) {
      return inTransaction(async (client): Promise<CompleteResult> => {
        const { rows } = await client.query<{ completed_at: Date | null; chunk_count: number | null; mode: LoadMode }>(
          'select completed_at, chunk_count, mode from bmg_loads where load_id = $1 for update',
          [loadId],
        );
        const row = rows[0];
        if (!row) return { kind: 'no_load' };
        if (row.completed_at) {
          const load = (await statusIn(client, loadId))!;
          return row.chunk_count === chunkCount ? { kind: 'repeated', load } : { kind: 'different_count', load };
        }
        const present = await client.query<{ chunk_no: number }>('select chunk_no from bmg_load_chunks where load_id = $1', [loadId]);
        const have = new Set(present.rows.map((r) => r.chunk_no));
        const missing = Array.from({ length: chunkCount }, (_, i) => i + 1).filter((n) => !have.has(n));
        const extra = [...have].filter((n) => n > chunkCount);
        if (missing.length > 0 || extra.length > 0) return { kind: 'missing_chunks', missing: missing.length > 0 ? missing : extra };
        let removed = 0;
        if (row.mode === 'full') {
          const gone = await client.query<{ person_id: string }>('delete from bmg_directory where load_id <> $1 returning person_id', [loadId]);
          removed = gone.rows.length;
          await vault.clearPhones(gone.rows.map((r) => r.person_id));
        }
        await client.query('update bmg_loads set completed_at = $2, chunk_count = $3, removed = $4 where load_id = $1', [loadId, at, chunkCount, removed]);
        return { kind: 'completed', load: (await statusIn(client, loadId))! };
      });
    },

    loadStatus: (loadId) => statusIn(pool, loadId),
    async recentLoads(limit) {
      const { rows } = await pool.query<LoadRow>(`select ${LOAD_COLUMNS} from bmg_loads l order by l.opened_at desc, l.load_id limit $1`, [limit]);
      return rows.map(statusOf);
    },
    current,
  };
  return directory;
}

/** SHA-256 of a chunk's rows as sent (IIN and phone, in order): a resend must carry the same. */
export function chunkContentHash(rows: readonly { readonly iin: string; readonly phone: string }[]): string {
  const hash = createHash('sha256');
  for (const row of rows) hash.update(`${row.iin}\u0000${row.phone}\u0001`);
  return hash.digest('hex');
}
