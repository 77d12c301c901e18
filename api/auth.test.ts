/** The verified-token cache: a token checked once is trusted only until its exp, and only itself. */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../adapters/clock/clock';
import { SignJWT } from 'jose';
import { createAuthenticator, secretKey, signToken, TOKEN_AUDIENCE, TOKEN_ISSUER, type Principal } from './auth';
import { ApiProblem } from './problem';

const SECRET = 'test-secret-test-secret-test-secret';
const SHOP: Principal = { role: 'merchant', sub: 'shop-1', shopId: 'shop-1' };
const START = new Date('2026-03-10T06:00:00.000Z');

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'accepted';
  } catch (error) {
    return error instanceof ApiProblem ? error.message : String(error);
  }
}

describe('createAuthenticator', () => {
  it('refuses a cached token once the clock reaches its exp', async () => {
    const clock = new VirtualClock(START);
    const authenticate = createAuthenticator(secretKey(SECRET), clock);
    const token = await signToken(SECRET, SHOP, { now: START, ttlSeconds: 60 });
    expect(await authenticate(`Bearer ${token}`)).toEqual(SHOP);
    clock.advance(59);
    expect(await authenticate(`Bearer ${token}`)).toEqual(SHOP);
    clock.advance(1);
    expect(await refusal(authenticate(`Bearer ${token}`))).toBe('unauthorized: The bearer token has expired.');
  });

  it('does not let a cached token vouch for an altered copy of it', async () => {
    const authenticate = createAuthenticator(secretKey(SECRET), new VirtualClock(START));
    const token = await signToken(SECRET, SHOP, { now: START });
    await authenticate(`Bearer ${token}`);
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8'));
    const altered = `${header}.${Buffer.from(JSON.stringify({ ...claims, shopId: 'shop-2' })).toString('base64url')}.${signature}`;
    expect(await refusal(authenticate(`Bearer ${altered}`))).toBe('unauthorized: The bearer token is invalid.');
    expect(await authenticate(`Bearer ${token}`)).toEqual(SHOP);
  });

  it('verifies every token again when the cache holds none (capacity 0) and when one was evicted', async () => {
    const clock = new VirtualClock(START);
    const token = await signToken(SECRET, SHOP, { now: START, ttlSeconds: 60 });
    const other = await signToken(SECRET, { ...SHOP, sub: 'shop-2', shopId: 'shop-2' }, { now: START, ttlSeconds: 60 });
    const tiny = createAuthenticator(secretKey(SECRET), clock, { capacity: 1 });
    await tiny(`Bearer ${token}`);
    await tiny(`Bearer ${other}`); // evicts the first
    clock.advance(60);
    expect(await refusal(tiny(`Bearer ${token}`))).toBe('unauthorized: The bearer token has expired.');
    expect(await refusal(createAuthenticator(secretKey(SECRET), clock, { capacity: 0 })(`Bearer ${other}`))).toBe(
      'unauthorized: The bearer token has expired.',
    );
  });
});

describe('a token’s lifetime', () => {
  const clock = new VirtualClock(START);
  const authenticate = createAuthenticator(secretKey(SECRET), clock, { maxLifetimeSeconds: 3600 });
  const at = Math.floor(START.getTime() / 1000);
  /** A correctly signed token with exactly these time claims. */
  const signed = (claims: { iat?: number; exp?: number }) => {
    let jwt = new SignJWT({ role: 'merchant', shopId: 'shop-1' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('shop-1')
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE);
    if (claims.iat !== undefined) jwt = jwt.setIssuedAt(claims.iat);
    if (claims.exp !== undefined) jwt = jwt.setExpirationTime(claims.exp);
    return jwt.sign(secretKey(SECRET));
  };

  it('is accepted up to the configured maximum', async () => {
    expect(await authenticate(`Bearer ${await signed({ iat: at, exp: at + 3600 })}`)).toEqual(SHOP);
  });
  it('is refused beyond it (exp − iat), however fresh the token', async () => {
    expect(await refusal(authenticate(`Bearer ${await signed({ iat: at, exp: at + 3601 })}`))).toMatch(/lives longer than 3600 s/);
  });
  it('is refused without exp, or without iat (no lifetime to judge)', async () => {
    expect(await refusal(authenticate(`Bearer ${await signed({ iat: at })}`))).toBe('unauthorized: The bearer token is invalid.');
    expect(await refusal(authenticate(`Bearer ${await signed({ exp: at + 60 })}`))).toBe('unauthorized: The bearer token is invalid.');
  });
  it('is refused when issued in the future', async () => {
    expect(await refusal(authenticate(`Bearer ${await signed({ iat: at + 600, exp: at + 1200 })}`))).toBe('unauthorized: The bearer token is invalid.');
  });
});
