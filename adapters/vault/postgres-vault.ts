/**
 * The vault in Postgres, crypto-shredded (sealing.ts): `vault_keys` holds each person's data key,
 * wrapped by the master key; `vault_records` their IIN, name and phone, each sealed under it;
 * `vault_texts` what they wrote (complaints), sealed likewise; `vault_forgotten` whom the ledger
 * forgot (the pseudonym and the kinds, nothing else). Forgetting everything deletes the key, and
 * the cascade the ciphertext. Phones are found through a keyed hash of the number.
 */
import { createHmac } from 'node:crypto';
import type { Migration } from '../postgres/migrate';
import type { Pool } from '../postgres/pool';
import { PERSONAL_DATA_KINDS, type PersonalDataKind } from '../../domain/people/personal-data';
import { createSealer, DEV_VAULT_MASTER_KEY } from './sealing';
import { DEV_VAULT_KEY, kindsOf, mergeUpserts, normalisePhone, pseudonymiser, vaultMigration, type ExpiredData, type RetainUntil, type Vault } from './vault';

export const vaultSealedMigration: Migration = {
  id: '0753_vault_sealed',
  sql: `create table vault_keys (
  person_id     text primary key,
  master_key_id text not null,
  wrapped_key   bytea not null,
  created_at    timestamptz not null default now()
);
create table vault_records (
  person_id   text primary key references vault_keys on delete cascade,
  iin         bytea,
  full_name   bytea,
  phone       bytea,
  phone_index text,
  iin_until   timestamptz,
  name_until  timestamptz,
  phone_until timestamptz,
  updated_at  timestamptz not null default now()
);
create index vault_records_phone on vault_records (phone_index) where phone_index is not null;
create table vault_texts (
  text_id      text primary key,
  person_id    text not null references vault_keys on delete cascade,
  sealed       bytea not null,
  retain_until timestamptz
);
create index vault_texts_person on vault_texts (person_id);
create index vault_texts_retain on vault_texts (retain_until) where retain_until is not null;
create table vault_forgotten (
  person_id    text primary key,
  kinds        text[] not null,
  forgotten_at timestamptz not null default now()
);
-- Rows stored in plaintext before sealing stay until the service seals them (sealUnsealed); none: gone now.
do $$ begin
  if not exists (select 1 from vault_people) then drop table vault_people; end if;
end $$;`,
};

/** The vault's migrations, in order: the plaintext table of old (moved and dropped by 0753), then the sealed tables. */
export const vaultMigrations: readonly Migration[] = [vaultMigration, vaultSealedMigration];

/** Rows per statement when sealing rows stored before 0753. */
const SEAL_BATCH = 1_000;
const FOREIGN_KEY_VIOLATION = '23503';
const UNIQUE_VIOLATION = '23505';

export interface PostgresVault extends Vault {
  /** Seals what was stored in plaintext before migration 0753 and drops that table; returns the people moved. */
  sealUnsealed(): Promise<number>;
}

