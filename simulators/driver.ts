/**
 * The simulator's hold on the product. Business traffic goes ONLY through the public HTTP API
 * (`http`). Two things have no HTTP door yet and are driven in-process through createSystem's
 * handles, each standing in for a system outside the ledger:
 *   - the clock: `VirtualClock.set` (an operator endpoint to move a virtual clock does not exist);
 *   - deadlines: `scheduler.tick()` right after the clock moves (the timer is off in simulation);
 *   - identity: bearer tokens signed with the system's JWT secret (the identity provider's job),
 *     and a citizen's personId from the vault's pseudonymiser (eGov knows who logs in).
 * `settle()` waits until the read models have caught up with the log, so reads see the writes.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { durableFromEnvironment, startEmbeddedPostgres } from '../adapters/postgres/embedded';
import { durabilityOf } from './durability';
import { VirtualClock, type Clock } from '../adapters/clock/clock';
import { signToken, type Principal } from '../api/auth';
import { pseudonymiser } from '../adapters/vault/vault';
import { loadConfig } from '../app/config';
import { createSystem, type System } from '../app/system';
import { createLogger, type Logger } from '../adapters/log/logger';
import type { Pool } from '../adapters/postgres/pool';
import { createHttp, type Http } from './http';
import { loadPhonesThroughApi } from './bmg';

/** What a simulation needs of the service it drives, in-process or in its own process. */
export interface ServiceHandle {
  readonly http: Http;
  /** A bearer token for a principal, valid long enough for a simulated month. */
  token(principal: Principal): Promise<string>;
  personId(iin: string): string;
  /** BMG's numbers, through the import door (HTTP), as one full load stamped with the clock's now. */
  loadPhones(entries: readonly (readonly [string, string])[]): Promise<number>;
  /** Moves the virtual clock (never backwards) and fires every deadline now due. */
  advanceTo(instant: string): Promise<number>;
  /** Waits for the read models to reflect every event written so far. */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

/** The clock a simulation moves: the VirtualClock, or the demo's (adapters/clock). */
export type SimulationClock = Clock & { set(instant: string | Date): void };

export interface Driver extends ServiceHandle {
  readonly clock: SimulationClock;
}

/** Tokens outlive a simulated month plus its reports. */
/** Simulated clients hold one token for a whole simulated month (the API is configured to accept it). */
export const SIMULATION_TOKEN_TTL_SECONDS = 45 * 24 * 3600;
/** The simulator is one client per role subject at hundreds of requests a second: lift the per-client limit. */
const SIMULATION_RATE_LIMIT = { limit: 100_000_000, windowSeconds: 60 };

const MAX_SCHEDULER_PASSES = 1_000;
/** How long (simulated) a signed token is handed out again before a fresh one is signed. */
const TOKEN_REUSE_MS = 24 * 3600 * 1000;

/** The scheduler handle's "fire what is due now" (named tick or runOnce as the composition root evolves). */
function fireDue(system: System): Promise<number> {
  const scheduler = system.scheduler as unknown as { tick?: () => Promise<number>; runOnce?: () => Promise<number> };
  if (scheduler.runOnce) return scheduler.runOnce();
  if (scheduler.tick) return scheduler.tick();
  throw new Error('the system exposes no way to fire due deadlines (scheduler.runOnce)');
}

/**
 * A throw-away Postgres for one simulation (deleted at stop), unless DATABASE_URL is set; durable
 * unless PG_DURABLE=0 (`--fast-unsafe`), and `durable` says what the server really does.
 * The parent directory is opened to the server's own user (initdb runs as 'postgres' under root).
 */
export async function throwAwayDatabase(): Promise<{ url: string; durable: boolean; stop(): Promise<void> }> {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, durable: await durabilityOf(process.env.DATABASE_URL), stop: async () => undefined };
  const parent = mkdtempSync(join(tmpdir(), 'swl-sim-'));
  chmodSync(parent, 0o755);
  const server = await startEmbeddedPostgres({ dataDir: join(parent, 'pg'), port: 0, persistent: false, durable: durableFromEnvironment() });
  return {
    url: server.url,
    durable: await durabilityOf(server.url),
    async stop() {
      await server.stop();
      rmSync(parent, { recursive: true, force: true });
    },
  };
}

