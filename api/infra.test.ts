/**
 * The API's edge machinery over real HTTP and a real Postgres (idempotency table), with the
 * application services replaced by a recording double: problem+json, auth, validation, body
 * limits, idempotency, rate limits, metrics, OpenAPI. The real services are exercised end to end
 * in api/flows.test.ts and api/security.test.ts.
 */
import type { CatalogueDoor } from './routes/catalogue';
import { testStates } from '../test/stream-states';
import { createRegistryServices } from '../application/services/registry';
import { createRegistryView } from '../application/registry/view';
import { createRegistryReads } from './registry-reads';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../adapters/clock/clock';
import { createMemoryEventStore } from '../adapters/eventstore/memory';
import { coreMigrations } from '../adapters/postgres/migrate';
import type { LedgerServices } from '../application/services/contract';
import { DomainError } from '../domain/shared/errors';
import { freshDatabase } from '../test/pg';
import type { SettlementDoor } from './routes/settlement';
import { createApi } from './app';
import { apiMigrations } from './idempotency';
import { createMetrics } from './metrics';
import type { ReadSide } from './read-side';
import type { Tabel } from '../projections/tabel/queries';
import { client, serve, tokenFor, type Served } from '../test/http';
import { capturedLogger } from '../test/log';
import { failOnContractViolations } from '../test/system';

const SECRET = 'test-secret-test-secret-test-secret-42';
const clock = new VirtualClock('2026-03-05T04:00:00.000Z');
const calls: { name: string; input: unknown; commandId: string }[] = [];
let ready = true;
const { logger, lines: logged } = capturedLogger('debug');

const record = (name: string, input: unknown, meta: { commandId: string }) => calls.push({ name, input, commandId: meta.commandId });

const services: LedgerServices = {
  async receiveList(input, meta) {
    record('receiveList', input, meta);
    return {
      listId: input.listId,
      accepted: input.rows.length,
      rejected: 0,
      continued: 0,
      rows: input.rows.map((_, i) => ({ rowNo: i + 1, outcome: 'row_accepted' })),
      repeated: false,
    };
  },
  async recordSmsDelivery(report, meta) {
    record('recordSmsDelivery', report, meta);
  },
  async receiveSmsReply(reply, meta) {
    record('receiveSmsReply', reply, meta);
    return { outcome: 'no_open_case_for_phone' };
  },
  async activateVoucher(input, meta) {
    record('activateVoucher', input, meta);
    if (input.voucherId === 'v-other') throw new DomainError('voucher_not_found');
    if (input.voucherId === 'v-crash') throw new Error('pg: duplicate key value (iin)=(900101300123) phone +77011234567');
    return { voucherId: input.voucherId, status: 'active' };
  },
  async recordSmsDeliveries(reports, meta) {
    record('recordSmsDeliveries', reports, meta);
    return reports.map((r) => ({ messageId: r.messageId, outcome: 'recorded' as const }));
  },
  async activateFoodMonth(input, meta) {
    record('activateFoodMonth', input, meta);
    return { activated: [] };
  },
  async issueQrToken(input, meta) {
    record('issueQrToken', input, meta);
    return { token: 'tok', expiresAt: clock.now().toISOString() };
  },
  async syncCanteenBatch(batch, meta) {
    record('syncCanteenBatch', batch, meta);
    return { results: batch.records.map((r) => ({ seq: r.seq, outcome: 'meal_recorded', repeated: false })) };
  },
  async balanceByToken(input, meta) {
    record('balanceByToken', input, meta);
    return { familyId: 'f1', month: '2026-03', availableTiyn: 100, heldTiyn: 0 };
  },
  async authorizePurchase(input, meta) {
    record('authorizePurchase', input, meta);
    if (input.token === 'broke') throw new DomainError('insufficient_balance');
    const basket = input.items.reduce((s, i) => s + i.unitPriceTiyn * i.quantity, 0);
    return {
      holdId: input.holdId,
      familyId: 'f1',
      basketTiyn: basket,
      eligibleTiyn: basket,
      heldTiyn: basket,
      remainderTiyn: 0,
      items: input.items.map((i) => ({ ...i, eligible: true, lineTiyn: i.unitPriceTiyn * i.quantity })),
      expiresAt: clock.now().toISOString(),
    };
  },
  async capturePurchase(input, meta) {
    record('capturePurchase', input, meta);
    return { holdId: input.holdId, capturedTiyn: 1, releasedTiyn: 0, status: 'captured' };
  },
  async voidPurchase(input, meta) {
    record('voidPurchase', input, meta);
    throw new DomainError('hold_not_found');
  },
  async submitFeedback(input, meta) {
    record('submitFeedback', input, meta);
    return { feedbackId: 'fb1', status: 'pending', addressee: { code: 'akimat:akmola', name: 'Акимат Акмолинской области' }, concerns: {} };
  },
  async fireDeadline(input, meta) {
    record('fireDeadline', input, meta);
  },
};

