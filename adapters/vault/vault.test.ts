import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coreMigrations } from '../postgres/migrate';
import { freshDatabase } from '../../test/pg';
import { createMemoryVault, normalisePhone, pseudonymiser, type Vault } from './vault';
import { createPostgresVault, vaultMigrations } from './postgres-vault';
import { createSealer, DEV_VAULT_MASTER_KEY, masterKeyOf } from './sealing';

const IIN = '870412300416';

describe('pseudonymise', () => {
  it('is a keyed hash: same IIN and key → same id; another key → another id', () => {
    expect(pseudonymiser('key-a-0123456789')(IIN)).toBe(pseudonymiser('key-a-0123456789')(IIN));
    expect(pseudonymiser('key-a-0123456789')(IIN)).not.toBe(pseudonymiser('key-b-0123456789')(IIN));
    expect(pseudonymiser('key-a-0123456789')(IIN)).toMatch(/^p_[0-9a-f]{32}$/);
  });
  it('normalises Kazakh phone numbers', () => {
    expect(['+7 (701) 234-56-78', '87012345678', '7012345678'].map(normalisePhone)).toEqual(['77012345678', '77012345678', '77012345678']);
  });
});

let db: Awaited<ReturnType<typeof freshDatabase>>;
beforeAll(async () => {
  db = await freshDatabase([...coreMigrations(), ...vaultMigrations]);
});
afterAll(async () => db.drop());

for (const [name, make] of [
  ['memory', () => createMemoryVault('k-0123456789abcdef')],
  ['postgres', () => createPostgresVault(db.pool, 'k-0123456789abcdef')],
] as const) {
  describe(`vault (${name})`, () => {
    let vault: Vault;
    beforeAll(() => {
      vault = make();
    });
    it('stores a person, finds them by phone, keeps the phone when an update has none', async () => {
      const id = await vault.upsertPerson({ iin: IIN, fullName: 'A', phone: '+7 701 111 22 33' });
      expect(id).toBe(vault.pseudonymise(IIN));
      await vault.upsertPerson({ iin: IIN, fullName: 'A B' });
      expect(await vault.get(id)).toEqual({ personId: id, iin: IIN, fullName: 'A B', phone: '77011112233' });
      expect(await vault.findByPhone('87011112233')).toEqual([id]);
      const phoneless = await vault.upsertPerson({ iin: '900101300417' });
      expect(await vault.phonesOf([id, phoneless, 'nobody'])).toEqual(new Map([[id, '77011112233']]));
    });
    it('upsertPeople stores many at once as if one by one: the same person twice merges, later values win, missing ones keep the stored', async () => {
      const other = '900101300417';
      await vault.upsertPerson({ iin: other, fullName: 'Stored', phone: '87019999999' });
      const ids = await vault.upsertPeople([{ iin: IIN, fullName: 'First' }, { iin: ` ${other} ` }, { iin: IIN, phone: '+7 701 111 22 33' }]);
      expect(ids).toEqual([vault.pseudonymise(IIN), vault.pseudonymise(other), vault.pseudonymise(IIN)]);
      expect(await vault.get(ids[0]!)).toEqual({ personId: ids[0], iin: IIN, fullName: 'First', phone: '77011112233' });
      expect(await vault.get(ids[1]!)).toEqual({ personId: ids[1], iin: other, fullName: 'Stored', phone: '77019999999' });
      expect(await vault.upsertPeople([])).toEqual([]);
      await vault.forget(ids[1]!);
    });
    it('namesOf gives the names a табель prints; nameless, unknown and forgotten people are absent', async () => {
      const named = vault.pseudonymise(IIN);
      const nameless = await vault.upsertPerson({ iin: '900101300417' });
      const names = await vault.namesOf([named, nameless, 'p_unknown']);
      expect([...names.entries()]).toEqual([[named, 'First']]);
      const iins = await vault.iinsOf([named, nameless, 'p_unknown']);
      expect(new Map(iins)).toEqual(
        new Map([
          [named, IIN],
          [nameless, '900101300417'],
        ]),
      );
      await vault.forget(nameless);
    });
    it('clearPhones removes numbers BMG no longer lists; the person, the name and others’ numbers stay; nobody is forgotten', async () => {
      const [a, b] = await vault.upsertPeople([{ iin: '880808300111', fullName: 'Kept', phone: '87015550000' }, { iin: '870412300416' }]);
      await vault.clearPhones([a!, 'p_unknown']);
      expect(await vault.get(a!)).toEqual({ personId: a, iin: '880808300111', fullName: 'Kept' });
      expect(await vault.findByPhone('87015550000')).toEqual([]);
      expect((await vault.phonesOf([a!, b!])).get(b!)).toBe('77011112233');
      expect(await vault.forgottenOf([a!])).toEqual(new Map());
      await vault.forget(a!);
    });
    it('forget deletes the PII; the pseudonym stays computable but resolves to nobody', async () => {
      const id = vault.pseudonymise(IIN);
      await vault.keepText(id, 'text-1', 'my complaint');
      expect(await vault.textOf('text-1')).toBe('my complaint');
      expect(await vault.forget(id)).toEqual(['iin', 'name', 'phone', 'complaint']);
      expect(await vault.get(id)).toBeUndefined();
      expect(await vault.textOf('text-1')).toBeUndefined();
      expect(await vault.findByPhone('77011112233')).toEqual([]);
      expect(await vault.forget(id)).toEqual([]);
      expect((await vault.namesOf([id])).size).toBe(0);
      expect((await vault.iinsOf([id])).size).toBe(0);
      expect(await vault.forgottenOf([id, 'p_other'])).toEqual(new Map([[id, ['iin', 'name', 'phone', 'complaint']]]));
    });
    it('forgets some kinds and keeps the rest; nothing left: the person is gone', async () => {
      const iin = '950505400123';
      const id = await vault.upsertPerson({ iin, fullName: 'Kind Test', phone: '87015556677' });
      expect(await vault.forget(id, ['phone'])).toEqual(['phone']);
      expect(await vault.get(id)).toEqual({ personId: id, iin, fullName: 'Kind Test' });
      expect(await vault.findByPhone('87015556677')).toEqual([]);
      expect(await vault.forget(id, ['iin', 'name'])).toEqual(['iin', 'name']);
      expect(await vault.get(id)).toBeUndefined();
      expect((await vault.forgottenOf([id])).get(id)).toEqual(['iin', 'name', 'phone']);
      // A later list brings the person again (a new purpose): stored again, under a new key.
      await vault.upsertPerson({ iin, fullName: 'Kind Test' });
      expect(await vault.get(id)).toEqual({ personId: id, iin, fullName: 'Kind Test' });
      await vault.forget(id);
    });
    it('lists what is past its retention, by kind; a retention only moves later', async () => {
      const iin = '960606500234';
      const id = await vault.upsertPerson(
        { iin, fullName: 'Retained', phone: '87017778899' },
        { iin: '2027-01-01T00:00:00.000Z', name: '2027-01-01T00:00:00.000Z', phone: '2026-06-01T00:00:00.000Z' },
      );
      await vault.upsertPerson({ iin }, { iin: '2026-01-01T00:00:00.000Z', name: '2028-01-01T00:00:00.000Z', phone: '2026-05-01T00:00:00.000Z' });
      await vault.keepText(id, 'text-2', 'late complaint', '2026-03-01T00:00:00.000Z');
      const mine = async (at: string) => (await vault.expired(at, 100)).filter((e) => e.personId === id);
      expect(await mine('2026-02-01T00:00:00.000Z')).toEqual([]);
      expect(await mine('2026-04-01T00:00:00.000Z')).toEqual([{ personId: id, kinds: ['complaint'] }]);
      expect(await mine('2027-06-01T00:00:00.000Z')).toEqual([{ personId: id, kinds: ['iin', 'phone', 'complaint'] }]);
      await vault.forget(id, ['phone', 'complaint']);
      expect(await mine('2027-06-01T00:00:00.000Z')).toEqual([{ personId: id, kinds: ['iin'] }]);
      expect(await mine('2029-01-01T00:00:00.000Z')).toEqual([{ personId: id, kinds: ['iin', 'name'] }]);
      await vault.forget(id);
      expect(await mine('2029-01-01T00:00:00.000Z')).toEqual([]);
    });
  });
}

