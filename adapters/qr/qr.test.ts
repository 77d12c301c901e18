import { describe, expect, it } from 'vitest';
import { DomainError } from '../../domain/shared/errors';
import { qrPng, qrSvg } from './render';
import { foodRef, generateDevQrKeys, loadQrKeys, mealRef, signQrToken, targetOf, toPem, verifyQrToken, type QrPayload } from './tokens';

const keys = generateDevQrKeys();
const payload: QrPayload = { v: mealRef('p-1', '2025-2026'), n: Buffer.alloc(12, 7).toString('base64url'), e: 1_759_730_460, p: 'school-meals' };

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
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(verifyQrToken(token, keys.publicKey)).toEqual(payload);
  });
  it('carries no IIN or name: only the pseudonymous ref, nonce, expiry and program', () => {
    const body = JSON.parse(Buffer.from(signQrToken(payload, keys.privateKey).split('.')[0]!, 'base64url').toString());
    expect(Object.keys(body).sort()).toEqual(['e', 'n', 'p', 'v']);
  });
  it('refuses a tampered payload, a foreign key and garbage (qr_token_invalid)', () => {
    const token = signQrToken(payload, keys.privateKey);
    const forged = Buffer.from(JSON.stringify({ ...payload, e: payload.e + 3600 })).toString('base64url') + '.' + token.split('.')[1];
    expect(codeOf(() => verifyQrToken(forged, keys.publicKey))).toBe('qr_token_invalid');
    expect(codeOf(() => verifyQrToken(token, generateDevQrKeys().publicKey))).toBe('qr_token_invalid');
    expect(codeOf(() => verifyQrToken('nonsense', keys.publicKey))).toBe('qr_token_invalid');
    expect(codeOf(() => verifyQrToken('a.b.c', keys.publicKey))).toBe('qr_token_invalid');
    expect(codeOf(() => verifyQrToken('x'.repeat(2000), keys.publicKey))).toBe('qr_token_invalid');
  });
  it('derives the stream from the ref', () => {
    expect(targetOf(payload)).toEqual({ program: 'school-meals', pupilId: 'p-1', schoolYear: '2025-2026', stream: 'meals-p-1-2025-2026' });
    expect(targetOf({ ...payload, v: foodRef('fam~x', '2026-03'), p: 'food-vouchers' })).toMatchObject({ familyId: 'fam~x', month: '2026-03', stream: 'food-fam~x-2026-03' });
    expect(codeOf(() => targetOf({ ...payload, v: 'no-year' }))).toBe('qr_token_invalid');
  });
  it('loads keys from PEM or base64-of-PEM config and refuses a half configuration', () => {
    const pem = toPem(keys);
    const fromPem = loadQrKeys({ QR_PRIVATE_KEY: pem.privateKeyPem, QR_PUBLIC_KEY: pem.publicKeyPem }, false);
    const fromB64 = loadQrKeys({ QR_PRIVATE_KEY: Buffer.from(pem.privateKeyPem).toString('base64'), QR_PUBLIC_KEY: Buffer.from(pem.publicKeyPem).toString('base64') }, false);
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
