/**
 * The PII vault: the only place where IINs, names, phones and complaint texts live. Events carry `personId`, a
 * keyed hash of the IIN: 'p_' + hex of the first 16 bytes of HMAC-SHA256(VAULT_KEY, IIN). The same
 * IIN always gives the same id under one key, so lists can be matched without storing the IIN in
 * the log. `forget(personId)` deletes the person's data (in Postgres: their key, which shreds every
 * sealed copy): the log and every total stay intact; only the link from the pseudonym back to the
 * person is gone (docs/EVIDENCE.md "Forgetting a person").
 *
 * Two implementations: Postgres (postgres-vault.ts: each person's data sealed under a key of their
 * own, sealing.ts) and in-memory (tests, simulator's fastest mode).
 */
import { createHmac } from 'node:crypto';
import { PERSONAL_DATA_KINDS, type PersonalDataKind } from '../../domain/people/personal-data';
import type { Migration } from '../postgres/migrate';

/** Dev-only key; MODE=production refuses to start without VAULT_KEY (app/config.ts). */
export const DEV_VAULT_KEY = 'dev-only-vault-key-change-me';
/** Bytes of the HMAC kept in a personId (128 bits: collisions are not a concern). */
export const PERSON_ID_BYTES = 16;

export interface PersonRecord {
  readonly personId: string;
  /** Absent once the IIN alone was forgotten (retention), the name or phone kept longer. */
  readonly iin?: string;
  readonly fullName?: string;
  readonly phone?: string;
}

/** Until when each kind of a person's data is kept (absent: until forgotten explicitly). */
export interface RetainUntil {
  readonly iin?: string;
  readonly name?: string;
  readonly phone?: string;
}

/** A person whose data of these kinds is past its retention at a given instant. */
export interface ExpiredData {
  readonly personId: string;
  readonly kinds: readonly PersonalDataKind[];
}

export interface Vault {
  /** Pure given the key: the same IIN → the same personId. */
  pseudonymise(iin: string): string;
  /** Stores (or updates) a person; a missing name or phone keeps the stored one. Returns the personId. */
  upsertPerson(person: { iin: string; fullName?: string; phone?: string }, retain?: RetainUntil): Promise<string>;
  /**
   * Many upserts in one statement, as if `upsertPerson` ran for each in order (the same person
   * twice: the later name or phone wins, a missing one keeps the earlier or stored one).
   * Returns the personIds in input order. A retention only ever moves later.
   */
  upsertPeople(people: readonly PersonUpsert[], retain?: RetainUntil): Promise<string[]>;
  /** personIds whose phone is this number (normalised). */
  findByPhone(phone: string): Promise<string[]>;
  /** Phones of those who have one (forgotten or phoneless people are absent): one read for a page of SMS. */
  phonesOf(personIds: readonly string[]): Promise<Map<string, string>>;
  get(personId: string): Promise<PersonRecord | undefined>;
  /** Full names of those who have one (forgotten or nameless people are absent), for documents people sign. */
  namesOf(personIds: readonly string[]): Promise<Map<string, string>>;
  /** IINs still kept (forgotten people are absent), in one read: the canteen roster's card digests. */
  iinsOf(personIds: readonly string[]): Promise<Map<string, string>>;
  /** Keeps a free text the person wrote (a complaint) under their key; the same textId again changes nothing. */
  keepText(personId: string, textId: string, text: string, retainUntil?: string): Promise<void>;
  /** The text, or undefined when it was forgotten (or never kept). */
  textOf(textId: string): Promise<string | undefined>;
  /**
   * Deletes these kinds of the person's data (all kinds: their key, and with it every sealed
   * value) and remembers that they were forgotten. Returns the kinds that held data.
   */
  forget(personId: string, kinds?: readonly PersonalDataKind[]): Promise<PersonalDataKind[]>;
  /** Removes these people's phone numbers (a full BMG load no longer lists them); names and IINs stay. Not a forgetting. */
  clearPhones(personIds: readonly string[]): Promise<void>;
  /** Of these people, those forgotten, with the kinds forgotten. */
  forgottenOf(personIds: readonly string[]): Promise<Map<string, readonly PersonalDataKind[]>>;
  /** Data past its retention at `at`, oldest people first, at most `limit` people. */
  expired(at: string, limit: number): Promise<ExpiredData[]>;
}

export interface PersonUpsert {
  readonly iin: string;
  readonly fullName?: string;
  readonly phone?: string;
}

