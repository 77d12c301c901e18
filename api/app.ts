/**
 * The express app: security headers, metrics, every route (declared once in api/routes/, served
 * and documented from that declaration), 404 and error handling as problem+json.
 * Logs carry method, route template, status and time — never bodies, tokens, IINs or phones.
 */
import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Clock } from '../adapters/clock/clock';
import type { EventStore } from '../adapters/eventstore/port';
import type { Pool } from '../adapters/postgres/pool';
import type { LedgerServices } from '../app/services/contract';
import { createAuthenticator, secretKey } from './auth';
import { createIdempotencyStore } from './idempotency';
import type { ApiMetrics } from './metrics';
import { createRegistry, generateDocument, type OpenApiDocument } from './openapi';
import { problem, problemHandler, redactMessage, sendProblem } from './problem';
import { createRateLimiter, DEFAULT_RATE_LIMIT, type RateLimitOptions } from './rate-limit';
import { mountRoute, type AnyRoute, type RouteDeps } from './route';
import type { ReadSide } from './read-side';
import { systemRoutes, type HealthReport } from './routes/system';
import { listRoutes } from './routes/lists';
import { smsRoutes } from './routes/sms';
import { citizenRoutes } from './routes/citizen';
import { canteenRoutes } from './routes/canteen';
import { shopRoutes } from './routes/shop';
import { reportRoutes } from './routes/reports';
import { opsRoutes } from './routes/ops';

export interface ApiDeps {
  readonly clock: Clock;
  readonly jwtSecret: string;
  readonly services: LedgerServices;
  readonly pool: Pool;
  readonly store: EventStore;
  readonly reads: ReadSide;
  readonly metrics: ApiMetrics;
  readonly health: () => Promise<HealthReport>;
  readonly rateLimit?: RateLimitOptions;
  readonly log?: (line: string) => void;
}

export interface Api {
  readonly app: Express;
  readonly openapi: OpenApiDocument;
  /** Every route with its roles ('public' or the list): the security tests iterate it. */
  readonly routes: readonly { readonly method: string; readonly path: string; readonly roles: readonly string[] | 'public' }[];
  /** Stops the rate limiter's sweep timer. */
  close(): void;
}

export function createApi(deps: ApiDeps): Api {
  const log = deps.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(helmet());
  app.use(deps.metrics.middleware);
  const limiter = createRateLimiter(deps.rateLimit ?? DEFAULT_RATE_LIMIT);
  const routeDeps: RouteDeps = {
    clock: deps.clock,
    authenticate: createAuthenticator(secretKey(deps.jwtSecret), deps.clock),
    idempotency: createIdempotencyStore(deps.pool, deps.clock),
    limiter: limiter.middleware,
    log,
  };
  const registry = createRegistry();
  let openapi: OpenApiDocument | undefined;
  const routes: AnyRoute[] = [
    ...systemRoutes({ ...deps, openapi: () => openapi! }),
    ...listRoutes(deps),
    ...smsRoutes(deps),
    ...citizenRoutes(deps),
    ...canteenRoutes(deps),
    ...shopRoutes(deps),
    ...reportRoutes(deps),
    ...opsRoutes(deps),
  ];
  for (const route of routes) mountRoute(app, registry, routeDeps, route);
  openapi = generateDocument(registry);
  app.use((req, res) => sendProblem(res, problem('route_not_found', `No route ${req.method} ${redactMessage(req.path.slice(0, 200))}.`)));
  app.use(problemHandler(log));
  const table = routes.map((r) => ({ method: r.method.toUpperCase(), path: r.path, roles: r.roles === 'public' ? ('public' as const) : [...(r.roles as readonly string[])] }));
  return { app, openapi, routes: table, close: () => limiter.shutdown() };
}
