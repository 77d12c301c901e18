/** BMG for tests: a Postgres directory filled with one completed load through the import service. */
import { bmgMigrations, createPostgresPhoneDirectory } from '../adapters/bmg/directory-postgres';
import type { PhoneDirectory } from '../adapters/bmg/phone-directory';
import type { Pool } from '../adapters/postgres/pool';
import type { Vault } from '../adapters/vault/vault';
import { createBmgImport } from '../application/services/bmg-import';

export { bmgMigrations };

let loads = 0;
export async function loadedDirectory(
  pool: Pool,
  vault: Vault,
  entries: readonly (readonly [string, string])[],
  asOf = '2026-01-01T00:00:00.000Z',
): Promise<PhoneDirectory> {
  const directory = createPostgresPhoneDirectory(pool, vault);
  const loadId = `test-load-${++loads}`;
  await createBmgImport(directory).importAll(entries, { loadId, asOf, mode: 'delta' }, { commandId: loadId, now: asOf, actor: { role: 'test', id: 'test' } });
  return directory;
}
