/**
 * A sick database is the service's state, not a bug (issue 12, item 4): Postgres down or frozen
 * answers 503 service_unavailable with Retry-After, a full disk 503 storage_full, and readiness
 * says not ready; a list upload that fails part-way says exactly what was recorded, and a re-send
 * finishes it without recording a row twice. Real Postgres throughout: its own embedded server
 * (stopped, or frozen with SIGSTOP) and real SQLSTATEs raised by a trigger.
 */
import { silentLogger } from '../adapters/log/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres, type EmbeddedServer } from '../adapters/postgres/embedded';
import { VirtualClock } from '../adapters/clock/clock';
import { loadConfig } from '../app/config';
import { createSystem, type System } from '../app/system';
import { tokenFor } from '../app/dev-tokens';
import { makeIin } from '../domain/shared/iin';
import { client } from '../test/http';
import { onboardOverHttp } from '../test/registry';
import { freshDatabase } from '../test/pg';
import { freezeTree, thawTree } from '../simulators/diagnostics/processes';

const device = { role: 'canteen-device', sub: 'dev-1', deviceId: 'dev-1', schoolId: 'school-1' } as const;
const sdu = { role: 'sdu', sub: 'sdu-akmola' } as const;
const batch = (batchId: string) => ({ batchId, records: [{ seq: 1, cardIin: makeIin('2017-01-01', 'male', 1), scannedAt: '2026-03-02T06:00:00Z' }] });

describe('Postgres down or frozen: 503 with Retry-After, readiness not ready, liveness unaffected', () => {
  let parent: string;
  let server: EmbeddedServer;
  let system: System;
  let call: ReturnType<typeof client>;
  let token: string;

  beforeAll(async () => {
    parent = await mkdtemp(join(tmpdir(), 'swl-unavailable-'));
    // initdb runs as the 'postgres' user under root.
    await chmod(parent, 0o755);
    server = await startEmbeddedPostgres({ dataDir: join(parent, 'pg'), port: 0, persistent: false, durable: false });
    const config = loadConfig({ MODE: 'dev', DATA_DIR: parent, PG_QUERY_TIMEOUT_MS: '1500', PG_CONNECT_TIMEOUT_MS: '1000', HEALTH_TIMEOUT_MS: '500' });
    system = await createSystem({
      config,
      clock: new VirtualClock('2026-03-02T05:00:00.000Z'),
      databaseUrl: server.url,
      schedulerTimer: false,
      logger: silentLogger(),
    });
    call = client(await system.start({ port: 0, host: '127.0.0.1' }));
    // The device is admitted from the registry held in memory, so a sick database is what answers.
    await onboardOverHttp(call, (principal) => tokenFor(system, principal), { devices: [{ deviceId: device.deviceId, schoolId: device.schoolId }] });
    token = await tokenFor(system, device);
  });
  afterAll(async () => {
    await system?.stop();
    await server?.stop();
    await rm(parent, { recursive: true, force: true });
  });

  it('answers while Postgres is well', async () => {
    expect((await call('POST', '/v1/canteen/batches', { token, body: batch('b-well') })).status).toBe(200);
    expect((await call('GET', '/health/ready')).status).toBe(200);
  });

  it('frozen (SIGSTOP): a write fails within the query timeout with 503, /health within its own timeout, and all is well after SIGCONT', async () => {
    const pids = freezeTree(Number((await readFile(join(parent, 'pg', 'postmaster.pid'), 'utf8')).split('\n')[0]));
    try {
      const started = performance.now();
      const write = await call('POST', '/v1/canteen/batches', { token, body: batch('b-frozen') });
      const writeMs = performance.now() - started;
      expect([write.status, write.contentType, write.body.code, write.headers.get('retry-after')]).toEqual([
        503,
        'application/problem+json; charset=utf-8',
        'service_unavailable',
        '5',
      ]);
      expect(writeMs).toBeLessThan(5_000);
      const healthStarted = performance.now();
      const health = await call('GET', '/health');
      expect(performance.now() - healthStarted).toBeLessThan(1_500);
      expect([health.status, health.body.status, health.body.postgres]).toEqual([503, 'not_ready', false]);
      expect(health.body.problems.join()).toMatch(/did not answer within 500 ms/);
      expect((await call('GET', '/health/live')).status).toBe(200);
    } finally {
      thawTree(pids);
    }
    expect((await call('POST', '/v1/canteen/batches', { token, body: batch('b-thawed') })).status).toBe(200);
    expect((await call('GET', '/health')).status).toBe(200);
  });

  it('down: reads and writes answer 503 service_unavailable with Retry-After; /health not ready, /health/live 200', async () => {
    await server.stop();
    const write = await call('POST', '/v1/canteen/batches', { token, body: batch('b-down') });
    expect([write.status, write.body.code, write.body.type, write.headers.get('retry-after')]).toEqual([
      503,
      'service_unavailable',
      'https://social-wallet.kz/problems/service_unavailable',
      '5',
    ]);
    expect(write.body.detail).toMatch(/same Idempotency-Key/);
    const health = await call('GET', '/health');
    expect([health.status, health.body.status, health.body.database.reachable]).toEqual([503, 'not_ready', false]);
    expect((await call('GET', '/health/live')).body).toEqual({ status: 'live' });
  });
});

