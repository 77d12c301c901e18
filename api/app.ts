/**
 * The HTTP front door: every route (declared once in api/routes/, served and documented from that
 * declaration) is found by one radix router (find-my-way) and runs one pipeline (api/route.ts
 * `serveRoute`: security headers, metrics, auth, rate limit, body, validation, idempotency, reply)
 * on plain node:http. Unknown routes answer 404 and malformed percent-encoding 400, as problem+json.
 * How paths match is decided in `createRouter` (and tested in api/router.test.ts).
 * Logs (pino, adapters/log/logger.ts): an unexpected failure as one error line with request id,
 * correlation id, route template and the error's code; at debug, one line per request. Never
 * bodies, tokens, IINs, names or phones.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import helmet from 'helmet';
import type { Clock } from '../adapters/clock/clock';
import type { EventStore } from '../adapters/eventstore/port';
import type { Pool } from '../adapters/postgres/pool';
import type { LedgerServices } from '../application/services/contract';
import { DEFAULT_MAX_TOKEN_LIFETIME_SECONDS, createAuthenticator, secretKey } from './auth';
import { createOidcVerifier, type OidcOptions } from './oidc';
import { createContractCheck } from './contract';
import { createIdempotencyStore } from './idempotency';
import type { ApiMetrics } from './metrics';
import { createRegistry, documentRoute, generateDocument, type OpenApiDocument } from './openapi';
import { problem, redactMessage, sendProblem } from './problem';
import { createRateLimiter, DEFAULT_RATE_LIMIT, type RateLimitOptions } from './rate-limit';
import { pathOf, serveRoute, startAnswer, type AnyRoute, type RouteDeps, type ServeRoute } from './route';
import { createRouter } from './router';
import { createLogger, type Logger } from '../adapters/log/logger';
import type { ReadSide } from './read-side';
import type { ExchangeSide } from './exchange-side';
import { systemRoutes, type HealthReport } from './routes/system';
import { listRoutes } from './routes/lists';
import { smsRoutes } from './routes/sms';
import { citizenRoutes } from './routes/citizen';
import { canteenRoutes } from './routes/canteen';
import { shopRoutes } from './routes/shop';
import { reportRoutes } from './routes/reports';
import { opsRoutes } from './routes/ops';
import { evidenceRoutes } from './routes/evidence';
import { peopleRoutes, type ForgettingSide } from './routes/people';
import type { EvidenceSide } from './evidence-side';
import { registryRoutes } from './routes/registry';
import type { RegistryServices } from '../application/services/registry';
import type { RegistryReadSide } from './registry-reads';
import { keyRoutes } from './routes/keys';
import { rosterRoutes } from './routes/roster';
import { catalogueRoutes, type CatalogueDoor } from './routes/catalogue';
import type { QrKeySet } from '../adapters/qr/keys';
import { bmgRoutes } from './routes/bmg';
import { feedRoutes } from './routes/feeds';
import { dailyReportRoutes } from './routes/daily-reports';
import { clockRoutes } from './routes/clock';
import { dashboardRoutes } from './routes/dashboard';
import { schoolMealsRoutes } from './routes/school-meals';
import { opsSummaryRoutes } from './routes/ops-summary';
import type { OverviewSide } from './overview-side';
import type { ClockControl } from './clock-control';
import { settlementRoutes, type SettlementDoor } from './routes/settlement';

export interface ApiDeps {
  readonly clock: Clock;
  /** HS256 secret of bearer tokens in dev and tests; not accepted when `oidc` is given. */
  readonly jwtSecret: string;
  /** The OpenID Connect provider whose tokens the API accepts (production; api/oidc.ts). */
  readonly oidc?: OidcOptions;
  /** Bearer tokens living (exp − iat) or aged longer are refused; default 24 h. */
  readonly tokenMaxLifetimeSeconds?: number;
  readonly services: LedgerServices;
  readonly registry: RegistryServices;
  readonly registryReads: RegistryReadSide;
  /** The product catalogue: uploads, the version in force (tills), its versions (auditor). */
  readonly catalogue: CatalogueDoor;
  readonly settlement: SettlementDoor;
  readonly pool: Pool;
  readonly store: EventStore;
  readonly reads: ReadSide;
  /** The QR verification keys published as a JWK Set (GET /.well-known/qr-keys.json); the route exists only with them. */
  readonly qrKeySet?: QrKeySet;
  /** Summaries for the dashboard's pages (a region's табели, the operator's picture); their routes exist only with it. */
  readonly overviews?: OverviewSide;
  /** The hash chain's checkpoints and verifier; its routes exist only with it (Postgres event store). */
  readonly evidence?: EvidenceSide;
  /** Forgetting a person (operator, auditor); its route exists only with it. */
  readonly forgetting?: ForgettingSide;
  readonly exchanges: ExchangeSide;
  readonly metrics: ApiMetrics;
  readonly health: () => Promise<HealthReport>;
  /** Dev mode on a virtual clock only (the demo): an operator may move the clock forward. */
  readonly clockControl?: ClockControl;
  readonly rateLimit?: RateLimitOptions;
  /** Operator log (adapters/log/logger.ts); default: JSON lines on stderr at info. */
  readonly logger?: Logger;
  /** Check every answer against its route's declaration (tests): see `Api.contractViolations`. */
  readonly checkContract?: boolean;
}

