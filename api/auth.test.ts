/** The verified-token cache: a token checked once is trusted only until its exp, and only itself. */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../adapters/clock/clock';
import { createAuthenticator, secretKey, signToken, type Principal } from './auth';
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
    const tiny = createAuthenticator(secretKey(SECRET), clock, 1);
    await tiny(`Bearer ${token}`);
    await tiny(`Bearer ${other}`); // evicts the first
    clock.advance(60);
    expect(await refusal(tiny(`Bearer ${token}`))).toBe('unauthorized: The bearer token has expired.');
    expect(await refusal(createAuthenticator(secretKey(SECRET), clock, 0)(`Bearer ${other}`))).toBe('unauthorized: The bearer token has expired.');
  });
});
