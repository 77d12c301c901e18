/**
 * The simulators' HTTP client is the one integrators would use: openapi-fetch over the types
 * openapi-typescript generates from docs/openapi.json (`npm run client` writes
 * simulators/api-schema.generated.ts; a test fails when it is stale), so every simulation and load
 * test calls the API through its published contract. Only the transport is ours: node:http with
 * keep-alive sockets, plugged in through openapi-fetch's `fetch` and `Request` options, because
 * fetch's own request and response objects cost more per call than a POS at 1,000 pairs/s can
 * afford (bench:e2e). Problem answers come back as data (status + code), never as exceptions, so a
 * refusal is counted, not crashed on.
 */
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import createClient, { createQuerySerializer, type Client } from 'openapi-fetch';
import type { paths } from './api-schema.generated';

/**
 * The typed client: `api.POST('/v1/shop/holds', { params: { header: { 'Idempotency-Key': key } }, body, headers: bearer(token) })`.
 * Answers typed as their JSON bodies: the simulators read reports as JSON, not CSV or HTML.
 */
export type Api = Client<paths, 'application/json'>;

/** The JSON body an operation takes, by path and method: `RequestBody<'/v1/shop/holds', 'post'>`. */
export type RequestBody<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends { requestBody?: { content: { 'application/json': infer B } } }
  ? B
  : never;

export interface Reply<T = unknown> {
  readonly status: number;
  /** The success body; for 4xx/5xx the problem (application/problem+json). */
  readonly body: T;
  /** The problem code for 4xx/5xx answers, else undefined. */
  readonly code?: string;
  readonly ms: number;
}

export interface Http {
  readonly baseUrl: string;
  readonly api: Api;
  /** A call of `api`, answered as a Reply: status, body (success data or the problem), code and time. */
  send<D>(call: Promise<{ data?: D; error?: unknown; response: Response }>): Promise<Reply<D>>;
  /**
   * A request whose path is known only at run time (the fault suite sends acknowledged writes
   * again as they were): the same client and transport, without the types. Everything else calls `api`.
   */
  replay<T = unknown>(method: 'GET' | 'POST', path: string, options: { token: string; body?: unknown; idempotencyKey?: string }): Promise<Reply<T>>;
  close(): void;
}

/** The Authorization header of a bearer token, for a call's `headers`. */
export const bearer = (token: string): { authorization: string } => ({ authorization: `Bearer ${token}` });

/** Only loopback: the load test and the simulator never aim at a shared or production service. */
export function assertLoopback(baseUrl: string): URL {
  const url = new URL(baseUrl);
  if (url.protocol !== 'http:') throw new Error(`${baseUrl}: only http:// on loopback is allowed`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const loopback = host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
  if (!loopback) throw new Error(`${baseUrl}: refusing a non-loopback address (use 127.0.0.1 or localhost)`);
  return url;
}

export function createHttp(baseUrl: string, options: { maxSockets?: number; timeoutMs?: number } = {}): Http {
  const url = assertLoopback(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 64 });
  const origin = url.origin;
  const api = createClient<paths, 'application/json'>({
    baseUrl: origin,
    // Made once: given as options, openapi-fetch would make one per call.
    querySerializer: createQuerySerializer(),
    Request: PlainRequest as unknown as typeof Request,
    fetch: nodeHttpFetch({ host: url.hostname, port: url.port, origin, agent, timeoutMs: options.timeoutMs ?? 60_000 }) as unknown as (
      input: Request,
    ) => Promise<Response>,
  });
  const send: Http['send'] = async (call) => {
    const started = performance.now();
    const { data, error, response } = await call;
    const status = response.status;
    const code = status >= 400 ? ((error as { code?: string } | undefined)?.code ?? `http_${status}`) : undefined;
    return { status, body: (status >= 400 ? error : data) as never, ...(code ? { code } : {}), ms: performance.now() - started };
  };
  return {
    baseUrl,
    api,
    send,
    replay(method, path, options) {
      const headers = { ...bearer(options.token), ...(options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : {}) };
      const untyped = api.request as unknown as (method: string, url: string, init: object) => Promise<{ data?: unknown; error?: unknown; response: Response }>;
      return send(untyped(method, path, { headers, ...(options.body === undefined ? {} : { body: options.body }) })) as never;
    },
    close: () => agent.destroy(),
  };
}

