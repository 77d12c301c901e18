/**
 * Load test: concurrent shops (QR → authorize → capture) and canteen devices (batches of card
 * records) against the service running in its own process on 127.0.0.1 (simulators/service.ts),
 * bounded in time (--seconds, at most 600) and in count (shops, devices ≤ 256; each device sends
 * only the records its pupils can have). Reports throughput and p50/p95/p99 latency per operation,
 * errors by code, and the projection lag during and after the run (GET /v1/ops/projections).
 *
 * The fixture is built through the API too (SDU and NOBD lists, SMS consent, activation); only the
 * BMG load and clock jumps go over IPC (no HTTP door for them yet).
 */
import { SIMULATION_TOKEN_TTL_SECONDS, type ServiceHandle } from './driver';
import { signToken, type Principal } from '../api/auth';
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { pseudonymiser } from '../adapters/vault/vault';
import { instantAt, addSeconds, type LocalDate } from '../domain/shared/calendar';
import { FOOD_VOUCHERS } from '../domain/programs/food-vouchers';
import { ELIGIBLE_PRODUCTS, OTHER_PRODUCTS } from './behaviour';
import { assertLoopback, bearer, createHttp, pool, type Http, type Reply } from './http';
import { aspDateFor, generatePopulation } from './population';
import { Latencies, Tally } from './stats';
import { treeCpu } from './diagnostics/cpu';
import { intArg, type Args } from './cli';
import { SERVICE_NODE_FLAGS } from '../app/node-flags';
import { durabilityNote } from './durability';
import { onboard, registryCallOver, SIMULATION_OPERATOR } from './registry';
import { loadPhonesThroughApi } from './bmg';

export const MAX_SECONDS = 600;
export const MAX_WORKERS = 256;

/** The service under load, in its own process(es) on 127.0.0.1. */
export interface RemoteService extends ServiceHandle {
  readonly url: string;
  /** The service's process ids (their CPU time is read from /proc); the first one owns the Postgres. */
  readonly pids: readonly number[];
  /** One client per API process (`http` is the first): shops and devices are spread over them. */
  readonly https: readonly Http[];
  /** Whether its Postgres keeps Postgres' durable defaults (see simulators/durability.ts). */
  readonly durable: boolean;
}

const here = dirname(fileURLToPath(import.meta.url));

/** The most API processes a load test starts (each is a whole Node process on 2 cores). */
export const MAX_PROCESSES = 4;

interface Ready {
  readonly ready: string;
  readonly jwtSecret: string;
  readonly vaultKey: string;
  readonly databaseUrl: string;
  readonly durable: boolean;
}

/** One simulators/service.ts child (tsx) and its IPC requests; node runs it with the service's flags, as `npm start` does. */
async function forkService(
  env: Record<string, string>,
): Promise<{ child: ChildProcess; ready: Ready; ask: <T>(request: Record<string, unknown>) => Promise<T> }> {
  const child: ChildProcess = fork(join(here, 'service.ts'), [], {
    // SIM_CPU_PROF=<dir> profiles the service (node --cpu-prof); SIM_QSTATS=<file> counts its statements.
    execArgv: [
      '--import',
      'tsx',
      ...SERVICE_NODE_FLAGS,
      ...(process.env.SIM_QSTATS ? ['--import', join(here, 'diagnostics', 'query-stats.mjs')] : []),
      ...(process.env.SIM_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.SIM_CPU_PROF] : []),
    ],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<Ready>((resolve, reject) => {
    child.once('message', (m) => {
      const msg = m as Partial<Ready> & { failed?: string };
      if (msg.ready) resolve(msg as Ready);
      else reject(new Error(`the service did not start: ${msg.failed}`));
    });
    child.once('exit', (code) => reject(new Error(`the service exited with ${code}`)));
  });
  try {
    assertLoopback(ready.ready);
  } catch (error) {
    child.kill();
    throw error;
  }
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  // A service that died must fail the requests waiting on it, not the load test's process.
  child.on('error', () => undefined);
  child.on('exit', (code) => {
    for (const p of pending.values()) p.reject(new Error(`the service exited with ${code}`));
    pending.clear();
  });
  child.on('message', (m) => {
    const msg = m as { id?: number; result?: unknown; error?: string };
    if (msg.id === undefined) return;
    const p = pending.get(msg.id);
    pending.delete(msg.id);
    if (msg.error) p?.reject(new Error(msg.error));
    else p?.resolve(msg.result);
  });
  const ask = <T>(request: Record<string, unknown>): Promise<T> =>
    new Promise((resolve, reject) => {
      if (!child.connected) return reject(new Error(`the service is gone (exit code ${child.exitCode})`));
      const id = nextId++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ ...request, id });
    });
  return { child, ready, ask };
}

