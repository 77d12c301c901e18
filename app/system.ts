/**
 * The composition root: config → Postgres (given pool, DATABASE_URL, or an embedded server) →
 * migrations (core, vault, API, every read model) → event store (postgres by default; memory or
 * kurrentdb by config) → application services composed into one LedgerServices → projection
 * runner → deadline scheduler → express app. `start()` listens and starts the background work;
 * `stop()` ends all of it (no stray timers, sockets or servers).
 */
import { invariant } from '../domain/shared/decider';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { isMovableClock, systemClock, type Clock, type MovableClock } from '../adapters/clock/clock';
import type { EventStore, NewEvent, StreamWrite, ExpectedVersion } from '../adapters/eventstore/port';
import { createMemoryEventStore } from '../adapters/eventstore/memory';
import { backlogAfter, createPostgresEventStore } from '../adapters/eventstore/postgres';
import { coreMigrations, migrate, type Migration } from '../adapters/postgres/migrate';
import { connectOrExplain, type Pool, type PoolOptions } from '../adapters/postgres/pool';
import { handOverToApplication } from '../adapters/postgres/roles';
import { createDatabaseWatch } from '../adapters/postgres/watch';
import { startEmbeddedPostgres, type EmbeddedServer } from '../adapters/postgres/embedded';
import { createRunner, logProjectionFailure, ProjectionHaltedError, projectionMigrations, type Runner } from '../projections/runner';
import { createLogger, type Logger } from '../adapters/log/logger';
import type { Projection } from '../projections/projection';
import { createApi, type Api } from '../api/app';
import { apiMigrations, sweepIdempotency } from '../api/idempotency';
import { createMetrics, type ApiMetrics } from '../api/metrics';
import { rateLimitFromConfig, type RateLimitOptions } from '../api/rate-limit';
import type { LedgerServices } from '../application/services/contract';
import { createDeadlineScheduler, type DeadlineScheduler } from '../application/scheduler';
import { createStreamStates, type StreamStates } from '../application/stream-states';
import type { Config } from './config';
import { ConfigError } from '../adapters/config-error';
import { resolveSecrets, type Secrets } from './secrets';
import { createPublicKey, createPrivateKey, randomUUID, type KeyObject } from 'node:crypto';
import { parseRotationKeys, qrKeySet } from '../adapters/qr/keys';
import type { QrSigningKeys } from '../adapters/qr/tokens';
import { deadlinesProjection, pendingSms, peopleOf, personalise } from '../projections/consent';
import { allProjections } from './read-models';
import { createSettlement, debtorOf, registryPayees, type Settlement } from './settlement';
import { SETTLEMENT } from '../projections/settlement/projection';
import { TABEL } from '../projections/tabel/projection';
import { REGISTRY } from '../projections/registry/projection';
import { createReads } from '../api/reads';
import type { OutboundSms } from '../api/read-side';
import { createListServices } from '../application/services/lists';
import type { ProgramsOption } from '../application/services/consent-streams';
import { createConsentServices, CONSENT_DEADLINE_KINDS } from '../application/services/consent';
import { createPostgresConsentReads } from '../projections/consent';
import { createVoucherServices, isVoucherDeadline, type VoucherServices } from '../application/services/vouchers';
import type { Vault } from '../adapters/vault/vault';
import { createPostgresVault, vaultMigrations } from '../adapters/vault/postgres-vault';
import { masterKeyOf } from '../adapters/vault/sealing';
import { displayNamesOf } from '../adapters/vault/display';
import { createForgettingServices, type ForgettingServices } from '../application/services/forgetting';
import { familyBundle } from '../projections/family-history/bundle';
import { bmgMigrations, createPostgresPhoneDirectory } from '../adapters/bmg/directory-postgres';
import { createHttpPhoneDirectory } from '../adapters/bmg/http-directory';
import type { ForgettableDirectory, PhoneDirectory } from '../adapters/bmg/phone-directory';
import { createBmgImport, type BmgImport } from '../application/services/bmg-import';
import { createExchanges } from '../api/exchanges';
import { createChainer, type Chainer } from '../adapters/evidence/chainer';
import { createCheckpointSigner, type CheckpointSigner } from '../adapters/evidence/checkpoints';
import { storedCheckpoints } from '../adapters/evidence/chain-tables';
import { ChainStartError, verifyChain } from '../adapters/evidence/verify';
import type { EvidenceSide } from '../api/evidence-side';
import { figureKeys, traceFigure } from '../projections/figures/queries';
import { createRegistryView, type RegistryView } from '../application/registry/view';
import { createRegistryServices, type RegistryServices } from '../application/services/registry';
import { registryChangesSince } from '../projections/registry/queries';
import { createRegistryReads } from '../api/registry-reads';
import { createCatalogueView, type CatalogueView } from '../application/catalogue/view';
import type { ProductCatalogueState } from '../domain/catalogue/catalogue';
import { createCatalogueServices, publishSampleWhenEmpty, type CatalogueServices } from '../application/services/catalogue';
import { createHttpEotinish } from '../adapters/eotinish/eotinish';
import { createFeedbackForwarder } from '../application/services/feedback';
import { dueFeedback } from '../projections/feedback/queries';
import { feedbackOutboxProjection } from '../projections/feedback/projection';
import { nobdDailyProjection } from '../projections/nobd-daily/projection';
import { tabelProjection } from '../projections/tabel/projection';
import { exchangeStatusesProjection } from '../projections/exchanges/projection';
import { foodDailyProjection } from '../projections/daily-reports/food-activity';
import { createDailyReports, type DailyReports } from '../application/services/daily-reports';
import { dailyReportsMigration } from '../projections/daily-reports/store';
import { createReportFiles } from '../adapters/report-files/files';
import type { ClockControl } from '../api/clock-control';
import { createOverviews } from '../api/overviews';

