/**
 * The composition root: config → Postgres (given pool, DATABASE_URL, or an embedded server) →
 * migrations (core, vault, API, every read model) → event store (postgres by default; memory or
 * kurrentdb by config) → application services composed into one LedgerServices → projection
 * runner → deadline scheduler → express app. `start()` listens and starts the background work;
 * `stop()` ends all of it (no stray timers, sockets or servers).
 */
import { randomBytes, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { systemClock, type Clock } from '../adapters/clock/clock';
import type { EventStore, NewEvent, StreamWrite, ExpectedVersion } from '../adapters/eventstore/port';
import { createMemoryEventStore } from '../adapters/eventstore/memory';
import { createPostgresEventStore } from '../adapters/eventstore/postgres';
import { coreMigrations, migrate, type Migration } from '../adapters/postgres/migrate';
import { connectOrExplain, type Pool } from '../adapters/postgres/pool';
import { startEmbeddedPostgres, type EmbeddedServer } from '../adapters/postgres/embedded';
import { createRunner, projectionMigrations, type Runner } from '../projections/runner';
import type { Projection } from '../projections/projection';
import { createApi, type Api } from '../api/app';
import { signToken, type Principal } from '../api/auth';
import { apiMigrations, sweepIdempotency } from '../api/idempotency';
import { createMetrics, type ApiMetrics } from '../api/metrics';
import { rateLimitFromConfig, type RateLimitOptions } from '../api/rate-limit';
import type { LedgerServices } from './services/contract';
import { createDeadlineScheduler, type DeadlineScheduler } from './scheduler';
import type { Config } from './config';
import { ConfigError } from './errors';
import { createPublicKey, createPrivateKey } from 'node:crypto';
import { consentProjections, dueDeadlines, pendingSms } from '../projections/consent';
import { allProjections } from '../projections/runner';
import { createReads } from '../api/reads';
import type { OutboundSms } from '../api/read-side';
import { createListServices } from './services/lists';
import { createConsentServices, CONSENT_DEADLINE_KINDS } from './services/consent';
import { createPostgresConsentReads } from '../projections/consent';
import { createVoucherServices, isVoucherDeadline, type VoucherServices } from './services/vouchers';
import { createPostgresVault, vaultMigration, type Vault } from '../adapters/vault/vault';
import { bmgMigration, createPostgresPhoneDirectory } from '../adapters/bmg/phone-directory';
import { createMemoryEotinish, type Eotinish } from '../adapters/eotinish/eotinish';

export interface SystemOptions {
  readonly config: Config;
  readonly clock?: Clock;
  /** A pool owned by the caller (tests): not ended by stop(). */
  readonly pool?: Pool;
  /** Otherwise this URL, else config.DATABASE_URL, else an embedded Postgres under DATA_DIR. */
  readonly databaseUrl?: string;
  /** An event store owned by the caller; else one by config.EVENT_STORE. */
  readonly eventStore?: EventStore;
  readonly rateLimit?: RateLimitOptions;
  /** Operator log lines (no PII). Default: stderr. */
  readonly log?: (line: string) => void;
  /** The projection runner's idle poll (ms). */
  readonly runnerPollMs?: number;
  /** Whether start() runs the deadline scheduler on a timer (tests drive it by hand). Default true. */
  readonly schedulerTimer?: boolean;
}

export interface Secrets {
  readonly jwtSecret: string;
  readonly vaultKey: string;
  readonly qrPrivateKey: string;
  readonly qrPublicKey: string;
}

export interface System {
  readonly config: Config;
  readonly clock: Clock;
  readonly pool: Pool;
  readonly store: EventStore;
  readonly services: LedgerServices;
  readonly runner: Runner;
  readonly scheduler: SchedulerHandle;
  readonly api: Api;
  readonly metrics: ApiMetrics;
  readonly secrets: Secrets;
  readonly vault: Vault;
  /** БМГ phone directory (bulk-loaded by the simulator or an operator). */
  readonly phones: ReturnType<typeof createPostgresPhoneDirectory>;
  readonly eotinish: Eotinish;
  /** The voucher services' extras (activate-all, QR rendering) for the CLI and simulators. */
  readonly vouchers: VoucherServices;
  /** Set once start() has listened. */
  url: string | undefined;
  start(options?: { port?: number; host?: string }): Promise<string>;
  stop(): Promise<void>;
}

export async function createSystem(options: SystemOptions): Promise<System> {
  const { config } = options;
  const clock = options.clock ?? systemClock;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const cleanups: (() => Promise<void>)[] = [];
  try {
    const secrets = resolveSecrets(config);
    const { pool, close: closePool } = await openPool(options, config);
    cleanups.push(closePool);
    const projections: readonly Projection[] = [...allProjections, ...consentProjections];
    const migrations: Migration[] = [...coreMigrations(), vaultMigration, bmgMigration, ...apiMigrations(), ...projectionMigrations(projections)];
    await migrate(pool, migrations);

    const metrics = createMetrics({ defaultMetrics: false, lag: async () => (await runner.lag()).map((l) => ({ name: l.name, lagEvents: l.lagEvents, lagSeconds: l.lagSeconds })) });
    const baseStore = options.eventStore ?? (await openStore(config, pool));
    if (!options.eventStore) cleanups.push(() => baseStore.close());
    let runner: Runner;
    const store = instrumented(baseStore, metrics, () => runner?.poke());
    runner = createRunner({
      pool,
      store,
      projections,
      clock,
      ...(options.runnerPollMs !== undefined ? { pollIntervalMs: options.runnerPollMs } : {}),
      onError: (name, error) => log(`projection ${name} failed a batch: ${(error as Error)?.name ?? 'Error'}`),
    });
    const vault = createPostgresVault(pool, secrets.vaultKey);
    const phones = createPostgresPhoneDirectory(pool);
    const eotinish = createMemoryEotinish();
    const composed = composeServices({ store, secrets, vault, eotinish, phones, clock, pool });
    const services = composed.services;
    const scheduler = createSchedulerHandle({ pool, store, clock, services, runner, log });
    const reads = createReads({
      pool,
      store,
      clock,
      runner,
      projectionNames: projections.map((p) => p.name),
      displayNames: (personIds) => vault.namesOf(personIds),
      pendingSms: async (limit) => {
        const due = await pendingSms(pool, clock.now().toISOString(), limit);
        // The phone is joined here, at pull time, in one read; a forgotten person has none and is skipped.
        const phones = await vault.phonesOf([...new Set(due.map((m) => m.recipientPersonId))]);
        const out: OutboundSms[] = [];
        for (const m of due) {
          const phone = phones.get(m.recipientPersonId);
          if (phone) out.push({ messageId: m.messageId, caseId: m.caseStream, kind: m.kind, text: m.text, phone });
        }
        return out;
      },
      log,
    });
    let runnerUp = false;
    const api = createApi({
      clock,
      jwtSecret: secrets.jwtSecret,
      services,
      pool,
      store,
      reads,
      metrics,
      rateLimit: options.rateLimit ?? rateLimitFromConfig(config),
      log,
      health: async () => {
        const postgres = await pool.query('select 1').then(() => true, () => false);
        return { postgres, runner: runnerUp, scheduler: scheduler.running(), eventStore: store.kind };
      },
    });

    let server: Server | undefined;
    let sweeper: NodeJS.Timeout | undefined;
    const system: System = {
      config,
      clock,
      pool,
      store,
      services,
      runner,
      scheduler,
      api,
      metrics,
      secrets,
      vouchers: composed.vouchers,
      vault,
      phones,
      eotinish,
      url: undefined,
      async start(listen = {}) {
        await runner.start();
        runnerUp = true;
        if (options.schedulerTimer !== false) scheduler.start();
        sweeper ??= setInterval(() => void sweepIdempotency(pool, clock).catch(() => undefined), IDEMPOTENCY_SWEEP_MS);
        sweeper.unref();
        server = createServer(api.app);
        // Slow clients must not hold sockets forever.
        server.requestTimeout = REQUEST_TIMEOUT_MS;
        server.headersTimeout = HEADERS_TIMEOUT_MS;
        const port = listen.port ?? config.PORT;
        const host = listen.host ?? config.HOST;
        await new Promise<void>((ok, fail) => {
          server!.once('error', (error: NodeJS.ErrnoException) =>
            fail(error.code === 'EADDRINUSE' ? new ConfigError(`Port ${port} is taken. Fix: set PORT to a free port (or 0 for any).`) : error),
          );
          server!.listen(port, host, () => ok());
        });
        const address = server.address() as AddressInfo;
        system.url = `http://${host}:${address.port}`;
        return system.url;
      },
      async stop() {
        runnerUp = false;
        if (sweeper) clearInterval(sweeper);
        sweeper = undefined;
        if (server) {
          const s = server;
          server = undefined;
          s.closeAllConnections();
          await new Promise<void>((ok) => s.close(() => ok()));
        }
        await scheduler.stop();
        await runner.stop();
        api.close();
        for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
        cleanups.length = 0;
      },
    };
    return system;
  } catch (error) {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    throw error;
  }
}

/** What start()/stop() need of the deadline scheduler (app/scheduler.ts). */
export type SchedulerHandle = DeadlineScheduler;

/**
 * The deadline scheduler over the `deadlines` read model; before each page the runner catches up
 * so that a deadline that has just fired is not offered again.
 */
function createSchedulerHandle(deps: { pool: Pool; store: EventStore; clock: Clock; services: LedgerServices; runner: Runner; log: (line: string) => void }): SchedulerHandle {
  const catchUp = async () => deps.runner.waitUntilCaughtUp(await deps.store.headPosition());
  const scheduler = createDeadlineScheduler({
    reads: createPostgresConsentReads(deps.pool),
    fire: deps.services.fireDeadline,
    clock: deps.clock,
    beforeRead: catchUp,
    onError: (error, deadline) => deps.log(`deadline ${deadline.stream}/${deadline.deadlineId} failed: ${(error as Error)?.name ?? 'Error'}`),
  });
  // Callers that tick by hand (simulators, tests) read the read models next: let them catch up.
  const thenCatchUp = async (fired: Promise<number>) => {
    const count = await fired;
    await catchUp();
    return count;
  };
  return { ...scheduler, tick: () => thenCatchUp(scheduler.tick()), runOnce: (now) => thenCatchUp(scheduler.runOnce(now)) };
}

interface Composition {
  readonly services: LedgerServices;
  readonly vouchers: VoucherServices;
}

/** One LedgerServices from the lists/consent half and the voucher half; fireDeadline dispatches by kind. */
function composeServices(deps: { store: EventStore; secrets: Secrets; vault: Vault; eotinish: Eotinish; phones: ReturnType<typeof createPostgresPhoneDirectory>; clock: Clock; pool: Pool }): Composition {
  const qrKeys = { privateKey: createPrivateKey(deps.secrets.qrPrivateKey), publicKey: createPublicKey(deps.secrets.qrPublicKey) };
  const vouchers = createVoucherServices({ store: deps.store, vault: deps.vault, qrKeys, eotinish: deps.eotinish });
  const lists = createListServices({ store: deps.store, clock: deps.clock, vault: deps.vault, phones: deps.phones });
  const consent = createConsentServices({ store: deps.store, clock: deps.clock, vault: deps.vault, reads: createPostgresConsentReads(deps.pool) });
  const services: LedgerServices = {
    receiveList: lists.receiveList,
    recordSmsDelivery: consent.recordSmsDelivery,
    recordSmsDeliveries: consent.recordSmsDeliveries,
    receiveSmsReply: consent.receiveSmsReply,
    activateVoucher: vouchers.activateVoucher,
    activateFoodMonth: vouchers.activateFoodMonth,
    issueQrToken: vouchers.issueQrToken,
    syncCanteenBatch: vouchers.syncCanteenBatch,
    balanceByToken: vouchers.balanceByToken,
    authorizePurchase: vouchers.authorizePurchase,
    capturePurchase: vouchers.capturePurchase,
    voidPurchase: vouchers.voidPurchase,
    submitFeedback: vouchers.submitFeedback,
    async fireDeadline(input, meta) {
      if (isVoucherDeadline(input.kind)) return vouchers.fireVoucherDeadline(input, meta);
      if (CONSENT_DEADLINE_KINDS.includes(input.kind)) return consent.fireDeadline(input, meta);
      throw new Error(`invariant violated: no handler for deadline kind ${input.kind}`);
    },
  };
  return { services, vouchers };
}

const REQUEST_TIMEOUT_MS = 60_000;
/** Idempotency records older than their TTL are deleted this often. */
const IDEMPOTENCY_SWEEP_MS = 60 * 60 * 1000;
const HEADERS_TIMEOUT_MS = 20_000;

async function openPool(options: SystemOptions, config: Config): Promise<{ pool: Pool; close: () => Promise<void> }> {
  if (options.pool) return { pool: options.pool, close: async () => undefined };
  const url = options.databaseUrl ?? config.DATABASE_URL;
  if (url) {
    const pool = await connectOrExplain(url);
    return { pool, close: () => pool.end() };
  }
  const embedded: EmbeddedServer = await startEmbeddedPostgres({ dataDir: join(config.DATA_DIR, 'pg'), port: config.EMBEDDED_PG_PORT, persistent: true });
  try {
    const pool = await connectOrExplain(embedded.url);
    return {
      pool,
      close: async () => {
        await pool.end();
        await embedded.stop();
      },
    };
  } catch (error) {
    await embedded.stop();
    throw error;
  }
}

async function openStore(config: Config, pool: Pool): Promise<EventStore> {
  switch (config.EVENT_STORE) {
    case 'postgres':
      return createPostgresEventStore(pool);
    case 'memory':
      return createMemoryEventStore();
    case 'kurrentdb': {
      // Loaded only when chosen: most runs never need the KurrentDB client.
      const { createKurrentEventStore } = await import('../adapters/eventstore/kurrentdb');
      return createKurrentEventStore(config.KURRENTDB_URL!);
    }
  }
}

/** Counts appends for /metrics and wakes the projection runner after each one. */
function instrumented(store: EventStore, metrics: ApiMetrics, appended: () => void): EventStore {
  const labels = { store: store.kind };
  return {
    kind: store.kind,
    async append(stream: string, events: readonly NewEvent[], expectedVersion?: ExpectedVersion) {
      const result = await store.append(stream, events, expectedVersion);
      metrics.appends.inc(labels);
      if (!result.repeated) metrics.appendedEvents.inc(labels, events.length);
      appended();
      return result;
    },
    async appendMany(writes: readonly StreamWrite[]) {
      const results = await store.appendMany(writes);
      metrics.appends.inc(labels);
      metrics.appendedEvents.inc(labels, writes.reduce((n, w, i) => n + (results[i]?.repeated ? 0 : w.events.length), 0));
      appended();
      return results;
    },
    readStream: (stream, readOptions) => store.readStream(stream, readOptions),
    readAll: (readOptions) => store.readAll(readOptions),
    headPosition: () => store.headPosition(),
    subscribe: (subscribeOptions) => store.subscribe(subscribeOptions),
    close: () => store.close(),
  };
}

/**
 * Secrets from the environment; in dev mode the missing ones are generated once and kept in
 * DATA_DIR/dev-secrets.json, so that a restart keeps person pseudonyms and tokens valid.
 */
export function resolveSecrets(config: Config): Secrets {
  const given = {
    jwtSecret: config.JWT_SECRET,
    vaultKey: config.VAULT_KEY,
    qrPrivateKey: config.QR_PRIVATE_KEY && pemOf(config.QR_PRIVATE_KEY),
    qrPublicKey: config.QR_PUBLIC_KEY && pemOf(config.QR_PUBLIC_KEY),
  };
  if (given.jwtSecret && given.vaultKey && given.qrPrivateKey && given.qrPublicKey) return given as Secrets;
  if (config.MODE === 'production') throw new ConfigError('MODE=production needs VAULT_KEY, JWT_SECRET, QR_PRIVATE_KEY and QR_PUBLIC_KEY.');
  const file = resolve(config.DATA_DIR, 'dev-secrets.json');
  let stored: Partial<Secrets> = {};
  if (existsSync(file)) {
    try {
      stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<Secrets>;
    } catch {
      throw new ConfigError(`${file} is damaged. Fix: delete it (dev secrets are regenerated) or set the secrets in the environment.`);
    }
  }
  const keys = stored.qrPrivateKey && stored.qrPublicKey ? undefined : generateKeyPairSync('ed25519');
  const generated: Secrets = {
    jwtSecret: stored.jwtSecret ?? randomBytes(32).toString('base64url'),
    vaultKey: stored.vaultKey ?? randomBytes(32).toString('base64url'),
    qrPrivateKey: stored.qrPrivateKey ?? keys!.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    qrPublicKey: stored.qrPublicKey ?? keys!.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
  try {
    mkdirSync(resolve(config.DATA_DIR), { recursive: true });
    writeFileSync(file, JSON.stringify(generated, null, 2), { mode: 0o600 });
  } catch {
    // A read-only DATA_DIR only costs stability across restarts in dev mode.
  }
  return {
    jwtSecret: given.jwtSecret ?? generated.jwtSecret,
    vaultKey: given.vaultKey ?? generated.vaultKey,
    qrPrivateKey: given.qrPrivateKey ?? generated.qrPrivateKey,
    qrPublicKey: given.qrPublicKey ?? generated.qrPublicKey,
  };
}

/** A PEM, or base64 of a PEM (one line, friendlier in .env files). */
function pemOf(value: string): string {
  return value.includes('-----BEGIN') ? value : Buffer.from(value, 'base64').toString('utf8');
}

/** The sample subjects dev tokens are minted for (the simulator's seed data uses the same ids). */
export const DEV_PRINCIPALS: Readonly<Record<string, Principal>> = {
  sdu: { role: 'sdu', sub: 'sdu-akmola' },
  nobd: { role: 'nobd', sub: 'nobd' },
  'sms-gateway': { role: 'sms-gateway', sub: 'sms-gateway-1' },
  citizen: { role: 'citizen', sub: 'citizen-demo', familyId: 'fam-demo-1', personId: 'person-demo-1' },
  merchant: { role: 'merchant', sub: 'shop-kokshetau-1', shopId: 'shop-kokshetau-1' },
  'canteen-device': { role: 'canteen-device', sub: 'device-school-1', deviceId: 'device-school-1', schoolId: 'school-1' },
  'social-pedagogue': { role: 'social-pedagogue', sub: 'pedagogue-school-1', schoolId: 'school-1' },
  auditor: { role: 'auditor', sub: 'auditor-1' },
  ministry: { role: 'ministry', sub: 'ministry-1' },
  operator: { role: 'operator', sub: 'operator-1' },
};

/** Dev mode only: one signed token per role (the CLI prints them at start). */
export async function devTokens(system: Pick<System, 'config' | 'secrets' | 'clock'>, principals = DEV_PRINCIPALS): Promise<Record<string, string>> {
  if (system.config.MODE !== 'dev') throw new ConfigError('devTokens: sample tokens exist only in MODE=dev.');
  const out: Record<string, string> = {};
  for (const [name, principal] of Object.entries(principals)) out[name] = await signToken(system.secrets.jwtSecret, principal, { now: system.clock.now() });
  return out;
}

/** A token for any subject (tests, the simulator), signed with the system's secret. */
export function tokenFor(system: Pick<System, 'secrets' | 'clock'>, principal: Principal, ttlSeconds?: number): Promise<string> {
  return signToken(system.secrets.jwtSecret, principal, { now: system.clock.now(), ...(ttlSeconds !== undefined ? { ttlSeconds } : {}) });
}