export interface InProcessOptions {
  readonly start: string;
  /** A pool on a database the caller owns (tests: freshDatabase); else DATABASE_URL or an embedded server. */
  readonly pool?: Pool;
  readonly databaseUrl?: string;
  /** DATA_DIR for an embedded Postgres (default: a throw-away directory per run). */
  readonly dataDir?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly maxSockets?: number;
  /** The service's operator log; default: warnings and errors as JSON lines on stderr. */
  readonly logger?: Logger;
  /** Check every API answer against its route's declaration (tests): `system.api.contractViolations()`. */
  readonly checkContract?: boolean;
  /** The clock to run on (default: a VirtualClock at `start`). */
  readonly clock?: SimulationClock;
  /** Where to listen (default: any free port on 127.0.0.1). */
  readonly port?: number;
}

export async function startInProcess(options: InProcessOptions): Promise<Driver & { system: System }> {
  const clock = options.clock ?? new VirtualClock(options.start);
  const config = loadConfig({
    ...(options.env ?? {}),
    ...(process.env.STREAM_CACHE_CAPACITY === undefined ? {} : { STREAM_CACHE_CAPACITY: process.env.STREAM_CACHE_CAPACITY }),
    MODE: 'dev',
    ...(options.dataDir ? { DATA_DIR: options.dataDir } : {}),
    EMBEDDED_PG_PORT: '0',
    LOG_LEVEL: 'warn',
    // A simulated month on a virtual clock: each simulated client holds one token for all of it.
    JWT_MAX_LIFETIME_SECONDS: String(SIMULATION_TOKEN_TTL_SECONDS),
  });
  const system = await createSystem({
    config,
    clock,
    ...(options.pool ? { pool: options.pool } : {}),
    ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
    rateLimit: SIMULATION_RATE_LIMIT,
    schedulerTimer: false,
    runnerPollMs: 20,
    ...(options.checkContract ? { checkContract: true } : {}),
    logger: options.logger ?? createLogger({ level: 'warn' }),
  });
  const url = await system.start({ port: options.port ?? 0, host: '127.0.0.1' });
  const http = createHttp(url, { maxSockets: options.maxSockets ?? 64 });
  const personId = pseudonymiser(system.secrets.vaultKey);
  const tokens = new Map<string, { token: Promise<string>; signedAtMs: number }>();
  const settle = async () => system.runner.waitUntilCaughtUp(await system.store.headPosition(), 120_000);
  return {
    system,
    http,
    clock,
    token(principal) {
      const key = JSON.stringify(principal);
      const held = tokens.get(key);
      // Callers keep a token for their whole run: one handed out is at most a simulated day old, so it
      // outlives any run of the token's life less a day (the demo plays two months side by side).
      if (held && clock.now().getTime() - held.signedAtMs < TOKEN_REUSE_MS) return held.token;
      const token = signToken(system.secrets.jwtSecret, principal, { now: clock.now(), ttlSeconds: SIMULATION_TOKEN_TTL_SECONDS });
      tokens.set(key, { token, signedAtMs: clock.now().getTime() });
      return token;
    },
    personId,
    async loadPhones(entries) {
      const token = await signToken(
        system.secrets.jwtSecret,
        { role: 'bmg', sub: 'bmg-simulator' },
        { now: clock.now(), ttlSeconds: SIMULATION_TOKEN_TTL_SECONDS },
      );
      return loadPhonesThroughApi(http, token, entries, {
        loadId: `sim-bmg-${clock
          .now()
          .toISOString()
          .replace(/[^0-9]/g, '')}`,
        asOf: clock.now().toISOString(),
      });
    },
    async advanceTo(instant) {
      if (new Date(instant).getTime() > clock.now().getTime()) clock.set(instant);
      // One scheduler pass fires a bounded number of deadlines: repeat until nothing is due. The
      // system's scheduler handle lets the read models catch up before it reads and after it fires.
      let total = 0;
      for (let pass = 0; pass < MAX_SCHEDULER_PASSES; pass++) {
        const fired = await fireDue(system);
        total += fired;
        if (fired === 0) break;
      }
      return total;
    },
    settle,
    async stop() {
      http.close();
      await system.stop();
    },
  };
}
