/**
 * The simulators' HTTP client: plain node:http with keep-alive sockets (fetch costs more per call
 * than a POS at 1,000 pairs/s can afford). JSON in, JSON out; problem+json answers come back as
 * data (status + code), never as exceptions, so a refusal is counted, not crashed on.
 */
import { Agent, request } from 'node:http';

export interface Reply<T = unknown> {
  readonly status: number;
  readonly body: T;
  /** The problem code for 4xx/5xx answers (application/problem+json), else undefined. */
  readonly code?: string;
  readonly ms: number;
}

export interface CallOptions {
  readonly token?: string;
  readonly body?: unknown;
  readonly idempotencyKey?: string;
  /** Overrides the client's timeout (list uploads take long). */
  readonly timeoutMs?: number;
}

export interface Http {
  readonly baseUrl: string;
  call<T = unknown>(method: string, path: string, options?: CallOptions): Promise<Reply<T>>;
  close(): void;
}

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
  const timeoutMs = options.timeoutMs ?? 60_000;
  return {
    baseUrl,
    call<T>(method: string, path: string, call: CallOptions = {}): Promise<Reply<T>> {
      const started = performance.now();
      const headers: Record<string, string> = { accept: 'application/json' };
      let payload: Buffer | undefined;
      if (call.body !== undefined) {
        payload = Buffer.from(JSON.stringify(call.body));
        headers['content-type'] = 'application/json';
        headers['content-length'] = String(payload.length);
      }
      if (call.token) headers.authorization = `Bearer ${call.token}`;
      if (call.idempotencyKey) headers['idempotency-key'] = call.idempotencyKey;
      return new Promise((resolve, reject) => {
        const req = request(
          { host: url.hostname, port: url.port, method: method.toUpperCase(), path, headers, agent, timeout: call.timeoutMs ?? timeoutMs },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () => {
              const text = Buffer.concat(chunks).toString('utf8');
              const type = res.headers['content-type'] ?? '';
              let body: unknown = text;
              if (text && type.includes('json')) {
                try {
                  body = JSON.parse(text);
                } catch {
                  body = text;
                }
              }
              const status = res.statusCode ?? 0;
              const code = status >= 400 ? ((body as { code?: string } | undefined)?.code ?? `http_${status}`) : undefined;
              resolve({ status, body: body as T, ...(code ? { code } : {}), ms: performance.now() - started });
            });
            res.on('error', reject);
          },
        );
        req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in ${call.timeoutMs ?? timeoutMs} ms`)));
        req.on('error', reject);
        if (payload) req.write(payload);
        req.end();
      });
    },
    close: () => agent.destroy(),
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
