import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coreMigrations } from '../postgres/migrate';
import { freshDatabase } from '../../test/pg';
import { bmgMigration, createMemoryPhoneDirectory, createPostgresPhoneDirectory } from '../bmg/phone-directory';
import { createMemoryVault, createPostgresVault, normalisePhone, pseudonymiser, vaultMigration, type Vault } from './vault';

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
  db = await freshDatabase([...coreMigrations(), vaultMigration, bmgMigration]);
});
afterAll(async () => db.drop());

for (const [name, make] of [['memory', () => createMemoryVault('k-0123456789abcdef')], ['postgres', () => createPostgresVault(db.pool, 'k-0123456789abcdef')]] as const) {
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
      const ids = await vault.upsertPeople([
        { iin: IIN, fullName: 'First' },
        { iin: ` ${other} ` },
        { iin: IIN, phone: '+7 701 111 22 33' },
      ]);
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
      await vault.forget(nameless);
    });
    it('forget deletes the PII; the pseudonym stays computable but resolves to nobody', async () => {
      const id = vault.pseudonymise(IIN);
      expect(await vault.forget(id)).toBe(true);
      expect(await vault.get(id)).toBeUndefined();
      expect(await vault.findByPhone('77011112233')).toEqual([]);
      expect(await vault.forget(id)).toBe(false);
      expect((await vault.namesOf([id])).size).toBe(0);
    });
  });
}

describe('BMG phone directory', () => {
  it('memory and Postgres answer the same after a bulk load', async () => {
    const pg = createPostgresPhoneDirectory(db.pool);
    expect(await pg.load([[IIN, '87010000000'], ['000000000000', '77010000001'], [IIN, '87010000009']])).toBe(2);
    const mem = createMemoryPhoneDirectory([[IIN, '87010000009']]);
    expect(await pg.lookup(IIN)).toBe('77010000009');
    expect(await mem.lookup(IIN)).toBe('77010000009');
    expect(await pg.lookup('111111111111')).toBeUndefined();
  });
  it('lookupMany answers a whole chunk in one go, only the IINs that have a phone, keyed by the trimmed IIN', async () => {
    const pg = createPostgresPhoneDirectory(db.pool);
    await pg.load([[IIN, '87010000009']]);
    const mem = createMemoryPhoneDirectory([[IIN, '87010000009']]);
    for (const dir of [pg, mem]) {
      expect(await dir.lookupMany([` ${IIN}`, '111111111111', IIN])).toEqual(new Map([[IIN, '77010000009']]));
      expect(await dir.lookupMany([])).toEqual(new Map());
    }
  });
});
