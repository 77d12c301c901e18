/**
 * Per-client rate limits (express-rate-limit): one bucket per token subject when authenticated
 * (role:sub), per IP otherwise. The answer is a problem (`rate_limited`, 429) with Retry-After.
 * The in-memory store is per process; behind a load balancer each process limits on its own
 * (good enough against a runaway client; a shared store is a deployment choice).
 */
import { rateLimit, ipKeyGenerator, MemoryStore } from 'express-rate-limit';
import type { RequestHandler } from 'express';
import { clientKeyOf, type Principal } from './auth';
import { problem, sendProblem } from './problem';

export interface RateLimitOptions {
  /** Requests per window per client. */
  readonly limit: number;
  readonly windowSeconds: number;
}

/** A POS or canteen device at peak sends a few requests a second; a list upload is rare. */
export const DEFAULT_RATE_LIMIT: RateLimitOptions = { limit: 600, windowSeconds: 60 };

/** The per-client limit from configuration (RATE_LIMIT_PER_MINUTE, default 600 a minute). */
export function rateLimitFromConfig(config: { readonly RATE_LIMIT_PER_MINUTE: number }): RateLimitOptions {
  return { limit: config.RATE_LIMIT_PER_MINUTE, windowSeconds: 60 };
}

export function createRateLimiter(options: RateLimitOptions = DEFAULT_RATE_LIMIT): { middleware: RequestHandler; shutdown(): void } {
  const store = new MemoryStore();
  const middleware = rateLimit({
    windowMs: options.windowSeconds * 1000,
    limit: options.limit,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    store,
    keyGenerator: (req, res) => {
      const principal = res.locals.principal as Principal | undefined;
      return principal ? clientKeyOf(principal) : `ip:${ipKeyGenerator(req.ip ?? '0.0.0.0')}`;
    },
    handler: (req, res, _next, used) => {
      const retryAfter = Math.ceil(used.windowMs / 1000);
      sendProblem(res, problem('rate_limited', undefined, req.originalUrl.split('?')[0]), { 'Retry-After': String(retryAfter) });
    },
  });
  return { middleware, shutdown: () => store.shutdown() };
}