/**
 * Starts simulators/service.ts in child processes (tsx), on loopback, at a virtual instant. With
 * `processes` > 1 the first one creates the database and the others join it as more API processes
 * of the same service; the clock moves in all of them, deadlines fire in the first.
 */
/**
 * One token per principal, signed again once a third of its life has passed on the virtual clock:
 * a simulation of several months (food March → April, `--months`) would otherwise hold one that expired.
 */
function tokenCache(jwtSecret: string, now: () => Date): (principal: Principal) => Promise<string> {
  const tokens = new Map<string, { token: Promise<string>; signedAtMs: number }>();
  const renewAfterMs = (SIMULATION_TOKEN_TTL_SECONDS * 1000) / 3;
  return (principal) => {
    const key = JSON.stringify(principal);
    const at = now();
    const held = tokens.get(key);
    if (held && at.getTime() - held.signedAtMs < renewAfterMs) return held.token;
    const token = signToken(jwtSecret, principal, { now: at, ttlSeconds: SIMULATION_TOKEN_TTL_SECONDS });
    tokens.set(key, { token, signedAtMs: at.getTime() });
    return token;
  };
}

export async function startService(
  start: string,
  options: {
    maxSockets?: number;
    clock?: 'running' | 'virtual';
    dataDir?: string;
    databaseUrl?: string;
    processes?: number;
    port?: number;
    /** More service configuration (EOTINISH_URL…). */ env?: Record<string, string>;
  } = {},
): Promise<RemoteService> {
  const processes = Math.max(1, Math.min(options.processes ?? 1, MAX_PROCESSES));
  const env = {
    SIM_START: start,
    ...(options.clock === 'virtual' ? { SIM_CLOCK: 'virtual' } : {}),
    ...(options.dataDir ? { SIM_DATA_DIR: options.dataDir } : {}),
    ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
    ...options.env,
  };
  // A fixed port (the fault suite's restarted service) for the first process only.
  const first = await forkService({ ...env, ...(options.port ? { SIM_PORT: String(options.port) } : {}) });
  const peers: Awaited<ReturnType<typeof forkService>>[] = [];
  try {
    for (let i = 1; i < processes; i++) peers.push(await forkService({ ...env, DATABASE_URL: first.ready.databaseUrl }));
  } catch (error) {
    for (const p of [first, ...peers]) p.child.kill();
    throw error;
  }
  const all = [first, ...peers];
  const https = all.map((p) => createHttp(p.ready.ready, { maxSockets: options.maxSockets ?? 512 }));
  const ready = first.ready;
  const personId = pseudonymiser(ready.vaultKey);
  // Issued at the virtual clock's instant (the last one the service was advanced to).
  let now = new Date(start);
  const token = tokenCache(ready.jwtSecret, () => now);
  return {
    url: ready.ready,
    durable: ready.durable,
    pids: all.map((p) => p.child.pid).filter((pid): pid is number => pid !== undefined),
    http: https[0]!,
    https,
    token,
    personId,
    async loadPhones(entries) {
      const now = await first.ask<string>({ op: 'now' });
      const bmg = await token({ role: 'bmg', sub: 'bmg-simulator' });
      return loadPhonesThroughApi(https[0]!, bmg, entries, { loadId: `sim-bmg-${now.replace(/[^0-9]/g, '')}`, asOf: now });
    },
    async advanceTo(instant) {
      now = new Date(instant);
      await Promise.all(peers.map((p) => p.ask({ op: 'setClock', instant })));
      return first.ask({ op: 'advanceTo', instant });
    },
    settle: () => first.ask({ op: 'settle' }),
    async stop() {
      for (const h of https) h.close();
      // Peers first, then the first process, which owns the throw-away Postgres — whatever became of the peers.
      for (const p of [...peers, first]) {
        if (p.child.exitCode !== null || p.child.signalCode !== null) continue;
        await p.ask({ op: 'stop' }).catch(() => undefined);
        await new Promise((ok) => (p.child.exitCode !== null || p.child.signalCode !== null ? ok(undefined) : p.child.once('exit', ok)));
      }
    },
  };
}