export interface SystemOptions {
  readonly config: Config;
  readonly clock?: Clock;
  /** A pool owned by the caller (tests): not ended by stop(). */
  readonly pool?: Pool;
  /** Otherwise this URL, else config.DATABASE_URL, else an embedded Postgres under DATA_DIR. */
  readonly databaseUrl?: string;
  /**
   * Runs the migrations as the schema's owner when `pool` is the application role (production,
   * adapters/postgres/roles.ts); else config.MIGRATION_DATABASE_URL, else the service's own pool.
   */
  readonly ownerPool?: Pool;
  /** An event store owned by the caller; else one by config.EVENT_STORE. */
  readonly eventStore?: EventStore;
  readonly rateLimit?: RateLimitOptions;
  /** The operator log (adapters/log/logger.ts). Default: one from config (LOG_LEVEL, LOG_FORMAT) on stderr. */
  readonly logger?: Logger;
  /** The projection runner's idle poll (ms). */
  readonly runnerPollMs?: number;
  /** Whether start() runs the deadline scheduler on a timer (tests drive it by hand). Default true. */
  readonly schedulerTimer?: boolean;
  /** Whether start() runs the hash chain's chainer on a timer (tests drive it by hand). Default true. */
  readonly chainerTimer?: boolean;
  /** The embedded Postgres died and could not be restarted: the service cannot go on (npm start exits 1). */
  readonly onFatal?: (reason: string) => void;
  /** Check every API answer against its route's declaration (tests): `api.contractViolations()`. */
  readonly checkContract?: boolean;
  /** The programs' parameters (domain/programs/); default: as the orders read (tests set other values). */
  readonly programs?: ProgramsOption;
}

export interface System {
  readonly config: Config;
  readonly logger: Logger;
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
  /**
   * БМГ phone directory as the phone check sees it; `load` imports entries as one completed delta
   * load, in process (tests; BMG itself and the simulator use /v1/bmg/loads, operators the CLI).
   */
  readonly phones: PhoneDirectory & { load(entries: readonly (readonly [string, string])[]): Promise<number> };
  readonly bmg: BmgImport;
  /** The hash chain's chainer (docs/EVIDENCE.md); absent unless the event store is Postgres. */
  readonly chainer: Chainer | undefined;
  readonly evidence: EvidenceSide | undefined;
  /** The e-Otinish outbox: one pass forwards what is due (the scheduler runs it after each pass). */
  readonly feedbackOutbox: { forwardDue(now?: string): Promise<number> };
  /** The daily reports (NOBD, food) made by the scheduler after each local midnight. */
  readonly dailyReports: DailyReports;
  /** The voucher services' extras (activate-all, QR rendering) for the CLI and simulators. */
  readonly vouchers: VoucherServices;
  /** The counterpart registry: the operator's services and this process's in-memory view of it. */
  readonly registry: RegistryServices;
  readonly registryView: RegistryView;
  /** The product catalogue (approved product list): the operator's uploads and this process's version in force. */
  readonly catalogue: CatalogueServices;
  readonly catalogueView: CatalogueView;
  /** Forgetting people (docs/EVIDENCE.md): on request, and the retention job. */
  readonly forgetting: ForgettingServices;
  /** One pass of the retention job: forgets what has expired now; returns the people touched. */
  forgetExpired(): Promise<number>;
  /** Money out: settlement windows, statements, payment orders, payouts, reconciliation. */
  readonly settlement: Settlement;
  /** Set once start() has listened. */
  url: string | undefined;
  start(options?: { port?: number; host?: string }): Promise<string>;
  stop(): Promise<void>;
}

