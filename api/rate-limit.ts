/**
 * Per-client rate limits: one fixed window per token subject when authenticated (role:sub), per
 * IP otherwise (an IPv6 client by its /56, `ipClientKey`), counted in rate-limiter-flexible's
 * memory store. Requests whose token is missing or bad (401) are counted apart, per IP, against a
 * smaller budget: someone trying tokens gets 429 once past it, while a valid token from the same
 * address (a school's NAT) still works. The answer past the limit is a problem (`rate_limited`,
 * 429) with Retry-After; every limited response carries the draft-7 `RateLimit` and
 * `RateLimit-Policy` headers. The store is per process; behind a load balancer each process
 * limits on its own (good enough against a runaway client; a shared store is a deployment choice).
 */
import { isIPv6 } from 'node:net';
import { Address6 } from 'ip-address';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
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
  const store = new RateLimiterMemory({ points: options.limit, duration: options.windowSeconds });
  const policy = `${options.limit};w=${options.windowSeconds}`;
  const headersOf = (counted: RateLimiterRes) => ({
    'RateLimit-Policy': policy,
    RateLimit: `limit=${options.limit}, remaining=${counted.remainingPoints}, reset=${Math.max(0, Math.ceil(counted.msBeforeNext / 1000))}`,
  });
  return {
    async check(client) {
      try {
        return headersOf(await store.consume(client));
      } catch (refused) {
        if (!(refused instanceof RateLimiterRes)) throw refused;
        throw new ApiProblem('rate_limited', undefined, undefined, { ...headersOf(refused), 'Retry-After': String(options.windowSeconds) });
      }
    },
    // The store's timers are unref'd and end with their windows: nothing to stop.
    shutdown: () => undefined,
  };
}

/**
 * The rate-limit key of an unauthenticated client: its IPv4 address, or the /56 of its IPv6 one
 * (a home or office network gets a /56, so rotating addresses within it does not help); an
 * IPv4 address written as IPv6 (::ffff:a.b.c.d, ::a.b.c.d) counts as that IPv4 address.
 */
export function ipClientKey(address: string): string {
  if (!isIPv6(address)) return address;
  const ip = new Address6(address);
  if (ip.isMapped4() || ip.is4()) return ip.to4().correctForm();
  return new Address6(`${address}/${IPV6_CLIENT_PREFIX}`).networkForm();
}
const IPV6_CLIENT_PREFIX = 56;
