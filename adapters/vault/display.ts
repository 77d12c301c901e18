/** Names as documents print them: the name, `[forgotten]` once it was forgotten, absent when never given. */
import { FORGOTTEN } from '../../domain/people/personal-data';
import type { Vault } from './vault';

export async function displayNamesOf(vault: Pick<Vault, 'namesOf' | 'forgottenOf'>, personIds: readonly string[]): Promise<Map<string, string>> {
  const [names, forgotten] = await Promise.all([vault.namesOf(personIds), vault.forgottenOf(personIds)]);
  const shown = new Map<string, string>();
  for (const id of personIds) {
    const name = names.get(id) ?? (forgotten.get(id)?.includes('name') ? FORGOTTEN : undefined);
    if (name !== undefined) shown.set(id, name);
  }
  return shown;
}
