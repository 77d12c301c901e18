import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../adapters/clock/clock';
import { coreMigrations } from '../adapters/postgres/migrate';
import { freshDatabase } from '../test/pg';
import type { Pool } from '../adapters/postgres/pool';
import {
  apiMigrations,
  createIdempotencyStore,
  IDEMPOTENCY_CLAIM_TIMEOUT_SECONDS,
  IDEMPOTENCY_TTL_SECONDS,
  LEDGER_ANSWERED_CLAIM_TIMEOUT_SECONDS,
  mustBeDurable,
  sweepIdempotency,
} from './idempotency';

let db: Awaited<ReturnType<typeof freshDatabase>>;
beforeAll(async () => {
  db = await freshDatabase([...coreMigrations(), ...apiMigrations()]);
});
afterAll(async () => db.drop());

const insert = (key: string, createdAt: string) =>
  db.pool.query(
    `insert into api_idempotency (client, key, route, request_hash, status, content_type, body, created_at)
     values ('merchant:shop-1', $1, 'POST /v1/shop/holds', 'h', 201, 'application/json', '{}', $2)`,
    [key, createdAt],
  );

describe('idempotency records', () => {
  it('are swept once older than their TTL; younger ones are kept for replays', async () => {
    const now = new Date('2026-03-20T00:00:00.000Z');
    const ttlMs = IDEMPOTENCY_TTL_SECONDS * 1000;
    await insert('old', new Date(now.getTime() - ttlMs - 1000).toISOString());
    await insert('young', new Date(now.getTime() - ttlMs + 1000).toISOString());
    expect(await sweepIdempotency(db.pool, new VirtualClock(now))).toBe(1);
    const { rows } = await db.pool.query<{ key: string }>('select key from api_idempotency order by key');
    expect(rows.map((r) => r.key)).toEqual(['young']);
  });
});

/** The pool, with the name of every statement sent through it written down. */
function countingStatements(): { statements: string[]; counted: Pool } {
  const statements: string[] = [];
  const counted = new Proxy(db.pool, {
    get: (target, prop, receiver) =>
      prop === 'query'
        ? (config: { name?: string }, ...rest: unknown[]) => (
            statements.push(config.name ?? 'text'),
            (target.query as (...a: unknown[]) => unknown)(config, ...rest)
          )
        : Reflect.get(target, prop, receiver),
  }) as Pool;
  return { statements, counted };
}

describe('requests in flight together', () => {
  it('are claimed in one statement and recorded in one, and each is replayed alone afterwards', async () => {
    const { statements, counted } = countingStatements();
    const store = createIdempotencyStore(counted, new VirtualClock('2026-03-20T00:00:00.000Z'));
    const request = (i: number) => ({ client: 'merchant:shop-2', key: `k-${i}`, route: '/v1/shop/holds', hash: `h-${i}` });
    let ran = 0;
    const first = await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.run(request(i), async () => (ran++, { status: 201, contentType: 'application/json', body: `{"n":${i}}` }))),
    );
    expect(first.map((r) => [r.body, r.replayed])).toEqual(Array.from({ length: 20 }, (_, i) => [`{"n":${i}}`, false]));
    expect(statements).toEqual(['swl_idempotency_keep_many', 'swl_idempotency_keep_many']);
    const again = await store.run(request(7), async () => (ran++, { status: 500, contentType: 'text/plain', body: 'must not run' }));
    expect(again).toEqual({ status: 201, contentType: 'application/json', body: '{"n":7}', replayed: true });
    expect(ran).toBe(20);
    await expect(store.run({ ...request(8), hash: 'other' }, async () => ({ status: 201, contentType: 'application/json', body: '{}' }))).rejects.toMatchObject(
      {
        code: 'idempotency_key_reused_with_different_body',
      },
    );
  });
});

describe('claims and answers of one turn', () => {
  it('share one statement: the answer of a request that ends goes with the claim of one that starts', async () => {
    const { statements, counted } = countingStatements();
    const store = createIdempotencyStore(counted, new VirtualClock('2026-03-20T00:00:00.000Z'));
    const request = (key: string) => ({ client: 'merchant:shop-5', key, route: '/v1/shop/holds', hash: 'h', ledgerAnswersRepeats: true });
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let started!: () => void;
    const claimed = new Promise<void>((resolve) => (started = resolve));
    const ending = store.run(request('ends'), async () => (started(), await gate, { status: 201, contentType: 'application/json', body: '{"n":1}' }));
    await claimed;
    open();
    const starting = store.run(request('starts'), async () => ({ status: 201, contentType: 'application/json', body: '{"n":2}' }));
    expect((await Promise.all([ending, starting])).map((a) => a.body)).toEqual(['{"n":1}', '{"n":2}']);
    expect(statements).toEqual(['swl_idempotency_keep_many', 'swl_idempotency_keep_many', 'swl_idempotency_keep_many']);
    expect(await store.run(request('ends'), async () => ({ status: 500, contentType: 'text/plain', body: 'must not run' }))).toMatchObject({
      body: '{"n":1}',
      replayed: true,
    });
  });

  it('wait for the disk unless every answer among them is a success of a route whose repeats the ledger answers', () => {
    expect(mustBeDurable({ ledgerAnswersRepeats: true, reply: { status: 201 } })).toBe(false);
    expect(mustBeDurable({ ledgerAnswersRepeats: true, reply: { status: 409 } })).toBe(true);
    expect(mustBeDurable({ ledgerAnswersRepeats: false, reply: { status: 200 } })).toBe(true);
    expect(mustBeDurable({ reply: { status: 201 } })).toBe(true);
  });
});

