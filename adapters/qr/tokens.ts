/**
 * Dynamic QR tokens (seed 001 appendix 2 p. 8, 10; seed 004 p. 24–25): short-lived, single-use,
 * signed with Ed25519 so a canteen device or a shop till can verify them OFFLINE with only the
 * public keys it fetched while online (the JWK Set at GET /.well-known/qr-keys.json, keys.ts).
 *
 * Format: a JWS in compact serialization (RFC 7515, EdDSA), so any JOSE library verifies it:
 *   base64url({"alg":"EdDSA","kid":…}) "." base64url(JSON payload) "." base64url(signature)
 *   kid = the signing key's RFC 7638 thumbprint (keys.ts); a device picks the key by it, and a key
 *   rotation overlaps: tokens of the old and the new key both verify while both are published.
 *   payload = { v: voucher ref, n: nonce, e: expiry (epoch seconds), p: program }
 *   v: meals `{pupilId}~{schoolYear}`, food `{familyId}~{month}` — the stream key, nothing personal:
 *   no IIN, no name (ids are pseudonymous).
 * The nonce is random bytes supplied by the caller (tests pass fixed bytes); the stream records
 * the nonce when the token buys something, so a second use is refused (qr_token_reused).
 */
import { LRUCache } from 'lru-cache';
import { KeyObject, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import type { ProgramCode } from '../../domain/events';
import { targetOfRef, type VoucherTarget } from '../../domain/vouchers/voucher-ref';
import { refuse } from '../../domain/shared/errors';
import { invariant } from '../../domain/shared/decider';
import { qrKeyId } from './keys';

export interface QrPayload {
  /** Voucher ref: the stream key (meals: pupilId~schoolYear; food: familyId~month). */
  readonly v: string;
  /** Nonce, base64url. */
  readonly n: string;
  /** Expiry, epoch seconds. */
  readonly e: number;
  readonly p: ProgramCode;
}

export interface QrSigningKeys {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** Published and accepted beside the signing key during a rotation (QR_ROTATION_PUBLIC_KEYS, keys.ts). */
  readonly rotationPublicKeys?: readonly KeyObject[];
}

/** Verification keys by kid. */
export type QrVerifyingKeys = ReadonlyMap<string, KeyObject>;

/** Nonce bytes: 12 is plenty for single-use within a voucher. */
export const QR_NONCE_BYTES = 12;
/** A token longer than this is not ours (refused before parsing). */
export const MAX_QR_TOKEN_LENGTH = 1024;

const PROGRAMS: readonly ProgramCode[] = ['school-meals', 'food-vouchers'];

/** The JWS header of a key's tokens, base64url (made once per key: signing is on the hot path). */
export const qrHeaderOf = (kid: string): string => Buffer.from(JSON.stringify({ alg: 'EdDSA', kid })).toString('base64url');

export function signQrToken(payload: QrPayload, privateKey: KeyObject, header = qrHeaderOf(qrKeyId(privateKey))): string {
  const body = Buffer.from(JSON.stringify({ v: payload.v, n: payload.n, e: payload.e, p: payload.p })).toString('base64url');
  const signingInput = `${header}.${body}`;
  return `${signingInput}.${sign(null, Buffer.from(signingInput), privateKey).toString('base64url')}`;
}

/** Verification keys by their kid: the signing key and the rotation keys. */
export function verifyingKeysOf(keys: Pick<QrSigningKeys, 'publicKey' | 'rotationPublicKeys'>): QrVerifyingKeys {
  return new Map([keys.publicKey, ...(keys.rotationPublicKeys ?? [])].map((key) => [qrKeyId(key), key]));
}

/**
 * The payload of a token whose header names a known key (kid) and whose signature verifies with
 * it, else qr_token_invalid (an unknown kid too). Expiry is the caller's check.
 */
export function verifyQrToken(token: string, keys: QrVerifyingKeys | KeyObject): QrPayload {
  if (token.length > MAX_QR_TOKEN_LENGTH) return refuse('qr_token_invalid', 'too long');
  const [header, body, signature, extra] = token.split('.');
  if (!header || !body || !signature || extra !== undefined) return refuse('qr_token_invalid', 'not header.payload.signature');
  const key = keyOf(header, keys instanceof KeyObject ? verifyingKeysOf({ publicKey: keys }) : keys);
  let ok: boolean;
  try {
    ok = verify(null, Buffer.from(`${header}.${body}`), key, Buffer.from(signature, 'base64url'));
  } catch {
    ok = false;
  }
  if (!ok) return refuse('qr_token_invalid', 'signature does not verify');
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return refuse('qr_token_invalid', 'payload is not JSON');
  }
  if (!isPayload(payload)) return refuse('qr_token_invalid', 'payload shape');
  return payload;
}

/** The key a header names: EdDSA and a kid we publish, else qr_token_invalid. */
function keyOf(header: string, keys: QrVerifyingKeys): KeyObject {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
  } catch {
    return refuse('qr_token_invalid', 'header is not JSON');
  }
  const { alg, kid } = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as { alg?: unknown; kid?: unknown };
  if (alg !== 'EdDSA') return refuse('qr_token_invalid', 'not an EdDSA token');
  const key = typeof kid === 'string' ? keys.get(kid) : undefined;
  return key ?? refuse('qr_token_invalid', 'unknown key id (kid): not one of the published QR keys');
}

