/**
 * The service under load, in its own process (its own event loop, as in production): the whole
 * system on a throw-away Postgres (or DATABASE_URL), listening on 127.0.0.1, on a clock that runs in
 * real time from a chosen virtual instant inside the pilot period (the load test) or, with
 * SIM_CLOCK=virtual, a clock that stands still between jumps (a simulated month: the simulator's
 * client work no longer shares the service's thread). The simulator talks to it over HTTP only, except
 * for the hooks that have no HTTP door yet, which go over the IPC channel:
 *   { op: 'now' }                   the virtual clock's instant
 *   { op: 'advanceTo', instant }    jump the clock forward and fire due deadlines
 *   { op: 'settle' }                wait for the read models
 *   { op: 'setClock', instant }     jump the clock forward only (a peer process: see below)
 * On start it sends { ready: url, jwtSecret, vaultKey, databaseUrl, durable } to the parent.
 *
 * Started with the first process's DATABASE_URL and data dir, it is one more API process of the
 * same service (DESIGN.md, "Scaling out"): the same database and secrets, its own port, caches and
 * projection runner (the advisory locks leave each read model to one runner).
 */
import { VirtualClock, type Clock } from '../adapters/clock/clock';
import { loadConfig } from '../app/config';
import { createSystem } from '../app/system';
import { SIMULATION_TOKEN_TTL_SECONDS, throwAwayDatabase } from './driver';
import { createLogger } from '../adapters/log/logger';

/** A clock that runs at real speed from a virtual start, and can jump forward. */
export class RunningClock implements Clock {
  private offsetMs: number;
  constructor(start: string) {
    this.offsetMs = new Date(start).getTime() - Date.now();
  }
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  set(instant: string | Date): void {
    const target = new Date(instant).getTime();
    if (target > this.now().getTime()) this.offsetMs = target - Date.now();
  }
}

type Request =
  | { id: number; op: 'now' }
  | { id: number; op: 'advanceTo'; instant: string }
  | { id: number; op: 'setClock'; instant: string }
  | { id: number; op: 'settle' }
  | { id: number; op: 'stop' };

async function main(): Promise<void> {
  const start = process.env.SIM_START ?? '2026-03-10T06:00:00.000Z';
  const virtual = process.env.SIM_CLOCK === 'virtual';
  const database = await throwAwayDatabase();
  const clock: Clock & { set(instant: string): void } = virtual ? new VirtualClock(start) : new RunningClock(start);
  const system = await createSystem({
    // A simulated month: each simulated client holds one token for all of it (simulators/load.ts). Production's
    // settings for what the figures measure: held states are not frozen (freezing is a dev and test check).
    config: loadConfig({
      MODE: 'dev',
      DATA_DIR: process.env.SIM_DATA_DIR ?? '.data/load',
      LOG_LEVEL: 'warn',
      JWT_MAX_LIFETIME_SECONDS: String(SIMULATION_TOKEN_TTL_SECONDS),
      FREEZE_STREAM_STATES: 'off',
      STREAM_CACHE_CAPACITY: process.env.STREAM_CACHE_CAPACITY,
      ...(process.env.EOTINISH_URL ? { EOTINISH_URL: process.env.EOTINISH_URL } : {}),
    }),
    clock,
    databaseUrl: database.url,
    // Each shop and device is one client; the load is bounded by the test, not by the limiter.
    rateLimit: { limit: 100_000_000, windowSeconds: 60 },
    schedulerTimer: false,
    // A simulation waits for the read models at every tick: poll as the in-process driver does.
    ...(virtual ? { runnerPollMs: 20 } : {}),
    // As a deployment logs: JSON lines, nothing per request; warnings and failures show on the load test's stderr.
    logger: createLogger({ level: 'warn' }),
  });
  // SIM_PORT: the fault suite starts a killed service again where its clients expect it.
  const url = await system.start({ port: Number(process.env.SIM_PORT ?? 0), host: '127.0.0.1' });
  const settle = async () => system.runner.waitUntilCaughtUp(await system.store.headPosition(), 300_000);
  const scheduler = system.scheduler as unknown as { tick?: () => Promise<number>; runOnce?: () => Promise<number> };
  const fire = () => (scheduler.runOnce ? scheduler.runOnce() : scheduler.tick!());
  /** Stops the system and the throw-away Postgres once, whether asked to or left by the parent. */
  let stopping: Promise<void> | undefined;
  const shutDown = () => (stopping ??= system.stop().then(() => database.stop()));
  // The parent is gone (crashed or killed): stop everything, the throw-away Postgres included.
  process.once('disconnect', () => void shutDown().finally(() => process.exit(0)));
  /** The clock only moves forward. */
  const moveClock = (instant: string) => {
    if (new Date(instant).getTime() > clock.now().getTime()) clock.set(instant);
  };
  process.on('message', (raw) => {
    const request = raw as Request;
    const answer = (result: unknown) => process.send?.({ id: request.id, result });
    const fail = (error: unknown) => process.send?.({ id: request.id, error: String((error as Error)?.stack ?? error) });
    const run = async () => {
      switch (request.op) {
        case 'now':
          return clock.now().toISOString();
        case 'setClock':
          moveClock(request.instant);
          return true;
        case 'advanceTo': {
          moveClock(request.instant);
          let total = 0;
          // The scheduler handle catches the read models up before it reads and after it fires.
          for (let pass = 0; pass < 1_000; pass++) {
            const fired = await fire();
            total += fired;
            if (fired === 0) break;
          }
          return total;
        }
        case 'settle':
          return settle();
        case 'stop':
          await shutDown();
          setImmediate(() => process.exit(0));
          return true;
      }
    };
    run().then(answer, fail);
  });
  process.send?.({
    ready: url,
    jwtSecret: system.secrets.jwtSecret,
    vaultKey: system.secrets.vaultKey,
    databaseUrl: database.url,
    durable: database.durable,
    now: clock.now().toISOString(),
  });
}

main().catch((error: unknown) => {
  process.send?.({ failed: String((error as Error)?.stack ?? error) });
  process.exit(1);
});
