/**
 * The PII vault: the only place where IINs, names and phones live. Events carry `personId`, a
 * keyed hash of the IIN: 'p_' + hex of the first 16 bytes of HMAC-SHA256(VAULT_KEY, IIN). The same
 * IIN always gives the same id under one key, so lists can be matched without storing the IIN in
 * the log. `forget(personId)` deletes the row: the log and every total stay intact; only the link
 * from the pseudonym back to the person is gone.
 *
 * Two implementations: Postgres (`vault_people`, migration 0050_vault) and in-memory (tests,
 * simulator's fastest mode).
 */
import { createHmac } from 'node:crypto';
import type { Migration } from '../postgres/migrate';
import type { Pool } from '../postgres/pool';

/** Dev-only key; MODE=production refuses to start without VAULT_KEY (app/config.ts). */
export const DEV_VAULT_KEY = 'dev-only-vault-key-change-me';
/** Bytes of the HMAC kept in a personId (128 bits: collisions are not a concern). */
export const PERSON_ID_BYTES = 16;

export interface PersonRecord {
  readonly personId: string;
  readonly iin: string;
  readonly fullName?: string;
  readonly phone?: string;
}

export interface Vault {
  /** Pure given the key: the same IIN → the same personId. */
  pseudonymise(iin: string): string;
  /** Stores (or updates) a person; a missing name or phone keeps the stored one. Returns the personId. */
  upsertPerson(person: { iin: string; fullName?: string; phone?: string }): Promise<string>;
  /**
   * Many upserts in one statement, as if `upsertPerson` ran for each in order (the same person
   * twice: the later name or phone wins, a missing one keeps the earlier or stored one).
   * Returns the personIds in input order.
   */
  upsertPeople(people: readonly PersonUpsert[]): Promise<string[]>;
  /** personIds whose phone is this number (normalised). */
  findByPhone(phone: string): Promise<string[]>;
  /** Phones of those who have one (forgotten or phoneless people are absent): one read for a page of SMS. */
  phonesOf(personIds: readonly string[]): Promise<Map<string, string>>;
  get(personId: string): Promise<PersonRecord | undefined>;
  /** Full names of those who have one (forgotten or nameless people are absent), for documents people sign. */
  namesOf(personIds: readonly string[]): Promise<Map<string, string>>;
  /** Deletes the person's PII. Returns whether a row was deleted. */
  forget(personId: string): Promise<boolean>;
}

export interface PersonUpsert {
  readonly iin: string;
  readonly fullName?: string;
  readonly phone?: string;
}

/** One row per person (sorted by personId, so concurrent bulk upserts lock rows in one order), later values over earlier. */
export function mergeUpserts(pseudonymise: (iin: string) => string, people: readonly PersonUpsert[]): { ids: string[]; rows: PersonRecord[] } {
  const merged = new Map<string, { personId: string; iin: string; fullName?: string; phone?: string }>();
  const ids = people.map(({ iin, fullName, phone }) => {
    const personId = pseudonymise(iin);
    const before = merged.get(personId);
    const name = fullName ?? before?.fullName;
    const number = phone !== undefined ? normalisePhone(phone) : before?.phone;
    merged.set(personId, { personId, iin: iin.trim(), ...(name !== undefined ? { fullName: name } : {}), ...(number !== undefined ? { phone: number } : {}) });
    return personId;
  });
  return { ids, rows: [...merged.values()].sort((a, b) => (a.personId < b.personId ? -1 : a.personId > b.personId ? 1 : 0)) };
}

export function pseudonymiser(key: string): (iin: string) => string {
  return (iin) => 'p_' + createHmac('sha256', key).update(iin.trim()).digest().subarray(0, PERSON_ID_BYTES).toString('hex');
}

/** Kazakh mobile numbers as 11 digits starting with 7: "+7 (701) 234-56-78", "87012345678" → "77012345678". */
export function normalisePhone(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  if (digits.length === 11 && digits.startsWith('8')) return `7${digits.slice(1)}`;
  if (digits.length === 10) return `7${digits}`;
  return digits;
}

export const vaultMigration: Migration = {
  id: '0050_vault',
  sql: `create table vault_people (
  person_id  text primary key,
  iin        text not null unique,
  full_name  text,
  phone      text,
  updated_at timestamptz not null default now()
);
create index vault_people_phone on vault_people (phone) where phone is not null;`,
};

