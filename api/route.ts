/**
 * One declaration per endpoint gives both the served route and its OpenAPI entry, so the
 * document cannot drift from what is served. Per request, in this order (`serveRoute`, on plain
 * node:http once api/router.ts has found the route):
 *   metrics + security headers → authenticate + role (401/403) → rate limit (per token subject)
 *   → body read within the route's named size limit (413/415/malformed_json) → zod validation of
 *   params, query and body (400 with field paths) → Idempotency-Key → handler → reply.
 * Handlers return a `Reply` instead of writing to `res`, so idempotent replays are exact.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import { nanoid } from 'nanoid';
import { z } from 'zod';
import type { Clock } from '../adapters/clock/clock';
import type { Code } from '../domain/shared/codes';
import type { CommandMetadata } from '../domain/shared/decider';
import { actorOf, clientKeyOf, requireRole, type Principal, type PrincipalOf, type Role } from './auth';
import { ApiProblem, PROBLEM_CONTENT_TYPE, sendProblem, toProblem, type FieldError } from './problem';
import { bodyTypeOf, parseJson, readText } from './body';
import type { ContractCheck } from './contract';
import type { ApiMetrics } from './metrics';
import { ipClientKey, type RateLimiter } from './rate-limit';
import { IDEMPOTENCY_HEADER, REPLAYED_HEADER, readIdempotencyKey, requestHash, type IdempotencyStore, type StoredReply } from './idempotency';
import { unstorableText } from './schemas';
import type { Logger } from '../adapters/log/logger';

/** Named body limits: most bodies are small; lists and canteen batches are the big ones. */
export const BODY_LIMITS = {
  /** A command: activate, authorize a basket, an SMS reply. */
  small: 64 * 1024,
  /** A canteen device's offline batch (≤ MAX_CANTEEN_BATCH records). */
  batch: 1024 * 1024,
  /** An eligibility list (≤ MAX_LIST_ROWS rows), JSON or CSV. */
  list: 8 * 1024 * 1024,
} as const;
export type BodyLimit = keyof typeof BODY_LIMITS;

export type Reply =
  | { readonly status: number; readonly json: unknown; readonly headers?: Readonly<Record<string, string>> }
  | { readonly status: number; readonly text: string; readonly contentType: string; readonly headers?: Readonly<Record<string, string>> }
  | { readonly status: number; readonly buffer: Buffer; readonly contentType: string; readonly headers?: Readonly<Record<string, string>> };

export const json = (status: number, body: unknown, headers?: Record<string, string>): Reply => ({ status, json: body, ...(headers ? { headers } : {}) });
export const text = (status: number, contentType: string, body: string, headers?: Record<string, string>): Reply => ({
  status,
  text: body,
  contentType,
  ...(headers ? { headers } : {}),
});

export interface Ctx<R extends Role, P, Q, B> {
  readonly principal: PrincipalOf<R>;
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  /** commandId = the Idempotency-Key scoped to the client, or a fresh id. */
  readonly meta: CommandMetadata;
  readonly idempotencyKey: string | undefined;
  readonly req: IncomingMessage;
}

type AnyObject = z.ZodObject<z.ZodRawShape>;

/**
 * A success answer of a route, as documented, and as the tests check every reply against it
 * (api/contract.ts): a JSON body with its schema, and/or documents in the media types named (a
 * report as CSV, a QR as PNG); neither for an answer without a body (204).
 */
export interface SuccessAnswer {
  readonly description: string;
  /** The JSON body. */
  readonly schema?: z.ZodType;
  /** Media types (without parameters) of the other bodies this status may carry. */
  readonly documents?: readonly string[];
}

export interface RouteDef<R extends Role, P extends AnyObject, Q extends AnyObject, B extends z.ZodType> {
  readonly method: 'get' | 'post' | 'put' | 'delete';
  /** OpenAPI style: `/v1/me/vouchers/{voucherId}`. */
  readonly path: string;
  /** camelCase and unique: the name a generated client gives the call (`authorizePurchase`). */
  readonly operationId: string;
  /** 'public' routes need no token (health, docs). */
  readonly roles: readonly R[] | 'public';
  readonly tag: string;
  readonly summary: string;
  readonly description?: string;
  readonly params?: P;
  readonly query?: Q;
  readonly body?: B;
  readonly bodyLimit?: BodyLimit;
  /** Accept `text/csv` too: turns the text (and the validated query) into the body's input. */
  readonly csv?: (csvText: string, query: z.infer<Q>) => unknown;
  /** Writes (not GET) take an Idempotency-Key whether declared or not; 'required' refuses one without. */
  readonly idempotency?: 'required' | 'optional';
  /**
   * 'ledger': the handler answers a repeat of its command (the same key, so the same command id)
   * from the command's events, byte for byte as it answered first (api/flows.test.ts shows it per
   * route), so its success answers are remembered without waiting for the disk (api/idempotency.ts).
   */
  readonly repeatsAnsweredBy?: 'ledger';
  /** Every success status the handler answers with. */
  readonly responses: Readonly<Record<number, SuccessAnswer>>;
  /**
   * The codes (domain/shared/codes.ts) the handler refuses with, its services' and its own; `[]`
   * when none. The pipeline's own (token 401/403, rate limit 429, request 400/413/415,
   * Idempotency-Key 400/409, a sick database 503, 500) follow from the rest of the declaration
   * (`problemCodesOf`); a public route that reads Postgres lists `service_unavailable` itself.
   */
  readonly refusals: readonly Code[];
  /** Whether the route is rate limited (default yes; health and metrics are not). */
  readonly limited?: boolean;
  handle(ctx: Ctx<R, z.infer<P>, z.infer<Q>, z.infer<B>>): Promise<Reply>;
}