const emptyTabel = (schoolId: string, month: string): Tabel => ({
  schoolId,
  month,
  region: null,
  status: 'in_progress',
  availableFrom: '2026-03-31T19:00:00.000Z',
  finalFrom: '2026-04-04T19:00:00.000Z',
  days: [],
  pupils: [],
  fedPerDay: {},
  mealCount: 0,
  mealPriceTiyn: 0,
  amountDueTiyn: 0,
  late: [],
  lateMealCount: 0,
  notListed: [],
  notListedMealCount: 0,
});

const reads: ReadSide = {
  pendingSms: async () => [],
  familyVouchers: async (familyId) => ({ familyId, vouchers: [], foodMonths: [] }),
  familyHistory: async (familyId) => ({ familyId, vouchers: [], events: [] }),
  listView: async () => undefined,
  listReturns: async () => [],
  tabel: async (schoolId, month, format) =>
    format === 'json' ? { kind: 'json', data: emptyTabel(schoolId, month) } : { kind: 'document', contentType: 'text/csv; charset=utf-8', body: 'a,b\r\n' },
  dailyReport: async (_schoolId, date) => ({ kind: 'json', data: { date, schools: [], returnedRows: [] } }),
  outcomes: async () => ({ kind: 'json', data: { funnel: [], foodVolumes: [], schoolMeals: [] } }),
  projections: async () => [{ name: 'tabel', lagEvents: 3, lagSeconds: 1 }],
  rebuild: async (name) => name === 'tabel',
  qrPng: async () => Buffer.from([0x89, 0x50]),
  qrSvg: async () => '<svg/>',
};

let served: Served;
let pool: import('../adapters/postgres/pool').Pool | undefined;
let drop: () => Promise<void>;
let closeApi: () => void;
let contractViolations: () => readonly string[];
let call: ReturnType<typeof client>;
const token = tokenFor(SECRET, clock);
const citizen = { role: 'citizen', sub: 'p1', familyId: 'f1', personId: 'p1' } as const;
const shop = { role: 'merchant', sub: 'shop-1', shopId: 'shop-1' } as const;
/** The pipeline's tests never reach money out's routes. */
const noSettlement = {} as SettlementDoor;
/** Nor the product catalogue's. */
const noCatalogue = {} as CatalogueDoor;
const item = { sku: '4870001', name: 'Молоко 2,5%', quantity: 2, unit: 'pcs', unitPriceTiyn: 45_000 };

beforeAll(async () => {
  const db = await freshDatabase([...coreMigrations(), ...apiMigrations()]);
  drop = db.drop;
  pool = db.pool;
  const metrics = createMetrics({ lag: reads.projections });
  const api = createApi({
    clock,
    jwtSecret: SECRET,
    services,
    registry: createRegistryServices({ states: testStates(createMemoryEventStore()), view: createRegistryView() }),
    registryReads: createRegistryReads(db.pool, createRegistryView(), { secret: 'infra-test', iinsOf: async () => new Map() }),
    catalogue: noCatalogue,
    settlement: noSettlement,
    pool: db.pool,
    store: createMemoryEventStore(),
    reads,
    exchanges: new Proxy({}, { get: () => () => Promise.reject(new Error('not in this test')) }) as never,
    metrics,
    health: async () => ({ postgres: true, runner: ready }),
    rateLimit: { limit: 40, windowSeconds: 60 },
    logger,
    checkContract: true,
  });
  closeApi = api.close;
  contractViolations = api.contractViolations;
  served = await serve(api.app);
  call = client(served.url);
});

afterAll(async () => {
  await served?.close();
  closeApi?.();
  await drop?.();
  failOnContractViolations(contractViolations?.() ?? []);
});

