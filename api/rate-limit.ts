/**
 * Per-client rate limits: one fixed window per token subject when authenticated (role:sub), per
 * IP otherwise, counted in express-rate-limit's MemoryStore. Requests whose token is missing or
 * bad (401) are counted apart, per IP, against a smaller budget: someone trying tokens gets 429
 * once past it, while a valid token from the same address (a school's NAT) still works. The answer past the limit is a
 * problem (`rate_limited`, 429) with Retry-After; every limited response carries the draft-7
 * `RateLimit` and `RateLimit-Policy` headers. The store is per process; behind a load balancer each
 * process limits on its own (good enough against a runaway client; a shared store is a deployment
 * choice). The route pipeline calls `check` itself: express-rate-limit's middleware wrapper cost
 * ≈ 21 µs a request here, most of a POS request's non-database budget.
 */
import { MemoryStore, type Options } from 'express-rate-limit';
import { ApiProblem } from './problem';

export interface RateLimitOptions {
  /** Requests per window per client. */
  readonly limit: number;
  readonly windowSeconds: number;
  /** Requests with a missing or bad token per window per IP (default: `limit`). */
  readonly failedAuthLimit?: number;
}

/** A POS or canteen device at peak sends a few requests a second; a list upload is rare; a client with a good token fails auth rarely. */
export const DEFAULT_RATE_LIMIT: RateLimitOptions = { limit: 600, windowSeconds: 60, failedAuthLimit: 60 };

/** The limits from configuration (RATE_LIMIT_PER_MINUTE, default 600; AUTH_FAILURES_PER_MINUTE, default 60). */
export function rateLimitFromConfig(config: { readonly RATE_LIMIT_PER_MINUTE: number; readonly AUTH_FAILURES_PER_MINUTE: number }): RateLimitOptions {
  return { limit: config.RATE_LIMIT_PER_MINUTE, windowSeconds: 60, failedAuthLimit: config.AUTH_FAILURES_PER_MINUTE };
}

export interface RateLimiter {
  /** Counts one request of `client`: the headers to send, or a `rate_limited` problem past the limit. */
  check(client: string): Promise<Readonly<Record<string, string>>>;
  /** Stops the store's sweep timer. */
  shutdown(): void;
}

export function createRateLimiter(options: RateLimitOptions = DEFAULT_RATE_LIMIT): RateLimiter {
  const windowMs = options.windowSeconds * 1000;
  const store = new MemoryStore();
  store.init({ windowMs } as Options);
  const policy = `${options.limit};w=${options.windowSeconds}`;
  return {
    async check(client) {
      const { totalHits, resetTime } = await store.increment(client);
      const reset = Math.max(0, Math.ceil(((resetTime?.getTime() ?? 0) - Date.now()) / 1000));
      const headers = {
        'RateLimit-Policy': policy,
        RateLimit: `limit=${options.limit}, remaining=${Math.max(0, options.limit - totalHits)}, reset=${reset}`,
      };
      if (totalHits > options.limit) throw new ApiProblem('rate_limited', undefined, undefined, { ...headers, 'Retry-After': String(options.windowSeconds) });
      return headers;
    },
    shutdown: () => store.shutdown(),
  };
}
