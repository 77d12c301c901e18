/**
 * The operator log over real HTTP against the real system, at debug level (every request's line
 * too): requests full of IINs, names and phones — accepted, refused, and one that fails inside
 * Postgres with a message and detail quoting them — leave none of it in the log, while every line
 * is JSON an operator can use (level, time, request id, correlation id, route, code).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeIin } from '../domain/shared/iin';
import { startTestSystem, type TestSystem } from '../test/system';

let t: TestSystem;
beforeAll(async () => {
  t = await startTestSystem('2026-03-02T04:00:00.000Z');
});
afterAll(async () => t?.close());

const head = makeIin('1984-07-15', 'female', 31);
const child = makeIin('2016-11-03', 'male', 32);
const broken = makeIin('1979-12-24', 'male', 33);
const PHONE = '+77015550101';
const NAMES = ['Гүлжан Сейітқызы', 'Арман Болатұлы', 'Жанар Тұрсынқызы'];
const sdu = { role: 'sdu', sub: 'sdu-log' } as const;

type Line = {
  level: string;
  time: string;
  msg: string;
  reqId?: string;
  correlationId?: string;
  route?: string;
  code?: string;
  status?: number;
  err?: { type: string; code?: string; constraint?: string; message?: string };
};
const lines = (): Line[] => t.logged.map((l) => JSON.parse(l) as Line);

describe('the operator log', () => {
  beforeAll(async () => {
    await t.system.phones.load([[head, PHONE]]);
    const token = await t.token(sdu);
    const row = (familyId: string, iin: string, fullName: string) => ({
      familyId,
      city: 'Kokshetau',
      aspOnDate: '2026-02-28',
      head: { iin, fullName },
      members: [{ iin, fullName }],
    });
    // Accepted: a list of people with names and phones.
    await t.call('POST', '/v1/lists/food-vouchers', {
      token,
      body: { listId: 'log-1', month: '2026-03', rows: [row('fam-L1', head, NAMES[0]!), { ...row('fam-L2', child, NAMES[1]!), city: 'Almaty' }] },
    });
    // Refused at the edge: an 11-digit IIN, a NUL in a name, CSV with a duplicated column.
    await t.call('POST', '/v1/lists/food-vouchers', { token, body: { listId: 'log-2', month: '2026-03', rows: [row('fam-L3', head.slice(1), NAMES[2]!)] } });
    await t.call('POST', '/v1/lists/food-vouchers', { token, body: { listId: 'log-3', month: '2026-03', rows: [row('fam-L4', head, `${NAMES[2]}\u0000`)] } });
    await t.call('POST', '/v1/lists/food-vouchers?listId=log-4&month=2026-03', { token, raw: `iin,iin\n${head},${child}\n`, contentType: 'text/csv' });
    // An SMS reply from a phone, a complaint naming people and phones, a bad token made of an IIN.
    await t.call('POST', '/v1/sms/inbound', {
      token: await t.token({ role: 'sms-gateway', sub: 'gw' }),
      body: { phone: PHONE, text: '21*1', receivedAt: '2026-03-02T04:00:00Z' },
    });
    const citizen = await t.token({ role: 'citizen', sub: 'c-1', familyId: 'fam-L1', personId: t.system.vault.pseudonymise(head) });
    await t.call('POST', '/v1/me/feedback', { token: citizen, body: { program: 'food-vouchers', kind: 'complaint', text: `${NAMES[1]} ${PHONE} ${child}` } });
    await t.call('GET', '/v1/me/vouchers', { token: `${head}.${child}.${PHONE}` });
    // Fails inside Postgres: the check constraint's error detail quotes the whole row (the person's id, sealed values).
    await t.system.pool.query(`alter table vault_records add constraint refuse_one check (person_id <> '${t.system.vault.pseudonymise(broken)}')`);
    failed = await t.call('POST', '/v1/lists/food-vouchers', { token, body: { listId: 'log-5', month: '2026-03', rows: [row('fam-L5', broken, NAMES[2]!)] } });
    await t.system.pool.query('alter table vault_records drop constraint refuse_one');
  });
  let failed: Awaited<ReturnType<TestSystem['call']>>;

  it('holds no IIN, name or phone of any request, accepted, refused or failed', () => {
    const text = t.logged.join('\n');
    expect(t.logged.length).toBeGreaterThanOrEqual(9);
    for (const secret of [head, child, broken, head.slice(1), PHONE, PHONE.slice(1), ...NAMES]) expect(text).not.toContain(secret);
  });

  it('writes JSON lines with level, time, request id, correlation id, route and code', () => {
    const requests = lines().filter((l) => l.msg === 'request');
    expect(requests).toHaveLength(8);
    for (const line of requests) {
      expect(line).toMatchObject({ level: 'debug', reqId: expect.any(String), route: expect.stringMatching(/^\/v1\//), status: expect.any(Number) });
      expect(Number.isNaN(Date.parse(line.time))).toBe(false);
    }
    expect(requests.filter((l) => l.route === '/v1/lists/food-vouchers').map((l) => l.code)).toEqual(
      expect.arrayContaining(['validation_failed', 'internal_error']),
    );
  });

  it('logs an unexpected failure once, with the database’s code and constraint but not its message, and gives its request id to the client', () => {
    expect(failed.status).toBe(500);
    const [line] = lines().filter((l) => l.level === 'error');
    expect(line).toMatchObject({
      msg: 'request failed',
      route: '/v1/lists/food-vouchers',
      code: 'internal_error',
      correlationId: expect.any(String),
      err: { type: 'DatabaseError', code: '23514', constraint: 'refuse_one' },
    });
    expect(line!.err!.message).toBeUndefined();
    expect(failed.headers.get('x-request-id')).toBe(line!.reqId);
  });
});