const expectProblem = (
  answer: { status: number; contentType: string; body: { type: string; code: string; status: number; title: string; detail: string } },
  status: number,
  code: string,
) => {
  expect(answer.status).toBe(status);
  expect(answer.contentType).toMatch(/^application\/problem\+json/);
  expect(answer.body.type).toBe(`https://social-wallet.kz/problems/${code}`);
  expect(answer.body.code).toBe(code);
  expect(answer.body.status).toBe(status);
  expect(typeof answer.body.title).toBe('string');
  expect(typeof answer.body.detail).toBe('string');
};

describe('every failure is problem+json', () => {
  it('answers an unknown route with 404 route_not_found', async () => {
    expectProblem(await call('GET', '/v1/nothing-here'), 404, 'route_not_found');
    expectProblem(await call('DELETE', '/v1/me/vouchers'), 404, 'route_not_found');
  });

  it('answers a path parameter that is not valid percent-encoding with 400, not 500', async () => {
    const before = logged.length;
    const answer = await call('GET', '/v1/lists/sdu/%E0%A4%A', { token: await token({ role: 'sdu', sub: 'sdu' }) });
    expectProblem(answer, 400, 'validation_failed');
    expect(logged.slice(before).filter((line) => line.includes('internal_error'))).toEqual([]);
  });

  it('answers malformed JSON with 400 malformed_json', async () => {
    const answer = await call('POST', '/v1/me/feedback', { token: await token(citizen), raw: '{"program": "school-meals",', contentType: 'application/json' });
    expectProblem(answer, 400, 'malformed_json');
  });

  it('answers a body of the wrong media type with 415', async () => {
    const answer = await call('POST', '/v1/me/feedback', { token: await token(citizen), raw: 'kind=rating', contentType: 'application/x-www-form-urlencoded' });
    expectProblem(answer, 415, 'unsupported_media_type');
  });

  it('answers a body over the route’s limit with 413', async () => {
    const answer = await call('POST', '/v1/me/feedback', {
      token: await token(citizen),
      body: { program: 'school-meals', kind: 'complaint', text: 'я'.repeat(70_000) },
    });
    expectProblem(answer, 413, 'payload_too_large');
  });

  it('names the field paths of validation errors', async () => {
    const answer = await call('POST', '/v1/shop/holds', {
      token: await token(shop),
      idempotencyKey: 'k-validation',
      body: {
        token: 't',
        items: [
          { ...item, unitPriceTiyn: 12.5 },
          { ...item, quantity: -1 },
        ],
      },
    });
    expectProblem(answer, 400, 'validation_failed');
    const paths = answer.body.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['body.items.0.unitPriceTiyn', 'body.items.1.quantity']));
  });

  it('maps a domain refusal through its code’s kind (not_found 404, rule 422)', async () => {
    const c = await token(citizen);
    expectProblem(await call('POST', '/v1/me/vouchers/v-other/activate', { token: c }), 404, 'voucher_not_found');
    expectProblem(
      await call('POST', '/v1/shop/holds', { token: await token(shop), idempotencyKey: 'k-broke', body: { token: 'broke', items: [item] } }),
      422,
      'insufficient_balance',
    );
  });

  it('answers an unexpected failure with a bare 500 problem: no stack, no personal data, logged redacted', async () => {
    const answer = await call('POST', '/v1/me/vouchers/v-crash/activate', { token: await token(citizen) });
    expectProblem(answer, 500, 'internal_error');
    expect(answer.text).not.toMatch(/900101300123|7701123|at .*\.ts|duplicate key/);
    const line = logged.find((l) => l.includes('internal_error'))!;
    expect(line).toBeDefined();
    expect(line).not.toMatch(/900101300123|77011234567/);
  });

  it('never echoes an IIN from a rejected input', async () => {
    const answer = await call('POST', '/v1/canteen/batches', {
      token: await token({ role: 'canteen-device', sub: 'd1', deviceId: 'd1', schoolId: 's1' }),
      body: { batchId: 'b1', records: [{ seq: 1, cardIin: '90010130012', scannedAt: '2026-03-05T04:00:00Z' }] },
    });
    expectProblem(answer, 400, 'validation_failed');
    expect(answer.text).not.toContain('90010130012');
  });
});