export function createPostgresVault(pool: Pool, key = DEV_VAULT_KEY, masterKey: Buffer = DEV_VAULT_MASTER_KEY): PostgresVault {
  const pseudonymise = pseudonymiser(key);
  const sealer = createSealer(masterKey);
  const phoneIndex = (phone: string) =>
    createHmac('sha256', key)
      .update(`phone:${normalisePhone(phone)}`)
      .digest('hex');

  /** Each person's data key, created (wrapped) for those who have none; concurrent creators agree on one. */
  async function keysOf(personIds: readonly string[]): Promise<Map<string, Buffer>> {
    const ids = [...new Set(personIds)].sort();
    const keys = new Map<string, Buffer>();
    for (let attempt = 0; attempt < 3 && keys.size < ids.length; attempt++) {
      const missing = ids.filter((id) => !keys.has(id));
      const wrapped = missing.map((id) => sealer.newDataKey(id).wrapped);
      // The second half reads the statement's snapshot: it sees keys stored before, the first half returns those it adds.
      const { rows } = await pool.query<{ person_id: string; master_key_id: string; wrapped_key: Buffer }>(
        `with added as (
           insert into vault_keys (person_id, master_key_id, wrapped_key)
           select * from unnest($1::text[], array_fill($3::text, array[cardinality($1::text[])]), $2::bytea[])
           on conflict (person_id) do nothing
           returning person_id, master_key_id, wrapped_key)
         select person_id, master_key_id, wrapped_key from added
         union all
         select person_id, master_key_id, wrapped_key from vault_keys where person_id = any($1::text[])`,
        [missing, wrapped, sealer.masterKeyId],
      );
      for (const r of rows) {
        if (r.master_key_id !== sealer.masterKeyId)
          throw new Error(
            `the vault key of ${r.person_id} was wrapped by master key ${r.master_key_id}, not the configured ${sealer.masterKeyId} (VAULT_MASTER_KEY)`,
          );
        keys.set(r.person_id, sealer.unwrap(r.person_id, r.wrapped_key));
      }
    }
    if (keys.size < ids.length) throw new Error('the vault could not settle on a key for every person (concurrent forgetting?)');
    return keys;
  }

  /** A write that may meet a concurrent forget (key gone: 23503) or a concurrent first insert (23505) is tried again. */
  async function retried<T>(write: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await write();
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (attempt >= 3 || (code !== FOREIGN_KEY_VIOLATION && code !== UNIQUE_VIOLATION)) throw error;
      }
    }
  }

  /** Opens the sealed values of some rows: person id → key from the joined wrapped key. */
  function opener(personId: string, wrapped: Buffer) {
    const dataKey = sealer.unwrap(personId, wrapped);
    return (field: string, sealed: Buffer | null) => (sealed === null ? undefined : sealer.open(dataKey, personId, field, sealed));
  }

  async function upsertPeople(list: Parameters<Vault['upsertPeople']>[0], retain: RetainUntil = {}): Promise<string[]> {
    if (list.length === 0) return [];
    const { ids, rows } = mergeUpserts(pseudonymise, list);
    await retried(async () => {
      const keys = await keysOf(rows.map((r) => r.personId));
      const seal = (personId: string, field: string, value: string | undefined) =>
        value === undefined ? null : sealer.seal(keys.get(personId)!, personId, field, value);
      await pool.query(
        `insert into vault_records (person_id, iin, full_name, phone, phone_index, iin_until, name_until, phone_until)
         select p, i, n, ph, pi, $6::timestamptz, $7::timestamptz, $8::timestamptz
         from unnest($1::text[], $2::bytea[], $3::bytea[], $4::bytea[], $5::text[]) as u(p, i, n, ph, pi)
         on conflict (person_id) do update set
           iin = excluded.iin,
           full_name = coalesce(excluded.full_name, vault_records.full_name),
           phone = coalesce(excluded.phone, vault_records.phone),
           phone_index = coalesce(excluded.phone_index, vault_records.phone_index),
           iin_until = greatest(vault_records.iin_until, excluded.iin_until),
           name_until = greatest(vault_records.name_until, excluded.name_until),
           phone_until = greatest(vault_records.phone_until, excluded.phone_until),
           updated_at = now()`,
        [
          rows.map((r) => r.personId),
          rows.map((r) => seal(r.personId, 'iin', r.iin)),
          rows.map((r) => seal(r.personId, 'name', r.fullName)),
          rows.map((r) => seal(r.personId, 'phone', r.phone)),
          rows.map((r) => (r.phone === undefined ? null : phoneIndex(r.phone))),
          retain.iin ?? null,
          retain.name ?? null,
          retain.phone ?? null,
        ],
      );
    });
    return ids;
  }

  async function fieldOf(personIds: readonly string[], field: 'full_name' | 'phone' | 'iin', sealedAs: 'name' | 'phone' | 'iin'): Promise<Map<string, string>> {
    const { rows } = await pool.query<{ person_id: string; value: Buffer; wrapped_key: Buffer }>(
      `select r.person_id, r.${field} as value, k.wrapped_key from vault_records r join vault_keys k using (person_id)
       where r.person_id = any($1::text[]) and r.${field} is not null`,
      [personIds],
    );
    return new Map(rows.map((r) => [r.person_id, opener(r.person_id, r.wrapped_key)(sealedAs, r.value)!]));
  }

  const vault: PostgresVault = {
    pseudonymise,
    async upsertPerson(person, retain) {
      return (await upsertPeople([person], retain))[0]!;
    },
    upsertPeople,
    async findByPhone(phone) {
      const { rows } = await pool.query<{ person_id: string }>('select person_id from vault_records where phone_index = $1 order by person_id', [
        phoneIndex(phone),
      ]);
      return rows.map((r) => r.person_id);
    },
    phonesOf: (personIds) => fieldOf(personIds, 'phone', 'phone'),
    namesOf: (personIds) => fieldOf(personIds, 'full_name', 'name'),
    iinsOf: (personIds) => fieldOf(personIds, 'iin', 'iin'),
    async get(personId) {
      const { rows } = await pool.query<{ iin: Buffer | null; full_name: Buffer | null; phone: Buffer | null; wrapped_key: Buffer }>(
        'select r.iin, r.full_name, r.phone, k.wrapped_key from vault_records r join vault_keys k using (person_id) where person_id = $1',
        [personId],
      );
      const r = rows[0];
      if (!r) return undefined;
      const open = opener(personId, r.wrapped_key);
      const [iin, fullName, phone] = [open('iin', r.iin), open('name', r.full_name), open('phone', r.phone)];
      return { personId, ...(iin !== undefined ? { iin } : {}), ...(fullName !== undefined ? { fullName } : {}), ...(phone !== undefined ? { phone } : {}) };
    },
    async keepText(personId, textId, text, retainUntil) {
      await retried(async () => {
        const keys = await keysOf([personId]);
        await pool.query('insert into vault_texts (text_id, person_id, sealed, retain_until) values ($1, $2, $3, $4) on conflict (text_id) do nothing', [
          textId,
          personId,
          sealer.seal(keys.get(personId)!, personId, `text:${textId}`, text),
          retainUntil ?? null,
        ]);
      });
    },
    async textOf(textId) {
      const { rows } = await pool.query<{ person_id: string; sealed: Buffer; wrapped_key: Buffer }>(
        'select t.person_id, t.sealed, k.wrapped_key from vault_texts t join vault_keys k using (person_id) where t.text_id = $1',
        [textId],
      );
      const r = rows[0];
      return r ? opener(r.person_id, r.wrapped_key)(`text:${textId}`, r.sealed) : undefined;
    },
    async clearPhones(personIds) {
      if (personIds.length === 0) return;
      await pool.query(
        'update vault_records set phone = null, phone_index = null, phone_until = null, updated_at = now() where person_id = any($1::text[]) and phone is not null',
        [personIds],
      );
    },
    forget: (personId, kinds) => forget(pool, personId, kindsOf(kinds)),
    async forgottenOf(personIds) {
      const { rows } = await pool.query<{ person_id: string; kinds: PersonalDataKind[] }>(
        'select person_id, kinds from vault_forgotten where person_id = any($1::text[])',
        [personIds],
      );
      return new Map(rows.map((r) => [r.person_id, kindsOf(r.kinds)]));
    },
    expired: (at, limit) => expired(pool, at, limit),
    async sealUnsealed() {
      const { rows: exists } = await pool.query<{ table: string | null }>(`select to_regclass('vault_people')::text as table`);
      if (!exists[0]?.table) return 0;
      let moved = 0;
      for (;;) {
        const { rows } = await pool.query<{ person_id: string; iin: string; full_name: string | null; phone: string | null }>(
          'select person_id, iin, full_name, phone from vault_people order by person_id limit $1',
          [SEAL_BATCH],
        );
        if (rows.length === 0) break;
        await upsertPeople(rows.map((r) => ({ iin: r.iin, ...(r.full_name ? { fullName: r.full_name } : {}), ...(r.phone ? { phone: r.phone } : {}) })));
        await pool.query('delete from vault_people where person_id = any($1::text[])', [rows.map((r) => r.person_id)]);
        moved += rows.length;
      }
      await pool.query('drop table if exists vault_people');
      return moved;
    },
  };
  return vault;
}

