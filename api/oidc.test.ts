/**
 * Identity from an OpenID Connect provider over real HTTP: the test serves the provider's JWKS from
 * its own HTTP server and signs tokens as Keycloak would (RS256, ES256, EdDSA); the service verifies
 * them (issuer, audience, expiry, key id), maps the claims to a role and subject (docs/IDENTITY.md),
 * follows a key rotation, refuses an unknown kid, issuer or audience and the dev HS256 tokens, and
 * fetches the key set only when it must.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { SignJWT, exportJWK, generateKeyPair, type JWK, type JWTPayload } from 'jose';
import { startTestSystem, type TestSystem } from '../test/system';

const ISSUER = 'https://sso.test.kz/realms/social-wallet';
const AUDIENCE = 'social-wallet-api';

interface ProviderKey {
  readonly kid: string;
  readonly alg: 'RS256' | 'ES256' | 'EdDSA';
  readonly privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  readonly jwk: JWK;
}

async function providerKey(kid: string, alg: ProviderKey['alg']): Promise<ProviderKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** The provider's JWKS endpoint: serves `published`, counts its fetches. */
function jwksServer() {
  let published: ProviderKey[] = [];
  let fetches = 0;
  let down = false;
  const server: Server = createServer((req, res) => {
    fetches++;
    if (down) return void res.writeHead(503).end();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: published.map((k) => k.jwk) }));
  });
  return {
    publish: (keys: ProviderKey[]) => void (published = keys),
    setDown: (value: boolean) => void (down = value),
    fetches: () => fetches,
    listen: () =>
      new Promise<string>((ok) =>
        server.listen(0, '127.0.0.1', () =>
          ok(`http://127.0.0.1:${(server.address() as { port: number }).port}/realms/social-wallet/protocol/openid-connect/certs`),
        ),
      ),
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

const provider = jwksServer();
let t: TestSystem;
let rsa: ProviderKey;
let ec: ProviderKey;
let ed: ProviderKey;

beforeAll(async () => {
  [rsa, ec, ed] = await Promise.all([providerKey('rsa-1', 'RS256'), providerKey('ec-1', 'ES256'), providerKey('ed-1', 'EdDSA')]);
  provider.publish([rsa, ec, ed]);
  const url = await provider.listen();
  t = await startTestSystem('2026-03-05T04:00:00.000Z', {
    env: { OIDC_ISSUER: ISSUER, OIDC_AUDIENCE: AUDIENCE, OIDC_JWKS_URL: url, OIDC_JWKS_COOLDOWN_MS: '0' },
  });
});
afterAll(async () => {
  await t?.close();
  await provider.close();
});

/** A token as the provider signs it, at the service's (virtual) time. */
async function mint(
  key: ProviderKey,
  claims: JWTPayload,
  options: { issuer?: string; audience?: string; ttl?: number; iatOffset?: number } = {},
): Promise<string> {
  const iat = Math.floor(t.clock.now().getTime() / 1000) + (options.iatOffset ?? 0);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
    .setSubject((claims.sub as string | undefined) ?? 'user-1')
    .setIssuer(options.issuer ?? ISSUER)
    .setAudience(options.audience ?? AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(iat + (options.ttl ?? 300))
    .sign(key.privateKey);
}

const asOperator = (token: string) => t.call('GET', '/v1/registry/shops', { token });

describe('bearer tokens from the OpenID Connect provider', () => {
  it('accepts RS256, ES256 and EdDSA tokens of the provider, role from swl_role or the realm roles', async () => {
    for (const key of [rsa, ec, ed]) expect((await asOperator(await mint(key, { swl_role: 'operator' }))).status).toBe(200);
    const realm = await mint(rsa, { realm_access: { roles: ['offline_access', 'uma_authorization', 'auditor'] } });
    expect((await t.call('GET', '/v1/registry/shops', { token: realm })).status).toBe(200);
    const citizen = await mint(rsa, { sub: 'kc-user-7', swl_role: 'citizen', family_id: 'fam-oidc-1', person_id: 'person-oidc-1' });
    expect((await t.call('GET', '/v1/me/vouchers', { token: citizen })).status).toBe(200);
  });

  it('maps shop and device claims to the subject the routes check (the registry then refuses the strangers)', async () => {
    const till = await mint(ec, { sub: 'till-9', swl_role: 'merchant', shop_id: 'shop-oidc-1' });
    const balance = await t.call('POST', '/v1/shop/balance', { token: till, body: { token: 'x.y.z' } });
    expect([balance.status, balance.body.code]).toEqual([403, 'shop_not_registered']);
    const device = await mint(ed, { sub: 'svc-device-3', swl_role: 'canteen-device', device_id: 'dev-oidc-3', school_id: 'school-oidc-1' });
    const batch = await t.call('POST', '/v1/canteen/batches', {
      token: device,
      body: { batchId: 'b-1', records: [{ seq: 1, cardIin: '900101300123', scannedAt: '2026-03-05T04:00:00.000Z' }] },
    });
    expect([batch.status, batch.body.code]).toEqual([403, 'device_not_registered']);
  });

  it('refuses a token without a role of ours, with two, or without what its role needs (401)', async () => {
    for (const claims of [
      {},
      { realm_access: { roles: ['operator', 'auditor'] } },
      { swl_role: 'admin' },
      { swl_role: 'merchant' },
      { swl_role: 'canteen-device', device_id: 'd-1' },
    ]) {
      const answer = await asOperator(await mint(rsa, claims));
      expect([answer.status, answer.body.code], JSON.stringify(claims)).toEqual([401, 'unauthorized']);
    }
  });

  it('refuses another issuer, another audience, an expired token and the dev HS256 tokens', async () => {
    const refused = [
      await mint(rsa, { swl_role: 'operator' }, { issuer: 'https://sso.test.kz/realms/other' }),
      await mint(rsa, { swl_role: 'operator' }, { audience: 'another-api' }),
      await mint(rsa, { swl_role: 'operator' }, { iatOffset: -600, ttl: 300 }),
      await t.token({ role: 'operator', sub: 'operator-dev' }),
    ];
    for (const token of refused) {
      const answer = await asOperator(token);
      expect([answer.status, answer.body.code]).toEqual([401, 'unauthorized']);
      expect(answer.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    }
  });

  it('refuses a token of a key the provider does not publish (unknown kid)', async () => {
    const stranger = await providerKey('rsa-unknown', 'RS256');
    const answer = await asOperator(await mint(stranger, { swl_role: 'operator' }));
    expect([answer.status, answer.body.code]).toEqual([401, 'unauthorized']);
    expect(answer.body.detail).toMatch(/unknown kid/);
    // Same kid as a published key, another key: the signature does not verify.
    const impostor = await providerKey('rsa-1', 'RS256');
    expect((await asOperator(await mint(impostor, { swl_role: 'operator' }))).status).toBe(401);
  });

  it('follows a rotation: a new key is fetched when a token names it; a retired one is refused once the set is fetched again', async () => {
    const next = await providerKey('rsa-2', 'RS256');
    const oldToken = await mint(rsa, { swl_role: 'operator', sub: 'rotating-old' });
    provider.publish([rsa, next, ec, ed]);
    expect((await asOperator(await mint(next, { swl_role: 'operator' }))).status).toBe(200);
    expect((await asOperator(oldToken)).status).toBe(200);
    // rsa-1 retired and rsa-3 added: the first token naming rsa-3 makes the service fetch the set again
    // (the set is also fetched when it is OIDC_JWKS_MAX_AGE_MS old), and from then on rsa-1 is unknown.
    const third = await providerKey('rsa-3', 'RS256');
    provider.publish([next, third, ec, ed]);
    expect((await asOperator(await mint(third, { swl_role: 'operator' }))).status).toBe(200);
    const late = await asOperator(await mint(rsa, { swl_role: 'operator', sub: 'rotating-late' }));
    expect([late.status, late.body.detail]).toEqual([401, expect.stringMatching(/unknown kid/)]);
    expect((await asOperator(await mint(next, { swl_role: 'operator', sub: 'rotating-new' }))).status).toBe(200);
  });

  it('answers 503 (not 401) when the provider cannot give its keys, and recovers with it', async () => {
    const unseen = await providerKey('rsa-9', 'RS256');
    provider.setDown(true);
    const answer = await asOperator(await mint(unseen, { swl_role: 'operator' }));
    expect([answer.status, answer.body.code]).toEqual([503, 'service_unavailable']);
    provider.setDown(false);
    provider.publish([unseen, ec, ed]);
    expect((await asOperator(await mint(unseen, { swl_role: 'operator', sub: 'after-outage' }))).status).toBe(200);
  });

  it('keeps the key set: known keys cost no fetch', async () => {
    const before = provider.fetches();
    for (let i = 0; i < 20; i++) expect((await asOperator(await mint(ec, { swl_role: 'operator', sub: `cached-${i}` }))).status).toBe(200);
    expect(provider.fetches()).toBe(before);
  });
});