/**
 * Tokens this process signed, remembered (least recently signed out) so that verifying one of
 * them skips Ed25519: the exact string came out of `sign` here, so its signature is ours and its
 * payload is the one remembered. Ed25519 verification was ≈ 8 % of the service's CPU under POS
 * load, for tokens it had signed itself moments before. A token from elsewhere — another process,
 * or one evicted — is verified in full.
 */
export const SIGNED_TOKEN_MEMO_ENTRIES = 20_000;

export interface QrSigner {
  sign(payload: QrPayload): string;
  /** As `verifyQrToken`: the payload, or qr_token_invalid. */
  verify(token: string): QrPayload;
}

export function createQrSigner(keys: QrSigningKeys, capacity = SIGNED_TOKEN_MEMO_ENTRIES): QrSigner {
  const kid = qrKeyId(keys.privateKey);
  // The memo would hide a public key that does not match the private one; devices verify with it.
  if (qrKeyId(keys.publicKey) !== kid) throw new Error('QR_PUBLIC_KEY does not match QR_PRIVATE_KEY: devices could not verify the tokens this service signs');
  const header = qrHeaderOf(kid);
  const verifying = verifyingKeysOf(keys);
  const signed = capacity > 0 ? new LRUCache<string, QrPayload>({ max: capacity }) : undefined;
  return {
    sign(payload) {
      invariant(isPayload(payload), 'a QR payload: ref, nonce, whole-second expiry, program');
      const token = signQrToken(payload, keys.privateKey, header);
      signed?.set(token, Object.freeze({ v: payload.v, n: payload.n, e: payload.e, p: payload.p }));
      return token;
    },
    verify: (token) => signed?.get(token) ?? verifyQrToken(token, verifying),
  };
}

function isPayload(value: unknown): value is QrPayload {
  if (typeof value !== 'object' || value === null) return false;
  const p = value as Record<string, unknown>;
  return typeof p.v === 'string' && typeof p.n === 'string' && p.n.length > 0 && Number.isSafeInteger(p.e) && PROGRAMS.includes(p.p as ProgramCode);
}

export const expiresAtOf = (payload: QrPayload): string => new Date(payload.e * 1000).toISOString();
export const epochSeconds = (instant: string | Date): number => Math.floor(new Date(instant).getTime() / 1000);

// ── voucher refs (domain/vouchers/voucher-ref.ts) ───────────────────────────────────────────────
export { foodRef, mealRef } from '../../domain/vouchers/voucher-ref';
export type { VoucherTarget as TokenTarget } from '../../domain/vouchers/voucher-ref';

/** The voucher stream a token names; a ref that does not parse is qr_token_invalid. */
export const targetOf = (payload: QrPayload): VoucherTarget => targetOfRef(payload.p, payload.v);

// ── keys ────────────────────────────────────────────────────────────────────────────────────
/** A fresh Ed25519 pair (dev mode and tests). Print `toPem` of it to put into the environment. */
export function generateDevQrKeys(): QrSigningKeys {
  return generateKeyPairSync('ed25519');
}

export function toPem(keys: QrSigningKeys): { privateKeyPem: string; publicKeyPem: string } {
  return {
    privateKeyPem: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: keys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** PEM text, or base64 of the PEM (one-line environment variables). */
function pemText(value: string): string {
  const trimmed = value.trim();
  return trimmed.startsWith('-----BEGIN') ? trimmed : Buffer.from(trimmed, 'base64').toString('utf8');
}

/**
 * Keys from config (QR_PRIVATE_KEY / QR_PUBLIC_KEY: PKCS8 / SPKI PEM or base64 of the PEM).
 * Missing both → a dev pair is generated when `allowDev`; a device needs only the public key.
 */
export function loadQrKeys(config: { QR_PRIVATE_KEY?: string; QR_PUBLIC_KEY?: string }, allowDev: boolean): QrSigningKeys {
  if (!config.QR_PRIVATE_KEY && !config.QR_PUBLIC_KEY) {
    if (!allowDev) throw new Error('QR_PRIVATE_KEY and QR_PUBLIC_KEY are required outside dev mode');
    return generateDevQrKeys();
  }
  if (!config.QR_PRIVATE_KEY) throw new Error('QR_PUBLIC_KEY is set but QR_PRIVATE_KEY is not');
  const privateKey = createPrivateKey(pemText(config.QR_PRIVATE_KEY));
  const publicKey = config.QR_PUBLIC_KEY ? createPublicKey(pemText(config.QR_PUBLIC_KEY)) : createPublicKey(privateKey);
  if (privateKey.asymmetricKeyType !== 'ed25519' || publicKey.asymmetricKeyType !== 'ed25519') throw new Error('QR keys must be Ed25519');
  return { privateKey, publicKey };
}
