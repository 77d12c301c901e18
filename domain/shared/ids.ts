import { createHash } from 'node:crypto';

/**
 * Deterministic event id: a name-based UUID (v5 layout, SHA-1) of the command id and the event's
 * index in the decision. A retried command yields the same ids, so the store appends nothing new.
 * (node:crypto hashing is pure computation: same input, same output.)
 */
export function eventId(commandId: string, index: number): string {
  return nameUuid(`${commandId}#${index}`);
}

/** A UUID derived from any string (stable across runs and machines). */
export function nameUuid(name: string): string {
  const hash = createHash('sha1').update('social-wallet-ledger:').update(name).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** Derives a child id from a command id (e.g. one command that writes several streams). */
export function childId(parent: string, part: string): string {
  return `${parent}/${part}`;
}
