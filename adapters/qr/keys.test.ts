import { describe, expect, it } from 'vitest';
import { createPublicKey, verify } from 'node:crypto';
import { calculateJwkThumbprint, compactVerify, createLocalJWKSet, errors as joseErrors } from 'jose';
import { DomainError } from '../../domain/shared/errors';
import { parseRotationKeys, qrKeyId, qrKeySet } from './keys';
import { createQrSigner, generateDevQrKeys, toPem, type QrPayload } from './tokens';

const payload: QrPayload = { v: 'fam-1~2026-03', n: Buffer.alloc(12, 3).toString('base64url'), e: 1_772_000_000, p: 'food-vouchers' };
const codeOf = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return error instanceof DomainError ? error.code : String(error);
  }
  return undefined;
};

describe('published QR keys', () => {
  const old = generateDevQrKeys();
  const next = generateDevQrKeys();

  it('names a key by its RFC 7638 thumbprint, as jose computes it', async () => {
    const jwk = qrKeySet(old.publicKey).keys[0]!;
    expect(jwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    expect(jwk.kid).toBe(await calculateJwkThumbprint({ kty: jwk.kty, crv: jwk.crv, x: jwk.x }));
    expect(qrKeyId(old.privateKey)).toBe(jwk.kid);
    expect(qrKeyId(next.publicKey)).not.toBe(jwk.kid);
  });

  it('rotates with an overlap: during it tokens of either key verify, after it the old key’s are refused', () => {
    const before = createQrSigner(old);
    const oldToken = before.sign(payload);
    // The next key published ahead: the old one still signs, and tokens of both verify.
    const announcing = createQrSigner({ ...old, rotationPublicKeys: [next.publicKey] });
    // The switch: the next key signs, the old one is published until its tokens have expired.
    const overlap = createQrSigner({ ...next, rotationPublicKeys: [old.publicKey] });
    const newToken = overlap.sign(payload);
    expect(announcing.verify(newToken)).toEqual(payload);
    expect(overlap.verify(oldToken)).toEqual(payload);
    expect(overlap.verify(newToken)).toEqual(payload);
    const after = createQrSigner(next);
    expect(after.verify(newToken)).toEqual(payload);
    expect(codeOf(() => after.verify(oldToken))).toBe('qr_token_invalid');
    expect(codeOf(() => before.verify(newToken))).toBe('qr_token_invalid');
  });

  it('lets a device verify offline with jose and the published set, and refuse an unknown kid', async () => {
    const set = qrKeySet(next.publicKey, [old.publicKey, next.publicKey]);
    expect(set.keys.map((k) => k.kid)).toEqual([qrKeyId(next.publicKey), qrKeyId(old.publicKey)]);
    const keyFor = createLocalJWKSet({ keys: set.keys.map((k) => ({ ...k })) });
    for (const signer of [createQrSigner(old), createQrSigner(next)]) {
      const { payload: bytes, protectedHeader } = await compactVerify(signer.sign(payload), keyFor);
      expect(protectedHeader.alg).toBe('EdDSA');
      expect(JSON.parse(new TextDecoder().decode(bytes))).toEqual(payload);
    }
    // Without jose (docs/API.md): the header's kid picks the JWK, node:crypto verifies header.payload.
    const [header, body, signature] = createQrSigner(old).sign(payload).split('.') as [string, string, string];
    const { kid } = JSON.parse(Buffer.from(header, 'base64url').toString()) as { kid: string };
    const key = createPublicKey({ key: { ...set.keys.find((k) => k.kid === kid)! }, format: 'jwk' });
    expect(verify(null, Buffer.from(`${header}.${body}`), key, Buffer.from(signature, 'base64url'))).toBe(true);
    const stranger = createQrSigner(generateDevQrKeys()).sign(payload);
    await expect(compactVerify(stranger, keyFor)).rejects.toBeInstanceOf(joseErrors.JWKSNoMatchingKey);
  });

  it('reads QR_ROTATION_PUBLIC_KEYS as PEMs or base64 of PEMs, separated by commas, and names a bad item', () => {
    const pems = [toPem(old).publicKeyPem, toPem(next).publicKeyPem];
    const parsed = parseRotationKeys(`${pems[0]}, ${Buffer.from(pems[1]!).toString('base64')}`);
    expect(parsed.map(qrKeyId)).toEqual([qrKeyId(old.publicKey), qrKeyId(next.publicKey)]);
    expect(parseRotationKeys(undefined)).toEqual([]);
    expect(parseRotationKeys(' ')).toEqual([]);
    expect(() => parseRotationKeys(`${pems[0]},bm90IGEga2V5`)).toThrow(/item 2 is not an SPKI PEM/);
  });
});