// The registry needs one type for all routes; handlers stay typed through defineRoute.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRoute = RouteDef<any, any, any, any>;

export function defineRoute<
  const R extends Role,
  P extends AnyObject = z.ZodObject<Record<never, never>>,
  Q extends AnyObject = z.ZodObject<Record<never, never>>,
  B extends z.ZodType = z.ZodUndefined,
>(def: RouteDef<R, P, Q, B>): RouteDef<R, P, Q, B> {
  return def;
}

/** Every code a route may answer with as a problem: its refusals and what its declaration implies. */
export function problemCodesOf(def: AnyRoute): readonly Code[] {
  const codes = new Set<Code>(def.refusals);
  // Params and query, and an Idempotency-Key header that is not one, on any route.
  codes.add('validation_failed');
  if (def.roles !== 'public') {
    codes.add('unauthorized');
    codes.add('forbidden');
    // Every authenticated route reads or writes Postgres (idempotency, streams, read models).
    codes.add('service_unavailable');
    if (def.method !== 'get') codes.add('storage_full');
  }
  if (def.limited !== false) codes.add('rate_limited');
  if (def.body) for (const code of BODY_CODES) codes.add(code);
  if (def.method !== 'get') codes.add('idempotency_key_reused_with_different_body');
  if (def.idempotency === 'required') codes.add('idempotency_key_required');
  codes.add('internal_error');
  return [...codes];
}
const BODY_CODES = ['malformed_json', 'payload_too_large', 'unsupported_media_type'] as const satisfies readonly Code[];

export interface RouteDeps {
  readonly clock: Clock;
  /** Bearer header → principal (401 problems); see createAuthenticator. */
  readonly authenticate: (header: string | undefined) => Promise<Principal>;
  readonly idempotency: IdempotencyStore;
  readonly limiter: RateLimiter;
  /** Counts requests whose token is missing or bad, per IP. */
  readonly failedAuthLimiter: RateLimiter;
  readonly metrics: ApiMetrics;
  /** Sent with every response (helmet's, computed once). */
  readonly securityHeaders: Readonly<Record<string, string>>;
  readonly logger: Logger;
  /** Checks every answer against its route's declaration (tests); see api/contract.ts. */
  readonly contract?: ContractCheck;
}

/** One declared route, served: the router passes the path's params, decoded. */
export type ServeRoute = (req: IncomingMessage, res: ServerResponse, params: Readonly<Record<string, string | undefined>>) => Promise<void>;

/** What every answer starts with, a route's or a 404's: its timing under `label`, and the security headers. */
export function startAnswer(deps: Pick<RouteDeps, 'metrics' | 'securityHeaders'>, req: IncomingMessage, res: ServerResponse, label: string): void {
  deps.metrics.observe(req, res, label);
  for (const name in deps.securityHeaders) res.setHeader(name, deps.securityHeaders[name]!);
}

/**
 * The route's whole pipeline on plain node:http — the same code whichever router dispatches to it.
 * Errors before the handler (auth, rate limit, body, validation) answer as problems and are not
 * remembered by the idempotency store; the handler's refusals are.
 */
