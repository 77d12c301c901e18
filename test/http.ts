/** Helpers for API tests over real HTTP: listen on an ephemeral port, call with fetch. */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signToken, type Principal } from '../api/auth';
import type { Clock } from '../adapters/clock/clock';

export interface Served {
  readonly url: string;
  close(): Promise<void>;
}

export async function serve(app: RequestListener): Promise<Served> {
  const server: Server = createServer(app);
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

export interface CallOptions {
  readonly token?: string;
  readonly body?: unknown;
  /** Sent as-is (for malformed bodies); sets no content type unless `contentType` says. */
  readonly raw?: string | Buffer;
  readonly contentType?: string;
  readonly idempotencyKey?: string;
  readonly headers?: Record<string, string>;
}

export interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly headers: Headers;
  readonly text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly body: any;
}

export function client(baseUrl: string) {
  return async (method: string, path: string, options: CallOptions = {}): Promise<Answer> => {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
    let body: string | Buffer | undefined;
    if (options.raw !== undefined) {
      body = options.raw;
      if (options.contentType) headers['content-type'] = options.contentType;
    } else if (options.body !== undefined) {
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      headers['content-type'] = options.contentType ?? 'application/json';
    }
    const response = await fetch(`${baseUrl}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await response.text();
    const contentType = response.headers.get('content-type') ?? '';
    let parsed: unknown = text;
    if (/json/.test(contentType) && text) parsed = JSON.parse(text);
    return { status: response.status, contentType, headers: response.headers, text, body: parsed };
  };
}

export const tokenFor = (secret: string, clock: Clock) => (principal: Principal, ttlSeconds?: number) =>
  signToken(secret, principal, { now: clock.now(), ...(ttlSeconds !== undefined ? { ttlSeconds } : {}) });
