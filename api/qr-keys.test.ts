/**
 * Published QR keys over real HTTP: the JWK Set a till or canteen device fetches, conditional on
 * its ETag; a token the service issues verifies with it offline (jose, as docs/API.md shows); during
 * a rotation a token of the retiring key is still accepted, and a token of an unknown key is not.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { compactVerify, createLocalJWKSet, decodeProtectedHeader } from 'jose';
import { qrKeyId } from '../adapters/qr/keys';
import { epochSeconds, foodRef, generateDevQrKeys, signQrToken, toPem } from '../adapters/qr/tokens';
import { activeFoodFamily } from '../test/journeys';
import { startTestSystem, type TestSystem } from '../test/system';

const signing = generateDevQrKeys();
const retiring = generateDevQrKeys();
const merchant = { role: 'merchant', sub: 'shop-keys-till-1', shopId: 'shop-keys' } as const;

let t: TestSystem;
beforeAll(async () => {
  const pem = toPem(signing);
  t = await startTestSystem('2026-03-05T04:00:00.000Z', {
    counterparts: { shops: [{ shopId: 'shop-keys', city: 'kokshetau' }] },
    env: {
      QR_PRIVATE_KEY: pem.privateKeyPem,
      QR_PUBLIC_KEY: pem.publicKeyPem,
      QR_ROTATION_PUBLIC_KEYS: Buffer.from(toPem(retiring).publicKeyPem).toString('base64'),
    },
  });
});
afterAll(async () => t?.close());

describe('GET /.well-known/qr-keys.json', () => {
  it('publishes the signing key first and the rotation key, cacheable, and answers 304 to its ETag', async () => {
    const answer = await t.call('GET', '/.well-known/qr-keys.json');
    expect(answer.status).toBe(200);
    expect(answer.body.keys.map((k: { kid: string }) => k.kid)).toEqual([qrKeyId(signing.publicKey), qrKeyId(retiring.publicKey)]);
    expect(answer.body.keys[0]).toEqual({
      kty: 'OKP',
      crv: 'Ed25519',
      x: signing.publicKey.export({ format: 'jwk' }).x,
      kid: qrKeyId(signing.publicKey),
      alg: 'EdDSA',
      use: 'sig',
    });
    expect(answer.headers.get('cache-control')).toBe('public, max-age=300');
    const etag = answer.headers.get('etag')!;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    const again = await t.call('GET', '/.well-known/qr-keys.json', { headers: { 'if-none-match': `W/${etag}` } });
    expect([again.status, again.text, again.headers.get('etag')]).toEqual([304, '', etag]);
    const other = await t.call('GET', '/.well-known/qr-keys.json', { headers: { 'if-none-match': '"another"' } });
    expect(other.status).toBe(200);
  });

  it('verifies a token the service issued, offline, with jose and the published set', async () => {
    const family = await activeFoodFamily(t, 'fam-keys-1', 301);
    const token = await family.qr();
    const set = await t.call('GET', '/.well-known/qr-keys.json');
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'EdDSA', kid: qrKeyId(signing.publicKey) });
    const { payload } = await compactVerify(token, createLocalJWKSet(set.body));
    expect(JSON.parse(new TextDecoder().decode(payload))).toMatchObject({ v: foodRef('fam-keys-1', '2026-03'), p: 'food-vouchers' });
  });

  it('accepts a token of the retiring key during the overlap and refuses one of an unknown key, appending nothing', async () => {
    await activeFoodFamily(t, 'fam-keys-2', 302);
    const payload = {
      v: foodRef('fam-keys-2', '2026-03'),
      n: randomBytes(12).toString('base64url'),
      e: epochSeconds(t.clock.now()) + 60,
      p: 'food-vouchers' as const,
    };
    const till = await t.token(merchant);
    const old = await t.call('POST', '/v1/shop/balance', { token: till, body: { token: signQrToken(payload, retiring.privateKey) } });
    expect([old.status, old.body.availableTiyn > 0]).toEqual([200, true]);
    const before = await t.system.store.headPosition();
    const stranger = await t.call('POST', '/v1/shop/holds', {
      token: till,
      idempotencyKey: 'keys-stranger-1',
      body: { token: signQrToken(payload, generateDevQrKeys().privateKey), items: [{ sku: 'x', name: 'Мука', quantity: 1, unit: 'pcs', unitPriceTiyn: 100 }] },
    });
    expect([stranger.status, stranger.body.code]).toEqual([400, 'qr_token_invalid']);
    expect(await t.system.store.headPosition()).toBe(before);
  });
});
