/**
 * The security table, over real HTTP against the real system: every route × no token / expired /
 * tampered / foreign-signed / another issuer or audience / wrong role → 401/403, before anything is
 * read or written (under OIDC, an unknown issuer or key id: api/oidc.test.ts).
 * Object-level checks with real data (another family's voucher, another shop's hold) are in
 * api/flows.test.ts, where that data exists.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, secretKey, signToken, TOKEN_AUDIENCE, TOKEN_ISSUER, type Principal, type Role } from './auth';
import { startTestSystem, type TestSystem } from '../test/system';
import { OPERATOR } from '../test/registry';
import { fixtureDevice, fixtureSchool, fixtureShop } from '../simulators/registry';

let t: TestSystem;
beforeAll(async () => {
  t = await startTestSystem('2026-03-02T04:00:00.000Z');
  await onboardCounterpartsInEveryState();
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
  bmg: { role: 'bmg', sub: 'bmg-1' },
  'service-provider': { role: 'service-provider', sub: 'sp-1' },
  'education-authority': { role: 'education-authority', sub: 'edu-1', region: 'akmola' },
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

  /** Correctly signed, with exactly these time claims (seconds from now; undefined: absent). */
  const timed = (principal: Principal, claims: { iat?: number; exp?: number; iss?: string; aud?: string }) => {
    const { sub, ...rest } = principal;
    const now = Math.floor(t.clock.now().getTime() / 1000);
    let jwt = new SignJWT({ ...rest })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(sub)
      .setIssuer(claims.iss ?? TOKEN_ISSUER)
      .setAudience(claims.aud ?? TOKEN_AUDIENCE);
    if (claims.iat !== undefined) jwt = jwt.setIssuedAt(now + claims.iat);
    if (claims.exp !== undefined) jwt = jwt.setExpirationTime(now + claims.exp);
    return jwt.sign(secretKey(t.system.secrets.jwtSecret));
  };

  it('answers 401 to no token, an expired, a tampered, a foreign-signed, a too long-lived or timeless token, another issuer or audience, and 403 to every wrong role', async () => {
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
        // Lifetime (exp − iat) above JWT_MAX_LIFETIME_SECONDS (24 h by default), however fresh.
        ['a year long', await timed(SUBJECTS[allowed[0] as Role], { iat: 0, exp: 365 * 24 * 3600 }), 401],
        ['no exp', await timed(SUBJECTS[allowed[0] as Role], { iat: 0 }), 401],
        ['no iat', await timed(SUBJECTS[allowed[0] as Role], { exp: 3600 }), 401],
        // Signed with our key but naming another issuer or audience (OIDC's unknown issuer and kid: api/oidc.test.ts).
        ['unknown issuer', await timed(SUBJECTS[allowed[0] as Role], { iat: 0, exp: 3600, iss: 'https://idp.example.org' }), 401],
        ['another audience', await timed(SUBJECTS[allowed[0] as Role], { iat: 0, exp: 3600, aud: 'another-service' }), 401],
      ];
      for (const role of ROLES.filter((r) => !allowed.includes(r))) cases.push([`role ${role}`, await t.token(SUBJECTS[role]), 403]);
      for (const [name, token, status] of cases) {
        const answer = await t.call(route.method, path, {
          ...(token ? { token } : {}),
          body: route.method === 'GET' ? undefined : {},
          idempotencyKey: 'sec-1',
        });
        if (answer.status !== status || !answer.contentType.startsWith('application/problem+json'))
          failures.push(`${route.method} ${route.path} ${name}: ${answer.status}`);
      }
    }
    expect(failures).toEqual([]);
    expect(await t.eventCount()).toBe(before);
  });
});

