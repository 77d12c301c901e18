/**
 * End-to-end benchmarks through HTTP, one JSON line per case:
 *   {"case","value","unit","baseline","ratio"}
 * The baseline is measured in the same run: raw single-row INSERTs through pg into a simple table
 * on the same Postgres settings (32 concurrent clients, the POS concurrency).
 *
 *   pos_pairs_per_s          QR → authorize → capture at 32 shops against the service in its own process
 *   pos_pair_p99_ms          p99 of authorize + capture (ms; lower is better; target < 50)
 *   meal_records_per_s       card records in batches of 500 from 16 canteen devices
 *   food_month_wall_s        a simulated food-voucher month (BENCH_FAMILIES, default 20,000), the service in its own
 *                            process on a virtual clock; fails unless every check of the month passes
 *   school_day_wall_s        one school day's canteen traffic for BENCH_PUPILS (default 20,000; set 100000 for the target size):
 *                            QR issued by parents, scans, batch syncs (setup not timed)
 * Scale flags (env): BENCH_SECONDS (load, default 20), BENCH_FAMILIES, BENCH_PUPILS, BENCH_SKIP
 * (comma list of cases to skip). Keep the total under ~10 minutes on 2 cores.
 * Postgres keeps its durable defaults (fsync on) unless `--fast-unsafe` or PG_DURABLE=0; every line
 * carries `"durable"`.
 */
import { loadavg } from 'node:os';
import pg from 'pg';
import { instantAt } from '../domain/shared/calendar';
import { DEFAULT_BEHAVIOUR } from '../simulators/behaviour';
import { startInProcess, throwAwayDatabase } from '../simulators/driver';
import { FOOD_CONCURRENCY, simulateFoodMonth } from '../simulators/food';
import { checkFood } from '../simulators/check';
import { simulateMeals } from '../simulators/meals';
import { generatePopulation } from '../simulators/population';
import { runTraffic, seedFixture, startService } from '../simulators/load';
import { applyDurabilityFlag, durabilityNote } from '../simulators/durability';
import { silentLogger } from '../adapters/log/logger';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const FAMILIES = Number(process.env.BENCH_FAMILIES ?? 20_000);
/** 100,000 is the target's size; its set-up (lists, consent, activation through the API) takes far longer than the day, so the default is smaller. */
const PUPILS = Number(process.env.BENCH_PUPILS ?? 20_000);
const SKIP = new Set((process.env.BENCH_SKIP ?? '').split(',').filter(Boolean));
const SHOPS = 32;
const DEVICES = 16;

/** Set before any server starts (the service's own process inherits PG_DURABLE), then read from the server itself. */
let durable = applyDurabilityFlag(process.argv);

function line(name: string, value: number, unit: string, baseline: number | null, extra: Record<string, unknown> = {}): void {
  const round = (x: number) => Math.round(x * 100) / 100;
  process.stdout.write(
    `${JSON.stringify({ case: name, value: round(value), unit, baseline: baseline === null ? null : round(baseline), ratio: baseline ? round(value / baseline) : null, durable, ...extra })}\n`,
  );
}

/** Raw Postgres: single-row INSERTs into a plain table, 32 clients, for a few seconds. */
async function rawInsertRate(url: string, seconds = 5, clients = SHOPS): Promise<number> {
  const pool = new pg.Pool({ connectionString: url, max: clients });
  // The server stops right after pool.end(); a client whose socket is still closing must not crash the run.
  pool.on('error', () => undefined);
  await pool.query('create table if not exists bench_raw (id bigserial primary key, k text not null, v jsonb not null)');
  const deadline = performance.now() + seconds * 1000;
  let rows = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; performance.now() < deadline; i++) {
        await pool.query('insert into bench_raw (k, v) values ($1, $2)', [`c${c}-${i}`, JSON.stringify({ shop: c, i, amount: 12_300 })]);
        rows++;
      }
    }),
  );
  const rate = rows / ((performance.now() - started) / 1000);
  await pool.query('drop table bench_raw');
  await pool.end();
  return rate;
}

