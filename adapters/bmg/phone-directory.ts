/**
 * БМГ (BMG): the mobile citizens database — the phone registered for an IIN (seed 001 appendix 1
 * p. 7–8; seed 004 p. 15–17). One port, three implementations:
 *   - the bulk directory (directory-postgres.ts): BMG's loads imported through the API or the CLI;
 *   - the HTTP lookup (http-directory.ts): BMG asked per person, for a deployment that has it;
 *   - memory (here): for domain and service tests.
 * Every answer says what it was judged against (`directory`), so a case that ends "no phone"
 * records which data said so.
 */
import { normalisePhone } from '../vault/vault';

/** The load a directory answer stands on: its id and BMG's own time of the export. */
export interface DirectoryStamp {
  readonly loadId: string;
  readonly asOf: string;
}

export interface PhoneLookup {
  /** iin (trimmed) → the number and where it came from (`load:<loadId>` or `lookup`). */
  readonly phones: ReadonlyMap<string, { readonly phone: string; readonly from: string }>;
  /** What "no number" was judged against: the latest completed load, or a live lookup. */
  readonly directory: { readonly source: 'bmg-load'; readonly loadId?: string; readonly asOf?: string } | { readonly source: 'bmg-lookup' };
}

export interface PhoneDirectory {
  /** Many look-ups in one go. Throws (nothing decided) when the directory cannot answer. */
  lookupMany(iins: readonly string[]): Promise<PhoneLookup>;
}

/** Our copy of BMG knows whom it lists: forgetting a person deletes their row (a later load may bring it back from BMG). */
export interface ForgettableDirectory {
  forget(iins: readonly string[]): Promise<void>;
}

/** A directory held in memory, as one completed load named `loadId`. */
export function createMemoryPhoneDirectory(
  entries: Iterable<readonly [string, string]> = [],
  loadId = 'memory',
): PhoneDirectory & ForgettableDirectory & { set(iin: string, phone: string): void; delete(iin: string): void } {
  const phones = new Map<string, string>();
  for (const [iin, phone] of entries) phones.set(iin.trim(), normalisePhone(phone));
  return {
    async lookupMany(iins) {
      const found = new Map<string, { phone: string; from: string }>();
      for (const iin of iins) {
        const phone = phones.get(iin.trim());
        if (phone !== undefined) found.set(iin.trim(), { phone, from: `load:${loadId}` });
      }
      return { phones: found, directory: { source: 'bmg-load', loadId, asOf: '1970-01-01T00:00:00.000Z' } };
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
