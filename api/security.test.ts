/**
 * The security table, over real HTTP against the real system: every route × no token / expired /
 * tampered / foreign-signed / wrong role → 401/403, before anything is read or written.
 * Object-level checks with real data (another family's voucher, another shop's hold) are in
 * api/flows.test.ts, where that data exists.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, signToken, type Principal, type Role } from './auth';
import { startTestSystem, type TestSystem } from '../test/system';

let t: TestSystem;
beforeAll(async () => {
  t = await startTestSystem('2026-03-02T04:00:00.000Z');
});
afterAll(async () => t?.close());

const SUBJECTS: Record<Role, Principal> = {
  sdu: { role: 'sdu', sub: 'sdu-1' },
  nobd: { role: 'nobd', sub: 'nobd-1' },
  'sms-gateway': { role: 'sms-gateway', sub: 'gw-1' },
  citizen: { role: 'citizen', sub: 'p-1', familyId: 'fam-1', personId: 'p-1' },
  merchant: { role: 'merchant', sub: 'shop-1', shopId: 'shop-1' },
  'canteen-device': { role: 'canteen-device', sub: 'dev-1', deviceId: 'dev-1', schoolId: 'school-1' },
  'social-pedagogue': { role: 'social-pedagogue', sub: 'ped-1', schoolId: 'school-1' },
  auditor: { role: 'auditor', sub: 'aud-1' },
  ministry: { role: 'ministry', sub: 'min-1' },
  operator: { role: 'operator', sub: 'op-1' },
};

const concrete = (path: string) =>
  path
    .replace('{source}', 'sdu')
    .replace('{month}', '2026-03')
    .replace('{date}', '2026-03-02')
    .replace('{schoolId}', 'school-1')
    .replace('{name}', 'tabel')
    .replace(/\{\w+\}/g, 'x-1');

describe('every protected route refuses bad credentials', () => {
  it('covers every route of the API', () => {
    const protectedRoutes = t.system.api.routes.filter((r) => r.roles !== 'public');
    expect(protectedRoutes.length).toBeGreaterThanOrEqual(22);
  });

  it('answers 401 to no token, an expired, a tampered and a foreign-signed token, and 403 to every wrong role', async () => {
    const before = await t.eventCount();
    const expired = await t.token(SUBJECTS.operator, 1);
    t.clock.advance(2);
    const failures: string[] = [];
    for (const route of t.system.api.routes) {
      if (route.roles === 'public') continue;
      const path = concrete(route.path);
      const allowed = route.roles as readonly string[];
      const good = await t.token(SUBJECTS[allowed[0] as Role]);
      const [h, p, sig] = good.split('.');
      const claims = JSON.parse(Buffer.from(p!, 'base64url').toString());
      const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: 'intruder', role: 'operator' })).toString('base64url')}.${sig}`;
      const foreign = await signToken('someone-else-secret-someone-else-secret', SUBJECTS[allowed[0] as Role], { now: t.clock.now() });
      const cases: [string, string | undefined, number][] = [
        ['no token', undefined, 401],
        ['expired', expired, 401],
        ['tampered', tampered, 401],
        ['foreign', foreign, 401],
      ];
      for (const role of ROLES.filter((r) => !allowed.includes(r))) cases.push([`role ${role}`, await t.token(SUBJECTS[role]), 403]);
      for (const [name, token, status] of cases) {
        const answer = await t.call(route.method, path, { ...(token ? { token } : {}), body: route.method === 'GET' ? undefined : {}, idempotencyKey: 'sec-1' });
        if (answer.status !== status || !answer.contentType.startsWith('application/problem+json'))
          failures.push(`${route.method} ${route.path} ${name}: ${answer.status}`);
      }
    }
    expect(failures).toEqual([]);
    expect(await t.eventCount()).toBe(before);
  });
});

describe('public routes', () => {
  it('is ready when Postgres and the runner are up', async () => {
    const health = await t.call('GET', '/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ready', postgres: true, runner: true, eventStore: 'postgres' });
  });

  it('serves metrics with projection lag and append counters', async () => {
    const metrics = await t.call('GET', '/metrics');
    expect(metrics.text).toMatch(/projection_lag_events\{projection="tabel"\}/);
    expect(metrics.text).toMatch(/eventstore_appends_total/);
  });

  it('serves the OpenAPI document and the docs page', async () => {
    expect((await t.call('GET', '/openapi.json')).body.openapi).toBe('3.1.0');
    expect((await t.call('GET', '/docs')).text).toContain('/v1/canteen/batches');
  });
});
