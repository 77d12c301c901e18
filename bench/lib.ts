/**
 * Bench helpers: one JSON line per case, a throw-away database (embedded Postgres unless
 * DATABASE_URL is set), and a timed loop for concurrent workers.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../adapters/postgres/embedded';
import { createPool, isDurable, type Pool } from '../adapters/postgres/pool';
import { applyDurabilityFlag, durabilityNote } from '../simulators/durability';
import { coreMigrations, migrate } from '../adapters/postgres/migrate';

export interface BenchLine {
  readonly case: string;
  readonly value: number;
  readonly unit: string;
  readonly baseline: number;
  readonly ratio: number;
  /** Postgres with its durable defaults (simulators/durability.ts); set once the bench database is up. */
  readonly durable?: boolean;
}

/** What the bench's server does, learnt from it by startBenchDatabase: every line carries it. */
let benchDurable: boolean | undefined;
const durableField = () => (benchDurable === undefined ? {} : { durable: benchDurable });

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Prints one case as a JSON line (stdout), rounded for reading. */
export function report(name: string, value: number, unit: string, baseline: number): BenchLine {
  const line: BenchLine = {
    case: name,
    value: Math.round(value),
    unit,
    baseline: Math.round(baseline),
    ratio: Math.round((value / baseline) * 100) / 100,
    ...durableField(),
  };
  console.log(JSON.stringify(line));
  return line;
}

/**
 * One case from paired rounds (each measured round beside the baseline round next to it): value and
 * baseline are medians; ratio is the median of the per-pair ratios, which holds up when other work
 * on the machine comes and goes during the run.
 */
export function reportPairs(name: string, unit: string, pairs: readonly { value: number; baseline: number }[]): BenchLine {
  const line: BenchLine = {
    case: name,
    value: Math.round(median(pairs.map((p) => p.value))),
    unit,
    baseline: Math.round(median(pairs.map((p) => p.baseline))),
    ratio: Math.round(median(pairs.map((p) => p.value / p.baseline)) * 100) / 100,
    ...durableField(),
  };
  console.log(JSON.stringify(line));
  return line;
}

export interface BenchDatabase {
  readonly pool: Pool;
  stop(): Promise<void>;
}

/** Connections for the bench: the most concurrent writers plus room for the store's own queries. */
const BENCH_POOL_SIZE = 24;

/**
 * A fresh migrated database: on DATABASE_URL's server when set, else on an embedded throw-away
 * server, durable unless `--fast-unsafe` or PG_DURABLE=0 (said on stderr and in every line).
 */
export async function startBenchDatabase(): Promise<BenchDatabase> {
  const external = process.env.DATABASE_URL;
  const dataDir = external ? undefined : await mkdtemp(join(tmpdir(), 'swl-bench-pg-'));
  const durable = applyDurabilityFlag(process.argv);
  const server = dataDir ? await startEmbeddedPostgres({ dataDir, port: 0, persistent: false, durable }) : undefined;
  const adminUrl = external ?? server!.url;
  const name = `bench_${Date.now().toString(36)}`;
  await adminQuery(adminUrl, `create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const pool = createPool(url.toString(), BENCH_POOL_SIZE);
  await migrate(pool, coreMigrations());
  benchDurable = await isDurable(pool);
  process.stderr.write(`${durabilityNote(benchDurable)}\n`);
  return {
    pool,
    stop: async () => {
      await pool.end();
      await adminQuery(adminUrl, `drop database if exists ${name} with (force)`);
      await server?.stop();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * Runs `workers` loops of `step` for `durationMs`; each step returns how many events it wrote.
 * Returns events per second over the wall time until every worker finished its last step.
 */
export async function throughput(workers: number, durationMs: number, step: (worker: number) => Promise<number>): Promise<{ rate: number; events: number }> {
  const started = performance.now();
  const deadline = started + durationMs;
  const counts = await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      let events = 0;
      while (performance.now() < deadline) events += await step(worker);
      return events;
    }),
  );
  const events = counts.reduce((a, b) => a + b, 0);
  return { rate: events / ((performance.now() - started) / 1000), events };
}
