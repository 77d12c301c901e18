/**
 * Idempotency-Key for writes (Stripe's semantics, TigerBeetle's `exists_with_different_*`):
 *   - first request with a key: run it; remember (client, key, route, request hash, response);
 *   - same key, same request: the first response is replayed (header `Idempotent-Replayed: true`);
 *   - same key, another request (other body or route): 409 idempotency_key_reused_with_different_body.
 * Concurrent requests with one key behave as if they came one after the other: the first claims
 * the key (a row without an answer) before it runs; the others, in this process or another, wait
 * for its answer (same request) or are refused at once (another request). The key is also the
 * seed of the command id, so the ledger's events stay single even when a claim is lost.
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
/** As documented (HTTP header names are case-insensitive). */
export const IDEMPOTENCY_HEADER_NAME = 'Idempotency-Key';
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
  run(request: IdempotentRequest, work: () => Promise<StoredReply>): Promise<StoredReply & { replayed: boolean }>;
}

export interface IdempotentRequest {
  readonly client: string;
  readonly key: string;
  readonly route: string;
  readonly hash: string;
  /**
   * The route answers a repeat of its command (the same key, so the same command id) from the
   * ledger's events, exactly as it answered first: its success answers are then remembered without
   * waiting for the disk (see `keepMany`).
   */
  readonly ledgerAnswersRepeats?: boolean;
}

/**
 * The claims and the answers of requests in flight at the same moment go to Postgres together:
 * ONE statement per turn of the event loop (DataLoader, batched per turn) claims the keys of the
 * requests that start and stores the answers of those that end — at 32 tills a few statements
 * where there were dozens, and one where claims and answers took one each. A request still waits
 * for its answer to be stored before it is answered.
 */
export const IDEMPOTENCY_BATCH_MAX = 256;
/**
 * A claim without an answer this old belongs to a process that died mid-request (requests time
 * out after 60 s): the next request with the key takes it over.
 */
export const IDEMPOTENCY_CLAIM_TIMEOUT_SECONDS = 120;
/**
 * A route whose repeats the ledger answers has its success answer stored without waiting for the
 * disk, so a Postgres crash can lose the answer yet keep the claim (a later durable commit flushed
 * it): its retry would wait for the claim to age. It need not: the command id derived from the key
 * keeps the ledger's events single even if the first run were still going, and the retry is
 * answered from the command's events. So such a claim is taken over once it is this old.
 */
export const LEDGER_ANSWERED_CLAIM_TIMEOUT_SECONDS = 5;
const claimTimeoutSeconds = (request: { readonly ledgerAnswersRepeats?: boolean }) =>
  request.ledgerAnswersRepeats ? LEDGER_ANSWERED_CLAIM_TIMEOUT_SECONDS : IDEMPOTENCY_CLAIM_TIMEOUT_SECONDS;
/** How often a request polls for the answer to a claim another process holds (rare: a retry racing its original). */
export const IDEMPOTENCY_CLAIM_POLL_MS = 20;

/** A key's row: an answer (status set), or a claim still running (status null). */
interface IdempotencyRow {
  readonly route: string;
  readonly request_hash: string;
  readonly status: number | null;
  readonly content_type: string | null;
  readonly body: string | null;
  /** Seconds since the claim was made (null: answered). */
  readonly claim_age_seconds: number | null;
}

type Request = IdempotentRequest;
type Answer = StoredReply & { replayed: boolean };

/** What claiming a key found: ours now, or someone's row (answered or running), or a row not yet visible. */
type Claim = { readonly kind: 'claimed' } | { readonly kind: 'taken'; readonly row: IdempotencyRow } | { readonly kind: 'unseen' };

/** One item of a turn's statement: a key to claim, or an answer to store. */
type Keeping =
  { readonly claim: Request & { readonly created_at: string } } | { readonly record: Request & { readonly reply: StoredReply; readonly created_at: string } };