// ── fixture ───────────────────────────────────────────────────────────────────────────────
export interface Fixture {
  readonly families: { familyId: string; token: string; voucherId: string }[];
  readonly devices: { deviceId: string; schoolId: string; token: string; iins: string[] }[];
  /** School days a device may still send records for (within the offline window). */
  readonly mealDays: readonly LocalDate[];
  readonly seedMs: number;
}

const MONTH = '2026-03';
/** A list upload may take long (vault and BMG per person). */
const LIST_TIMEOUT_MS = 120_000;
/** The clock during the load: a school day's lunch, mid-month. */
export const LOAD_NOW = instantAt('2026-03-11', '12:30');
const MEAL_DAYS: readonly LocalDate[] = ['2026-03-05', '2026-03-06', '2026-03-10', '2026-03-11'];

const loadShopCity = (shopNo: number) => FOOD_VOUCHERS.pilotCities[shopNo % FOOD_VOUCHERS.pilotCities.length]!.code;
const loadShopId = (shopNo: number) => `shop-${loadShopCity(shopNo)}-load-${shopNo + 1}`;

export async function seedFixture(
  service: RemoteService,
  options: { families: number; devices: number; pupilsPerDevice: number; seed?: string },
): Promise<Fixture> {
  const started = performance.now();
  const http = service.http;
  const seed = options.seed ?? 'load';
  const foodPop = generatePopulation({ seed, families: options.families, pupils: 0, foodListNoise: 0, foodHeadPhone: 1 });
  const mealsPop = generatePopulation({
    seed,
    families: 0,
    pupils: options.devices * options.pupilsPerDevice,
    pupilsPerSchool: options.pupilsPerDevice,
    mealsListNoise: 0,
  });
  await service.loadPhones([...foodPop.phones.entries()]);
  const sdu = await service.token({ role: 'sdu', sub: 'sdu-load' });
  const nobd = await service.token({ role: 'nobd', sub: 'nobd-load' });
  // Lists: SDU families (SMS waits for the 5th) and NOBD schools of primary-grade pupils (no SMS).
  const rows = foodPop.families.map((f) => ({
    familyId: f.familyId,
    city: f.city,
    aspOnDate: aspDateFor(MONTH),
    head: f.members[0]!,
    members: f.members.map((m) => ({ iin: m.iin, fullName: m.fullName })),
  }));
  const chunks: (typeof rows)[] = [];
  for (let i = 0; i < rows.length; i += 1_000) chunks.push(rows.slice(i, i + 1_000));
  await pool(chunks, 2, async (part, i) => {
    const reply = await http.send(
      http.api.POST('/v1/lists/food-vouchers', {
        headers: bearer(sdu),
        body: { listId: `sdu-load-${i + 1}`, month: MONTH, rows: part.map((r) => ({ ...r, head: { iin: r.head.iin, fullName: r.head.fullName } })) },
        signal: AbortSignal.timeout(LIST_TIMEOUT_MS),
      }),
    );
    if (reply.status >= 300) throw new Error(`food list: ${reply.status} ${JSON.stringify(reply.body).slice(0, 300)}`);
  });
  const schools = mealsPop.schools.slice(0, options.devices);
  // The operator onboards the shops (as many as a run may use) and the schools' first devices.
  await onboard(registryCallOver(http, await service.token(SIMULATION_OPERATOR)), {
    shops: Array.from({ length: MAX_WORKERS }, (_, shopNo) => ({ shopId: loadShopId(shopNo), city: loadShopCity(shopNo) })),
    schools: schools.map((school) => ({ schoolId: school.schoolId, region: school.region, city: school.city })),
    devices: schools.map((school) => ({ deviceId: school.deviceIds[0]!, schoolId: school.schoolId })),
  });
  await pool(schools, 4, async (school) => {
    const pupils = mealsPop.pupils.filter((p) => p.schoolId === school.schoolId);
    const reply = await http.send(
      http.api.POST('/v1/lists/school-meals', {
        headers: bearer(nobd),
        body: {
          listId: `nobd-load-${school.schoolId}`,
          month: MONTH,
          schoolYear: '2025-2026',
          schoolId: school.schoolId,
          region: school.region,
          rows: pupils.map((p, i) => ({
            familyId: p.familyId,
            pupil: { iin: p.person.iin },
            schoolId: school.schoolId,
            grade: 1 + (i % 4),
            category: p.category,
            approvedByHead: true,
            representatives: p.representatives.map((r) => ({ iin: r.iin, role: r.role })),
          })),
        },
        signal: AbortSignal.timeout(LIST_TIMEOUT_MS),
      }),
    );
    if (reply.status >= 300) throw new Error(`meals list: ${reply.status} ${JSON.stringify(reply.body).slice(0, 300)}`);
  });
  await service.settle();
  // Pupils' parents activate on the 2nd (before any meal day).
  const devices: Fixture['devices'] = [];
  for (const school of schools) {
    const deviceId = school.deviceIds[0]!;
    devices.push({
      deviceId,
      schoolId: school.schoolId,
      token: await service.token({ role: 'canteen-device', sub: deviceId, deviceId, schoolId: school.schoolId }),
      iins: [],
    });
  }
  const deviceOf = new Map(devices.map((d) => [d.schoolId, d]));
  await pool(mealsPop.pupils, 32, async (p) => {
    const parent = p.representatives[0]!;
    const token = await service.token({ role: 'citizen', sub: `c-${p.familyId}`, familyId: p.familyId, personId: service.personId(parent.iin) });
    const listed = await http.send(http.api.GET('/v1/me/vouchers', { headers: bearer(token) }));
    const v = listed.body.vouchers?.find((x) => x.program === 'school-meals');
    if (!v) return;
    const reply = await http.send(
      http.api.POST('/v1/me/vouchers/{voucherId}/activate', { params: { path: { voucherId: v.voucherId } }, headers: bearer(token) }),
    );
    if (reply.status === 200) deviceOf.get(p.schoolId)?.iins.push(p.person.iin);
  });
  // The 5th: the start SMS; every head answers yes at once.
  const fifth = instantAt(`${MONTH}-05`, '10:00');
  await service.advanceTo(fifth);
  const gateway = await service.token({ role: 'sms-gateway', sub: 'sms-load' });
  const done = new Set<string>();
  for (let round = 0; round < 10_000; round++) {
    const pulled = await http.send(http.api.GET('/v1/sms/outbound', { params: { query: { limit: 500 } }, headers: bearer(gateway) }));
    const fresh = pulled.body.messages.filter((m) => !done.has(m.messageId));
    if (fresh.length === 0) break;
    await pool(fresh, 32, async (m) => {
      done.add(m.messageId);
      await http.send(
        http.api.POST('/v1/sms/outbound/{messageId}/delivery', {
          params: { path: { messageId: m.messageId } },
          headers: bearer(gateway),
          body: { status: 'sent', at: fifth },
        }),
      );
      if (m.kind === 'consent_request')
        await http.send(
          http.api.POST('/v1/sms/inbound', {
            headers: bearer(gateway),
            body: { phone: m.phone, text: FOOD_VOUCHERS.replyCodes.yes, receivedAt: addSeconds(fifth, 60) },
          }),
        );
    });
    await service.settle();
  }
  const families: Fixture['families'] = [];
  await pool(foodPop.families, 32, async (f) => {
    const token = await service.token({ role: 'citizen', sub: `c-${f.familyId}`, familyId: f.familyId, personId: service.personId(f.members[0]!.iin) });
    const listed = await http.send(http.api.GET('/v1/me/vouchers', { headers: bearer(token) }));
    const mine = (listed.body.vouchers ?? []).filter((v) => v.program === 'food-vouchers');
    for (const v of mine)
      await http.send(http.api.POST('/v1/me/vouchers/{voucherId}/activate', { params: { path: { voucherId: v.voucherId } }, headers: bearer(token) }));
    if (mine[0]) families.push({ familyId: f.familyId, token, voucherId: mine[0].voucherId });
  });
  families.sort((a, b) => a.familyId.localeCompare(b.familyId));
  await service.advanceTo(LOAD_NOW);
  await service.settle();
  return { families, devices, mealDays: MEAL_DAYS, seedMs: performance.now() - started };
}