describe('authentication and roles', () => {
  it('refuses a missing token with 401 and a Bearer challenge', async () => {
    const answer = await call('GET', '/v1/me/vouchers');
    expectProblem(answer, 401, 'unauthorized');
    expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it('refuses an expired token with 401', async () => {
    const expired = await token(citizen, 60);
    clock.advance(61);
    const answer = await call('GET', '/v1/me/vouchers', { token: expired });
    expectProblem(answer, 401, 'unauthorized');
    expect(answer.body.detail).toMatch(/expired/);
  });

  it('refuses a tampered token with 401', async () => {
    const good = await token(citizen);
    const [header, payload, signature] = good.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), familyId: 'f2' })).toString('base64url');
    expectProblem(await call('GET', '/v1/me/vouchers', { token: `${header}.${forged}.${signature}` }), 401, 'unauthorized');
    expectProblem(await call('GET', '/v1/me/vouchers', { token: `${good.slice(0, -2)}xx` }), 401, 'unauthorized');
    expectProblem(await call('GET', '/v1/me/vouchers', { headers: { authorization: 'Basic dXNlcjpwYXNz' } }), 401, 'unauthorized');
  });

  it('refuses a token signed with another secret, or for an unknown role', async () => {
    const other = tokenFor('another-secret-another-secret-another', clock);
    expectProblem(await call('GET', '/v1/me/vouchers', { token: await other(citizen) }), 401, 'unauthorized');
    const bogus = await token({ role: 'root', sub: 'x' } as never);
    expectProblem(await call('GET', '/v1/me/vouchers', { token: bogus }), 401, 'unauthorized');
  });

  it('refuses the wrong role with 403', async () => {
    expectProblem(await call('GET', '/v1/me/vouchers', { token: await token(shop) }), 403, 'forbidden');
    expectProblem(await call('POST', '/v1/shop/balance', { token: await token(citizen), body: { token: 't' } }), 403, 'forbidden');
  });

  it('refuses a pedagogue another school’s табель with 403', async () => {
    const pedagogue = await token({ role: 'social-pedagogue', sub: 'ped-1', schoolId: 's1' });
    expect((await call('GET', '/v1/schools/s1/tabel/2026-03', { token: pedagogue })).status).toBe(200);
    expectProblem(await call('GET', '/v1/schools/s2/tabel/2026-03', { token: pedagogue }), 403, 'forbidden');
  });

  it('refuses a device a batch for another device or school with 403', async () => {
    const device = await token({ role: 'canteen-device', sub: 'd1', deviceId: 'd1', schoolId: 's1' });
    const records = [{ seq: 1, token: 't', scannedAt: '2026-03-05T04:00:00Z' }];
    expectProblem(await call('POST', '/v1/canteen/batches', { token: device, body: { batchId: 'b', schoolId: 's2', records } }), 403, 'forbidden');
    expectProblem(await call('POST', '/v1/canteen/batches', { token: device, body: { batchId: 'b', deviceId: 'd2', records } }), 403, 'forbidden');
  });

  it('takes the family and shop from the token, never from the request', async () => {
    await call('POST', '/v1/me/vouchers/v1/activate', { token: await token(citizen) });
    expect(calls.at(-1)).toMatchObject({ name: 'activateVoucher', input: { familyId: 'f1', byPersonId: 'p1', voucherId: 'v1' } });
  });
});

