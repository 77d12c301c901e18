import { describe, expect, it } from 'vitest';
import { DomainError } from '../../domain/shared/errors';
import { qrPng, qrSvg } from './render';
import fc from 'fast-check';
import { qrKeyId } from './keys';
import { createQrSigner, foodRef, generateDevQrKeys, loadQrKeys, mealRef, signQrToken, targetOf, toPem, verifyQrToken, type QrPayload } from './tokens';

const keys = generateDevQrKeys();
const payload: QrPayload = { v: mealRef('p-1', '2025-2026'), n: Buffer.alloc(12, 7).toString('base64url'), e: 1_759_730_460, p: 'school-meals' };

/** The token with a later expiry in its payload, header and signature kept. */
function forge(token: string): string {
  const [header, , signature] = token.split('.');
  return `${header}.${Buffer.from(JSON.stringify({ ...payload, e: payload.e + 3600 })).toString('base64url')}.${signature}`;
}

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return error instanceof DomainError ? error.code : 'not a DomainError';
  }
  return undefined;
}

describe('QR tokens', () => {
  it('verifies offline with only the public key and gives back the payload', () => {
    const token = signQrToken(payload, keys.privateKey);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(verifyQrToken(token, keys.publicKey)).toEqual(payload);
  });
  it('carries no IIN or name: only the pseudonymous ref, nonce, expiry and program', () => {
    const [header, body] = signQrToken(payload, keys.privateKey)
      .split('.')
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()));
    expect(Object.keys(body).sort()).toEqual(['e', 'n', 'p', 'v']);
    expect(header).toEqual({ alg: 'EdDSA', kid: qrKeyId(keys.publicKey) });
  });
  it('refuses a tampered payload, a foreign key and garbage (qr_token_invalid)', () => {
    const token = signQrToken(payload, keys.privateKey);
    expect(codeOf(() => verifyQrToken(forge(token), keys.publicKey))).toBe('qr_token_invalid');
    expect(codeOf(() => verifyQrToken(token, generateDevQrKeys().publicKey))).toBe('qr_token_invalid');
    expect(codeOf(() => verifyQrToken('nonsense', keys.publicKey))).toBe('qr_token_invalid');
    expect(codeOf(() => verifyQrToken('a.b.c', keys.publicKey))).toBe('qr_token_invalid');
    expect(codeOf(() => verifyQrToken(`${token}.d`, keys.publicKey))).toBe('qr_token_invalid');
    expect(codeOf(() => verifyQrToken('x'.repeat(2000), keys.publicKey))).toBe('qr_token_invalid');
  });
  it('derives the stream from the ref', () => {
    expect(targetOf(payload)).toEqual({ program: 'school-meals', pupilId: 'p-1', schoolYear: '2025-2026', stream: 'meals-p-1-2025-2026' });
    expect(targetOf({ ...payload, v: foodRef('fam~x', '2026-03'), p: 'food-vouchers' })).toMatchObject({
      familyId: 'fam~x',
      month: '2026-03',
      stream: 'food-fam~x-2026-03',
    });
    expect(codeOf(() => targetOf({ ...payload, v: 'no-year' }))).toBe('qr_token_invalid');
  });
  it('loads keys from PEM or base64-of-PEM config and refuses a half configuration', () => {
    const pem = toPem(keys);
    const fromPem = loadQrKeys({ QR_PRIVATE_KEY: pem.privateKeyPem, QR_PUBLIC_KEY: pem.publicKeyPem }, false);
    const fromB64 = loadQrKeys(
      { QR_PRIVATE_KEY: Buffer.from(pem.privateKeyPem).toString('base64'), QR_PUBLIC_KEY: Buffer.from(pem.publicKeyPem).toString('base64') },
      false,
    );
    const token = signQrToken(payload, fromB64.privateKey);
    expect(verifyQrToken(token, fromPem.publicKey)).toEqual(payload);
    expect(verifyQrToken(token, keys.publicKey)).toEqual(payload);
    expect(() => loadQrKeys({}, false)).toThrow(/required/);
    expect(() => loadQrKeys({ QR_PUBLIC_KEY: pem.publicKeyPem }, true)).toThrow(/QR_PRIVATE_KEY/);
    expect(loadQrKeys({}, true).privateKey.asymmetricKeyType).toBe('ed25519');
  });
  it('renders as PNG and SVG', async () => {
    const token = signQrToken(payload, keys.privateKey);
    const png = await qrPng(token);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(await qrSvg(token)).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
  });
});

describe('the signer remembers the tokens it signed', () => {
  const payloads = fc.record({
    v: fc.oneof(fc.constant(mealRef('p-1', '2025-2026')), fc.constant(foodRef('fam~1', '2026-03'))),
    n: fc.uint8Array({ minLength: 12, maxLength: 12 }).map((b) => Buffer.from(b).toString('base64url')),
    e: fc.integer({ min: 1_700_000_000, max: 1_900_000_000 }),
    p: fc.constantFrom('school-meals' as const, 'food-vouchers' as const),
  });

  it('gives back exactly what a full verification gives, for its own tokens and after they are evicted', () => {
    const signer = createQrSigner(keys, 3);
    fc.assert(
      fc.property(fc.array(payloads, { minLength: 1, maxLength: 8 }), (batch) => {
        const tokens = batch.map((p) => signer.sign(p));
        for (const [i, token] of tokens.entries()) {
          expect(signer.verify(token)).toEqual(verifyQrToken(token, keys.publicKey));
          expect(signer.verify(token)).toEqual(batch[i]);
        }
      }),
    );
  });

  it('still refuses what it did not sign: a forged payload, another key’s token, garbage', () => {
    const signer = createQrSigner(keys);
    const token = signer.sign(payload);
    expect(codeOf(() => signer.verify(forge(token)))).toBe('qr_token_invalid');
    expect(codeOf(() => signer.verify(createQrSigner(generateDevQrKeys()).sign(payload)))).toBe('qr_token_invalid');
    expect(codeOf(() => signer.verify(`${token}x`))).toBe('qr_token_invalid');
  });

  it('verifies a token another process signed with the same keys', () => {
    const token = createQrSigner(keys).sign(payload);
    expect(createQrSigner(keys).verify(token)).toEqual(payload);
  });
});

describe('the signer checks its keys', () => {
  it('refuses a public key that does not match the private one, naming both variables', () => {
    expect(() => createQrSigner({ privateKey: keys.privateKey, publicKey: generateDevQrKeys().publicKey })).toThrow(
      /QR_PUBLIC_KEY does not match QR_PRIVATE_KEY/,
    );
  });
  it('refuses to sign a payload a device could not read back (a fractional expiry)', () => {
    expect(() => createQrSigner(keys).sign({ ...payload, e: payload.e + 0.5 })).toThrow(/QR payload/);
  });
});
