import { describe, expect, it } from 'vitest';
import { loadConfig } from '../app/config';
import { DEFAULT_RATE_LIMIT, rateLimitFromConfig } from './rate-limit';

describe('per-client rate limit from configuration', () => {
  it('defaults to the built-in 600 a minute', () => {
    expect(rateLimitFromConfig(loadConfig({}))).toEqual(DEFAULT_RATE_LIMIT);
  });
  it('takes RATE_LIMIT_PER_MINUTE', () => {
    expect(rateLimitFromConfig(loadConfig({ RATE_LIMIT_PER_MINUTE: '6000', AUTH_FAILURES_PER_MINUTE: '30' }))).toEqual({ limit: 6000, windowSeconds: 60, failedAuthLimit: 30 });
  });
  it('names the variable when it is not a positive integer', () => {
    expect(() => loadConfig({ RATE_LIMIT_PER_MINUTE: '0' })).toThrow(/RATE_LIMIT_PER_MINUTE/);
  });
});