export async function createSystem(options: SystemOptions): Promise<System> {
  const { config } = options;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? loggerFromConfig(config);
  const cleanups: (() => Promise<void>)[] = [];
  try {
    const secrets = resolveSecrets(config);
    const watch = createDatabaseWatch({
      minFreeMb: config.DISK_MIN_FREE_MB,
      ...(embeddedDataDir(options, config) ? { dataDir: embeddedDataDir(options, config) } : {}),
    });
    const { pool, close: closePool } = await openPool(options, config, logger, {
      timeouts: poolTimeouts(config),
      onQueryError: (error) => watch.observe(error),
    });
    cleanups.push(closePool);
    const projections: readonly Projection[] = allProjections;
    const migrations: Migration[] = [
      ...coreMigrations(),
      ...vaultMigrations,
      ...bmgMigrations,
      dailyReportsMigration,
      ...apiMigrations(),
      ...projectionMigrations(projections),
    ];
    await migrateAsOwner(options, config, pool, migrations);

    const metrics = createMetrics({ defaultMetrics: false, lag: () => runner.lag() });
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
      // The events are in this pool: lag() counts them there instead of reading them.
      ...(!options.eventStore && baseStore.kind === 'postgres' ? { backlog: (after: bigint, limit: number) => backlogAfter(pool, after, limit) } : {}),
      onError: (name, error) => logProjectionFailure(logger, name, error),
    });
    const vault = createPostgresVault(pool, secrets.vaultKey, masterKeyOf(secrets.vaultMasterKey));
    const { phones, bmg, directory } = wireBmg(config, pool, vault, clock);
    // The process's one owner of stream state (caches, fold memos, settled indexes): every service shares it.
    const states = createStreamStates(store, {
      capacity: config.STREAM_CACHE_CAPACITY,
      freeze: (config.FREEZE_STREAM_STATES ?? (config.MODE === 'production' ? 'off' : 'on')) === 'on',
    });
    const registryView = createRegistryView({
      source: { changesSince: (position) => registryChangesSince(pool, position) },
      onError: (error) => logger.error({ err: error }, 'registry view refresh failed; the next refresh retries'),
    });
    const registry = createRegistryServices({ states, view: registryView });
    const catalogueView = createCatalogueView({
      store,
      onError: (error) => logger.error({ err: error }, 'catalogue view refresh failed; the next refresh retries'),
    });
    const catalogue = createCatalogueServices({ states, view: catalogueView });
    await vault.sealUnsealed();
    const qrKeys = qrKeysOf(secrets, config);
    const composed = composeServices({
      states,
      qrKeys,
      vault,
      phones,
      clock,
      pool,
      counterparts: registryView,
      catalogue: catalogueView,
      programs: options.programs ?? {},
    });
    const feedbackOutbox = wireEotinish(config, pool, states, vault, clock, logger);
    const forgetting = createForgettingServices({ states, vault, directories: [directory] });
    const forgetExpired = () => {
      const now = clock.now().toISOString();
      return forgetting.forgetExpired({ commandId: `retention:${now}`, now, actor: { role: 'scheduler', id: 'retention' } });
    };
    const services = composed.services;
    const dailyReports = createDailyReports({ pool, files: createReportFiles(config.REPORTS_DIR) });
    const afterPass = async (now: string) => {
      await feedbackOutbox.forwardDue(now);
      await dailyReports.generateDue(now);
    };
    const scheduler = createSchedulerHandle({ pool, store, clock, services, runner, logger, metrics, afterPass });
    const reads = createReads({
      pool,
      store,
      clock,
      runner,
      projectionNames: projections.map((p) => p.name),
      displayNames: (personIds) => displayNamesOf(vault, personIds),
      forgottenOf: (personIds) => vault.forgottenOf(personIds),
      pendingSms: async (limit) => {
        const due = await pendingSms(pool, clock.now().toISOString(), limit);
        // Phones and names are joined here, at pull time, in one read each (side by side); a forgotten person has no phone and is skipped.
        const [phones, names] = await Promise.all([vault.phonesOf([...new Set(due.map((m) => m.recipientPersonId))]), vault.namesOf(peopleOf(due))]);
        return personalise(due, phones, names) satisfies OutboundSms[];
      },
      logger,
    });
    const evidence = store.kind === 'postgres' ? createEvidence(pool, store, clock, secrets, logger) : undefined;
    let runnerUp = false;
    const startedAt = performance.now();
    const settlement = createSettlement({
      states,
      pool,
      clock,
      // Money out decides from the settlement, табель and registry models only: another model's halt does not stop payouts.
      catchUp: async () => runner.waitUntilCaughtUp(await store.headPosition(), undefined, [SETTLEMENT, TABEL, REGISTRY]),
      payees: registryPayees(pool),
      debtor: debtorOf(config),
    });
    const api = createApi({
      clock,
      settlement,
      jwtSecret: secrets.jwtSecret,
      ...(config.OIDC_ISSUER && config.OIDC_AUDIENCE && config.OIDC_JWKS_URL
        ? {
            oidc: {
              issuer: config.OIDC_ISSUER,
              audience: config.OIDC_AUDIENCE,
              jwksUrl: config.OIDC_JWKS_URL,
              cooldownMs: config.OIDC_JWKS_COOLDOWN_MS,
              cacheMaxAgeMs: config.OIDC_JWKS_MAX_AGE_MS,
            },
          }
        : {}),
      tokenMaxLifetimeSeconds: config.JWT_MAX_LIFETIME_SECONDS,
      services,
      registry,
      catalogue: { services: catalogue, inForce: () => catalogueView.state(), admitShop: (shopId) => registryView.admitShop(shopId) },
      registryReads: createRegistryReads(pool, registryView, { secret: secrets.vaultKey, iinsOf: (pupilIds) => vault.iinsOf(pupilIds) }),
      qrKeySet: qrKeySet(qrKeys.publicKey, qrKeys.rotationPublicKeys),
      pool,
      store,
      reads,
      overviews: createOverviews({ pool, clock }),
      ...(evidence ? { evidence: evidence.side } : {}),
      forgetting,
      exchanges: createExchanges({ pool, bmg, reports: dailyReports, clock }),
      metrics,
      ...(config.MODE === 'dev' && isMovableClock(clock) ? { clockControl: clockControlOf(clock, scheduler) } : {}),
      rateLimit: options.rateLimit ?? rateLimitFromConfig(config),
      logger,
      ...(options.checkContract ? { checkContract: true } : {}),
      health: async () => {
        const database = await watch.check(pool, config.HEALTH_TIMEOUT_MS);
        // Bounded too: /health answers within its timeout even if the database freezes right now.
        const halts = database.reachable
          ? await Promise.race([runner.halts().catch(() => []), new Promise<[]>((ok) => setTimeout(() => ok([]), config.HEALTH_TIMEOUT_MS).unref())])
          : [];
        const haltedProjections = halts.map((h) => h.projection);
        const silentMs = scheduler.running() ? (scheduler.sinceLastPass() ?? performance.now() - startedAt) : 0;
        const problems = [
          ...database.problems,
          ...(runnerUp ? [] : ['the projection runner is not running']),
          ...(silentMs > config.SCHEDULER_STALL_MS ? [`the deadline scheduler has not completed a pass for ${Math.round(silentMs / 1000)} s`] : []),
        ];
        return {
          postgres: database.reachable,
          runner: runnerUp,
          scheduler: scheduler.running(),
          eventStore: store.kind,
          database,
          problems,
          ...(haltedProjections.length ? { haltedProjections } : {}),
          catalogue: catalogueOf(catalogueView.state()),
        };
      },
    });

    let server: Server | undefined;
    let sweeper: NodeJS.Timeout | undefined;
    let retention: NodeJS.Timeout | undefined;
    let settlementTimer: NodeJS.Timeout | undefined;
    let settling = false;
    /** Closes ended settlement windows and issues due payment orders; one pass at a time, a failed one is retried next time. */
    const runSettlement = async () => {
      if (settling) return;
      settling = true;
      const now = clock.now().toISOString();
      try {
        const done = await settlement.runDue({ commandId: `settlement-${now}`, now, actor: { role: 'scheduler', id: 'settlement' } });
        if (done.windows > 0 || done.orders > 0)
          logger.info({ windows: done.windows, paymentOrders: done.orders }, 'settlement windows closed and payment orders issued');
      } catch (error) {
        logger.error({ alarm: 'settlement', err: error }, 'the settlement pass failed; the next pass retries');
      } finally {
        settling = false;
      }
    };
    const system: System = {
      config,
      logger,
      clock,
      pool,
      store,
      services,
      settlement,
      runner,
      scheduler,
      api,
      metrics,
      secrets,
      vouchers: composed.vouchers,
      registry,
      registryView,
      catalogue,
      catalogueView,
      forgetting,
      forgetExpired,
      vault,
      phones,
      bmg,
      chainer: evidence?.chainer,
      evidence: evidence?.side,
      feedbackOutbox,
      dailyReports,
      url: undefined,
      async start(listen = {}) {
        await runner.start();
        runnerUp = true;
        if (options.chainerTimer !== false) evidence?.chainer.start();
        // Shops and devices are admitted from memory: load the registry before the first request.
        await registryView.refresh();
        registryView.start();
        // Baskets are judged from memory too: the version in force before the first request.
        await catalogueView.refresh();
        catalogueView.start();
        await catalogueFixture(config, catalogue, catalogueView, clock, logger);
        if (options.schedulerTimer !== false) scheduler.start();
        if (options.schedulerTimer !== false && config.SETTLEMENT_INTERVAL_SECONDS > 0) {
          settlementTimer ??= setInterval(() => void runSettlement(), config.SETTLEMENT_INTERVAL_SECONDS * 1000);
          settlementTimer.unref();
        }
        sweeper ??= setInterval(() => void sweepIdempotency(pool, clock).catch(() => undefined), IDEMPOTENCY_SWEEP_MS);
        sweeper.unref();
        if (options.schedulerTimer !== false) {
          retention ??= setInterval(
            () =>
              void forgetExpired().catch((error: unknown) =>
                logger.error({ alarm: 'retention', err: error }, 'the retention job failed; the next pass retries'),
              ),
            RETENTION_SWEEP_MS,
          );
          retention.unref();
        }
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
        if (settlementTimer) clearInterval(settlementTimer);
        settlementTimer = undefined;
        if (sweeper) clearInterval(sweeper);
        sweeper = undefined;
        if (retention) clearInterval(retention);
        retention = undefined;
        if (server) {
          const s = server;
          server = undefined;
          s.closeAllConnections();
          await new Promise<void>((ok) => s.close(() => ok()));
        }
        registryView.stop();
        catalogueView.stop();
        await scheduler.stop();
        await evidence?.chainer.stop();
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

/** The operator log as configured: LOG_LEVEL; readable lines in dev mode (LOG_FORMAT), JSON otherwise. */
export function loggerFromConfig(config: Pick<Config, 'LOG_LEVEL' | 'LOG_FORMAT' | 'MODE'>): Logger {
  return createLogger({ level: config.LOG_LEVEL, pretty: (config.LOG_FORMAT ?? (config.MODE === 'dev' ? 'pretty' : 'json')) === 'pretty' });
}

/** The hash chain's chainer (daily checkpoints signed with the checkpoint key) and the evidence routes' port. */
function createEvidence(pool: Pool, store: EventStore, clock: Clock, secrets: Secrets, logger: Logger): { chainer: Chainer; side: EvidenceSide } {
  const signer: CheckpointSigner = createCheckpointSigner(secrets.checkpointPrivateKey, secrets.checkpointPublicKey);
  const chainer = createChainer({ pool, clock, signer, onError: (error) => logger.error({ err: error }, 'hash chain pass failed; the next pass retries') });
  const side: EvidenceSide = {
    publicKeys: () => [{ keyId: signer.keyId, publicKeyPem: signer.publicKeyPem }],
    async checkpoints(after, limit) {
      const stored = await storedCheckpoints(pool, { fromSeq: after + 1n, limit });
      return stored.map((c) => ({ seq: c.seq.toString(), day: c.day, payload: c.payload, signature: c.signature, keyId: c.keyId }));
    },
    async verify(from, onProgress) {
      try {
        return await verifyChain(pool, {
          publicKeys: [signer.publicKeyPem],
          ...(from === 'start' ? {} : { fromCheckpoint: from }),
          ...(onProgress ? { onProgress } : {}),
        });
      } catch (error) {
        if (error instanceof ChainStartError) return undefined;
        throw error;
      }
    },
    traceFigure: (report, figure) => traceFigure(pool, report, figure, clock.now()),
    figureKeys: (report, prefix) => figureKeys(pool, report, prefix),
    familyBundle: (familyId, asOf) =>
      familyBundle({ pool, store, publicKeys: [{ keyId: signer.keyId, publicKeyPem: signer.publicKeyPem }] }, familyId, {
        now: clock.now().toISOString(),
        asOf,
      }),
  };
  return { chainer, side };
}

/**
 * The demo catalogue in dev mode (CATALOGUE_FIXTURE, default `sample` there): the SAMPLE list
 * published through the catalogue's real door when no version is. Without a version nothing is
 * eligible at the tills: said once at start, so an operator knows to upload one.
 */
async function catalogueFixture(config: Config, catalogue: CatalogueServices, view: CatalogueView, clock: Clock, logger: Logger): Promise<void> {
  const fixture = config.CATALOGUE_FIXTURE ?? (config.MODE === 'dev' ? 'sample' : 'none');
  if (fixture === 'sample' && (await publishSampleWhenEmpty(catalogue, view, clock.now().toISOString())))
    // Debug: dev mode's start says it on its own (app/cli.ts); tests read the info lines as "nothing went wrong".
    logger.debug('published the SAMPLE product catalogue (a demo fixture of dev mode; CATALOGUE_FIXTURE=none turns it off)');
  if (view.state().status === 'empty')
    logger.warn(
      { alarm: 'catalogue_empty' },
      'no product catalogue is published: no basket line is eligible at the tills until an operator uploads one (POST /v1/catalogue, or app/cli.ts catalogue upload)',
    );
}

/** What /health says of the product catalogue: its version and size (version 0: none, nothing eligible). */
function catalogueOf(state: ProductCatalogueState): { version: number; products: number } {
  return state.status === 'empty' ? { version: 0, products: 0 } : { version: state.version, products: state.products.size };
}

/** Scheduler passes after a move of the clock (each fires a bounded batch), as the simulator's driver allows. */
const MAX_SCHEDULER_PASSES_PER_MOVE = 1_000;

/** Dev mode's hand on a virtual clock: move it, then fire every deadline that fell due (reminders, timeouts, lapses). */
function clockControlOf(clock: MovableClock, scheduler: SchedulerHandle): ClockControl {
  return {
    async moveTo(instant) {
      clock.moveTo(instant);
      // A pass the timer began before the move read the clock before it (tick() hands that pass
      // back): let it end, then pass again until nothing more is due at the new time.
      let fired = await scheduler.tick();
      for (let pass = 0; pass < MAX_SCHEDULER_PASSES_PER_MOVE; pass++) {
        const count = await scheduler.tick();
        fired += count;
        if (count === 0) break;
      }
      return fired;
    },
  };
}

/** What start()/stop() need of the deadline scheduler (application/scheduler.ts). */
export type SchedulerHandle = DeadlineScheduler;

/** The read models the scheduler reads (dueDeadlines): the only ones it waits for. */
const SCHEDULER_READ_MODELS = [deadlinesProjection.name];
/** What the jobs after a pass read: the e-Otinish outbox (and, for the daily reports, their read models). */
const AFTER_PASS_READ_MODELS = [
  feedbackOutboxProjection.name,
  nobdDailyProjection.name,
  tabelProjection.name,
  exchangeStatusesProjection.name,
  foodDailyProjection.name,
];

/**
 * The deadline scheduler over the `deadlines` read model; before each pass that model catches up
 * so that a deadline that has just fired is not offered again. It waits for that model alone: a
 * halted табель must not stop hold expiries, consent timeouts and lapses.
 */
function createSchedulerHandle(deps: {
  pool: Pool;
  store: EventStore;
  clock: Clock;
  services: LedgerServices;
  runner: Runner;
  logger: Logger;
  metrics: ApiMetrics;
  afterPass: (now: string) => Promise<void>;
}): SchedulerHandle {
  const scheduler = createDeadlineScheduler({
    reads: createPostgresConsentReads(deps.pool),
    fire: deps.services.fireDeadline,
    clock: deps.clock,
    beforeRead: async () => deps.runner.waitUntilCaughtUp(await deps.store.headPosition(), undefined, SCHEDULER_READ_MODELS),
    onError: (error, deadline) =>
      deps.logger.error({ stream: deadline.stream, deadlineId: deadline.deadlineId, err: error }, 'deadline failed; the next pass retries it'),
    onAlarm: (error) => {
      deps.metrics.schedulerAlarms.inc();
      deps.logger.error({ alarm: 'scheduler', err: error }, 'the deadlines read model did not catch up; this pass fires what it shows');
    },
    // The outbox and the daily reports read their read models: those catch up first.
    afterPass: async (now) => {
      await deps.runner.waitUntilCaughtUp(await deps.store.headPosition(), undefined, AFTER_PASS_READ_MODELS);
      await deps.afterPass(now);
    },
    onJobError: (error) => deps.logger.error({ err: error }, 'a scheduled job failed; the next pass runs it again'),
  });
  // Callers that tick by hand (simulators, tests) read the read models next: let every model that is not halted catch up.
  const thenCatchUp = async (fired: Promise<number>) => {
    const count = await fired;
    const head = await deps.store.headPosition();
    for (;;) {
      const halted = new Set((await deps.runner.halts()).map((h) => h.projection));
      const models = allProjections.map((p) => p.name).filter((name) => !halted.has(name));
      try {
        await deps.runner.waitUntilCaughtUp(head, undefined, models);
        return count;
      } catch (error) {
        // One more model halted while we waited: wait for the others.
        if (!(error instanceof ProjectionHaltedError)) throw error;
      }
    }
  };
  return { ...scheduler, tick: () => thenCatchUp(scheduler.tick()), runOnce: (now) => thenCatchUp(scheduler.runOnce(now)) };
}

interface Composition {
  readonly services: LedgerServices;
  readonly vouchers: VoucherServices;
}

/** The QR signing key and the keys of a rotation in progress (QR_ROTATION_PUBLIC_KEYS); a bad one stops the start. */
function qrKeysOf(secrets: Secrets, config: Config): QrSigningKeys {
  let rotationPublicKeys: KeyObject[];
  try {
    rotationPublicKeys = parseRotationKeys(config.QR_ROTATION_PUBLIC_KEYS);
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}. Fix: give the rotation's public keys as SPKI PEMs (or base64 of each), comma-separated.`);
  }
  return { privateKey: createPrivateKey(secrets.qrPrivateKey), publicKey: createPublicKey(secrets.qrPublicKey), rotationPublicKeys };
}

/** One LedgerServices from the lists/consent half and the voucher half; fireDeadline dispatches by kind. */
/**
 * BMG: the bulk directory's loads are always there (the import door); the phone check asks it, or
 * BMG itself per person when BMG_MODE=http.
 */
function wireBmg(config: Config, pool: Pool, vault: Vault, clock: Clock): { phones: System['phones']; bmg: BmgImport; directory: ForgettableDirectory } {
  const directory = createPostgresPhoneDirectory(pool, vault);
  const bmg = createBmgImport(directory);
  const check: PhoneDirectory =
    config.BMG_MODE === 'http'
      ? createHttpPhoneDirectory({
          url: config.BMG_URL!,
          ...(config.BMG_TOKEN ? { token: config.BMG_TOKEN } : {}),
          timeoutMs: config.BMG_TIMEOUT_MS,
          retries: config.BMG_RETRIES,
        })
      : directory;
  const load = async (entries: readonly (readonly [string, string])[]) => {
    const now = clock.now().toISOString();
    const loadId = `in-process-${randomUUID()}`;
    const status = await bmg.importAll(
      entries,
      { loadId, asOf: now, mode: 'delta' },
      { commandId: loadId, now, actor: { role: 'operator', id: 'in-process' } },
    );
    return status.rowsApplied;
  };
  return { phones: { lookupMany: (iins) => check.lookupMany(iins), load }, bmg, directory };
}

/**
 * e-Otinish over HTTP when EOTINISH_URL is set; else feedback stays pending in the outbox (logged
 * once). One process forwards at a time (an advisory lock), so two never send the same try.
 */
function wireEotinish(config: Config, pool: Pool, states: StreamStates, vault: Vault, clock: Clock, logger: Logger): System['feedbackOutbox'] {
  if (!config.EOTINISH_URL) {
    let told = false;
    return {
      async forwardDue() {
        if (!told) logger.warn('e-Otinish is not configured (EOTINISH_URL): ratings and complaints wait in the outbox');
        told = true;
        return 0;
      },
    };
  }
  const eotinish = createHttpEotinish({
    url: config.EOTINISH_URL,
    ...(config.EOTINISH_TOKEN ? { token: config.EOTINISH_TOKEN } : {}),
    timeoutMs: config.EOTINISH_TIMEOUT_MS,
  });
  const forwarder = createFeedbackForwarder({ states, eotinish, texts: vault, due: (now, limit) => dueFeedback(pool, now, limit) });
  return { forwardDue: (now) => withAdvisoryLock(pool, EOTINISH_OUTBOX_LOCK, () => forwarder.forwardDue(now ?? clock.now().toISOString()), 0) };
}

/** Advisory-lock key of the e-Otinish outbox (one forwarder across processes). */
const EOTINISH_OUTBOX_LOCK = 7_117_500;

/** Runs `work` when this session gets the lock, else answers `busy` (another process is at it). */
async function withAdvisoryLock<T>(pool: Pool, key: number, work: () => Promise<T>, busy: T): Promise<T> {
  const client = await pool.connect();
  try {
    const { rows } = await client.query<{ locked: boolean }>('select pg_try_advisory_lock($1) as locked', [key]);
    if (!rows[0]?.locked) return busy;
    try {
      return await work();
    } finally {
      await client.query('select pg_advisory_unlock($1)', [key]);
    }
  } finally {
    client.release();
  }
}

function composeServices(deps: {
  states: StreamStates;
  qrKeys: QrSigningKeys;
  vault: Vault;
  phones: PhoneDirectory;
  clock: Clock;
  pool: Pool;
  counterparts: RegistryView;
  catalogue: CatalogueView;
  programs: ProgramsOption;
}): Composition {
  const programs = deps.programs;
  const vouchers = createVoucherServices({
    states: deps.states,
    vault: deps.vault,
    texts: deps.vault,
    qrKeys: deps.qrKeys,
    counterparts: deps.counterparts,
    catalogue: deps.catalogue,
    programs,
  });
  const lists = createListServices({ states: deps.states, clock: deps.clock, vault: deps.vault, phones: deps.phones, programs });
  const consent = createConsentServices({ states: deps.states, clock: deps.clock, vault: deps.vault, reads: createPostgresConsentReads(deps.pool), programs });
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
      return invariant(false, `no handler for deadline kind ${input.kind}`);
    },
  };
  return { services, vouchers };
}

