/**
 * БМГ (BMG): the mobile citizens database — the phone registered for an IIN (seed 001 appendix 1
 * p. 7; seed 004 p. 15–16). A port with an in-memory and a Postgres implementation
 * (`bmg_phones`, migration 0051_bmg) that the simulator or an operator bulk-loads.
 */
import type { Migration } from '../postgres/migrate';
import type { Pool } from '../postgres/pool';
import { normalisePhone } from '../vault/vault';

export interface PhoneDirectory {
  lookup(iin: string): Promise<string | undefined>;
  /** Many look-ups in one go: iin (trimmed) → phone, for those that have one. */
  lookupMany(iins: readonly string[]): Promise<Map<string, string>>;
}

/** Rows per insert statement of a bulk load. */
export const BMG_LOAD_BATCH = 5_000;

export const bmgMigration: Migration = {
  id: '0051_bmg',
  sql: `create table bmg_phones (
  iin   text primary key,
  phone text not null
);`,
};

/** Our copy of BMG holds IINs and phones: forgetting a person deletes their row (a later bulk load may bring it back from BMG). */
export interface ForgettableDirectory {
  forget(iins: readonly string[]): Promise<void>;
}

export function createMemoryPhoneDirectory(entries: Iterable<readonly [string, string]> = []): PhoneDirectory & ForgettableDirectory & { set(iin: string, phone: string): void; delete(iin: string): void } {
  const phones = new Map<string, string>();
  for (const [iin, phone] of entries) phones.set(iin, normalisePhone(phone));
  return {
    async lookup(iin) {
      return phones.get(iin.trim());
    },
    async lookupMany(iins) {
      const found = new Map<string, string>();
      for (const iin of iins) {
        const phone = phones.get(iin.trim());
        if (phone !== undefined) found.set(iin.trim(), phone);
      }
      return found;
    },
    set(iin, phone) {
      phones.set(iin.trim(), normalisePhone(phone));
    },
    delete(iin) {
      phones.delete(iin.trim());
    },
    async forget(iins) {
      for (const iin of iins) phones.delete(iin.trim());
    },
  };
}

export function createPostgresPhoneDirectory(pool: Pool): PhoneDirectory & ForgettableDirectory & { load(entries: readonly (readonly [string, string])[]): Promise<number> } {
  return {
    async lookup(iin) {
      const { rows } = await pool.query<{ phone: string }>('select phone from bmg_phones where iin = $1', [iin.trim()]);
      return rows[0]?.phone;
    },
    async lookupMany(iins) {
      if (iins.length === 0) return new Map();
      const keys = [...new Set(iins.map((i) => i.trim()))];
      const { rows } = await pool.query<{ iin: string; phone: string }>('select iin, phone from bmg_phones where iin = any($1::text[])', [keys]);
      return new Map(rows.map((r) => [r.iin, r.phone]));
    },
    async forget(iins) {
      await pool.query('delete from bmg_phones where iin = any($1::text[])', [iins.map((i) => i.trim())]);
    },
    /** Upserts (iin, phone) pairs in batches; returns how many were written. */
    async load(entries) {
      let written = 0;
      for (let i = 0; i < entries.length; i += BMG_LOAD_BATCH) {
        const batch = entries.slice(i, i + BMG_LOAD_BATCH);
        // Last one wins inside a batch (ON CONFLICT cannot touch a row twice in one statement).
        const unique = new Map(batch.map(([iin, phone]) => [iin.trim(), normalisePhone(phone)]));
        await pool.query(
          `insert into bmg_phones (iin, phone) select * from unnest($1::text[], $2::text[])
           on conflict (iin) do update set phone = excluded.phone`,
          [[...unique.keys()], [...unique.values()]],
        );
        written += unique.size;
      }
      return written;
    },
  };
}