const COLUMN_OF: Partial<Record<PersonalDataKind, string>> = { iin: 'iin', name: 'full_name', phone: 'phone' };

/** One transaction: the kinds asked are deleted; a person with nothing left loses their key (and the cascade the rest). */
async function forget(pool: Pool, personId: string, kinds: readonly PersonalDataKind[]): Promise<PersonalDataKind[]> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    const { rows } = await client.query<{ iin: boolean; name: boolean; phone: boolean; complaint: boolean }>(
      `select r.iin is not null as iin, r.full_name is not null as name, r.phone is not null as phone,
              exists (select 1 from vault_texts t where t.person_id = k.person_id) as complaint
       from vault_keys k left join vault_records r using (person_id) where k.person_id = $1 for update of k`,
      [personId],
    );
    const held = rows[0] ? kinds.filter((kind) => rows[0]![kind]) : [];
    const columns = kinds.flatMap((kind) => (COLUMN_OF[kind] ? [COLUMN_OF[kind]] : []));
    if (columns.length > 0)
      await client.query(
        `update vault_records set ${columns.map((c) => `${c} = null`).join(', ')}${kinds.includes('phone') ? ', phone_index = null' : ''} where person_id = $1`,
        [personId],
      );
    if (kinds.includes('complaint')) await client.query('delete from vault_texts where person_id = $1', [personId]);
    await client.query(
      `delete from vault_keys k where person_id = $1
         and not exists (select 1 from vault_records r where r.person_id = k.person_id and (r.iin is not null or r.full_name is not null or r.phone is not null))
         and not exists (select 1 from vault_texts t where t.person_id = k.person_id)`,
      [personId],
    );
    await client.query(
      `insert into vault_forgotten (person_id, kinds) values ($1, $2::text[])
       on conflict (person_id) do update set kinds = array(select distinct unnest(vault_forgotten.kinds || excluded.kinds) order by 1), forgotten_at = now()`,
      [personId, kinds],
    );
    await client.query('commit');
    return held;
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

async function expired(pool: Pool, at: string, limit: number): Promise<ExpiredData[]> {
  const { rows } = await pool.query<{ person_id: string; kinds: PersonalDataKind[] }>(
    `(select person_id, array_remove(array[
        case when iin is not null and iin_until < $1 then 'iin' end,
        case when full_name is not null and name_until < $1 then 'name' end,
        case when phone is not null and phone_until < $1 then 'phone' end], null) as kinds
      from vault_records
      where (iin is not null and iin_until < $1) or (full_name is not null and name_until < $1) or (phone is not null and phone_until < $1)
      order by person_id limit $2)
     union all
     (select distinct person_id, array['complaint'] from vault_texts where retain_until < $1 order by person_id limit $2)`,
    [at, limit],
  );
  const byPerson = new Map<string, PersonalDataKind[]>();
  for (const r of rows) byPerson.set(r.person_id, [...(byPerson.get(r.person_id) ?? []), ...r.kinds]);
  return [...byPerson.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, limit)
    .map(([personId, kinds]) => ({ personId, kinds: PERSONAL_DATA_KINDS.filter((k) => kinds.includes(k)) }));
}