// ── traffic ───────────────────────────────────────────────────────────────────────────────
export interface OpStats {
  count: number;
  perSecond: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}
export interface LoadReport {
  /** Postgres with its durable defaults (fsync, synchronous_commit, full_page_writes on). */
  readonly durable: boolean;
  readonly seconds: number;
  /** API processes of the service under load. */
  readonly processes: number;
  readonly shops: number;
  readonly devices: number;
  readonly ops: Record<string, OpStats>;
  readonly pairs: number;
  readonly pairsPerSecond: number;
  /** Latency of a whole pair (authorize + capture), ms. */
  readonly pairLatency: ReturnType<Latencies['summary']>;
  readonly mealRecords: number;
  readonly mealRecordsPerSecond: number;
  readonly recordOutcomes: Record<string, number>;
  readonly errors: Record<string, number>;
  readonly lag: { readonly maxEventsDuring: number; readonly maxSecondsDuring: number; readonly catchUpMsAfter: number; readonly samples: number };
  /**
   * CPU seconds spent during the run by the service process, its Postgres (server and backends)
   * and this load generator. Unlike rates, CPU per operation hardly moves when other work shares
   * the machine. Undefined without /proc.
   */
  readonly cpu?: { readonly serviceSeconds: number; readonly postgresSeconds: number; readonly clientSeconds: number };
}