describe('a claim', () => {
  const clock = new VirtualClock('2026-03-20T00:00:00.000Z');
  const request = (key: string, hash = 'h') => ({ client: 'merchant:shop-3', key, route: '/v1/shop/holds', hash });
  const ok = (body: string) => async () => ({ status: 201, contentType: 'application/json', body });

  it('is given back after a transient answer, so that a retry runs', async () => {
    const store = createIdempotencyStore(db.pool, clock);
    const failed = await store.run(request('transient'), async () => ({
      status: 500,
      contentType: 'application/problem+json',
      body: '{"code":"internal_error"}',
    }));
    expect(failed).toMatchObject({ status: 500, replayed: false });
    expect(await store.run(request('transient'), ok('{"n":2}'))).toMatchObject({ body: '{"n":2}', replayed: false });
  });

  it('held by another process: the same request waits for its answer, another one is refused at once', async () => {
    const one = createIdempotencyStore(db.pool, clock);
    const two = createIdempotencyStore(db.pool, clock);
    let finish!: () => void;
    let started!: () => void;
    const gate = new Promise<void>((open) => (finish = open));
    const running = new Promise<void>((ran) => (started = ran));
    const first = one.run(request('shared'), async () => (started(), await gate, { status: 201, contentType: 'application/json', body: '{"first":true}' }));
    await running; // the first holds the claim
    await expect(two.run(request('shared', 'other'), ok('{}'))).rejects.toMatchObject({ code: 'idempotency_key_reused_with_different_body' });
    let ran = false;
    const second = two.run(request('shared'), async () => ((ran = true), { status: 201, contentType: 'application/json', body: '{"second":true}' }));
    finish();
    expect(await first).toMatchObject({ body: '{"first":true}', replayed: false });
    expect(await second).toMatchObject({ body: '{"first":true}', replayed: true });
    expect(ran).toBe(false);
  });

  it('left by a process that died is taken over by the same request once stale', async () => {
    await db.pool.query(
      `insert into api_idempotency (client, key, route, request_hash, created_at, claimed_at) values ($1, 'orphan', $2, 'h', $3, now() - make_interval(secs => $4))`,
      ['merchant:shop-3', '/v1/shop/holds', clock.now().toISOString(), IDEMPOTENCY_CLAIM_TIMEOUT_SECONDS + 1],
    );
    const store = createIdempotencyStore(db.pool, clock);
    await expect(store.run(request('orphan', 'other'), ok('{}'))).rejects.toMatchObject({ code: 'idempotency_key_reused_with_different_body' });
    expect(await store.run(request('orphan'), ok('{"taken":true}'))).toMatchObject({ body: '{"taken":true}', replayed: false });
    expect(await store.run(request('orphan'), ok('{}'))).toMatchObject({ body: '{"taken":true}', replayed: true });
  });

  it('left without its answer by a crash of Postgres, on a route whose repeats the ledger answers, is taken over after seconds, not minutes', async () => {
    // The claim survived (a later durable commit flushed it), its answer did not (stored without waiting for the disk).
    const orphan = (key: string, secondsAgo: number) =>
      db.pool.query(
        `insert into api_idempotency (client, key, route, request_hash, created_at, claimed_at) values ($1, $2, $3, 'h', $4, now() - make_interval(secs => $5))`,
        ['merchant:shop-3', key, '/v1/shop/holds', clock.now().toISOString(), secondsAgo],
      );
    await orphan('lost-answer', LEDGER_ANSWERED_CLAIM_TIMEOUT_SECONDS + 1);
    const store = createIdempotencyStore(db.pool, clock);
    const ledgerAnswered = (key: string) => ({ ...request(key), ledgerAnswersRepeats: true });
    expect(await store.run(ledgerAnswered('lost-answer'), ok('{"from":"ledger"}'))).toMatchObject({ body: '{"from":"ledger"}', replayed: false });
    // Younger than that it is still someone's request in flight: the retry waits for its answer.
    await orphan('in-flight', 0);
    const waiting = store.run(ledgerAnswered('in-flight'), ok('{"second":true}'));
    await db.pool.query(
      `update api_idempotency set status = 201, content_type = 'application/json', body = '{"first":true}', claimed_at = null where client = 'merchant:shop-3' and key = 'in-flight'`,
    );
    expect(await waiting).toMatchObject({ body: '{"first":true}', replayed: true });
  });
});
