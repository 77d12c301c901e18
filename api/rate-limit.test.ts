import { describe, expect, it } from 'vitest';
import { loadConfig } from '../app/config';
import { ApiProblem } from './problem';
import { DEFAULT_RATE_LIMIT, createRateLimiter, ipClientKey, rateLimitFromConfig } from './rate-limit';

describe('per-client rate limit from configuration', () => {
  it('defaults to the built-in 600 a minute', () => {
    expect(rateLimitFromConfig(loadConfig({}))).toEqual(DEFAULT_RATE_LIMIT);
  });
  it('takes RATE_LIMIT_PER_MINUTE', () => {
    expect(rateLimitFromConfig(loadConfig({ RATE_LIMIT_PER_MINUTE: '6000', AUTH_FAILURES_PER_MINUTE: '30' }))).toEqual({
      limit: 6000,
      windowSeconds: 60,
      failedAuthLimit: 30,
    });
  });
  it('names the variable when it is not a positive integer', () => {
    expect(() => loadConfig({ RATE_LIMIT_PER_MINUTE: '0' })).toThrow(/RATE_LIMIT_PER_MINUTE/);
  });
});

describe('the limiter', () => {
  it('counts each client in its own window and refuses past the limit with Retry-After', async () => {
    const limiter = createRateLimiter({ limit: 3, windowSeconds: 60 });
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await limiter.check('merchant:a'));
    // reset: the seconds left of the window, 60 unless the machine stalls.
    expect(answers.map((headers) => (headers.RateLimit ?? '').replace(/reset=(59|60)$/, 'reset=60'))).toEqual([
      'limit=3, remaining=2, reset=60',
      'limit=3, remaining=1, reset=60',
      'limit=3, remaining=0, reset=60',
    ]);
    expect(answers[0]!['RateLimit-Policy']).toBe('3;w=60');
    const refused = await limiter.check('merchant:a').then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(ApiProblem);
    expect(refused).toMatchObject({
      code: 'rate_limited',
      headers: { 'Retry-After': '60', RateLimit: expect.stringMatching(/^limit=3, remaining=0, reset=(59|60)$/) },
    });
    expect((await limiter.check('merchant:b')).RateLimit).toMatch(/^limit=3, remaining=2, reset=(59|60)$/);
  });
});

describe('the key of a client without a token', () => {
  it('is its IPv4 address, or the /56 of its IPv6 address (IPv4 written as IPv6 counts as IPv4)', () => {
    const cases: [string, string][] = [
      ['203.0.113.7', '203.0.113.7'],
      ['::ffff:203.0.113.7', '203.0.113.7'],
      ['::ffff:cb00:7107', '203.0.113.7'],
      ['2001:db8:abcd:12ff:1:2:3:4', '2001:db8:abcd:1200::/56'],
      ['2001:db8:abcd:1234::1', '2001:db8:abcd:1200::/56'],
      ['::1', '::/56'],
    ];
    for (const [address, key] of cases) expect(ipClientKey(address), address).toBe(key);
  });
});