describe('someone trying tokens', () => {
  let limited: TestSystem;
  beforeAll(async () => {
    limited = await startTestSystem('2026-03-02T04:00:00.000Z', { rateLimit: { limit: 10_000, windowSeconds: 60, failedAuthLimit: 20 } });
  });
  afterAll(async () => limited?.close());

  it('is answered 429 past the budget of failed tries per IP, on every protected route, while a good token from the same IP still works', async () => {
    const protectedRoutes = limited.system.api.routes.filter((r) => r.roles !== 'public');
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) {
      const route = protectedRoutes[i % protectedRoutes.length]!;
      statuses.push(
        (await limited.call(route.method, concrete(route.path), { token: `${i}.not.a-token`, body: route.method === 'GET' ? undefined : {} })).status,
      );
    }
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(401));
    expect(statuses[20]).toBe(429);
    for (const route of protectedRoutes) {
      const answer = await limited.call(route.method, concrete(route.path), { body: route.method === 'GET' ? undefined : {} });
      expect([route.path, answer.status, answer.body.code]).toEqual([route.path, 429, 'rate_limited']);
    }
    const good = await limited.call('GET', '/v1/ministry/outcomes', { token: await limited.token(SUBJECTS.ministry) });
    expect(good.status).toBe(200);
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

  it('serves the OpenAPI document — docs/openapi.json, every route of the whole system included — and the docs page', async () => {
    const served = (await t.call('GET', '/openapi.json')).body;
    expect(served.openapi).toBe('3.1.0');
    expect(served, 'docs/openapi.json is not what the system serves: npm run openapi (and declare optional route groups in app/tools/openapi-doc.ts)').toEqual(
      JSON.parse(readFileSync(join(import.meta.dirname, '..', 'docs', 'openapi.json'), 'utf8')),
    );
    expect((await t.call('GET', '/docs')).text).toContain('<script src="/docs/swagger-ui-bundle.js"></script>');
  });
});

/**
 * Counterparts in every registry state the hot path must refuse: a shop or device never
 * registered, registered but not active, suspended, closed; a device whose school is suspended;
 * a device token naming another school. Onboarded through the operator's door.
 */
async function onboardCounterpartsInEveryState(): Promise<void> {
  const operator = await t.token(OPERATOR);
  const call = async (method: string, path: string, body: unknown) => {
    const answer = await t.call(method, path, { token: operator, body });
    if (answer.status >= 300) throw new Error(`${method} ${path}: ${answer.status} ${answer.text}`);
  };
  const states: [string, ('activate' | 'suspend' | 'close')[]][] = [
    ['registered', []],
    ['suspended', ['activate', 'suspend']],
    ['closed', ['close']],
  ];
  for (const [state, actions] of states) {
    await call('PUT', `/v1/registry/shops/shop-${state}`, { details: fixtureShop(`shop-${state}`, 'kokshetau'), reason: 'security table' });
    for (const action of actions) await call('POST', `/v1/registry/shops/shop-${state}/${action}`, { reason: 'security table' });
  }
  await call('PUT', '/v1/registry/schools/school-1', { details: fixtureSchool('school-1'), reason: 'security table', activate: true });
  await call('PUT', '/v1/registry/schools/school-off', { details: fixtureSchool('school-off'), reason: 'security table', activate: true });
  await call('POST', '/v1/registry/schools/school-off/suspend', { reason: 'security table' });
  for (const [state, actions] of states) {
    await call('PUT', `/v1/registry/devices/dev-${state}`, { details: fixtureDevice('school-1', `dev-${state}`), reason: 'security table' });
    for (const action of actions) await call('POST', `/v1/registry/devices/dev-${state}/${action}`, { reason: 'security table' });
  }
  await call('PUT', '/v1/registry/devices/dev-1', { details: fixtureDevice('school-1', 'dev-1'), reason: 'security table', activate: true });
  await call('PUT', '/v1/registry/devices/dev-off-school', {
    details: fixtureDevice('school-off', 'dev-off-school'),
    reason: 'security table',
    activate: true,
  });
}