describe('a full disk (SQLSTATE 53100) and a list upload that fails part-way', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let system: System;
  let parent: string;
  const t = { call: client(''), token: (principal: Parameters<typeof tokenFor>[1]) => tokenFor(system, principal), system: undefined as unknown as System };
  beforeAll(async () => {
    db = await freshDatabase([]);
    parent = await mkdtemp(join(tmpdir(), 'swl-unavailable-'));
    // The system's own pool (from a URL), as in production: readiness sees its failed queries.
    system = await createSystem({
      config: loadConfig({ MODE: 'dev', DATA_DIR: parent }),
      clock: new VirtualClock('2026-03-02T04:00:00.000Z'),
      databaseUrl: db.url,
      schedulerTimer: false,
      logger: silentLogger(),
    });
    t.call = client(await system.start({ port: 0, host: '127.0.0.1' }));
    t.system = system;
  });
  afterAll(async () => {
    await system?.stop();
    await db?.drop();
    await rm(parent, { recursive: true, force: true });
  });

  /** Every append of a row at or after `fromRow` of list `listId` fails with `sqlstate`, as the real error would. */
  async function failRowsFrom(listId: string, fromRow: number, sqlstate: string): Promise<() => Promise<void>> {
    const pool = t.system.pool;
    await pool.query(`create or replace function fault_rows() returns trigger language plpgsql as $$
      begin
        if new.stream like '%${listId}%' and (new.data->>'rowNo')::int >= ${fromRow} then
          raise exception 'injected fault' using errcode = '${sqlstate}';
        end if;
        return new;
      end $$`);
    await pool.query('create trigger fault_rows before insert on events for each row execute function fault_rows()');
    return async () => {
      await pool.query('drop trigger fault_rows on events');
    };
  }

  const families = (n: number) =>
    Array.from({ length: n }, (_, i) => {
      const iin = makeIin('1980-01-01', i % 2 ? 'male' : 'female', 100 + i);
      return { familyId: `fam-${i + 1}`, city: 'Kokshetau', aspOnDate: '2026-02-28', head: { iin }, members: [{ iin }] };
    });

  it('a disk-full error answers 503 storage_full with Retry-After, and readiness says the disk is full', async () => {
    const heal = await failRowsFrom('sdu-full', 1, '53100');
    try {
      const answer = await t.call('POST', '/v1/lists/food-vouchers', {
        token: await t.token(sdu),
        body: { listId: 'sdu-full', month: '2026-03', rows: families(3) },
      });
      expect([answer.status, answer.body.code, answer.headers.get('retry-after')]).toEqual([503, 'storage_full', '5']);
      const health = await t.call('GET', '/health/ready');
      expect([health.status, health.body.database.disk, health.body.database.writable]).toEqual([503, 'full', false]);
      expect(health.body.problems.join()).toMatch(/full disk/);
    } finally {
      await heal();
    }
  });

  it('a list that fails in its third chunk says which rows were recorded; the re-send records the rest, none twice', async () => {
    const rows = families(450);
    const heal = await failRowsFrom('sdu-partial', 401, 'XX000');
    const token = await t.token(sdu);
    const failed = await t.call('POST', '/v1/lists/food-vouchers', { token, body: { listId: 'sdu-partial', month: '2026-03', rows } });
    await heal();
    expect([failed.status, failed.body.code]).toEqual([500, 'internal_error']);
    expect(failed.body.detail).toMatch(/^rows 1–400 of 450 of list sdu-partial were recorded; rows 401–450 may or may not have been\. Re-send the same list/);
    const recorded = await t.call('GET', '/v1/lists/sdu/sdu-partial', { token });
    expect(recorded.body.rows).toHaveLength(400);
    const resent = await t.call('POST', '/v1/lists/food-vouchers', { token, body: { listId: 'sdu-partial', month: '2026-03', rows } });
    expect([resent.status, resent.body.accepted, resent.body.rows.length]).toEqual([201, 450, 450]);
    const events = await t.system.pool.query<{ n: number }>(
      "select count(*)::int as n from events where type = 'ListRowAccepted' and stream like '%sdu-partial%'",
    );
    expect(events.rows[0]!.n).toBe(450);
  });
});
