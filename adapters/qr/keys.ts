/**
 * The QR verification keys, published (GET /.well-known/qr-keys.json) as a JWK Set (RFC 7517) so
 * that tills and canteen devices verify tokens offline with keys they fetched while online.
 *
 * A key's id (`kid`) is its RFC 7638 thumbprint: derived from the key alone, so every process and
 * every device computes the same id without configuration. Every token names the key that signed
 * it in its JWS header (adapters/qr/tokens.ts).
 *
 * Rotation (docs/API.md "QR keys"): besides the signing key, QR_ROTATION_PUBLIC_KEYS names public
 * keys that are published and accepted too — the NEXT key, published before it signs so that an
 * offline device holds it in time, and the RETIRING key, until every token it signed has expired.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';

/** A published Ed25519 verification key. */
export interface QrPublicJwk {
  readonly kty: 'OKP';
  readonly crv: 'Ed25519';
  readonly x: string;
  readonly kid: string;
  readonly alg: 'EdDSA';
  readonly use: 'sig';
}

export interface QrKeySet {
  /** The signing key's first, then the rotation keys in the order configured. */
  readonly keys: readonly QrPublicJwk[];
}

/** The RFC 7638 thumbprint (SHA-256, base64url) of an Ed25519 public key. */
export function qrKeyId(publicKey: KeyObject): string {
  const { x } = ed25519Jwk(publicKey);
  // The thumbprint's input: the required members only, in lexicographic order, no whitespace.
  return createHash('sha256')
    .update(JSON.stringify({ crv: 'Ed25519', kty: 'OKP', x }))
    .digest('base64url');
}

export function publicJwkOf(publicKey: KeyObject): QrPublicJwk {
  return { kty: 'OKP', crv: 'Ed25519', x: ed25519Jwk(publicKey).x, kid: qrKeyId(publicKey), alg: 'EdDSA', use: 'sig' };
}

/** The published set: the signing key and the rotation keys, each once. */
export function qrKeySet(signing: KeyObject, rotation: readonly KeyObject[] = []): QrKeySet {
  const byKid = new Map<string, QrPublicJwk>();
  for (const key of [signing, ...rotation]) {
    const jwk = publicJwkOf(key);
    if (!byKid.has(jwk.kid)) byKid.set(jwk.kid, jwk);
  }
  return { keys: [...byKid.values()] };
}

/**
 * QR_ROTATION_PUBLIC_KEYS: SPKI PEMs, or base64 of each PEM, separated by commas (neither form
 * holds a comma). Empty or unset: none. A key that is not Ed25519 is a configuration error.
 */
export function parseRotationKeys(value: string | undefined): KeyObject[] {
  if (!value || value.trim() === '') return [];
  return value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)
    .map((item, index) => {
      let key: KeyObject;
      try {
        key = createPublicKey(item.startsWith('-----BEGIN') ? item : Buffer.from(item, 'base64').toString('utf8'));
      } catch {
        throw new Error(`QR_ROTATION_PUBLIC_KEYS item ${index + 1} is not an SPKI PEM (or base64 of one)`);
      }
      if (key.asymmetricKeyType !== 'ed25519') throw new Error(`QR_ROTATION_PUBLIC_KEYS item ${index + 1} is not an Ed25519 key`);
      return key;
    });
}

function ed25519Jwk(publicKey: KeyObject): { x: string } {
  const key = publicKey.type === 'private' ? createPublicKey(publicKey) : publicKey;
  const jwk = key.export({ format: 'jwk' }) as { kty?: string; crv?: string; x?: string };
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || !jwk.x) throw new Error('QR keys must be Ed25519');
  return { x: jwk.x };
}
