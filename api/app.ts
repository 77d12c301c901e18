/**
 * The HTTP front door: every route (declared once in api/routes/, served and documented from that
 * declaration) runs one pipeline (api/route.ts `serveRoute`: security headers, metrics, auth, rate
 * limit, body, validation, idempotency, reply). Express routes the requests; the routes marked
 * `hot` — what tills, canteen devices, the SMS gateway and the parents' app call per transaction —
 * are found first by find-my-way, which skips express's own per-request work (measured in
 * docs/SIMULATION.md). Unknown routes answer 404 as problem+json.
 * Logs (pino, adapters/log/logger.ts): an unexpected failure as one error line with request id,
 * correlation id, route template and the error's code; at debug, one line per request. Never
 * bodies, tokens, IINs, names or phones.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import express from 'express';
import findMyWay from 'find-my-way';
import helmet from 'helmet';
import type { Clock } from '../adapters/clock/clock';
import type { EventStore } from '../adapters/eventstore/port';
import type { Pool } from '../adapters/postgres/pool';
import type { LedgerServices } from '../application/services/contract';
import { createAuthenticator, secretKey } from './auth';
import { createIdempotencyStore } from './idempotency';
import type { ApiMetrics } from './metrics';
import { createRegistry, generateDocument, type OpenApiDocument } from './openapi';
import { problem, problemHandler, redactMessage, sendProblem } from './problem';
import { createRateLimiter, DEFAULT_RATE_LIMIT, type RateLimitOptions } from './rate-limit';
import { documentRoute, logFailure, routerPath, serveRoute, startAnswer, type AnyRoute, type RouteDeps, type ServeRoute } from './route';
import { createLogger, type Logger } from '../adapters/log/logger';
import type { ReadSide } from './read-side';
import { systemRoutes, type HealthReport } from './routes/system';
import { listRoutes } from './routes/lists';
import { smsRoutes } from './routes/sms';
import { citizenRoutes } from './routes/citizen';
import { canteenRoutes } from './routes/canteen';
import { shopRoutes } from './routes/shop';
import { reportRoutes } from './routes/reports';
import { opsRoutes } from './routes/ops';
import { evidenceRoutes } from './routes/evidence';
import type { EvidenceSide } from './evidence-side';

export interface ApiDeps {
  readonly clock: Clock;
  readonly jwtSecret: string;
  /** Bearer tokens living (exp − iat) or aged longer are refused; default 24 h. */
  readonly tokenMaxLifetimeSeconds?: number;
  readonly services: LedgerServices;
  readonly pool: Pool;
  readonly store: EventStore;
  readonly reads: ReadSide;
  /** The hash chain's checkpoints and verifier; its routes exist only with it (Postgres event store). */
  readonly evidence?: EvidenceSide;
  readonly metrics: ApiMetrics;
  readonly health: () => Promise<HealthReport>;
  readonly rateLimit?: RateLimitOptions;
  /** Operator log (adapters/log/logger.ts); default: JSON lines on stderr at info. */
  readonly logger?: Logger;
}

export interface Api {
  /** The request listener for `http.createServer`. */
  readonly app: RequestListener;
  readonly openapi: OpenApiDocument;
  /** Every route with its roles ('public' or the list): the security tests iterate it. */
  readonly routes: readonly { readonly method: string; readonly path: string; readonly roles: readonly string[] | 'public' }[];
  /** Stops the rate limiter's sweep timer. */
  close(): void;
}

export function createApi(deps: ApiDeps): Api {
  const logger = deps.logger ?? createLogger();
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const limits = deps.rateLimit ?? DEFAULT_RATE_LIMIT;
  const limiter = createRateLimiter(limits);
  const failedAuthLimiter = createRateLimiter({ limit: limits.failedAuthLimit ?? limits.limit, windowSeconds: limits.windowSeconds });
  const securityHeaders = helmetHeaders();
  const routeDeps: RouteDeps = {
    clock: deps.clock,
    authenticate: createAuthenticator(secretKey(deps.jwtSecret), deps.clock, deps.tokenMaxLifetimeSeconds !== undefined ? { maxLifetimeSeconds: deps.tokenMaxLifetimeSeconds } : {}),
    idempotency: createIdempotencyStore(deps.pool, deps.clock),
    limiter,
    failedAuthLimiter,
    metrics: deps.metrics,
    securityHeaders,
    logger,
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
    ...evidenceRoutes(deps),
  ];
  const hot = findMyWay();
  for (const route of routes) {
    const pipeline = serveRoute(routeDeps, route);
    // The pipeline answers every failure itself; should answering fail too, the connection is dropped
    // (and logged) rather than left open or rejected into the process.
    const serve: ServeRoute = (req, res, params) =>
      pipeline(req, res, params).catch((error: unknown) => {
        logger.error({ method: req.method, route: route.path, err: error }, 'could not answer; the connection is dropped');
        res.destroy();
      });
    app[route.method](routerPath(route.path), (req, res) => serve(req, res, req.params as Record<string, string>));
    if (route.hot) hot.on(route.method.toUpperCase() as 'POST', routerPath(route.path), () => undefined, serve);
    documentRoute(registry, route);
  }
  openapi = generateDocument(registry);
  const unmatched = (req: IncomingMessage, res: ServerResponse) => startAnswer(routeDeps, req, res, 'unmatched');
  app.use((req, res) => {
    unmatched(req, res);
    sendProblem(res, problem('route_not_found', `No route ${req.method} ${redactMessage(req.path.slice(0, 200))}.`));
  });
  app.use(problemHandler((error, req, res) => logFailure(logger, req, res, 'unmatched', error), unmatched));
  const table = routes.map((r) => ({ method: r.method.toUpperCase(), path: r.path, roles: r.roles === 'public' ? ('public' as const) : [...(r.roles as readonly string[])] }));
  const listener: RequestListener = (req, res) => {
    const found = hot.find(req.method as 'POST', req.url ?? '/');
    if (found) void (found.store as ServeRoute)(req, res, found.params);
    else app(req, res);
  };
  return { app: listener, openapi, routes: table, close: () => (limiter.shutdown(), failedAuthLimiter.shutdown()) };
}

/** helmet's headers for its defaults: static, so computed once instead of by 12 middlewares a request. */
function helmetHeaders(): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const recorder = { setHeader: (name: string, value: string) => (headers[name] = value), removeHeader: () => undefined };
  helmet()({} as IncomingMessage, recorder as unknown as ServerResponse, () => undefined);
  return headers;
}