/** A small basket: one or two cheap eligible items and sometimes a non-eligible one. */
function loadBasket(i: number) {
  const cheap = ELIGIBLE_PRODUCTS.filter((p) => p.unitPriceTiyn * p.pack <= 30_000);
  const a = cheap[i % cheap.length]!;
  const items = [{ sku: a.sku, name: a.name, quantity: a.pack, unit: a.unit, unitPriceTiyn: a.unitPriceTiyn }];
  if (i % 3 === 0) {
    const o = OTHER_PRODUCTS[i % OTHER_PRODUCTS.length]!;
    items.push({ sku: o.sku, name: o.name, quantity: 1, unit: o.unit, unitPriceTiyn: o.unitPriceTiyn });
  }
  return items;
}

/** A write the service acknowledged (2xx), as sent and as answered: the fault suite checks each one afterwards. */
export interface Acknowledged {
  readonly op: 'authorize' | 'capture' | 'canteen_batch';
  readonly path: string;
  readonly token: string;
  readonly idempotencyKey?: string;
  readonly body: unknown;
  readonly status: number;
  readonly answer: unknown;
  /** performance.now() when the answer came. */
  readonly at: number;
}

export interface TrafficOptions {
  readonly shops: number;
  readonly devices: number;
  readonly seconds: number;
  readonly batchSize: number;
  onTick?: (elapsed: number) => void;
  /** Idempotency keys start with it (default 'load'): runs against one database must not share keys. */
  readonly keyPrefix?: string;
  /** Every acknowledged write, as it is acknowledged. */
  readonly onAck?: (ack: Acknowledged) => void;
  /**
   * Faults expected (npm run faults): a request that meets no service, a 5xx or a timeout is sent
   * again as it was (same Idempotency-Key, same body) until it is answered, as a till would.
   */
  readonly resilient?: boolean;
}

/** How long a resilient client keeps re-sending one request, and how long it waits between tries. */
const RESEND_FOR_MS = 120_000;
const RESEND_PAUSE_MS = 100;