async function main(): Promise<void> {
  const db = await throwAwayDatabase();
  // An external DATABASE_URL decides for itself: every line says what the server really does.
  durable = db.durable;
  process.stderr.write(`${durabilityNote(durable)}\n`);
  const baseline = await rawInsertRate(db.url);
  line('raw_pg_inserts_per_s', baseline, 'rows/s', baseline, { clients: SHOPS });
  await db.stop();

  if (!SKIP.has('load')) {
    const service = await startService(instantAt('2026-03-02', '09:00'));
    try {
      const fixture = await seedFixture(service, { families: SHOPS * 25, devices: DEVICES, pupilsPerDevice: 600 });
      // POS alone, then canteens alone: each figure is its own workload.
      const pos = await runTraffic(service, fixture, { shops: SHOPS, devices: 0, seconds: SECONDS, batchSize: 500 });
      line('pos_pairs_per_s', pos.pairsPerSecond, 'pairs/s', baseline, { shops: SHOPS, seconds: pos.seconds, errors: pos.errors, target: 1000 });
      line('pos_pair_p99_ms', pos.pairLatency.p99, 'ms', null, {
        p50: pos.pairLatency.p50,
        p95: pos.pairLatency.p95,
        target: 50,
        authorize: pos.ops.authorize,
        capture: pos.ops.capture,
        qr: pos.ops.qr,
        lag: pos.lag,
        cpu: pos.cpu,
        loadAverage: loadavg()[0],
      });
      const canteen = await runTraffic(service, fixture, { shops: 0, devices: DEVICES, seconds: SECONDS, batchSize: 500 });
      line('meal_records_per_s', canteen.mealRecordsPerSecond, 'records/s', baseline, {
        devices: DEVICES,
        records: canteen.mealRecords,
        outcomes: canteen.recordOutcomes,
        batch: canteen.ops.canteen_batch,
        lag: canteen.lag,
        cpu: canteen.cpu,
        target: 5000,
      });
    } finally {
      await service.stop();
    }
  }

  if (!SKIP.has('food')) {
    // As `npm run simulate -- --program food`: the service in its own process on a virtual clock;
    // the month counts only if every check (reports = simulated truth) passes.
    const database = await throwAwayDatabase();
    const driver = await startService(instantAt('2026-03-01', '00:00'), { clock: 'virtual', databaseUrl: database.url, maxSockets: FOOD_CONCURRENCY * 2 });
    try {
      const population = generatePopulation({ seed: 7, families: FAMILIES, pupils: 0 });
      const started = performance.now();
      const truth = await simulateFoodMonth(driver, population, { month: '2026-03', seed: 7, behaviour: DEFAULT_BEHAVIOUR });
      const monthMs = performance.now() - started;
      const checks = await checkFood(driver, truth);
      if (checks.failed.length > 0) throw new Error(`food month: ${checks.failed.length} checks failed: ${JSON.stringify(checks.failed.slice(0, 5))}`);
      // The figure is the month and its checks; population and service start are not timed.
      line('food_month_wall_s', (performance.now() - started) / 1000, 's', null, {
        families: FAMILIES,
        requests: truth.requests,
        monthS: Math.round(monthMs / 100) / 10,
        checks: checks.items.length,
        phaseMs: truth.phaseMs,
        loadAverage: loadavg()[0],
        target: 120,
      });
    } finally {
      await driver.stop();
      await database.stop();
    }
  }

  if (!SKIP.has('meals')) {
    const database = await throwAwayDatabase();
    const driver = await startInProcess({ start: instantAt('2026-02-20', '00:00'), databaseUrl: database.url, logger: silentLogger() });
    try {
      const population = generatePopulation({ seed: 7, families: 0, pupils: PUPILS, pupilsPerSchool: 600 });
      // Everyone answers yes at once and activates within hours, so the measured day has (almost) all pupils.
      const behaviour = {
        ...DEFAULT_BEHAVIOUR,
        consent: { ...DEFAULT_BEHAVIOUR.consent, answers: { yes: 1, no: 0, never: 0, garbage: 0 }, replyDelayMeanHours: 1, smsFailure: 0 },
        activation: { ...DEFAULT_BEHAVIOUR.activation, never: 0, delayMeanHours: 2 },
      };
      const days: Record<string, { started: number; records: number; ms?: number }> = {};
      await simulateMeals(driver, population, {
        from: '2026-03-02',
        days: 1,
        seed: 7,
        behaviour,
        tickMinutes: 60,
        concurrency: 64,
        onSchoolDay: (day, phase, records) => {
          if (phase === 'start') days[day] = { started: performance.now(), records };
          else if (days[day] && days[day]!.ms === undefined) days[day]!.ms = performance.now() - days[day]!.started;
        },
      });
      const day = days['2026-03-02'];
      if (day?.ms !== undefined) line('school_day_wall_s', day.ms / 1000, 's', null, { pupils: PUPILS, pupilsEating: day.records, target: 60 });
    } finally {
      await driver.stop();
      await database.stop();
    }
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench:e2e: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(1);
  },
);