export function serveRoute(deps: RouteDeps, def: AnyRoute): ServeRoute {
  const limit = BODY_LIMITS[def.bodyLimit ?? 'small'];
  const roles = def.roles === 'public' ? undefined : (def.roles as readonly Role[]);
  const limited = def.limited !== false;
  return async (req, res, rawParams) => {
    const instance = pathOf(req);
    startAnswer(deps, req, res, def.path);
    const trace: RequestTrace = { reqId: undefined, code: undefined, correlationId: undefined };
    // One level check a request; the line itself only at debug (the hot path logs nothing else).
    if (deps.logger.isLevelEnabled('debug')) traceRequest(deps.logger, req, res, def.path, trace);
    const failed = (error: unknown) => logFailure(deps.logger, req, res, def.path, error, trace);
    try {
      const ip = `ip:${ipClientKey(req.socket.remoteAddress ?? '0.0.0.0')}`;
      const authenticated = roles ? await authenticate(deps, req, ip) : undefined;
      const client = authenticated ? clientKeyOf(authenticated) : ip;
      if (limited) {
        const headers = await deps.limiter.check(client);
        for (const name in headers) res.setHeader(name, headers[name]!);
      }
      // After the count: a token used on routes of other roles spends its own budget too.
      const principal = authenticated ? requireRole(authenticated, roles!) : undefined;
      const type = def.body ? bodyTypeOf(req, def.csv !== undefined) : undefined;
      const kind = type?.kind;
      const text = type ? await readText(req, limit, type.decoder) : undefined;
      const params = parsePart('params', def.params, { ...rawParams });
      const query = parsePart('query', def.query, queryOf(req));
      const rawBody = kind === 'csv' ? def.csv!(text!, query) : kind === 'json' ? parseJson(text!) : undefined;
      const body = def.body ? parsePart('body', def.body, rawBody) : undefined;
      const idempotencyKey = readIdempotencyKey(req.headers[IDEMPOTENCY_HEADER]);
      if (def.idempotency === 'required' && !idempotencyKey) throw new ApiProblem('idempotency_key_required');
      const meta: CommandMetadata = {
        commandId: idempotencyKey ? `${client}:${idempotencyKey}` : `api:${nanoid()}`,
        now: deps.clock.now().toISOString(),
        actor: principal ? actorOf(principal) : { role: 'public', id: 'anonymous' },
        correlationId: correlationOf(req),
      };
      trace.correlationId = meta.correlationId;
      const ctx = { principal, params, query, body, meta, idempotencyKey, req };
      const run = async (): Promise<Reply> => {
        try {
          const reply = await def.handle(ctx as never);
          if (deps.contract) checkSuccess(deps.contract, def, reply);
          return reply;
        } catch (error) {
          // Refusals become replies here, so that the idempotency store can remember them.
          const { body: problemBody, headers } = toProblem(error, instance, failed);
          trace.code = problemBody.code;
          deps.contract?.refused(def, problemBody.code);
          deps.metrics.problems.count(problemBody.code, deps.clock.now());
          return { status: problemBody.status, text: JSON.stringify(problemBody), contentType: PROBLEM_CONTENT_TYPE, ...(headers ? { headers } : {}) };
        }
      };
      if (idempotencyKey && def.method !== 'get') {
        const hash = requestHash(req.method ?? 'POST', instance, { query, body });
        const request = { client, key: idempotencyKey, route: instance, hash, ledgerAnswersRepeats: def.repeatsAnsweredBy === 'ledger' };
        const stored = await deps.idempotency.run(request, async () => toStored(await run()));
        if (stored.replayed) res.setHeader(REPLAYED_HEADER, 'true');
        write(res, stored.status, stored.contentType, stored.body);
        return;
      }
      send(res, await run());
    } catch (error) {
      const { body, headers } = toProblem(error, instance, failed);
      trace.code = body.code;
      deps.contract?.refused(def, body.code);
      deps.metrics.problems.count(body.code, deps.clock.now());
      sendProblem(res, body, headers);
    }
  };
}

/** What a request's log lines say beyond its route: its request id (made when first logged), the problem code it was answered with, its correlation id. */
export interface RequestTrace {
  reqId: string | undefined;
  code: string | undefined;
  correlationId: string | undefined;
}

/** The client's X-Request-Id when it is a plain id, else a fresh one; the same for every line of the request. */
function requestIdOf(req: IncomingMessage, trace: RequestTrace): string {
  if (trace.reqId) return trace.reqId;
  const given = req.headers['x-request-id'];
  return (trace.reqId = typeof given === 'string' && CORRELATION_PATTERN.test(given) ? given : nanoid());
}

/**
 * An unexpected failure: one error line with the request id (also sent as X-Request-Id, so that
 * the client can report it), the correlation id, method, route template and the error as
 * `safeError` shows it. Never the URL's values, a header or a body.
 */
export function logFailure(
  logger: Logger,
  req: IncomingMessage,
  res: ServerResponse,
  route: string,
  error: unknown,
  trace: RequestTrace = { reqId: undefined, code: undefined, correlationId: undefined },
): void {
  const reqId = requestIdOf(req, trace);
  if (!res.headersSent) res.setHeader('X-Request-Id', reqId);
  const correlationId = trace.correlationId ?? correlationOf(req);
  logger.error({ reqId, correlationId, method: req.method, route, status: 500, code: 'internal_error', err: error }, 'request failed');
}