export interface Api {
  /** The request listener for `http.createServer`. */
  readonly app: RequestListener;
  readonly openapi: OpenApiDocument;
  /** Every route with its roles ('public' or the list): the security tests iterate it. */
  readonly routes: readonly { readonly method: string; readonly path: string; readonly roles: readonly string[] | 'public' }[];
  /** Answers given outside their route's declaration so far (always empty unless `checkContract`). */
  contractViolations(): readonly string[];
  /** Stops the rate limiter's sweep timer. */
  close(): void;
}

/** HS256 with the shared secret (dev, tests), or the OpenID Connect provider's keys when configured (production). */
function authenticatorOf(deps: ApiDeps) {
  const maxLifetimeSeconds = deps.tokenMaxLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS;
  const verifier = deps.oidc ? { verifier: createOidcVerifier(deps.oidc, deps.clock, maxLifetimeSeconds) } : {};
  return createAuthenticator(secretKey(deps.jwtSecret), deps.clock, { maxLifetimeSeconds, ...verifier });
}

export function createApi(deps: ApiDeps): Api {
  const logger = deps.logger ?? createLogger();
  const limits = deps.rateLimit ?? DEFAULT_RATE_LIMIT;
  const limiter = createRateLimiter(limits);
  const failedAuthLimiter = createRateLimiter({ limit: limits.failedAuthLimit ?? limits.limit, windowSeconds: limits.windowSeconds });
  const securityHeaders = helmetHeaders();
  const contract = deps.checkContract ? createContractCheck() : undefined;
  const routeDeps: RouteDeps = {
    clock: deps.clock,
    authenticate: authenticatorOf(deps),
    idempotency: createIdempotencyStore(deps.pool, deps.clock),
    limiter,
    failedAuthLimiter,
    metrics: deps.metrics,
    securityHeaders,
    logger,
    ...(contract ? { contract } : {}),
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
    ...registryRoutes(deps),
    ...peopleRoutes(deps),
    ...keyRoutes(deps),
    ...bmgRoutes(deps.exchanges),
    ...feedRoutes(deps),
    ...dailyReportRoutes(deps),
    ...rosterRoutes(deps),
    ...catalogueRoutes(deps),
    ...clockRoutes(deps),
    ...(deps.overviews ? [...schoolMealsRoutes({ ...deps, overviews: deps.overviews }), ...opsSummaryRoutes({ ...deps, overviews: deps.overviews })] : []),
    ...dashboardRoutes(),
    ...settlementRoutes(deps),
  ];
  assertDeclared(routes);
  const unmatched = (req: IncomingMessage, res: ServerResponse) => startAnswer(routeDeps, req, res, 'unmatched');
  const router = createRouter({
    notFound(req, res) {
      unmatched(req, res);
      deps.metrics.problems.count('route_not_found', deps.clock.now());
      sendProblem(res, problem('route_not_found', `No route ${req.method} ${redactMessage(pathOf(req).slice(0, 200))}.`));
    },
    badUrl(req, res) {
      unmatched(req, res);
      deps.metrics.problems.count('validation_failed', deps.clock.now());
      sendProblem(res, problem('validation_failed', 'A path segment is not valid percent-encoding.', pathOf(req)));
    },
  });
  for (const route of routes) {
    const pipeline = serveRoute(routeDeps, route);
    // The pipeline answers every failure itself; should answering fail too, the connection is dropped
    // (and logged) rather than left open or rejected into the process.
    const serve: ServeRoute = (req, res, params) =>
      pipeline(req, res, params).catch((error: unknown) => {
        logger.error({ method: req.method, route: route.path, err: error }, 'could not answer; the connection is dropped');
        res.destroy();
      });
    router.add(route.method, route.path, serve);
    documentRoute(registry, route);
  }
  openapi = generateDocument(registry);
  const table = routes.map((r) => ({
    method: r.method.toUpperCase(),
    path: r.path,
    roles: r.roles === 'public' ? ('public' as const) : [...(r.roles as readonly string[])],
  }));
  return {
    app: router.listener,
    openapi,
    routes: table,
    contractViolations: () => contract?.violations() ?? [],
    close: () => (limiter.shutdown(), failedAuthLimiter.shutdown()),
  };
}

const OPERATION_ID = /^[a-z][A-Za-z0-9]*$/;

/**
 * What the types require of a route, checked again where a cast or plain JavaScript could skip
 * it: each names a unique camelCase operation and lists its refusals (`[]` for none).
 */
function assertDeclared(routes: readonly AnyRoute[]): void {
  const seen = new Map<string, string>();
  for (const route of routes) {
    const name = `${route.method.toUpperCase()} ${route.path}`;
    if (typeof route.operationId !== 'string' || !OPERATION_ID.test(route.operationId))
      throw new Error(`${name}: declare an \`operationId\`, camelCase (the name a generated client gives the call); see RouteDef in api/route.ts`);
    const other = seen.get(route.operationId);
    if (other) throw new Error(`${name}: operationId \`${route.operationId}\` is taken by ${other}; operationIds are unique`);
    seen.set(route.operationId, name);
    if (!Array.isArray(route.refusals))
      throw new Error(`${name}: declare \`refusals\`, the codes its handler may refuse with (\`[]\` for none); see RouteDef in api/route.ts`);
    if (Object.keys(route.responses ?? {}).length === 0) throw new Error(`${name}: declare its success \`responses\`; see RouteDef in api/route.ts`);
  }
}

/** helmet's headers for its defaults: static, so computed once instead of by 12 middlewares a request. */
function helmetHeaders(): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const recorder = { setHeader: (name: string, value: string) => (headers[name] = value), removeHeader: () => undefined };
  helmet()({} as IncomingMessage, recorder as unknown as ServerResponse, () => undefined);
  return headers;
}
