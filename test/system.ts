/** A real system for API tests: its own database on the run's embedded Postgres, a VirtualClock, an ephemeral port. */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualClock } from '../adapters/clock/clock';
import { loadConfig } from '../app/config';
import { createSystem, type System, type SystemOptions } from '../app/system';
import { tokenFor } from '../app/dev-tokens';
import { freshDatabase } from './pg';
import { applicationLogin } from './roles';
import { coreMigrations } from '../adapters/postgres/migrate';
import type { Principal } from '../api/auth';
import type { RateLimitOptions } from '../api/rate-limit';
import { client } from './http';
import { capturedLogger } from './log';
import type { Counterparts } from '../simulators/registry';
import { onboardOverHttp } from './registry';

export interface TestSystem {
  readonly system: System;
  readonly clock: VirtualClock;
  readonly call: ReturnType<typeof client>;
  /** Operator log lines written so far, JSON (checked for personal data). */
  readonly logged: readonly string[];
  readonly token: (principal: Principal, ttlSeconds?: number) => Promise<string>;
  /** Events in the log (for "nothing was appended" checks). */
  eventCount(): Promise<number>;
  /** Waits until every read model has applied everything appended so far. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

export interface TestSystemOptions {
  readonly rateLimit?: RateLimitOptions;
  /** Connect as a login in the application role `swl_app`, as production does; migrate as the owner. */
  readonly asApplicationRole?: boolean;
  /** Onboarded through the operator's door once started. */
  readonly counterparts?: Counterparts;
  /** Configuration beyond the test defaults (e.g. MODE=production with its secrets: productionSecrets()). */
  readonly env?: Readonly<Record<string, string>>;
  /** Other program parameters than the orders' defaults (domain/programs/). */
  readonly programs?: SystemOptions['programs'];
}

export async function startTestSystem(start: string, options: TestSystemOptions = {}): Promise<TestSystem> {
  const db = await freshDatabase(options.asApplicationRole ? coreMigrations() : []);
  const login = options.asApplicationRole ? await applicationLogin(db.url) : undefined;
  const clock = new VirtualClock(start);
  // Dev mode writes its generated secrets here: removed again by close().
  const dataDir = await mkdtemp(join(tmpdir(), 'swl-api-'));
  // The daily reports the scheduler writes go under dataDir too. STREAM_CACHE_CAPACITY passes through: `npm run test:uncached` runs every test system with nothing held.
  const config = loadConfig({
    MODE: 'dev',
    DATA_DIR: dataDir,
    PORT: '0',
    STREAM_CACHE_CAPACITY: process.env.STREAM_CACHE_CAPACITY,
    REPORTS_DIR: join(dataDir, 'reports'),
    ...options.env,
  });
  // Debug: every request's line too, so that the tests that look for personal data in the log see all of it.
  const { logger, lines: logged } = capturedLogger('debug');
  const system = await createSystem({
    config,
    clock,
    pool: login?.pool ?? db.pool,
    ...(login ? { ownerPool: db.pool } : {}),
    logger,
    runnerPollMs: 20,
    schedulerTimer: false,
    chainerTimer: false,
    checkContract: true,
    ...(options.programs ? { programs: options.programs } : {}),
    rateLimit: options.rateLimit ?? { limit: 10_000, windowSeconds: 60, failedAuthLimit: 10_000 },
  });
  const url = await system.start({ port: 0, host: '127.0.0.1' });
  if (options.counterparts) await onboardOverHttp(client(url), (principal) => tokenFor(system, principal), options.counterparts);
  return {
    system,
    clock,
    call: client(url),
    logged,
    token: (principal, ttl) => tokenFor(system, principal, ttl),
    async eventCount() {
      const { rows } = await db.pool.query<{ n: string }>('select count(*)::text as n from events');
      return Number(rows[0]!.n);
    },
    async settle() {
      await system.runner.waitUntilCaughtUp(await system.store.headPosition(), 20_000);
    },
    async close() {
      const violations = system.api.contractViolations();
      try {
        await system.stop();
        await login?.drop();
        await db.drop();
        await rm(dataDir, { recursive: true, force: true });
      } finally {
        failOnContractViolations(violations);
      }
    },
  };
}

/** Every answer a test provoked must be one its route declares (api/contract.ts): fix the declaration or the route. */
export function failOnContractViolations(violations: readonly string[]): void {
  if (violations.length > 0) throw new Error(`answers outside their route's declaration (api/routes/*: responses, refusals):\n  ${violations.join('\n  ')}`);
}

/** Every secret MODE=production requires, freshly generated (tests of production-only behaviour). */
export function productionSecrets(): Record<string, string> {
  const pem = () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    return {
      privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    };
  };
  const qr = pem();
  const checkpoint = pem();
  return {
    MODE: 'production',
    VAULT_KEY: randomBytes(32).toString('hex'),
    VAULT_MASTER_KEY: randomBytes(32).toString('hex'),
    JWT_SECRET: randomBytes(32).toString('hex'),
    QR_PRIVATE_KEY: qr.privateKey,
    QR_PUBLIC_KEY: qr.publicKey,
    CHECKPOINT_PRIVATE_KEY: checkpoint.privateKey,
    CHECKPOINT_PUBLIC_KEY: checkpoint.publicKey,
    // The programme's own account at the paying agent (money out): production refuses the dev placeholder.
    PAYOUT_DEBTOR_BIN: '000740000011',
    PAYOUT_DEBTOR_IBAN: 'KZ86125KZT5004100100',
  };
}
