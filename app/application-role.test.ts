/**
 * The service as production runs it: connected as a login in the application role `swl_app`, with
 * the migrations run by the owner. Everything it legitimately does — take a list, run the consent
 * case, project, rebuild every read model, answer reports — needs no UPDATE, DELETE or TRUNCATE
 * of events, and the events it wrote cannot be changed through its connection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeIin } from '../domain/shared/iin';
import { startTestSystem, type TestSystem } from '../test/system';

let t: TestSystem;
beforeAll(async () => {
  t = await startTestSystem('2026-03-02T04:00:00.000Z', { asApplicationRole: true });
});
afterAll(async () => t?.close());

const head = makeIin('1990-04-12', 'female', 11);
const PHONE = '+77010000001';
const sdu = { role: 'sdu', sub: 'sdu-akmola' } as const;
const gateway = { role: 'sms-gateway', sub: 'gw' } as const;
const operator = { role: 'operator', sub: 'ops-1' } as const;

describe('the service connected as the application role', () => {
  it('takes a list, runs consent to a voucher and projects it', async () => {
    await t.system.phones.load([[head, PHONE]]);
    const list = await t.call('POST', '/v1/lists/food-vouchers', {
      token: await t.token(sdu),
      body: {
        listId: 'sdu-2026-03-a',
        month: '2026-03',
        rows: [{ familyId: 'fam-A', city: 'Kokshetau', aspOnDate: '2026-02-28', head: { iin: head }, members: [{ iin: head }] }],
      },
    });
    expect(list.status).toBe(201);
    t.clock.set('2026-03-05T04:00:00.000Z');
    await t.system.scheduler.tick();
    const reply = await t.call('POST', '/v1/sms/inbound', {
      token: await t.token(gateway),
      body: { phone: PHONE, text: '21*1', receivedAt: '2026-03-05T05:00:00Z' },
    });
    expect(reply.body.outcome).toBe('consent_given');
    await t.settle();
    const currentUser = await t.system.pool.query<{ user: string; member: boolean }>(
      `select current_user as user, pg_has_role(current_user, 'swl_app', 'member') as member`,
    );
    expect(currentUser.rows[0]).toMatchObject({ member: true });
    expect(currentUser.rows[0]!.user).not.toBe('postgres');
  });

  it('rebuilds every read model, and the rebuilt models answer as before', async () => {
    const outcomes = async () =>
      (await t.call('GET', '/v1/ministry/outcomes?program=food-vouchers', { token: await t.token({ role: 'ministry', sub: 'm' }) })).body;
    const before = await outcomes();
    const rebuilt = await t.system.runner.rebuild(...(await t.system.runner.lag()).map((l) => l.name));
    expect(rebuilt.length).toBeGreaterThan(3);
    expect(await outcomes()).toEqual(before);
    const started = await t.call('POST', '/v1/ops/projections/balances/rebuild', { token: await t.token(operator) });
    expect(started.status).toBeLessThan(300);
  });

  it('cannot change or remove the events it wrote', async () => {
    const count = await t.eventCount();
    expect(count).toBeGreaterThan(5);
    for (const change of ['update events set data = data', 'delete from events', 'truncate events'])
      await expect(t.system.pool.query(change)).rejects.toMatchObject({ code: '42501' });
    expect(await t.eventCount()).toBe(count);
  });
});