const REQUEST_TIMEOUT_MS = 60_000;
/** Restarts in a row of a crashed embedded Postgres (backoff 0.25 s … 4 s) before the service gives up. */
const EMBEDDED_PG_RESTARTS = 5;
/** Idempotency records older than their TTL are deleted this often. */
const IDEMPOTENCY_SWEEP_MS = 60 * 60 * 1000;
/** The retention job forgets expired personal data this often (periods are days: an hour late is nothing). */
const RETENTION_SWEEP_MS = 60 * 60 * 1000;
const HEADERS_TIMEOUT_MS = 20_000;

/** The service's own pools wait for Postgres only so long (README, configuration). */
function poolTimeouts(config: Config): PoolOptions['timeouts'] {
  return {
    statementMs: config.PG_STATEMENT_TIMEOUT_MS,
    queryMs: config.PG_QUERY_TIMEOUT_MS,
    connectMs: config.PG_CONNECT_TIMEOUT_MS,
    idleInTransactionMs: config.PG_IDLE_IN_TRANSACTION_TIMEOUT_MS,
  };
}

/** The embedded server's data directory, when this system starts one (its free space is ours to watch). */
function embeddedDataDir(options: SystemOptions, config: Config): string | undefined {
  return options.pool || options.databaseUrl || config.DATABASE_URL ? undefined : join(config.DATA_DIR, 'pg');
}

