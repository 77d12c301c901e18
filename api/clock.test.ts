/**
 * The operator's clock: readable everywhere; movable forward only, in dev mode on a virtual clock
 * (the demo), firing what falls due; a production service refuses with a stable code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeIin } from '../domain/shared/iin';
import { productionSecrets, startTestSystem, type TestSystem } from '../test/system';

const operator = { role: 'operator', sub: 'op-1' } as const;
const sdu = { role: 'sdu', sub: 'sdu-akmola' } as const;

describe('in dev mode on a virtual clock', () => {
  let t: TestSystem;
  beforeAll(async () => {
    t = await startTestSystem('2026-03-02T04:00:00.000Z');
  });
  afterAll(async () => t?.close());

  it('tells the time and that it may be moved', async () => {
    const answer = await t.call('GET', '/v1/ops/clock', { token: await t.token(operator) });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ now: '2026-03-02T04:00:00.000Z', movable: true });
  });

  it('moves forward and fires the deadlines that fell due (the start SMS waits for the 5th)', async () => {
    const head = makeIin('1990-04-12', 'female', 21);
    await t.system.phones.load([[head, '+77010000021']]);
    const list = await t.call('POST', '/v1/lists/food-vouchers', {
      token: await t.token(sdu),
      body: { listId: 'clock-1', month: '2026-03', rows: [{ familyId: 'fam-clock', city: 'Kokshetau', aspOnDate: '2026-02-28', head: { iin: head }, members: [{ iin: head }] }] },
    });
    expect(list.status).toBe(201);
    await t.settle();
    const moved = await t.call('POST', '/v1/ops/clock', { token: await t.token(operator), body: { to: '2026-03-05T10:00:00+05:00' } });
    expect(moved.status).toBe(200);
    expect(moved.body).toEqual({ now: '2026-03-05T05:00:00.000Z', movable: true, deadlinesFired: 1 });
    expect(t.clock.now().toISOString()).toBe('2026-03-05T05:00:00.000Z');
  });

  it('refuses to go back, moving nothing', async () => {
    const answer = await t.call('POST', '/v1/ops/clock', { token: await t.token(operator), body: { to: '2026-03-01T00:00:00Z' } });
    expect(answer.status).toBe(409);
    expect(answer.body.code).toBe('clock_cannot_go_back');
    expect(t.clock.now().toISOString()).toBe('2026-03-05T05:00:00.000Z');
  });

  it('is the operator’s alone', async () => {
    const answer = await t.call('POST', '/v1/ops/clock', { token: await t.token(sdu), body: { to: '2026-03-20T00:00:00Z' } });
    expect(answer.status).toBe(403);
    expect(answer.body.code).toBe('forbidden');
  });
});

describe('in production', () => {
  let t: TestSystem;
  beforeAll(async () => {
    t = await startTestSystem('2026-03-02T04:00:00.000Z', { env: productionSecrets() });
  });
  afterAll(async () => t?.close());

  it('refuses to move the clock with clock_not_movable, even a virtual one', async () => {
    const answer = await t.call('POST', '/v1/ops/clock', { token: await t.token(operator), body: { to: '2026-03-20T00:00:00Z' } });
    expect(answer.status).toBe(403);
    expect(answer.body.code).toBe('clock_not_movable');
    expect(t.clock.now().toISOString()).toBe('2026-03-02T04:00:00.000Z');
    const read = await t.call('GET', '/v1/ops/clock', { token: await t.token(operator) });
    expect(read.body).toEqual({ now: '2026-03-02T04:00:00.000Z', movable: false });
  });
});