/** What openapi-fetch builds a request from, kept as given: no WHATWG parsing of the URL, headers or body. */
class PlainRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;
  readonly body: string | undefined;
  readonly signal: AbortSignal | undefined;
  constructor(url: string, init: { method: string; headers: Headers; body?: string; signal?: AbortSignal }) {
    this.url = url;
    this.method = init.method;
    this.headers = init.headers;
    this.body = init.body;
    this.signal = init.signal ?? undefined;
  }
}

/** The part of a Response openapi-fetch reads. */
interface PlainResponse {
  readonly status: number;
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
  json(): Promise<unknown>;
}

interface Transport {
  readonly host: string;
  readonly port: string;
  readonly origin: string;
  readonly agent: Agent;
  readonly timeoutMs: number;
}

/**
 * openapi-fetch's `fetch`, on node:http and the keep-alive agent. A call waits `timeoutMs` of
 * silence at most, unless it brings its own `signal` (`AbortSignal.timeout(…)` for a long upload).
 */
function nodeHttpFetch(transport: Transport): (input: PlainRequest) => Promise<PlainResponse> {
  return (input) => {
    const headers: Record<string, string> = {};
    for (const [name, value] of input.headers) headers[name] = value;
    if (input.body !== undefined) headers['content-length'] = String(Buffer.byteLength(input.body));
    const path = input.url.slice(transport.origin.length);
    return sendOnce(transport, input, path, headers).catch((error: NodeJS.ErrnoException & { reusedSocket?: boolean }) => {
      // A kept-alive socket the server closed as idle just as the request went out on it: the server
      // never read the request, so it is sent again on a fresh socket (as node:http's docs advise).
      if (error.reusedSocket && error.code === 'ECONNRESET') return sendOnce(transport, input, path, headers);
      throw error;
    });
  };
}

function sendOnce(transport: Transport, input: PlainRequest, path: string, headers: Record<string, string>): Promise<PlainResponse> {
  return new Promise((resolve, reject) => {
    const timeout = input.signal ? 0 : transport.timeoutMs;
    const req = request({ host: transport.host, port: transport.port, method: input.method, path, headers, agent: transport.agent, timeout }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve(plainResponse(res.statusCode ?? 0, res.headers, Buffer.concat(chunks).toString('utf8'))));
      res.on('error', reject);
    });
    const abort = () => req.destroy(new Error(`${input.method} ${path}: aborted (${String(input.signal?.reason ?? 'signal')})`));
    if (input.signal?.aborted) abort();
    input.signal?.addEventListener('abort', abort, { once: true });
    req.on('timeout', () => req.destroy(new Error(`${input.method} ${path}: no answer in ${transport.timeoutMs} ms`)));
    req.on('error', (error) => reject(Object.assign(error, { reusedSocket: req.reusedSocket })));
    // Written, then ended: one write of headers and body (end(body) sends them as two, writev).
    if (input.body !== undefined) req.write(input.body);
    req.end();
  });
}

function plainResponse(status: number, headers: IncomingHttpHeaders, text: string): PlainResponse {
  return {
    status,
    ok: status >= 200 && status < 300,
    headers: {
      get(name) {
        const value = headers[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
      },
    },
    text: async () => text,
    json: async () => JSON.parse(text),
  };
}

/** Runs `task` over items with at most `concurrency` in flight; results in input order. */
export async function pool<T, R>(items: readonly T[], concurrency: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