/** One row per person (sorted by personId, so concurrent bulk upserts lock rows in one order), later values over earlier. */
export function mergeUpserts(
  pseudonymise: (iin: string) => string,
  people: readonly PersonUpsert[],
): { ids: string[]; rows: (PersonRecord & { iin: string })[] } {
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

/** The kinds a forget asks for, in catalogue order, once each. */
export function kindsOf(kinds: readonly PersonalDataKind[] | undefined): PersonalDataKind[] {
  return PERSONAL_DATA_KINDS.filter((kind) => (kinds ?? PERSONAL_DATA_KINDS).includes(kind));
}

const LATER = (a: string | undefined, b: string | undefined): string | undefined => (a === undefined ? b : b === undefined ? a : a > b ? a : b);

interface MemoryPerson extends PersonRecord {
  readonly until: RetainUntil;
}

/** Tests and the simulator's fastest mode: the same contract, nothing sealed (nothing is kept anywhere). */
export function createMemoryVault(key = DEV_VAULT_KEY): Vault {
  const pseudonymise = pseudonymiser(key);
  const people = new Map<string, MemoryPerson>();
  const texts = new Map<string, { personId: string; text: string; until?: string }>();
  const forgotten = new Map<string, PersonalDataKind[]>();
  const upsertPerson: Vault['upsertPerson'] = async ({ iin, fullName, phone }, retain = {}) => {
    const personId = pseudonymise(iin);
    const before = people.get(personId);
    const name = fullName ?? before?.fullName;
    const number = phone !== undefined ? normalisePhone(phone) : before?.phone;
    const until = { iin: LATER(before?.until.iin, retain.iin), name: LATER(before?.until.name, retain.name), phone: LATER(before?.until.phone, retain.phone) };
    people.set(personId, {
      personId,
      iin: iin.trim(),
      ...(name !== undefined ? { fullName: name } : {}),
      ...(number !== undefined ? { phone: number } : {}),
      until,
    });
    return personId;
  };
  /** personId → the field, for those who have it (forgotten people are absent). */
  const fieldOf = (personIds: readonly string[], field: 'phone' | 'fullName' | 'iin'): Map<string, string> => {
    const found = new Map<string, string>();
    for (const id of personIds) {
      const value = people.get(id)?.[field];
      if (value) found.set(id, value);
    }
    return found;
  };
  const remember = (personId: string, kinds: readonly PersonalDataKind[]) => forgotten.set(personId, kindsOf([...(forgotten.get(personId) ?? []), ...kinds]));
  return {
    pseudonymise,
    upsertPerson,
    async upsertPeople(list, retain) {
      const ids: string[] = [];
      for (const p of list) ids.push(await upsertPerson(p, retain));
      return ids;
    },
    async findByPhone(phone) {
      const number = normalisePhone(phone);
      return [...people.values()]
        .filter((p) => p.phone === number)
        .map((p) => p.personId)
        .sort();
    },
    phonesOf: async (personIds) => fieldOf(personIds, 'phone'),
    namesOf: async (personIds) => fieldOf(personIds, 'fullName'),
    iinsOf: async (personIds) => fieldOf(personIds, 'iin'),
    async get(personId) {
      const p = people.get(personId);
      if (!p) return undefined;
      const { until: _until, ...record } = p;
      return record;
    },
    async clearPhones(personIds) {
      for (const id of personIds) {
        const person = people.get(id);
        if (person?.phone === undefined) continue;
        const { phone: _phone, ...rest } = person;
        people.set(id, rest);
      }
    },
    async keepText(personId, textId, text, until) {
      if (!texts.has(textId)) texts.set(textId, { personId, text, ...(until !== undefined ? { until } : {}) });
    },
    async textOf(textId) {
      return texts.get(textId)?.text;
    },
    async forget(personId, asked) {
      const kinds = kindsOf(asked);
      const p = people.get(personId);
      const held: PersonalDataKind[] = [];
      if (p) {
        if (kinds.includes('iin') && p.iin !== undefined) held.push('iin');
        if (kinds.includes('name') && p.fullName !== undefined) held.push('name');
        if (kinds.includes('phone') && p.phone !== undefined) held.push('phone');
        const left: MemoryPerson = {
          personId,
          ...(p.iin !== undefined && !kinds.includes('iin') ? { iin: p.iin } : {}),
          ...(p.fullName !== undefined && !kinds.includes('name') ? { fullName: p.fullName } : {}),
          ...(p.phone !== undefined && !kinds.includes('phone') ? { phone: p.phone } : {}),
          until: p.until,
        };
        if (left.iin === undefined && left.fullName === undefined && left.phone === undefined) people.delete(personId);
        else people.set(personId, left);
      }
      if (kinds.includes('complaint'))
        for (const [id, t] of texts)
          if (t.personId === personId) {
            texts.delete(id);
            if (!held.includes('complaint')) held.push('complaint');
          }
      remember(personId, kinds);
      return kindsOf(held);
    },
    async forgottenOf(personIds) {
      return new Map(personIds.flatMap((id) => (forgotten.has(id) ? [[id, forgotten.get(id)!] as const] : [])));
    },
    async expired(at, limit) {
      const found = new Map<string, Set<PersonalDataKind>>();
      const add = (personId: string, kind: PersonalDataKind) => found.set(personId, (found.get(personId) ?? new Set()).add(kind));
      for (const p of people.values()) {
        if (p.until.iin !== undefined && p.until.iin < at && p.iin !== undefined) add(p.personId, 'iin');
        if (p.until.name !== undefined && p.until.name < at && p.fullName !== undefined) add(p.personId, 'name');
        if (p.until.phone !== undefined && p.until.phone < at && p.phone !== undefined) add(p.personId, 'phone');
      }
      for (const t of texts.values()) if (t.until !== undefined && t.until < at) add(t.personId, 'complaint');
      return [...found.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .slice(0, limit)
        .map(([personId, kinds]) => ({ personId, kinds: kindsOf([...kinds]) }));
    },
  };
}