describe('Idempotency-Key', () => {
  it('is required on shop writes', async () => {
    expectProblem(await call('POST', '/v1/shop/holds', { token: await token(shop), body: { token: 't', items: [item] } }), 400, 'idempotency_key_required');
  });

  it('replays the first response for the same key and body, without calling the service again', async () => {
    const t = await token(shop);
    const first = await call('POST', '/v1/shop/holds', { token: t, idempotencyKey: 'k-1', body: { token: 't', items: [item] } });
    const before = calls.length;
    const again = await call('POST', '/v1/shop/holds', { token: t, idempotencyKey: 'k-1', body: { items: [item], token: 't' } });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.text).toBe(first.text);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(calls.length).toBe(before);
  });

  it('refuses the same key with a different body with 409', async () => {
    const t = await token(shop);
    await call('POST', '/v1/shop/holds', { token: t, idempotencyKey: 'k-2', body: { token: 't', items: [item] } });
    const answer = await call('POST', '/v1/shop/holds', { token: t, idempotencyKey: 'k-2', body: { token: 't', items: [{ ...item, quantity: 3 }] } });
    expectProblem(answer, 409, 'idempotency_key_reused_with_different_body');
  });

  it('scopes keys per client: another shop may use the same key', async () => {
    const other = await token({ role: 'merchant', sub: 'shop-2', shopId: 'shop-2' });
    const answer = await call('POST', '/v1/shop/holds', { token: other, idempotencyKey: 'k-2', body: { token: 't', items: [{ ...item, quantity: 3 }] } });
    expect(answer.status).toBe(201);
    expect(answer.body.holdId).not.toBe(calls.find((c) => c.name === 'authorizePurchase' && (c.input as { shopId: string }).shopId === 'shop-1')?.commandId);
  });

  it('replays a refusal too, and derives the command id from the key', async () => {
    const t = await token(shop);
    const first = await call('POST', '/v1/shop/holds/h-x/void', { token: t, idempotencyKey: 'k-void' });
    const again = await call('POST', '/v1/shop/holds/h-x/void', { token: t, idempotencyKey: 'k-void' });
    expectProblem(first, 404, 'hold_not_found');
    expect(again.text).toBe(first.text);
    expect(calls.filter((c) => c.name === 'voidPurchase').map((c) => c.commandId)).toEqual(['merchant:shop-1:k-void']);
  });

  describe('concurrent retries behave as sequential ones', () => {
    // Six at once, three with each body: one runs; its body's retries get its answer, the others 409.
    const race = async (callers: readonly ReturnType<typeof client>[], key: string) => {
      const t = await token(shop);
      const bodies = [
        { token: 't', items: [item] },
        { token: 't', items: [{ ...item, quantity: 3 }] },
      ];
      const before = calls.filter((c) => c.name === 'authorizePurchase').length;
      const answers = await Promise.all(
        Array.from({ length: 6 }, (_, i) => callers[i % callers.length]!('POST', '/v1/shop/holds', { token: t, idempotencyKey: key, body: bodies[i % 2] })),
      );
      const ran = calls.filter((c) => c.name === 'authorizePurchase').slice(before);
      expect(ran).toHaveLength(1);
      const winner = bodies.findIndex((b) => b.items[0]!.quantity === (ran[0]!.input as { items: { quantity: number }[] }).items[0]!.quantity);
      for (const [i, answer] of answers.entries()) {
        if (i % 2 === winner) {
          expect(answer.status).toBe(201);
          expect(answer.text).toBe(answers[winner]!.text);
        } else expectProblem(answer, 409, 'idempotency_key_reused_with_different_body');
      }
      const after = await callers[0]!('POST', '/v1/shop/holds', { token: t, idempotencyKey: key, body: bodies[1 - winner] });
      expectProblem(after, 409, 'idempotency_key_reused_with_different_body');
    };

    it('in one process: one request runs, a same-body retry gets its answer, another body 409', async () => {
      await race([call], 'k-race');
    });

    it('across two API processes over one database', async () => {
      const second = createApi({
        clock,
        jwtSecret: SECRET,
        services,
        settlement: noSettlement,
        registry: createRegistryServices({ states: testStates(createMemoryEventStore()), view: createRegistryView() }),
        registryReads: createRegistryReads(pool!, createRegistryView(), { secret: 'infra-test', iinsOf: async () => new Map() }),
        catalogue: noCatalogue,
        pool: pool!,
        store: createMemoryEventStore(),
        reads,
        exchanges: {} as never,
        metrics: createMetrics({ lag: reads.projections }),
        health: async () => ({ postgres: true, runner: true }),
      });
      const other = await serve(second.app);
      try {
        await race([call, client(other.url)], 'k-race-2');
      } finally {
        await other.close();
        second.close();
      }
    });
  });

  it('rejects a malformed key', async () => {
    expectProblem(await call('POST', '/v1/shop/holds/h/void', { token: await token(shop), idempotencyKey: 'x'.repeat(300) }), 400, 'validation_failed');
  });
});