export async function runTraffic(service: RemoteService, fixture: Fixture, options: TrafficOptions): Promise<LoadReport> {
  const http = service.http;
  const keyPrefix = options.keyPrefix ?? 'load';
  const ops = new Map<string, Latencies>();
  const errors = new Tally();
  const recordOutcomes = new Tally();
  const pairLatency = new Latencies();
  const note = (op: string, reply: { ms: number; code?: string; status: number }) => {
    let l = ops.get(op);
    if (!l) ops.set(op, (l = new Latencies()));
    l.add(reply.ms);
    if (reply.status >= 400) errors.add(`${op}:${reply.code ?? reply.status}`);
  };
  const cpuBefore = serviceCpu(service);
  const clientBefore = process.cpuUsage();
  const deadline = performance.now() + options.seconds * 1000;
  let pairs = 0;
  let mealRecords = 0;
  const started = performance.now();

  /** One request (a call of the typed client); when resilient, re-sent as it was until the service answers with something else than a 5xx. */
  const send = async <T>(op: string, attempt: () => Promise<Reply<T>>): Promise<Reply<T>> => {
    const giveUp = performance.now() + RESEND_FOR_MS;
    for (;;) {
      const reply = await attempt().catch((error: unknown): Reply<T> => ({
        status: 0,
        body: undefined as T,
        code: `network:${(error as NodeJS.ErrnoException).code ?? 'error'}`,
        ms: 0,
      }));
      if (!options.resilient || (reply.status !== 0 && reply.status < 500) || performance.now() > giveUp) return reply;
      errors.add(`${op}:${reply.code ?? reply.status}`);
      await new Promise((ok) => setTimeout(ok, RESEND_PAUSE_MS));
    }
  };
  const acknowledge = (op: Acknowledged['op'], path: string, call: { token: string; body?: unknown; idempotencyKey?: string }, reply: Reply<unknown>) =>
    options.onAck?.({
      op,
      path,
      token: call.token,
      ...(call.idempotencyKey ? { idempotencyKey: call.idempotencyKey } : {}),
      body: call.body,
      status: reply.status,
      answer: reply.body,
      at: performance.now(),
    });

  const shopWorker = async (shopNo: number) => {
    // Each till keeps to one API process (as a load balancer's sticky connection would).
    const http = service.https[shopNo % service.https.length]!;
    const shopId = loadShopId(shopNo);
    const merchant = await service.token({ role: 'merchant', sub: shopId, shopId });
    // Each shop serves its own families, so no two tills hold the same wallet at once.
    const mine = fixture.families.filter((_, i) => i % options.shops === shopNo);
    if (mine.length === 0) return;
    for (let i = 0; performance.now() < deadline; i++) {
      const family = mine[i % mine.length]!;
      const qr = await send('qr', () =>
        http.send(http.api.POST('/v1/me/vouchers/{voucherId}/qr', { params: { path: { voucherId: family.voucherId } }, headers: bearer(family.token) })),
      );
      note('qr', qr);
      if (qr.status !== 201) continue;
      const key = `${keyPrefix}-${shopNo}-${i}`;
      const authorize = { token: merchant, idempotencyKey: key, body: { token: qr.body.token, items: loadBasket(i) } };
      const auth = await send('authorize', () =>
        http.send(http.api.POST('/v1/shop/holds', { params: { header: { 'Idempotency-Key': key } }, headers: bearer(merchant), body: authorize.body })),
      );
      note('authorize', auth);
      if (auth.status !== 201) continue;
      acknowledge('authorize', '/v1/shop/holds', authorize, auth);
      const capturePath = `/v1/shop/holds/${auth.body.holdId}/capture`;
      const captureCall = { token: merchant, idempotencyKey: `${key}-c`, body: { paymentStatus: 'paid' as const } };
      const capture = await send('capture', () =>
        http.send(
          http.api.POST('/v1/shop/holds/{holdId}/capture', {
            params: { path: { holdId: auth.body.holdId }, header: { 'Idempotency-Key': captureCall.idempotencyKey } },
            headers: bearer(merchant),
            body: captureCall.body,
          }),
        ),
      );
      note('capture', capture);
      if (capture.status === 200) {
        acknowledge('capture', capturePath, captureCall, capture);
        pairs++;
        pairLatency.add(auth.ms + capture.ms);
      }
    }
  };

  const deviceWorker = async (device: Fixture['devices'][number], deviceNo: number) => {
    const http = service.https[deviceNo % service.https.length]!;
    let seq = 0;
    for (const day of fixture.mealDays) {
      for (let i = 0; i < device.iins.length; i += options.batchSize) {
        if (performance.now() >= deadline) return;
        const part = device.iins.slice(i, i + options.batchSize);
        const records = part.map((iin, k) => ({ seq: ++seq, cardIin: iin, scannedAt: addSeconds(instantAt(day, '11:00'), (i + k) % 3_600) }));
        const batchCall = { token: device.token, body: { batchId: `${device.deviceId}-${day}-${i}`, records } };
        const reply = await send('canteen_batch', () =>
          http.send(http.api.POST('/v1/canteen/batches', { headers: bearer(device.token), body: batchCall.body })),
        );
        note('canteen_batch', reply);
        if (reply.status === 200) {
          acknowledge('canteen_batch', '/v1/canteen/batches', batchCall, reply);
          mealRecords += records.length;
          for (const r of reply.body.results) recordOutcomes.add(r.outcome);
        }
      }
    }
  };

  // Projection lag, sampled once a second while the load runs.
  const operator = await service.token({ role: 'operator', sub: 'operator-load' });
  let maxEvents = 0;
  let maxSeconds = 0;
  let samples = 0;
  const sampleLag = async () => {
    const reply = await send('lag', () => http.send(http.api.GET('/v1/ops/projections', { headers: bearer(operator) })));
    samples++;
    const list = reply.body?.projections ?? [];
    return { events: Math.max(0, ...list.map((p) => p.lagEvents)), seconds: Math.max(0, ...list.map((p) => p.lagSeconds ?? 0)) };
  };
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const lag = await sampleLag();
      maxEvents = Math.max(maxEvents, lag.events);
      maxSeconds = Math.max(maxSeconds, lag.seconds);
      options.onTick?.((performance.now() - started) / 1000);
      await new Promise((ok) => setTimeout(ok, 1_000));
    }
  })();
  await Promise.all([
    ...Array.from({ length: options.shops }, (_, i) => shopWorker(i)),
    ...fixture.devices.slice(0, options.devices).map((d, i) => deviceWorker(d, i)),
  ]);
  const elapsed = (performance.now() - started) / 1000;
  const cpuAfter = serviceCpu(service);
  const client = process.cpuUsage(clientBefore);
  sampling = false;
  await sampler;
  const afterStarted = performance.now();
  for (let i = 0; i < 600; i++) {
    if ((await sampleLag()).events === 0) break;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  const catchUpMsAfter = Math.round(performance.now() - afterStarted);
  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    durable: service.durable,
    seconds: round(elapsed),
    processes: service.https.length,
    shops: options.shops,
    devices: Math.min(options.devices, fixture.devices.length),
    ops: Object.fromEntries(
      [...ops.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, l]) => [k, { ...l.summary(), perSecond: round(l.count / elapsed) }]),
    ),
    pairs,
    pairsPerSecond: round(pairs / elapsed),
    pairLatency: pairLatency.summary(),
    mealRecords,
    mealRecordsPerSecond: round(mealRecords / elapsed),
    recordOutcomes: recordOutcomes.sorted(),
    errors: errors.sorted(),
    lag: { maxEventsDuring: maxEvents, maxSecondsDuring: round(maxSeconds), catchUpMsAfter, samples },
    ...(cpuBefore && cpuAfter
      ? {
          cpu: {
            serviceSeconds: round(cpuAfter.rootSeconds - cpuBefore.rootSeconds),
            postgresSeconds: round(cpuAfter.descendantSeconds - cpuBefore.descendantSeconds),
            clientSeconds: round((client.user + client.system) / 1e6),
          },
        }
      : {}),
  };
}