export function createIdempotencyStore(pool: Pool, clock: Clock): IdempotencyStore {
  const keeper = new DataLoader<Keeping, Claim | 'recorded'>((items) => keepMany(pool, items), {
    cache: false,
    maxBatchSize: IDEMPOTENCY_BATCH_MAX,
    batchScheduleFn: (run: () => void) => setImmediate(run),
  });
  const claim = async (request: Request): Promise<Claim> => (await keeper.load({ claim: { ...request, created_at: clock.now().toISOString() } })) as Claim;
  const record = (request: Request, reply: StoredReply) => keeper.load({ record: { ...request, reply, created_at: clock.now().toISOString() } });

  /** Per (client, key), the request of this process running it: a second one waits here, not in Postgres. */
  const running = new Map<string, { readonly route: string; readonly hash: string; readonly answer: Promise<Answer> }>();

  /** Runs `work` under our claim: its answer is remembered, or the claim given back so that a retry may run. */
  async function runClaimed(request: Request, work: () => Promise<StoredReply>): Promise<Answer> {
    let reply: StoredReply;
    try {
      reply = await work();
    } catch (error) {
      await release(pool, request).catch(() => undefined);
      throw error;
    }
    if (remembered(reply)) await record(request, reply);
    else await release(pool, request);
    return { ...reply, replayed: false };
  }

  /** One attempt: claim the key, or answer from (or wait for) whoever holds it. Undefined: try again. */
  async function attempt(request: Request, work: () => Promise<StoredReply>): Promise<Answer | undefined> {
    const claimed = await claim(request);
    if (claimed.kind === 'claimed') return runClaimed(request, work);
    let row = claimed.kind === 'taken' ? claimed.row : await rowOf(pool, request);
    for (;;) {
      if (row === undefined) return undefined;
      if (row.request_hash !== request.hash || row.route !== request.route) throw new ApiProblem('idempotency_key_reused_with_different_body');
      if (row.status !== null) return { status: row.status, contentType: row.content_type!, body: row.body!, replayed: true };
      if ((row.claim_age_seconds ?? 0) > claimTimeoutSeconds(request))
        return (await takeOver(pool, request, clock.now().toISOString())) ? runClaimed(request, work) : undefined;
      // Another process runs this very request: its answer is ours (a retry racing its original, rare).
      await new Promise((wake) => setTimeout(wake, IDEMPOTENCY_CLAIM_POLL_MS));
      row = await rowOf(pool, request);
    }
  }

  return {
    async run(request, work) {
      const id = `${request.client}\n${request.key}`;
      for (;;) {
        const first = running.get(id);
        if (first) {
          if (first.hash !== request.hash || first.route !== request.route) throw new ApiProblem('idempotency_key_reused_with_different_body');
          const answer = await first.answer.catch(() => undefined);
          if (answer && remembered(answer)) return { ...answer, replayed: true };
          continue;
        }
        const answer = attempt(request, work);
        const entry = { route: request.route, hash: request.hash, answer: answer.then((a) => a ?? Promise.reject(new Error('not answered'))) };
        // Waiters handle its failure; nobody waiting is not an unhandled rejection.
        entry.answer.catch(() => undefined);
        running.set(id, entry);
        try {
          const done = await answer;
          if (done) return done;
        } finally {
          if (running.get(id) === entry) running.delete(id);
        }
      }
    },
  };
}

/**
 * One statement for a turn's claims and answers.
 *
 * Claims: every key of the batch that nobody holds is claimed; the rows of those somebody does are
 * returned. A row committed by another process after this statement's snapshot blocks our insert
 * yet stays invisible to it ('unseen': read it again).
 *
 * Answers complete their claims (or are inserted when the claim is gone, see below).
 *
 * Durability. The commit waits for the disk only when an answer in it must survive a crash of
 * Postgres: a claim lost in a crash only lets a retry run (the command id derived from the key
 * keeps the ledger's events single), and so does the success answer of a route whose repeats the
 * ledger answers (`ledgerAnswersRepeats`: the retry finds its command's events, committed durably
 * before the first answer went out, and answers from them as it did first). Every other answer —
 * a refusal, or a success of any other route — is durable. On the POS path this leaves one
 * commit per request that waits for the disk: the append's.
 */