describe('lists in CSV', () => {
  it('groups CSV lines into families and hands them to the service', async () => {
    const csv =
      'familyId,city,aspOnDate,memberRole,iin,fullName\nfam-1,Kokshetau,2026-02-28,head,900101300123,Әсел Нұрланқызы\nfam-1,Kokshetau,2026-02-28,member,150101500127,\n';
    const answer = await call('POST', '/v1/lists/food-vouchers?listId=L1&month=2026-03', {
      token: await token({ role: 'sdu', sub: 'sdu' }),
      raw: csv,
      contentType: 'text/csv',
    });
    expect(answer.status).toBe(201);
    expect(calls.at(-1)!.input).toMatchObject({
      program: 'food-vouchers',
      listId: 'L1',
      rows: [{ familyId: 'fam-1', head: { iin: '900101300123', fullName: 'Әсел Нұрланқызы' }, members: [{ iin: '900101300123' }, { iin: '150101500127' }] }],
    });
  });

  it('refuses broken CSV without quoting it', async () => {
    const answer = await call('POST', '/v1/lists/food-vouchers?listId=L1&month=2026-03', {
      token: await token({ role: 'sdu', sub: 'sdu' }),
      raw: 'familyId,city\n"fam-1,900101300123\n',
      contentType: 'text/csv',
    });
    expectProblem(answer, 400, 'validation_failed');
    expect(answer.text).not.toContain('900101300123');
  });
});

describe('system routes', () => {
  it('serves an OpenAPI 3.1 document with every route', async () => {
    const doc = await call('GET', '/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    for (const path of ['/v1/shop/holds', '/v1/canteen/batches', '/v1/me/vouchers/{voucherId}/activate', '/v1/lists/school-meals', '/v1/ministry/outcomes'])
      expect(Object.keys(doc.body.paths)).toContain(path);
    expect(doc.body.paths['/v1/shop/holds'].post.requestBody.content['application/json'].schema.properties.items).toBeDefined();
    expect(doc.body.paths['/v1/shop/holds'].post.responses['422'].description).toContain('insufficient_balance');
  });

  it('serves the docs page (Swagger UI) with its scripts and style from this origin, under the CSP every answer carries', async () => {
    const page = await call('GET', '/docs');
    expect(page.status).toBe(200);
    expect(page.contentType).toBe('text/html; charset=utf-8');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/(^|;)script-src 'self'(;|$)/);
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    const scripts = [...page.text.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, inline] of scripts) {
      expect(inline!.trim(), 'no inline script: the CSP would block it').toBe('');
      expect(attributes).toMatch(/ src="\/docs\/[\w.-]+\.js"/);
    }
    const assets = [...page.text.matchAll(/(?:src|href)="(\/docs\/[\w.-]+)"/g)].map((match) => match[1]!);
    expect(assets).toEqual(['/docs/swagger-ui.css', '/docs/swagger-ui-bundle.js', '/docs/docs.js']);
    for (const asset of assets) {
      const answer = await call('GET', asset);
      expect(answer.status, asset).toBe(200);
      expect(answer.contentType, asset).toBe(asset.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8');
      expect(answer.headers.get('x-content-type-options'), asset).toBe('nosniff');
    }
    expect((await call('GET', '/docs/swagger-ui-bundle.js')).text).toContain('SwaggerUIBundle');
    expect((await call('GET', '/docs/docs.js')).text).toContain("url: '/openapi.json'");
    expectProblem(await call('GET', '/docs/index.html'), 400, 'validation_failed');
  });

  it('reports readiness: 503 until the runner is up', async () => {
    ready = false;
    const down = await call('GET', '/health');
    ready = true;
    const up = await call('GET', '/health');
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ status: 'not_ready', runner: false });
    expect(up.status).toBe(200);
    expect(up.body).toMatchObject({ status: 'ready', postgres: true, runner: true });
  });

  it('exposes request counts by route template, latencies and projection lag', async () => {
    const metrics = await call('GET', '/metrics');
    expect(metrics.text).toMatch(/http_requests_total\{method="POST",route="\/v1\/me\/vouchers\/\{voucherId\}\/activate",status="200"\}/);
    expect(metrics.text).toMatch(/http_request_duration_seconds_bucket/);
    expect(metrics.text).toMatch(/projection_lag_events\{projection="tabel"\} 3/);
  });

  it('sets security headers', async () => {
    const answer = await call('GET', '/health');
    expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
    expect(answer.headers.get('content-security-policy')).toBeTruthy();
    expect(answer.headers.get('x-powered-by')).toBeNull();
  });
});