export function createMemoryVault(key = DEV_VAULT_KEY): Vault {
  const pseudonymise = pseudonymiser(key);
  const people = new Map<string, PersonRecord>();
  const upsertPerson: Vault['upsertPerson'] = async ({ iin, fullName, phone }) => {
    const personId = pseudonymise(iin);
    const before = people.get(personId);
    const name = fullName ?? before?.fullName;
    const number = phone !== undefined ? normalisePhone(phone) : before?.phone;
    people.set(personId, { personId, iin: iin.trim(), ...(name !== undefined ? { fullName: name } : {}), ...(number !== undefined ? { phone: number } : {}) });
    return personId;
  };
  /** personId → the field, for those who have it (forgotten people are absent). */
  const fieldOf = (personIds: readonly string[], field: 'phone' | 'fullName'): Map<string, string> => {
    const found = new Map<string, string>();
    for (const id of personIds) {
      const value = people.get(id)?.[field];
      if (value) found.set(id, value);
    }
    return found;
  };
  return {
    pseudonymise,
    upsertPerson,
    async upsertPeople(list) {
      const ids: string[] = [];
      for (const p of list) ids.push(await upsertPerson(p));
      return ids;
    },
    async findByPhone(phone) {
      const number = normalisePhone(phone);
      return [...people.values()].filter((p) => p.phone === number).map((p) => p.personId).sort();
    },
    phonesOf: async (personIds) => fieldOf(personIds, 'phone'),
    namesOf: async (personIds) => fieldOf(personIds, 'fullName'),
    async get(personId) {
      return people.get(personId);
    },
    async forget(personId) {
      return people.delete(personId);
    },
  };
}

export function createPostgresVault(pool: Pool, key = DEV_VAULT_KEY): Vault {
  const pseudonymise = pseudonymiser(key);
  return {
    pseudonymise,
    async upsertPerson({ iin, fullName, phone }) {
      const personId = pseudonymise(iin);
      const upsert = () =>
        pool.query(
          `insert into vault_people (person_id, iin, full_name, phone) values ($1, $2, $3, $4)
           on conflict (person_id) do update set
             full_name = coalesce(excluded.full_name, vault_people.full_name),
             phone = coalesce(excluded.phone, vault_people.phone),
             updated_at = now()`,
          [personId, iin.trim(), fullName ?? null, phone !== undefined ? normalisePhone(phone) : null],
        );
      // Two concurrent first upserts of one person can collide on the iin key (not the arbiter):
      // the loser retries once and then takes the update path.
      await upsert().catch((error: { code?: string }) => {
        if (error.code === '23505') return upsert();
        throw error;
      });
      return personId;
    },
    async upsertPeople(list) {
      if (list.length === 0) return [];
      const { ids, rows } = mergeUpserts(pseudonymise, list);
      const upsert = () =>
        pool.query(
          `insert into vault_people (person_id, iin, full_name, phone)
           select * from unnest($1::text[], $2::text[], $3::text[], $4::text[])
           on conflict (person_id) do update set
             full_name = coalesce(excluded.full_name, vault_people.full_name),
             phone = coalesce(excluded.phone, vault_people.phone),
             updated_at = now()`,
          [rows.map((r) => r.personId), rows.map((r) => r.iin), rows.map((r) => r.fullName ?? null), rows.map((r) => r.phone ?? null)],
        );
      // As in upsertPerson: a concurrent first insert of one of these people collides on the iin key once.
      await upsert().catch((error: { code?: string }) => {
        if (error.code === '23505') return upsert();
        throw error;
      });
      return ids;
    },
    async findByPhone(phone) {
      const { rows } = await pool.query<{ person_id: string }>('select person_id from vault_people where phone = $1 order by person_id', [normalisePhone(phone)]);
      return rows.map((r) => r.person_id);
    },
    async phonesOf(personIds) {
      const { rows } = await pool.query<{ person_id: string; phone: string }>(
        'select person_id, phone from vault_people where person_id = any($1::text[]) and phone is not null',
        [personIds],
      );
      return new Map(rows.map((r) => [r.person_id, r.phone]));
    },
    async namesOf(personIds) {
      const { rows } = await pool.query<{ person_id: string; full_name: string }>(
        'select person_id, full_name from vault_people where person_id = any($1::text[]) and full_name is not null',
        [personIds],
      );
      return new Map(rows.map((r) => [r.person_id, r.full_name]));
    },
    async get(personId) {
      const { rows } = await pool.query<{ person_id: string; iin: string; full_name: string | null; phone: string | null }>(
        'select person_id, iin, full_name, phone from vault_people where person_id = $1',
        [personId],
      );
      const r = rows[0];
      return r ? { personId: r.person_id, iin: r.iin, ...(r.full_name ? { fullName: r.full_name } : {}), ...(r.phone ? { phone: r.phone } : {}) } : undefined;
    },
    async forget(personId) {
      const result = await pool.query('delete from vault_people where person_id = $1', [personId]);
      return (result.rowCount ?? 0) > 0;
    },
  };
}
