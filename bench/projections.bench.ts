/**
 * Projection bench: bulk-loads a catalogue-consistent history (default 1,000,000 events, both
 * programs) into the Postgres event store, then measures in the same run
 *   1. the raw `$all` read rate through the adapter (readAll batches, no projection work), and
 *   2. a full rebuild of every read model (runner.rebuild(), shadow tables + swap),
 * and prints peak RSS. One JSON line per case. `--events N` scales it down (e.g. 100000);
 * `--models a,b` rebuilds only those models; `--each` first rebuilds every model alone, one after
 * the other, and prints each one's seconds (what a model costs with the cores to itself).
 */
import { createPostgresEventStore } from '../adapters/eventstore/postgres';
import { migrate } from '../adapters/postgres/migrate';
import type { Pool } from '../adapters/postgres/pool';
import { createRunner, projectionMigrations, DEFAULT_REBUILD_BATCH_SIZE } from '../projections/runner';
import { ledgerProjections as allProjections } from '../app/read-models';
import { balanceViolations } from '../projections/balances/queries';
import { generateHistory } from '../test/projections/history';
import { loadavg } from 'node:os';
import { report, startBenchDatabase } from './lib';

const DEFAULT_EVENTS = 1_000_000;
/** Rows per bulk INSERT … SELECT FROM unnest while loading. */
const LOAD_CHUNK = 5000;
/** Issue 5's targets. */
const TARGET_EVENTS_PER_SECOND = 50_000;
const TARGET_PEAK_RSS_MB = 500;
/** Average events per generated entity (pupil or family-month), measured on the generator. */
const EVENTS_PER_ENTITY = 19;

function eventsArg(): number {
  const i = process.argv.indexOf('--events');
  const n = i >= 0 ? Number(process.argv[i + 1]) : DEFAULT_EVENTS;
  if (!Number.isSafeInteger(n) || n < 1000) throw new Error('--events must be an integer ≥ 1000');
  return n;
}

function modelsArg(): string[] {
  const i = process.argv.indexOf('--models');
  return i >= 0 ? (process.argv[i + 1] ?? '').split(',').filter(Boolean) : [];
}

const peakRssMb = () => process.resourceUsage().maxRSS / 1024;
/** Other work on the machine shares its cores: the 1-minute load average goes beside each rate (stderr). */
const load = () =>
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`;

/**
 * Streams the generator straight into the events table (positions 1…N, versions per stream).
 * Each chunk goes as ONE json parameter: cheaper than jsonb[] array literals (no per-element
 * escaping). Positions 1…N sit far below the adapter's visibility bound (xmin << 16).
 */
async function loadEvents(pool: Pool, total: number): Promise<number> {
  const entities = Math.ceil(total / EVENTS_PER_ENTITY / 2) + 50;
  const versions = new Map<string, number>();
  let rows: unknown[] = [];
  let position = 0;
  const flush = async () => {
    if (rows.length === 0) return;
    await pool.query(
      'insert into events (position, stream, stream_version, id, type, data, metadata) ' +
        'select (r->>0)::bigint, r->>1, (r->>2)::bigint, (r->>3)::uuid, r->>4, r->5, r->6 from jsonb_array_elements($1::jsonb) as r',
      [JSON.stringify(rows)],
    );
    rows = [];
  };
  for (const { stream, event } of generateHistory({ seed: 42, pupils: entities, familyMonths: entities, mealDaysPerPupil: 20, cohortSize: 100 })) {
    if (position >= total) break;
    const version = versions.get(stream) ?? 0;
    versions.set(stream, version + 1);
    position++;
    rows.push([position, stream, version, event.id, event.type, event.data, event.metadata]);
    if (rows.length >= LOAD_CHUNK) await flush();
  }
  await flush();
  await pool.query('analyze events');
  return position;
}

/** Every model rebuilt alone, slowest first on stderr. */
async function eachAlone(runner: ReturnType<typeof createRunner>, names: readonly string[]): Promise<void> {
  const alone: { name: string; seconds: number }[] = [];
  for (const p of allProjections) {
    if (names.length && !names.includes(p.name)) continue;
    const started = performance.now();
    await runner.rebuild(p.name);
    alone.push({ name: p.name, seconds: (performance.now() - started) / 1000 });
  }
  console.error(`each model rebuilt alone (${load()}):`);
  for (const a of alone.sort((x, y) => y.seconds - x.seconds)) console.error(`  ${a.name}: ${a.seconds.toFixed(1)} s`);
}

async function main(): Promise<void> {
  const wanted = eventsArg();
  const db = await startBenchDatabase();
  try {
    await migrate(db.pool, projectionMigrations(allProjections));
    let t = performance.now();
    const loaded = await loadEvents(db.pool, wanted);
    // Context, not a target: how many events the runs below read (ratio = share of --events).
    report('projections.events_loaded', loaded, 'events', wanted);
    console.error(`loaded ${loaded} events in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    const store = createPostgresEventStore(db.pool);
    t = performance.now();
    let read = 0;
    for (let after = 0n; ;) {
      const batch = await store.readAll({ after, maxCount: DEFAULT_REBUILD_BATCH_SIZE });
      if (batch.length === 0) break;
      read += batch.length;
      after = batch[batch.length - 1]!.position;
    }
    const rawRate = read / ((performance.now() - t) / 1000);
    console.error(`read $all: ${read} events in ${((performance.now() - t) / 1000).toFixed(1)} s, ${load()}`);
    report('projections.read_all_raw', rawRate, 'events/s', TARGET_EVENTS_PER_SECOND);

    const runner = createRunner({ pool: db.pool, store, projections: allProjections });
    if (process.argv.includes('--each')) await eachAlone(runner, modelsArg());
    const cpuBefore = process.cpuUsage();
    t = performance.now();
    const results = await runner.rebuild(...modelsArg());
    const seconds = (performance.now() - t) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    console.error(`rebuild: ${seconds.toFixed(1)} s, Node CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s, ${load()}`);
    // Which models dominate: each writes on its own connection, so these overlap and sum past the wall time.
    for (const r of [...results].sort((a, b) => b.writeSeconds - a.writeSeconds)) console.error(`  ${r.name}: ${r.writeSeconds.toFixed(1)} s writing`);
    const rebuilt = results[0]?.events ?? 0;
    if (rebuilt !== loaded) throw new Error(`rebuild replayed ${rebuilt} events, expected ${loaded}`);
    const rate = rebuilt / seconds;
    report('projections.rebuild_all', rate, 'events/s', TARGET_EVENTS_PER_SECOND);
    report('projections.rebuild_vs_read_all', rate, 'events/s', rawRate);
    report('projections.peak_rss', peakRssMb(), 'MB', TARGET_PEAK_RSS_MB);
    const violations = await balanceViolations(db.pool);
    if (violations.vouchers || violations.familyMonths) throw new Error(`balance invariant broken after rebuild: ${JSON.stringify(violations)}`);
    await runner.stop();
    await store.close();
  } finally {
    await db.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