describe('every spelling of a route’s path gets the same answer (api/router.ts decides which match)', () => {
  // The path as declared, with a trailing slash, in capitals and with a percent-encoded letter:
  // one router and one pipeline, so the same answers and headers.
  const SPELLINGS = ['/v1/shop/balance', '/v1/shop/balance/', '/V1/SHOP/BALANCE', '/v1/shop/%62alance'] as const;
  const all = async (options: Parameters<typeof call>[2]) => Promise.all(SPELLINGS.map((path) => call('POST', path, options)));
  const same = (a: Awaited<ReturnType<typeof call>>, b: Awaited<ReturnType<typeof call>>, path: string) => {
    expect(b.status, path).toBe(a.status);
    expect(b.body, path).toEqual(typeof a.body === 'object' ? { ...a.body, ...(a.body.instance ? { instance: path } : {}) } : a.body);
    for (const header of ['content-type', 'content-security-policy', 'x-content-type-options', 'strict-transport-security', 'ratelimit-policy'])
      expect(b.headers.get(header), `${path} ${header}`).toBe(a.headers.get(header));
    expect(a.headers.get('content-security-policy')).toBeTruthy();
    expect(a.headers.get('x-powered-by')).toBeNull();
  };
  const sameForAll = (answers: Awaited<ReturnType<typeof call>>[]) => answers.forEach((answer, i) => same(answers[0]!, answer, SPELLINGS[i]!));

  // Their own subjects: four spellings a case would spend the file's other tokens' 40 a minute.
  const till = { role: 'merchant', sub: 'shop-spellings', shopId: 'shop-1' } as const;
  const parent = { role: 'citizen', sub: 'p-spellings', familyId: 'f1', personId: 'p1' } as const;

  it('serves the same answer and headers for each', async () => {
    const answers = await all({ token: await token(till), body: { token: 'qr-token-1' } });
    expect(answers[0]!.status).toBe(200);
    expect(answers[0]!.body).toEqual({ familyId: 'f1', month: '2026-03', availableTiyn: 100, heldTiyn: 0 });
    sameForAll(answers);
    expect(answers[0]!.headers.get('ratelimit')).toMatch(/^limit=40, remaining=\d+, reset=\d+$/);
  });

  it('refuses alike: no token, the wrong role, malformed JSON, the wrong media type, a schema miss', async () => {
    const t = await token(till);
    const cases: [Parameters<typeof call>[2], number, string][] = [
      [{ body: { token: 'x' } }, 401, 'unauthorized'],
      [{ token: await token(parent), body: { token: 'x' } }, 403, 'forbidden'],
      [{ token: t, raw: '{"token": ', contentType: 'application/json' }, 400, 'malformed_json'],
      [{ token: t, raw: 'token=x', contentType: 'application/x-www-form-urlencoded' }, 415, 'unsupported_media_type'],
      [{ token: t, raw: '{"token":"x"}', contentType: 'application/json; charset=no-such-charset' }, 415, 'unsupported_media_type'],
      [{ token: t, body: { token: 'x', extra: 1 } }, 400, 'validation_failed'],
    ];
    for (const [options, status, code] of cases) {
      const answers = await all(options);
      expectProblem(answers[0]!, status, code);
      sameForAll(answers);
    }
  });
});

