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

export function createIdempotencyStore(pool: Pool, clock: Clock): IdempotencyStore {
  return {
    async run(request, work) {
      // Named (prepared once per connection): these two run on every write with a key.
      const earlier = await pool.query<{ route: string; request_hash: string; status: number; content_type: string; body: string }>({
        name: 'swl_idempotency_find',
        text: 'select route, request_hash, status, content_type, body from api_idempotency where client = $1 and key = $2',
        values: [request.client, request.key],
      });
      const row = earlier.rows[0];
      if (row) {
        if (row.request_hash !== request.hash || row.route !== request.route)
          throw new ApiProblem('idempotency_key_reused_with_different_body');
        return { status: row.status, contentType: row.content_type, body: row.body, replayed: true };
      }
      const reply = await work();
      if (remembered(reply)) {
        await pool.query({
          name: 'swl_idempotency_remember',
          text: `insert into api_idempotency (client, key, route, request_hash, status, content_type, body, created_at)
           values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (client, key) do nothing`,
          values: [request.client, request.key, request.route, request.hash, reply.status, reply.contentType, reply.body, clock.now().toISOString()],
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