async function openPool(options: SystemOptions, config: Config, logger: Logger, poolOptions: PoolOptions): Promise<{ pool: Pool; close: () => Promise<void> }> {
  if (options.pool) return { pool: options.pool, close: async () => undefined };
  const url = options.databaseUrl ?? config.DATABASE_URL;
  if (url) {
    const pool = await connectOrExplain(url, undefined, poolOptions);
    return { pool, close: () => pool.end() };
  }
  const embedded: EmbeddedServer = await startEmbeddedPostgres({
    dataDir: embeddedDataDir(options, config)!,
    port: config.EMBEDDED_PG_PORT,
    persistent: true,
    restarts: EMBEDDED_PG_RESTARTS,
    // The reason is the server's own FATAL or PANIC line: a file, a signal, a setting — no row's values.
    onRestart: (attempt, reason) =>
      logger.error({ alarm: 'embedded_postgres', reason, attempt, of: EMBEDDED_PG_RESTARTS }, 'the embedded Postgres died; restarting it'),
    onGiveUp: (reason) => (options.onFatal ? options.onFatal(reason) : logger.fatal({ alarm: 'embedded_postgres', reason }, 'the embedded Postgres is gone')),
  });
  try {
    const pool = await connectOrExplain(embedded.url, undefined, poolOptions);
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

/** Migrations and the application role's privileges, through the owner's connection (see SystemOptions.ownerPool). */
async function migrateAsOwner(options: SystemOptions, config: Config, pool: Pool, migrations: readonly Migration[]): Promise<void> {
  const url = options.ownerPool ? undefined : config.MIGRATION_DATABASE_URL;
  const owner = options.ownerPool ?? (url ? await connectOrExplain(url, 1) : pool);
  try {
    await migrate(owner, migrations);
    await handOverToApplication(owner);
  } finally {
    if (url) await owner.end();
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
      metrics.appendedEvents.inc(
        labels,
        writes.reduce((n, w, i) => n + (results[i]?.repeated ? 0 : w.events.length), 0),
      );
      appended();
      return results;
    },
    readStream: (stream, readOptions) => store.readStream(stream, readOptions),
    readStreams: (reads) => store.readStreams(reads),
    readAll: (readOptions) => store.readAll(readOptions),
    headPosition: () => store.headPosition(),
    subscribe: (subscribeOptions) => store.subscribe(subscribeOptions),
    close: () => store.close(),
  };
}

/** Until the registry is wired in: nobody has an account, so payout batches list every payable as skipped. */
