/**
 * Crypto-shredding: every person's personal data is sealed (AES-256-GCM) under a data key of
 * their own, and that data key is kept only wrapped (AES-256-GCM again) by the master key
 * (VAULT_MASTER_KEY, outside the database). Deleting the wrapped data key makes every copy of the
 * person's ciphertext — in the table, in a dump, in a backup taken before — unreadable, without
 * touching anyone else's data.
 *
 * A sealed value is version (1 byte) ‖ IV (12) ‖ tag (16) ‖ ciphertext. The associated data binds
 * it to its person and field, so a ciphertext copied into another person's row or another field
 * does not open.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const DATA_KEY_BYTES = 32;

export interface Sealer {
  /** Identifies the master key that wrapped a data key (first 8 bytes of its SHA-256, hex). */
  readonly masterKeyId: string;
  /** A fresh random data key, and its wrapped form to store. */
  newDataKey(personId: string): { key: Buffer; wrapped: Buffer };
  unwrap(personId: string, wrapped: Buffer): Buffer;
  seal(key: Buffer, personId: string, field: string, plaintext: string): Buffer;
  open(key: Buffer, personId: string, field: string, sealed: Buffer): string;
}

/** The master key as configured: 32 bytes as base64 or base64url (44 or 43 characters), or 64 hex digits. */
export function masterKeyOf(text: string): Buffer {
  const key = /^[0-9a-f]{64}$/i.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (key.length !== DATA_KEY_BYTES) throw new Error('VAULT_MASTER_KEY must be 32 bytes: base64 (openssl rand -base64 32) or 64 hex digits');
  return key;
}

function encrypt(key: Buffer, aad: string, plaintext: Buffer): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.of(VERSION), iv, cipher.getAuthTag(), body]);
}

function decrypt(key: Buffer, aad: string, sealed: Buffer): Buffer {
  if (sealed[0] !== VERSION) throw new Error(`sealed value of unknown version ${sealed[0]}`);
  const iv = sealed.subarray(1, 1 + IV_BYTES);
  const tag = sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(sealed.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]);
}

export function createSealer(masterKey: Buffer): Sealer {
  if (masterKey.length !== DATA_KEY_BYTES) throw new Error('the vault master key must be 32 bytes');
  const masterKeyId = createHash('sha256').update(masterKey).digest().subarray(0, 8).toString('hex');
  const keyAad = (personId: string) => `swl.vault.key.v1:${personId}`;
  const fieldAad = (personId: string, field: string) => `swl.vault.field.v1:${personId}:${field}`;
  return {
    masterKeyId,
    newDataKey(personId) {
      const key = randomBytes(DATA_KEY_BYTES);
      return { key, wrapped: encrypt(masterKey, keyAad(personId), key) };
    },
    unwrap: (personId, wrapped) => decrypt(masterKey, keyAad(personId), wrapped),
    seal: (key, personId, field, plaintext) => encrypt(key, fieldAad(personId, field), Buffer.from(plaintext, 'utf8')),
    open: (key, personId, field, sealed) => decrypt(key, fieldAad(personId, field), sealed).toString('utf8'),
  };
}

/** Dev and test master key (MODE=production refuses to start without VAULT_MASTER_KEY). */
export const DEV_VAULT_MASTER_KEY = createHash('sha256').update('dev-only-vault-master-key-change-me').digest();
