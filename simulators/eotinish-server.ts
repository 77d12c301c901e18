/**
 * A stand-in e-Otinish over real HTTP, for tests and simulations: it takes appeals on
 * POST /appeals as the adapter's contract says (adapters/eotinish/eotinish.ts), keeps one per
 * Idempotency-Key (a repeat answers the first reference), and can fail on purpose: the first N
 * requests answered 503, or an appeal recorded but its answer never sent (the client times out).
 * Listens on 127.0.0.1 only.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedAppeal {
  readonly externalId: string;
  readonly program: string;
  readonly kind: string;
  readonly rating?: number;
  readonly text?: string;
  readonly addressee: { readonly code: string; readonly name: string };
  readonly concerns: { readonly shopId?: string; readonly schoolId?: string; readonly voucherId?: string };
  readonly submittedAt: string;
  readonly ref: string;
}

export interface TestEotinish {
  readonly url: string;
  /** One per Idempotency-Key, in arrival order. */
  readonly appeals: ReadonlyMap<string, ReceivedAppeal>;
  /** Every request received, accepted or not (key → count). */
  readonly requests: ReadonlyMap<string, number>;
  /** Keys of appeals that got at least one failure answer (503 or a swallowed answer). */
  failedKeys(): ReadonlySet<string>;
  /** Each of the next `count` requests is answered 503. */
  failNext(count: number): void;
  /** Fail the first `count` requests of every appeal (each key) with 503. */
  failFirstTriesPerAppeal(count: number): void;
  /** The next request is recorded but never answered (the client's timeout fires). */
  swallowNext(): void;
  /** Answer this status (e.g. 422) to the next request, as a refusal. */
  refuseNext(status: number): void;
  close(): Promise<void>;
}

async function bodyOf(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startTestEotinish(): Promise<TestEotinish> {
  const appeals = new Map<string, ReceivedAppeal>();
  const requests = new Map<string, number>();
  let failing = 0;
  let perAppeal = 0;
  let swallow = false;
  let refusal: number | undefined;
  const failed = new Set<string>();
  const server: Server = createServer((req, res) => {
    void (async () => {
      const key = String(req.headers['idempotency-key'] ?? '');
      const text = await bodyOf(req);
      const seen = (requests.get(key) ?? 0) + 1;
      requests.set(key, seen);
      const answer = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.method !== 'POST' || req.url !== '/appeals' || !key) return answer(404, { error: 'no such route' });
      if (failing > 0) return (failing--, failed.add(key), answer(503, { error: 'maintenance' }));
      if (seen <= perAppeal) return (failed.add(key), answer(503, { error: 'busy' }));
      if (refusal !== undefined) {
        const status = refusal;
        refusal = undefined;
        return answer(status, { error: 'refused' });
      }
      const earlier = appeals.get(key);
      const appeal: ReceivedAppeal = earlier ?? {
        ...(JSON.parse(text) as Omit<ReceivedAppeal, 'ref'>),
        ref: `EOT-${String(appeals.size + 1).padStart(7, '0')}`,
      };
      appeals.set(key, appeal);
      if (swallow) return void ((swallow = false), failed.add(key)); // recorded, never answered
      answer(earlier ? 200 : 201, { ref: appeal.ref });
    })();
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    appeals,
    requests,
    failedKeys: () => failed,
    failNext: (count) => void (failing = count),
    failFirstTriesPerAppeal: (count) => void (perAppeal = count),
    swallowNext: () => void (swallow = true),
    refuseNext: (status) => void (refusal = status),
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
