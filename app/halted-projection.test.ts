/**
 * Issue 12, item 1: one canteen record must not freeze the табель nor stop the deadlines.
 * - Validation and storage agree: a device seq anywhere in the API's range (2^31 … 2^53 − 1) ends in the табель.
 * - An event a read model cannot apply (here one that bypassed the API, as a bug would write it)
 *   halts that model alone: the other models advance, the scheduler fires deadlines, and
 *   /v1/ops/projections, /metrics, /health and the log name the model, the event and the error.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { makeIin } from '../domain/shared/iin';
import { tabel } from '../projections/tabel/queries';
import { startTestSystem, type TestSystem } from '../test/system';

const mother = makeIin('1992-02-03', 'female', 14);
const pupil = makeIin('2018-09-09', 'male', 15);
const head = makeIin('1990-04-12', 'female', 11);
const nobd = { role: 'nobd', sub: 'nobd' } as const;
const sdu = { role: 'sdu', sub: 'sdu-akmola' } as const;
const gateway = { role: 'sms-gateway', sub: 'gw' } as const;
const operator = { role: 'operator', sub: 'ops' } as const;
const device = { role: 'canteen-device', sub: 'dev-1', deviceId: 'dev-1', schoolId: 'school-1' } as const;

describe('a canteen seq beyond 32 bits', () => {
  let t: TestSystem;
  beforeAll(async () => (t = await startTestSystem('2026-04-06T03:00:00.000Z', { counterparts: { devices: [{ deviceId: 'dev-1', schoolId: 'school-1' }] } })));
  afterAll(async () => t?.close());

  it('is stored as sent: the табель shows the meals of seq 2^31 and 2^53 − 1', async () => {
    await t.system.phones.load([[mother, '+77010000002']]);
    const csv =
      'familyId,pupilIin,pupilName,grade,category,approvedByHead,reconciliationOk,reconciliationReason,representativeRole,representativeIin,representativeName\n' +
      `fam-M,${pupil},Нұрсұлтан,2,asp_family,true,true,,mother,${mother},Әлия\n`;
    const list = await t.call(
      'POST',
      '/v1/lists/school-meals?listId=nobd-school-1-2026-04&month=2026-04&schoolYear=2025-2026&schoolId=school-1&region=akmola',
      {
        token: await t.token(nobd),
        raw: csv,
        contentType: 'text/csv',
      },
    );
    expect(list.status).toBe(201);
    await t.settle();
    const parent = await t.token({ role: 'citizen', sub: 'c-fam-M', familyId: 'fam-M', personId: t.system.vault.pseudonymise(mother) });
    const voucherId = (await t.call('GET', '/v1/me/vouchers', { token: parent })).body.vouchers[0].voucherId as string;
    expect((await t.call('POST', `/v1/me/vouchers/${encodeURIComponent(voucherId)}/activate`, { token: parent })).status).toBe(200);

    for (const [seq, day] of [
      [2 ** 31, '2026-04-06'],
      [Number.MAX_SAFE_INTEGER, '2026-04-07'],
    ] as const) {
      t.clock.set(`${day}T07:00:00.000Z`);
      const batch = await t.call('POST', '/v1/canteen/batches', {
        token: await t.token(device),
        body: { batchId: `b-${day}`, records: [{ seq, cardIin: pupil, scannedAt: `${day}T06:00:10Z` }] },
      });
      expect(batch.status).toBe(200);
      expect(batch.body.results[0]).toMatchObject({ seq, outcome: 'meal_recorded' });
    }
    await t.settle();
    const sheet = await tabel(t.system.pool, { schoolId: 'school-1', month: '2026-04', now: t.clock.now() });
    expect(sheet.mealCount).toBe(2);
    const ops = await t.call('GET', '/v1/ops/projections', { token: await t.token(operator) });
    expect(ops.body.projections.every((p: { status: string }) => p.status === 'live')).toBe(true);
  });
});

describe('an event the табель cannot apply', () => {
  let t: TestSystem;
  beforeAll(async () => (t = await startTestSystem('2026-03-02T04:00:00.000Z')));
  afterAll(async () => t?.close());

  it('halts the табель alone: the other models advance, deadlines fire, and every operator view names it', async () => {
    // A food list: its consent case's start SMS is a deadline on the 5th.
    await t.system.phones.load([[head, '+77010000001']]);
    const list = await t.call('POST', '/v1/lists/food-vouchers', {
      token: await t.token(sdu),
      body: {
        listId: 'sdu-2026-03-a',
        month: '2026-03',
        rows: [{ familyId: 'fam-A', city: 'Kokshetau', aspOnDate: '2026-02-28', head: { iin: head }, members: [{ iin: head }] }],
      },
    });
    expect(list.status).toBe(201);

    // The poison: a meal written past the API (as a bug would) whose scan time has the shape of an
    // instant, so it parses (adapters/eventstore/ledger-events.ts), but is no time Postgres takes:
    // only the табель stores it (an event that does not parse halts every model that handles its
    // type: projections/runner/halt.test.ts).
    const poisonId = '00000000-0000-4000-8000-00000000dead';
    const meta = {
      commandId: 'poison',
      correlationId: 'poison',
      causationId: 'poison',
      actor: { role: 'test', id: 'test' },
      recordedAt: '2026-03-02T04:00:00.000Z',
    };
    const data = {
      voucherId: 'mv-x',
      pupilId: 'p-x',
      schoolId: 'school-1',
      deviceId: 'dev-1',
      seq: 1,
      schoolDay: '2026-03-02',
      scannedAt: '2026-03-02T25:00:00Z',
      receivedAt: '2026-03-02T04:00:00Z',
      method: 'card',
    };
    const poison = await t.system.store.append('meals-p-x-2025-2026', [{ id: poisonId, type: 'MealServed', data, metadata: meta }], 'no_stream');
    await vi.waitFor(async () => expect(await t.system.runner.halts()).toHaveLength(1), { timeout: 10_000, interval: 20 });

    // The scheduler reads only the deadline queue: it fires the start SMS on the 5th, and the outbox (another model) shows it.
    t.clock.set('2026-03-05T04:00:00.000Z');
    expect(await t.system.scheduler.tick()).toBeGreaterThanOrEqual(1);
    const pulled = await t.call('GET', '/v1/sms/outbound', { token: await t.token(gateway) });
    expect(pulled.body.messages.length).toBe(1);

    const ops = await t.call('GET', '/v1/ops/projections', { token: await t.token(operator) });
    const byName = new Map<string, unknown>(ops.body.projections.map((p: { name: string }) => [p.name, p]));
    expect(byName.get('tabel')).toMatchObject({
      status: 'halted',
      halt: { eventId: poisonId, eventPosition: String(poison.lastPosition), eventType: 'MealServed' },
    });
    expect((byName.get('tabel') as { halt: { error: string } }).halt.error).toMatch(/out of range/);
    for (const [name, p] of byName) if (name !== 'tabel') expect(p, String(name)).toMatchObject({ status: 'live', lagEvents: 0 });

    const health = await t.call('GET', '/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'degraded', haltedProjections: ['tabel'] });
    const metrics = (await t.call('GET', '/metrics')).text;
    expect(metrics).toContain(`projection_halted{projection="tabel",event_id="${poisonId}",event_type="MealServed",error_code="22008"} 1`);
    expect(metrics).toContain('projection_halted{projection="balances"} 0');
    const alarms = t.logged.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.alarm === 'projection_halted');
    expect(alarms[0]).toMatchObject({ level: 'error', projection: 'tabel', eventId: poisonId, fix: expect.stringContaining('rebuild tabel') });
  });
});