/** Debug level: one line per answered request (route template, status, problem code, time). */
function traceRequest(logger: Logger, req: IncomingMessage, res: ServerResponse, route: string, trace: RequestTrace): void {
  const started = performance.now();
  res.once('finish', () =>
    logger.debug(
      {
        reqId: requestIdOf(req, trace),
        correlationId: trace.correlationId,
        method: req.method,
        route,
        status: res.statusCode,
        code: trace.code,
        ms: Math.round((performance.now() - started) * 10) / 10,
      },
      'request',
    ),
  );
}

/** The bearer's principal; a missing or bad token is counted against its IP (429 past the budget, else 401). */
async function authenticate(deps: RouteDeps, req: IncomingMessage, ip: string): Promise<Principal> {
  try {
    return await deps.authenticate(req.headers.authorization);
  } catch (error) {
    if (error instanceof ApiProblem && error.code === 'unauthorized') await deps.failedAuthLimiter.check(ip);
    throw error;
  }
}

function checkSuccess(contract: ContractCheck, def: AnyRoute, reply: Reply): void {
  if ('json' in reply) contract.answered(def, reply.status, 'application/json', stringify(reply.json));
  else if ('text' in reply) contract.answered(def, reply.status, reply.contentType, reply.text);
  else contract.answered(def, reply.status, reply.contentType, reply.buffer);
}

/** The path without its query, as the problem's `instance` and the idempotency route. */
export const pathOf = (req: IncomingMessage): string => {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
};

/** `?a=1&a=2&b=x` → { a: ['1', '2'], b: 'x' } (what express's "simple" query parser gave). */
function queryOf(req: IncomingMessage): Record<string, unknown> {
  const url = req.url ?? '';
  const q = url.indexOf('?');
  return q < 0 ? {} : { ...parseQuery(url.slice(q + 1)) };
}

const CORRELATION_PATTERN = /^[A-Za-z0-9._:-]{1,100}$/;
function correlationOf(req: IncomingMessage): string {
  const given = req.headers['x-correlation-id'];
  return typeof given === 'string' && CORRELATION_PATTERN.test(given) ? given : nanoid();
}

function parsePart(part: 'params' | 'query' | 'body', schema: z.ZodType | undefined, value: unknown): unknown {
  if (!schema) return part === 'body' ? undefined : {};
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ApiProblem('validation_failed', `The request ${part} does not match its schema.`, fieldErrors(part, parsed.error));
  const unstorable = unstorableText(parsed.data);
  if (unstorable)
    throw new ApiProblem('validation_failed', `The request ${part} holds text that cannot be stored.`, [
      { path: [part, ...unstorable.path].join('.'), message: unstorable.message },
    ]);
  return parsed.data;
}

/** Zod's messages name the expectation, never the input value, so they are safe to return. */
export function fieldErrors(part: string, error: z.ZodError): FieldError[] {
  return error.issues.slice(0, MAX_FIELD_ERRORS).map((issue) => ({
    path: [part, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
}
/** A list with a thousand bad rows gets the first ones; enough to fix the file. */
const MAX_FIELD_ERRORS = 50;

function toStored(reply: Reply): StoredReply {
  if ('json' in reply) return { status: reply.status, contentType: 'application/json; charset=utf-8', body: stringify(reply.json) };
  if ('text' in reply) return { status: reply.status, contentType: reply.contentType, body: reply.text };
  return { status: reply.status, contentType: reply.contentType, body: reply.buffer.toString('base64') };
}

export function send(res: ServerResponse, reply: Reply): void {
  for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
  if ('json' in reply) write(res, reply.status, 'application/json; charset=utf-8', stringify(reply.json));
  else if ('text' in reply) write(res, reply.status, reply.contentType, reply.text);
  else write(res, reply.status, reply.contentType, reply.buffer);
}

/** Text bodies go out as UTF-8 and say so; 204 and 304 carry no body. */
function write(res: ServerResponse, status: number, contentType: string, body: string | Buffer): void {
  if (status === 204 || status === 304) {
    res.writeHead(status);
    res.end();
    return;
  }
  const type = typeof body === 'string' && !/;\s*charset=/i.test(contentType) ? `${contentType}; charset=utf-8` : contentType;
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': typeof body === 'string' ? Buffer.byteLength(body) : body.length });
  res.end(body);
}

/**
 * bigint positions become numbers when safe, strings otherwise. Most replies carry no bigint and
 * go through plain JSON.stringify (a replacer function is called for every key: it was ≈ 3 % of
 * the service's CPU under POS load); JSON.stringify refuses a bigint with a TypeError, and only
 * then is the value written again with the replacer.
 */
export function stringify(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    return JSON.stringify(value, (_key, v: unknown) =>
      typeof v === 'bigint' ? (v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString()) : v,
    );
  }
}