describe('sealing (Postgres vault)', () => {
  it('stores no IIN, name, phone or text in the clear; each person has a key of their own, wrapped', async () => {
    const vault = createPostgresVault(db.pool, 'k-0123456789abcdef');
    const a = await vault.upsertPerson({ iin: '870412300416', fullName: 'Айгерим Сейткали', phone: '87011112233' });
    const b = await vault.upsertPerson({ iin: '900101300417', fullName: 'Other Person' });
    await vault.keepText(a, 'text-s', 'Айгерим 87011112233 complains');
    const { rows } = await db.pool.query<{ t: string }>(
      `select concat_ws('|', (select string_agg(r::text, '|') from vault_records r), (select string_agg(k::text, '|') from vault_keys k), (select string_agg(t::text, '|') from vault_texts t)) as t`,
    );
    for (const clear of ['870412300416', 'Айгерим', '7011112233', 'complains', Buffer.from('Айгерим').toString('hex')]) expect(rows[0]!.t).not.toContain(clear);
    const keys = await db.pool.query<{ person_id: string; wrapped_key: Buffer }>(
      'select person_id, wrapped_key from vault_keys where person_id = any($1::text[])',
      [[a, b]],
    );
    expect(new Set(keys.rows.map((k) => k.wrapped_key.toString('hex'))).size).toBe(2);
    // Another master key opens nothing.
    const stranger = createPostgresVault(db.pool, 'k-0123456789abcdef', masterKeyOf('11'.repeat(32)));
    await expect(stranger.get(a)).rejects.toThrow();
    await vault.forget(a);
    await vault.forget(b);
  });
  it('a sealed value is bound to its person and field', () => {
    const sealer = createSealer(DEV_VAULT_MASTER_KEY);
    const { key } = sealer.newDataKey('p_a');
    const sealed = sealer.seal(key, 'p_a', 'name', 'Name');
    expect(sealer.open(key, 'p_a', 'name', sealed)).toBe('Name');
    expect(() => sealer.open(key, 'p_b', 'name', sealed)).toThrow();
    expect(() => sealer.open(key, 'p_a', 'phone', sealed)).toThrow();
  });
  it('seals the rows stored in plaintext before migration 0753 and drops their table', async () => {
    await db.pool.query(
      `create table vault_people (person_id text primary key, iin text not null unique, full_name text, phone text, updated_at timestamptz not null default now())`,
    );
    const vault = createPostgresVault(db.pool, 'k-0123456789abcdef');
    const id = vault.pseudonymise('970707600345');
    await db.pool.query(`insert into vault_people (person_id, iin, full_name, phone) values ($1, '970707600345', 'Legacy Name', '77012223344')`, [id]);
    expect(await vault.sealUnsealed()).toBe(1);
    expect(await vault.get(id)).toEqual({ personId: id, iin: '970707600345', fullName: 'Legacy Name', phone: '77012223344' });
    expect((await db.pool.query(`select to_regclass('vault_people') as t`)).rows[0].t).toBeNull();
    expect(await vault.sealUnsealed()).toBe(0);
    await vault.forget(id);
  });
});