/** CPU seconds of every API process (their own) and of the first one's descendants (its Postgres). */
function serviceCpu(service: RemoteService): { rootSeconds: number; descendantSeconds: number } | undefined {
  const trees = service.pids.map((pid) => treeCpu(pid));
  if (trees.length === 0 || trees.some((t) => t === undefined)) return undefined;
  return { rootSeconds: trees.reduce((n, t) => n + t!.rootSeconds, 0), descendantSeconds: trees[0]!.descendantSeconds };
}

/** "CPU per pair: service 1.2 ms, Postgres 0.8 ms, load generator 0.3 ms" (per the run's main unit). */
export function cpuLine(report: LoadReport): string | undefined {
  if (!report.cpu) return undefined;
  const [count, unit] =
    report.shops > 0 && report.devices === 0 ? [report.pairs, 'pair'] : report.shops === 0 ? [report.mealRecords / 1000, '1,000 meal records'] : [0, ''];
  const { serviceSeconds, postgresSeconds, clientSeconds } = report.cpu;
  const total = `CPU during the run: service ${serviceSeconds} s, Postgres ${postgresSeconds} s, load generator ${clientSeconds} s`;
  if (count <= 0) return total;
  const per = (seconds: number) => `${Math.round((seconds * 1000 * 100) / count) / 100} ms`;
  return `${total}; per ${unit}: service ${per(serviceSeconds)}, Postgres ${per(postgresSeconds)}, load generator ${per(clientSeconds)}`;
}

