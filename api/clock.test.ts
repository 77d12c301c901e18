/**
 * The operator's clock: readable everywhere; movable forward only, in dev mode on a virtual clock
 * (the demo), firing what falls due; a production service refuses with a stable code.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeIin } from '../domain/shared/iin';
import { productionSecrets, startTestSystem, type TestSystem } from '../test/system';

const operator = { role: 'operator', sub: 'op-1' } as const;
const sdu = { role: 'sdu', sub: 'sdu-akmola' } as const;

describe('in dev mode on a virtual clock', () => {
  let t: TestSystem;
  beforeAll(async () => {
    t = await startTestSystem('2026-03-02T04:00:00.000Z');
  });
  afterAll(async () => t?.close());

  it('tells the time and that it may be moved', async () => {
    const answer = await t.call('GET', '/v1/ops/clock', { token: await t.token(operator) });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ now: '2026-03-02T04:00:00.000Z', movable: true });
  });

  it('moves forward and fires the deadlines that fell due (the start SMS waits for the 5th)', async () => {
    const head = makeIin('1990-04-12', 'female', 21);
    await t.system.phones.load([[head, '+77010000021']]);
    const list = await t.call('POST', '/v1/lists/food-vouchers', {
      token: await t.token(sdu),
      body: {
        listId: 'clock-1',
        month: '2026-03',
        rows: [{ familyId: 'fam-clock', city: 'Kokshetau', aspOnDate: '2026-02-28', head: { iin: head }, members: [{ iin: head }] }],
      },
    });
    expect(list.status).toBe(201);
    await t.settle();
    const moved = await t.call('POST', '/v1/ops/clock', { token: await t.token(operator), body: { to: '2026-03-05T10:00:00+05:00' } });
    expect(moved.status).toBe(200);
    expect(moved.body).toEqual({ now: '2026-03-05T05:00:00.000Z', movable: true, deadlinesFired: 1 });
    expect(t.clock.now().toISOString()).toBe('2026-03-05T05:00:00.000Z');
  });

  it('refuses to go back, moving nothing', async () => {
    const answer = await t.call('POST', '/v1/ops/clock', { token: await t.token(operator), body: { to: '2026-03-01T00:00:00Z' } });
    expect(answer.status).toBe(409);
    expect(answer.body.code).toBe('clock_cannot_go_back');
    expect(t.clock.now().toISOString()).toBe('2026-03-05T05:00:00.000Z');
  });

  it('is the operator’s alone', async () => {
    const answer = await t.call('POST', '/v1/ops/clock', { token: await t.token(sdu), body: { to: '2026-03-20T00:00:00Z' } });
    expect(answer.status).toBe(403);
    expect(answer.body.code).toBe('forbidden');
  });
});

/**
 * An identity provider for a production service (it takes tokens from OpenID Connect only): its
 * key set served over HTTP, and an operator's token signed as the provider would.
 */
async function identityProvider() {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k-1', alg: 'ES256', use: 'sig' };
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const issuer = 'https://sso.test.kz/realms/social-wallet';
  const audience = 'social-wallet-api';
  return {
    env: { OIDC_ISSUER: issuer, OIDC_AUDIENCE: audience, OIDC_JWKS_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/certs` },
    operatorToken: (nowMs: number) =>
      new SignJWT({ swl_role: 'operator' })
        .setProtectedHeader({ alg: 'ES256', kid: 'k-1', typ: 'JWT' })
        .setSubject('op-1')
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt(Math.floor(nowMs / 1000))
        .setExpirationTime(Math.floor(nowMs / 1000) + 300)
        .sign(privateKey),
    close: () => new Promise<void>((closed) => server.close(() => closed())),
  };
}

describe('in production', () => {
  let t: TestSystem;
  let provider: Awaited<ReturnType<typeof identityProvider>>;
  beforeAll(async () => {
    provider = await identityProvider();
    t = await startTestSystem('2026-03-02T04:00:00.000Z', { env: { ...productionSecrets(), ...provider.env } });
  });
  afterAll(async () => {
    await t?.close();
    await provider?.close();
  });

  it('refuses to move the clock with clock_not_movable, even a virtual one', async () => {
    const token = await provider.operatorToken(t.clock.now().getTime());
    const answer = await t.call('POST', '/v1/ops/clock', { token, body: { to: '2026-03-20T00:00:00Z' } });
    expect(answer.status).toBe(403);
    expect(answer.body.code).toBe('clock_not_movable');
    expect(t.clock.now().toISOString()).toBe('2026-03-02T04:00:00.000Z');
    const read = await t.call('GET', '/v1/ops/clock', { token });
    expect(read.body).toEqual({ now: '2026-03-02T04:00:00.000Z', movable: false });
  });
});