describe('request bodies', () => {
  // Raw node:http, to send what fetch will not: a chunked body with no length, a compressed one.
  const send = (path: string, headers: Record<string, string>, chunks: string[], encoding: BufferEncoding = 'utf8') =>
    new Promise<{ status: number; body: { code: string } }>((resolve, reject) => {
      const url = new URL(path, served.url);
      const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as { code: string } }));
      });
      req.on('error', reject);
      for (const chunk of chunks) req.write(chunk, encoding);
      req.end();
    });

  it('stops reading a chunked body with no Content-Length once it passes the limit (413)', async () => {
    const headers = { authorization: `Bearer ${await token(citizen)}`, 'content-type': 'application/json', 'transfer-encoding': 'chunked' };
    const answer = await send('/v1/me/feedback', headers, [
      '{"program":"school-meals","kind":"complaint","text":"',
      ...Array.from({ length: 20 }, () => 'x'.repeat(4096)),
      '"}',
    ]);
    expect(answer).toMatchObject({ status: 413, body: { code: 'payload_too_large' } });
  });

  it('reads a chunked body within the limit', async () => {
    const headers = { authorization: `Bearer ${await token(citizen)}`, 'content-type': 'application/json', 'transfer-encoding': 'chunked' };
    const answer = await send('/v1/me/feedback', headers, ['{"program":"school-meals","voucherId":"mv~p~2025-2026",', '"kind":"rating","rating":5}']);
    expect(answer.status).toBe(201);
  });

  it('reads a CSV in the charset its Content-Type names (windows-1251, as older SDU exports are)', async () => {
    // "Иван" in windows-1251: И=0xC8 в=0xE2 а=0xE0 н=0xED.
    const csv = Buffer.concat([
      Buffer.from('familyId,city,aspOnDate,memberRole,iin,fullName\nfam-9,Kokshetau,2026-02-28,head,900101300123,'),
      Buffer.from([0xc8, 0xe2, 0xe0, 0xed]),
      Buffer.from('\n'),
    ]);
    const answer = await call('POST', '/v1/lists/food-vouchers?listId=L9&month=2026-03', {
      token: await token({ role: 'sdu', sub: 'sdu' }),
      raw: csv,
      contentType: 'text/csv; charset=windows-1251',
    });
    expect(answer.status).toBe(201);
    expect(calls.at(-1)!.input).toMatchObject({ listId: 'L9', rows: [{ familyId: 'fam-9', head: { fullName: 'Иван' } }] });
  });

  it('refuses bytes that are not valid in the charset named (UTF-8 by default) with 415', async () => {
    const headers = { authorization: `Bearer ${await token(citizen)}`, 'content-type': 'application/json' };
    const body = Buffer.concat([Buffer.from('{"program":"school-meals","kind":"complaint","text":"'), Buffer.from([0xc8, 0xe2]), Buffer.from('"}')]);
    const answer = await send('/v1/me/feedback', { ...headers, 'content-length': String(body.length) }, [body.toString('latin1')], 'latin1');
    expect(answer).toMatchObject({ status: 415, body: { code: 'unsupported_media_type' } });
  });

  it('takes JSON that starts with a byte-order mark', async () => {
    const answer = await call('POST', '/v1/me/feedback', {
      token: await token(citizen),
      raw: '\uFEFF{"program":"school-meals","voucherId":"mv~p~2025-2026","kind":"rating","rating":4}',
      contentType: 'application/json',
    });
    expect(answer.status).toBe(201);
  });

  it('refuses a compressed body with 415 naming Content-Encoding', async () => {
    const body = '{"program":"school-meals","voucherId":"mv~p~2025-2026","kind":"rating","rating":5}';
    const headers = {
      authorization: `Bearer ${await token(citizen)}`,
      'content-type': 'application/json',
      'content-encoding': 'gzip',
      'content-length': String(body.length),
    };
    const answer = await send('/v1/me/feedback', headers, [body]);
    expect(answer).toMatchObject({ status: 415, body: { code: 'unsupported_media_type', detail: expect.stringMatching(/Content-Encoding/) } });
  });
});

describe('rate limits', () => {
  it('limits each client on its own and answers 429 problem+json with Retry-After', async () => {
    const noisy = await token({ role: 'ministry', sub: 'noisy' });
    let last;
    for (let i = 0; i < 41; i++) last = await call('GET', '/v1/ministry/outcomes', { token: noisy });
    expectProblem(last!, 429, 'rate_limited');
    expect(last!.headers.get('retry-after')).toBeTruthy();
    expect((await call('GET', '/v1/ministry/outcomes', { token: await token({ role: 'ministry', sub: 'calm' }) })).status).toBe(200);
  });

  it('counts requests with a bad or missing token per IP: 429 past the budget, while a good token still works', async () => {
    const forged = `${(await token({ role: 'ministry', sub: 'x' })).slice(0, -4)}AAAA`;
    const answers = [];
    for (let i = 0; i < 41; i++) answers.push((await call('GET', '/v1/ministry/outcomes', { token: forged })).status);
    expect(answers).toContain(401);
    expect(answers.at(-1)).toBe(429);
    const limited = await call('GET', '/v1/ministry/outcomes');
    expectProblem(limited, 429, 'rate_limited');
    expect(limited.headers.get('retry-after')).toBeTruthy();
    expect((await call('GET', '/v1/ministry/outcomes', { token: await token({ role: 'ministry', sub: 'good' }) })).status).toBe(200);
  });

  it('counts a token used on another role’s routes against its own budget', async () => {
    const wrong = await token({ role: 'ministry', sub: 'wrong-door' });
    let last;
    for (let i = 0; i < 41; i++) last = await call('GET', '/v1/me/vouchers', { token: wrong });
    expectProblem(last!, 429, 'rate_limited');
  });
});