export async function runLoad(args: Args): Promise<number> {
  if (args.url !== undefined) {
    assertLoopback(String(args.url));
    throw new Error(
      '--url: a service started elsewhere cannot be seeded yet (its virtual clock and the BMG directory have no HTTP door). ' +
        'Run without --url: the load test starts the service in its own process on 127.0.0.1.',
    );
  }
  const shops = intArg(args, 'shops', 32, MAX_WORKERS);
  const devices = intArg(args, 'devices', 16, MAX_WORKERS);
  const seconds = intArg(args, 'seconds', 30, MAX_SECONDS);
  const families = intArg(args, 'families', Math.max(shops * 20, 200), 100_000);
  const pupilsPerDevice = intArg(args, 'pupils-per-device', 500, 20_000);
  const batchSize = intArg(args, 'batch', 500, 2_000);
  const processes = intArg(args, 'processes', 1, MAX_PROCESSES);
  const service = await startService(instantAt(`${MONTH}-02`, '09:00'), { processes });
  try {
    process.stderr.write(
      `service on ${service.https.map((h) => h.baseUrl).join(', ')}; seeding ${families} families and ${devices} × ${pupilsPerDevice} pupils through the API…\n`,
    );
    const fixture = await seedFixture(service, { families, devices, pupilsPerDevice });
    process.stderr.write(`seeded in ${(fixture.seedMs / 1000).toFixed(1)} s; load for ${seconds} s: ${shops} shops, ${devices} devices\n`);
    const report = await runTraffic(service, fixture, {
      shops,
      devices,
      seconds,
      batchSize,
      onTick: (t) => (process.stderr.isTTY ? process.stderr.write(`\r  ${t.toFixed(0)} s`) : undefined),
    });
    if (process.stderr.isTTY) process.stderr.write('\n');
    const lines = [
      `load: ${report.seconds} s, ${report.shops} shops, ${report.devices} devices, ${report.processes} API process${report.processes === 1 ? '' : 'es'}`,
      `  ${durabilityNote(report.durable)}`,
      `  POS authorize+capture pairs: ${report.pairs} (${report.pairsPerSecond}/s); pair latency p50 ${report.pairLatency.p50} ms, p95 ${report.pairLatency.p95} ms, p99 ${report.pairLatency.p99} ms`,
      `  canteen meal records: ${report.mealRecords} (${report.mealRecordsPerSecond}/s) ${JSON.stringify(report.recordOutcomes)}`,
      ...Object.entries(report.ops).map(
        ([op, s]) =>
          `  ${op.padEnd(14)} ${String(s.count).padStart(8)} ${String(s.perSecond).padStart(8)}/s  p50 ${s.p50} ms  p95 ${s.p95} ms  p99 ${s.p99} ms  max ${s.max} ms`,
      ),
      `  errors by code: ${JSON.stringify(report.errors)}`,
      `  projection lag: max ${report.lag.maxEventsDuring} events / ${report.lag.maxSecondsDuring} s during; caught up ${report.lag.catchUpMsAfter} ms after`,
      ...(cpuLine(report) ? [`  ${cpuLine(report)}`] : []),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    if (typeof args.out === 'string') {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(args.out, `${JSON.stringify(report, null, 2)}\n`);
    }
    return 0;
  } finally {
    await service.stop();
  }
}