/** A valid body per counterpart route, so the refusal comes from the registry, not from validation. */
const COUNTERPART_BODIES: Readonly<Record<string, unknown>> = {
  'POST /v1/shop/balance': { token: 'qr-token' },
  'POST /v1/shop/holds': { token: 'qr-token', items: [{ sku: '2000000000015', name: 'Мука', quantity: 1, unit: 'pcs', unitPriceTiyn: 100 }] },
  'POST /v1/shop/holds/{holdId}/capture': { paymentStatus: 'paid' },
  'POST /v1/shop/holds/{holdId}/void': undefined,
  'POST /v1/canteen/batches': { batchId: 'b-1', records: [{ seq: 1, cardIin: '030101500011', scannedAt: '2026-03-02T04:00:00.000Z' }] },
  // The product catalogue is one for every shop, but a shop the registry does not admit is refused it like every other call.
  'GET /v1/catalogue': undefined,
  // A device's roster: a foreign school's (a token naming another school than the device's) is refused like the rest.
  'GET /v1/canteen/roster': undefined,
};
/**
 * Not refused: a shop reads its own statements whatever the registry says of it now — what it
 * captured while admitted is still paid (issue 15, issue 17), and a closed shop must be able to
 * match the transfers it receives. A token of a shop the registry never knew sees no statement.
 */
const READABLE_WHATEVER_THE_REGISTRY_SAYS = new Set(['GET /v1/shop/statements', 'GET /v1/shop/statements/{statementId}']);

describe('counterparts the registry does not admit', () => {
  const shops: [string, Principal, string][] = [
    ['a shop never registered', { role: 'merchant', sub: 'shop-ghost', shopId: 'shop-ghost' }, 'shop_not_registered'],
    ['a registered shop not yet active', { role: 'merchant', sub: 'shop-registered', shopId: 'shop-registered' }, 'shop_not_active'],
    ['a suspended shop', { role: 'merchant', sub: 'shop-suspended', shopId: 'shop-suspended' }, 'shop_suspended'],
    ['a closed shop', { role: 'merchant', sub: 'shop-closed', shopId: 'shop-closed' }, 'shop_closed'],
  ];
  const devices: [string, Principal, string][] = [
    ['a device never registered', { role: 'canteen-device', sub: 'dev-ghost', deviceId: 'dev-ghost', schoolId: 'school-1' }, 'device_not_registered'],
    [
      'a registered device not yet active',
      { role: 'canteen-device', sub: 'dev-registered', deviceId: 'dev-registered', schoolId: 'school-1' },
      'device_not_active',
    ],
    ['a suspended device', { role: 'canteen-device', sub: 'dev-suspended', deviceId: 'dev-suspended', schoolId: 'school-1' }, 'device_suspended'],
    ['a closed device', { role: 'canteen-device', sub: 'dev-closed', deviceId: 'dev-closed', schoolId: 'school-1' }, 'device_closed'],
    [
      'a device of a suspended school',
      { role: 'canteen-device', sub: 'dev-off-school', deviceId: 'dev-off-school', schoolId: 'school-off' },
      'school_suspended',
    ],
    ['a device token naming a foreign school', { role: 'canteen-device', sub: 'dev-1', deviceId: 'dev-1', schoolId: 'school-2' }, 'device_school_mismatch'],
  ];

  it('refuses each on every route of its role with 403 and its code, appending nothing', async () => {
    const before = await t.eventCount();
    const failures: string[] = [];
    for (const route of t.system.api.routes) {
      if (route.roles === 'public') continue;
      const cases = [...(route.roles.includes('merchant') ? shops : []), ...(route.roles.includes('canteen-device') ? devices : [])];
      if (cases.length === 0) continue;
      const key = `${route.method} ${route.path}`;
      if (READABLE_WHATEVER_THE_REGISTRY_SAYS.has(key)) continue;
      if (!(key in COUNTERPART_BODIES)) {
        failures.push(`${key}: no sample body in COUNTERPART_BODIES`);
        continue;
      }
      for (const [name, principal, code] of cases) {
        const body = COUNTERPART_BODIES[key];
        const answer = await t.call(route.method, concrete(route.path), {
          token: await t.token(principal),
          ...(body !== undefined ? { body } : {}),
          idempotencyKey: `sec-${`${key}-${name}`.replace(/\W+/g, '-')}`,
        });
        if (answer.status !== 403 || answer.body.code !== code) failures.push(`${key} ${name}: ${answer.status} ${answer.body.code}`);
      }
    }
    expect(failures).toEqual([]);
    expect(await t.eventCount()).toBe(before);
  });
});