async function keepMany(pool: Pool, items: readonly Keeping[]): Promise<(Claim | 'recorded')[]> {
  const wanted = items.flatMap((item) => ('claim' in item ? [item.claim] : []));
  const records = items.flatMap((item) => ('record' in item ? [item.record] : []));
  const { rows } = await pool.query<IdempotencyRow & { n: string | null; claimed: boolean; found: boolean }>({
    name: 'swl_idempotency_keep_many',
    text: `with settings as (
             select set_config('synchronous_commit', case when $6::boolean then current_setting('synchronous_commit') else 'off' end, true)
           ),
           remembered as (
             insert into api_idempotency (client, key, route, request_hash, status, content_type, body, created_at)
             select * from unnest($7::text[], $8::text[], $9::text[], $10::text[], $11::int[], $12::text[], $13::text[], $14::timestamptz[])
             on conflict (client, key) do update set status = excluded.status, content_type = excluded.content_type, body = excluded.body, claimed_at = null
             where api_idempotency.status is null and api_idempotency.request_hash = excluded.request_hash and api_idempotency.route = excluded.route
           ),
           wanted as (
             select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[]) with ordinality as w(client, key, route, request_hash, created_at, n)
           ),
           claimed as (
             insert into api_idempotency (client, key, route, request_hash, created_at, claimed_at)
             select client, key, route, request_hash, created_at, statement_timestamp() from wanted
             on conflict (client, key) do nothing
             returning client, key
           )
           select w.n::text as n, c.key is not null as claimed, i.key is not null as found, i.route, i.request_hash, i.status, i.content_type, i.body,
                  extract(epoch from statement_timestamp() - i.claimed_at)::float8 as claim_age_seconds
           from settings
           left join wanted w on true
           left join claimed c on c.client = w.client and c.key = w.key
           left join lateral (select * from api_idempotency a where a.client = w.client and a.key = w.key) i on c.key is null
           order by w.n`,
    values: [
      wanted.map((w) => w.client),
      wanted.map((w) => w.key),
      wanted.map((w) => w.route),
      wanted.map((w) => w.hash),
      wanted.map((w) => w.created_at),
      records.some(mustBeDurable),
      records.map((r) => r.client),
      records.map((r) => r.key),
      records.map((r) => r.route),
      records.map((r) => r.hash),
      records.map((r) => r.reply.status),
      records.map((r) => r.reply.contentType),
      records.map((r) => r.reply.body),
      records.map((r) => r.created_at),
    ],
  });
  // The settings row alone (n null) when the turn had no claims.
  const claims = rows
    .filter((r) => r.n !== null)
    .map((r): Claim => (r.claimed ? { kind: 'claimed' } : r.found ? { kind: 'taken', row: r } : { kind: 'unseen' }));
  let next = 0;
  return items.map((item) => ('claim' in item ? claims[next++]! : 'recorded'));
}

/** Whether an answer must reach the disk before it is given (see keepMany). */
export function mustBeDurable(record: { readonly ledgerAnswersRepeats?: boolean; readonly reply: Pick<StoredReply, 'status'> }): boolean {
  return !(record.ledgerAnswersRepeats === true && record.reply.status >= 200 && record.reply.status < 300);
}

/** The key's row as committed now. */
async function rowOf(pool: Pool, request: Request): Promise<IdempotencyRow | undefined> {
  const { rows } = await pool.query<IdempotencyRow>(
    `select route, request_hash, status, content_type, body, extract(epoch from statement_timestamp() - claimed_at)::float8 as claim_age_seconds
     from api_idempotency where client = $1 and key = $2`,
    [request.client, request.key],
  );
  return rows[0];
}

/** Gives our claim back: the answer was transient (or none), and a retry may run. */
async function release(pool: Pool, request: Request): Promise<void> {
  await pool.query('delete from api_idempotency where client = $1 and key = $2 and status is null and request_hash = $3', [
    request.client,
    request.key,
    request.hash,
  ]);
}

/** Takes over a claim its process left behind; false when another request took it first. */
async function takeOver(pool: Pool, request: Request, createdAt: string): Promise<boolean> {
  const { rowCount } = await pool.query(
    `update api_idempotency set route = $3, request_hash = $4, created_at = $5, claimed_at = statement_timestamp()
     where client = $1 and key = $2 and status is null and claimed_at < statement_timestamp() - make_interval(secs => $6)`,
    [request.client, request.key, request.route, request.hash, createdAt, claimTimeoutSeconds(request)],
  );
  return rowCount === 1;
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
