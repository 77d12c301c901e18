/**
 * Idempotency-Key for writes (Stripe's semantics, TigerBeetle's `exists_with_different_*`):
 *   - first request with a key: run it; remember (client, key, route, request hash, response);
 *   - same key, same request: the first response is replayed (header `Idempotent-Replayed: true`);
 *   - same key, another request (other body or route): 409 idempotency_key_reused_with_different_body.
 * The key is also the seed of the command id, so even two concurrent first requests (both miss
 * the table) append the events once: the command path returns the first outcome to the second.
 * Responses are remembered unless the failure is transient (version conflict, internal error,
 * rate limit) or the request never reached the handler (auth, validation): those may be retried.
 */
import { createHash } from 'node:crypto';
import DataLoader from 'dataloader';
import { join } from 'node:path';
import type { Pool } from '../adapters/postgres/pool';
import { sqlMigrationsIn, type Migration } from '../adapters/postgres/migrate';
import type { Clock } from '../adapters/clock/clock';
import { ApiProblem } from './problem';

export const apiMigrations = (): Migration[] => sqlMigrationsIn(join(import.meta.dirname, 'migrations'));

export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const REPLAYED_HEADER = 'Idempotent-Replayed';
/** Keys are opaque to us; bound them so the table stays small and indexable. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;
/** How long a key is remembered; a retry after this is a new request. */
export const IDEMPOTENCY_TTL_SECONDS = 7 * 24 * 60 * 60;
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** Statuses never remembered: the same request may succeed when retried. */
const TRANSIENT_STATUSES = new Set([408, 429, 500, 502, 503, 504]);
const TRANSIENT_CODES = new Set(['version_conflict', 'internal_error', 'rate_limited']);

/** What a handler answers; text bodies only, so a replay is byte-identical. */
export interface StoredReply {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

export function readIdempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || !KEY_PATTERN.test(value))
    throw new ApiProblem('validation_failed', `Idempotency-Key must be 1–${MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters.`, [
      { path: 'headers.idempotency-key', message: 'invalid Idempotency-Key' },
    ]);
  return value;
}

/** JSON with sorted keys: the same data always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export function requestHash(method: string, route: string, input: unknown): string {
  return createHash('sha256').update(`${method} ${route}\n`).update(canonicalJson(input)).digest('hex');
}

export interface IdempotencyStore {
  /** Runs `work` at most once per (client, key) as far as the response goes; see the file comment. */
  run(
    request: { client: string; key: string; route: string; hash: string },
    work: () => Promise<StoredReply>,
  ): Promise<StoredReply & { replayed: boolean }>;
}

/**
 * Lookups and records of requests in flight at the same moment go to Postgres together (one
 * statement per batch, DataLoader, batched per turn of the event loop): at 32 tills that is a
 * few statements where there were dozens. A request still waits for its own record to be stored
 * before it is answered.
 */
export const IDEMPOTENCY_BATCH_MAX = 256;

interface IdempotencyRow {
  readonly client: string;
  readonly key: string;
  readonly route: string;
  readonly request_hash: string;
  readonly status: number;
  readonly content_type: string;
  readonly body: string;
}

export function createIdempotencyStore(pool: Pool, clock: Clock): IdempotencyStore {
  const batching = { cache: false, maxBatchSize: IDEMPOTENCY_BATCH_MAX, batchScheduleFn: (run: () => void) => setImmediate(run) } as const;
  const finder = new DataLoader<{ client: string; key: string }, IdempotencyRow | undefined>(async (wanted) => {
    const { rows } = await pool.query<IdempotencyRow>({
      // Named (prepared once per connection): it runs on every write with a key.
      name: 'swl_idempotency_find_many',
      // LATERAL: one primary-key probe per wanted key, never a hash join over the whole table.
      text: `select i.client, i.key, i.route, i.request_hash, i.status, i.content_type, i.body
             from unnest($1::text[], $2::text[]) as w(client, key)
             cross join lateral (select * from api_idempotency a where a.client = w.client and a.key = w.key) i`,
      values: [wanted.map((w) => w.client), wanted.map((w) => w.key)],
    });
    const found = new Map(rows.map((r) => [`${r.client}\n${r.key}`, r]));
    return wanted.map((w) => found.get(`${w.client}\n${w.key}`));
  }, batching);
  const recorder = new DataLoader<IdempotencyRow & { created_at: string }, true>(async (records) => {
    await pool.query({
      name: 'swl_idempotency_remember_many',
      text: `insert into api_idempotency (client, key, route, request_hash, status, content_type, body, created_at)
             select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::text[], $8::timestamptz[])
             on conflict (client, key) do nothing`,
      values: [
        records.map((r) => r.client),
        records.map((r) => r.key),
        records.map((r) => r.route),
        records.map((r) => r.request_hash),
        records.map((r) => r.status),
        records.map((r) => r.content_type),
        records.map((r) => r.body),
        records.map((r) => r.created_at),
      ],
    });
    return records.map(() => true as const);
  }, batching);
  return {
    async run(request, work) {
      const row = await finder.load({ client: request.client, key: request.key });
      if (row) {
        if (row.request_hash !== request.hash || row.route !== request.route)
          throw new ApiProblem('idempotency_key_reused_with_different_body');
        return { status: row.status, contentType: row.content_type, body: row.body, replayed: true };
      }
      const reply = await work();
      if (remembered(reply)) {
        await recorder.load({
          client: request.client,
          key: request.key,
          route: request.route,
          request_hash: request.hash,
          status: reply.status,
          content_type: reply.contentType,
          body: reply.body,
          created_at: clock.now().toISOString(),
        });
      }
      return { ...reply, replayed: false };
    },
  };
}

function remembered(reply: StoredReply): boolean {
  if (TRANSIENT_STATUSES.has(reply.status)) return false;
  if (reply.status < 400) return true;
  try {
    const code = (JSON.parse(reply.body) as { code?: unknown }).code;
    return typeof code !== 'string' || !TRANSIENT_CODES.has(code);
  } catch {
    return true;
  }
}

/** Forgets keys older than the TTL; the scheduler or an operator may call it. */
export async function sweepIdempotency(pool: Pool, clock: Clock): Promise<number> {
  const cutoff = new Date(clock.now().getTime() - IDEMPOTENCY_TTL_SECONDS * 1000).toISOString();
  const result = await pool.query('delete from api_idempotency where created_at < $1', [cutoff]);
  return result.rowCount ?? 0;
}
