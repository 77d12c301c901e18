/** The operator's picture over real HTTP: what it counts, that it names no person, and that it is the operator's alone. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeIin } from '../domain/shared/iin';
import { startTestSystem, type TestSystem } from '../test/system';

const operator = { role: 'operator', sub: 'op-1' } as const;
const sdu = { role: 'sdu', sub: 'sdu-akmola' } as const;
const head = makeIin('1990-04-12', 'female', 31);

let t: TestSystem;
beforeAll(async () => {
  t = await startTestSystem('2026-03-05T05:00:00.000Z');
  await t.system.phones.load([[head, '+77010000031']]);
  const list = await t.call('POST', '/v1/lists/food-vouchers', {
    token: await t.token(sdu),
    body: {
      listId: 'ops-1',
      month: '2026-03',
      rows: [
        { familyId: 'fam-ops', city: 'Kokshetau', aspOnDate: '2026-02-28', head: { iin: head, fullName: 'Айгерим' }, members: [{ iin: head }] },
        {
          familyId: 'fam-out',
          city: 'Almaty',
          aspOnDate: '2026-02-28',
          head: { iin: makeIin('1970-01-01', 'male', 32) },
          members: [{ iin: makeIin('1970-01-01', 'male', 32) }],
        },
      ],
    },
  });
  expect(list.status).toBe(201);
  await t.settle();
});
afterAll(async () => t?.close());

describe('GET /v1/ops/summary', () => {
  it('shows lag, the outbox, list intake, deadlines and the last hour’s problems by code', async () => {
    await t.call('GET', '/v1/ministry/outcomes', { token: await t.token(operator) });
    await t.call('GET', '/v1/no-such-route', { token: await t.token(operator) });
    const answer = await t.call('GET', '/v1/ops/summary', { token: await t.token(operator) });
    expect(answer.status).toBe(200);
    const summary = answer.body;
    expect(summary.now).toBe('2026-03-05T05:00:00.000Z');
    expect(summary.projections.map((p: { name: string }) => p.name)).toContain('list_intake');
    expect(summary.lists).toMatchObject({ received: 1, rows: 2, rejectedRows: 1, unprocessed: 0 });
    expect(summary.lists.recent[0]).toMatchObject({
      source: 'sdu',
      listId: 'ops-1',
      program: 'food-vouchers',
      month: '2026-03',
      rowCount: 2,
      accepted: 1,
      rejected: 1,
    });
    // The start SMS was requested at once (it is the 5th, 10:00 local): due for the gateway now.
    expect(summary.sms).toMatchObject({ dueNow: 1, requested: 1, sent: 0, failureRate: null });
    expect(summary.deadlines.next.length).toBeGreaterThan(0);
    expect(summary.errors.byCode).toEqual(
      expect.arrayContaining([expect.objectContaining({ code: 'forbidden', count: 1 }), expect.objectContaining({ code: 'route_not_found', count: 1 })]),
    );
    expect(answer.text).not.toContain(head);
    expect(answer.text).not.toContain('fam-ops');
    expect(answer.text).not.toContain('+7701');
  });

  it('is the operator’s alone', async () => {
    const answer = await t.call('GET', '/v1/ops/summary', { token: await t.token(sdu) });
    expect(answer.status).toBe(403);
  });
});
