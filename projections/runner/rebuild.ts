/**
 * Rebuild: replays models from zero into shadow tables (a schema per model, tables created `like`
 * the live ones; projections write unqualified table names and the batch runs with that schema
 * first on the search_path) while the live model keeps serving and updating; then, in one
 * transaction holding the checkpoint row, the shadow catches up to the live checkpoint and replaces
 * the live tables. Other projections never stop.
 */
import type { EventStore } from '../../adapters/eventstore/port';
import type { Pool } from '../../adapters/postgres/pool';
import type { Projection } from '../projection';
import { drive, type Sink, type StatementsFor } from './batch';
import { clearHalt } from './halt';
import { inTx, run } from './transaction';

/** Advisory-lock namespace of rebuilds (first int of the two-int key). */
const REBUILD_LOCK = 7_117_201;
const UNIQUE_VIOLATION = '23505';

export interface RebuildResult {
  readonly name: string;
  readonly events: number;
  readonly position: bigint;
  /** Seconds this model's batches took to build and run (its own connection; models run side by side). */
  readonly writeSeconds: number;
}

export interface RebuildDeps {
  readonly pool: Pool;
  readonly store: EventStore;
  readonly projections: ReadonlyMap<string, Projection>;
  readonly batchSize: number;
  readonly statementsFor: StatementsFor;
  /** A model was swapped in at `position` (a live runner of this process continues from there). */
  readonly swapped: (name: string, position: bigint) => void;
}

interface ShadowSink extends Sink {
  readonly schema: string;
  writeMs: number;
}

export async function rebuildModels(deps: RebuildDeps, names: readonly string[]): Promise<RebuildResult[]> {
  const { pool, projections } = deps;
  const chosen = names.length ? names : [...projections.keys()];
  const targets = chosen.map((name) => {
    const p = projections.get(name);
    if (!p) throw new Error(`rebuild: no projection named ${name} (known: ${[...projections.keys()].join(', ')})`);
    return p;
  });
  const client = await pool.connect();
  const locked: string[] = [];
  try {
    for (const p of targets) {
      const { rows } = await client.query<{ ok: boolean }>('select pg_try_advisory_lock($1, hashtext($2)) as ok', [REBUILD_LOCK, p.name]);
      if (!rows[0]?.ok) throw new Error(`rebuild: ${p.name} is being rebuilt by another process`);
      locked.push(p.name);
    }
    const liveSchema = (await client.query<{ s: string }>('select current_schema() as s')).rows[0]!.s;
    const shadows = targets.map((p) => shadowSink(deps, p, liveSchema));
    for (const s of shadows) await createShadow(pool, s.schema, liveSchema, s.projection);
    const failures = new Map<string, unknown>();
    const applied = await drive(deps.store, shadows, 0n, deps.batchSize, (sink, error) => failures.set(sink.projection.name, error));
    // Indexes and WAL of the models are built side by side (one connection each); swaps one by one.
    const finished = await Promise.allSettled(
      shadows.map(async (s) => {
        if (failures.has(s.projection.name)) throw failures.get(s.projection.name);
        await finishShadow(pool, s.schema, liveSchema, s.projection);
      }),
    );
    const results: RebuildResult[] = [];
    for (const [i, s] of shadows.entries()) {
      const outcome = finished[i]!;
      if (outcome.status === 'rejected') {
        if (!failures.has(s.projection.name)) failures.set(s.projection.name, outcome.reason);
        await pool.query(`drop schema if exists ${s.schema} cascade`);
        continue;
      }
      const position = await swapIn(deps, s, liveSchema);
      results.push({ name: s.projection.name, events: applied, position, writeSeconds: s.writeMs / 1000 });
    }
    if (failures.size) {
      const [name, error] = [...failures][0]!;
      throw new Error(`rebuild failed for ${[...failures.keys()].join(', ')} (live models untouched): ${name}: ${(error as Error).message}`);
    }
    return results;
  } finally {
    for (const name of locked) await client.query('select pg_advisory_unlock($1, hashtext($2))', [REBUILD_LOCK, name]).catch(() => undefined);
    client.release();
  }
}

function shadowSink(deps: RebuildDeps, p: Projection, liveSchema: string): ShadowSink {
  const schema = `rebuild_${p.name.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}`;
  return {
    projection: p,
    position: 0n,
    schema,
    writeMs: 0,
    async write(events, last) {
      const started = performance.now();
      const statements = deps.statementsFor(p, events);
      await inTx(deps.pool, async (client) => {
        await client.query(`set local search_path to ${schema}, ${liveSchema}`);
        await run(client, statements);
      });
      this.position = last;
      this.writeMs += performance.now() - started;
      return true;
    },
  };
}

/**
 * Holds the live checkpoint row, brings the shadow up to it, and puts the shadow tables in the
 * live tables' place — one transaction, so readers see the old model or the new, never a mix.
 */
async function swapIn(deps: RebuildDeps, s: ShadowSink, liveSchema: string): Promise<bigint> {
  const { pool, store } = deps;
  const p = s.projection;
  await pool.query('insert into projection_checkpoints (name, position) values ($1, 0) on conflict do nothing', [p.name]);
  const position = await inTx(pool, async (client) => {
    const live = (await client.query<{ position: bigint }>('select position from projection_checkpoints where name = $1 for update', [p.name])).rows[0]!
      .position;
    await client.query(`set local search_path to ${s.schema}, ${liveSchema}`);
    let at = s.position;
    while (at < live) {
      const events = (await store.readAll({ after: at, maxCount: deps.batchSize })).filter((e) => e.position <= live);
      if (events.length === 0) break;
      await run(client, deps.statementsFor(p, events));
      at = events[events.length - 1]!.position;
    }
    const final = at > live ? at : live;
    for (const table of p.tables) {
      await client.query(`drop table ${liveSchema}.${table}`);
      await client.query(`alter table ${s.schema}.${table} set schema ${liveSchema}`);
    }
    await client.query(`drop schema ${s.schema}`);
    await client.query(`update projection_checkpoints set position = $2, updated_at = now(), ${clearHalt} where name = $1`, [p.name, final]);
    return final;
  });
  deps.swapped(p.name, position);
  return position;
}

/**
 * Shadow tables are built UNLOGGED with only their unique indexes (the upserts' arbiters): a
 * replay writes no WAL row by row and maintains no secondary index. `finishShadow` adds the rest
 * and makes the tables logged (one bulk pass each) before the swap.
 */
async function createShadow(pool: Pool, schema: string, liveSchema: string, p: Projection): Promise<void> {
  // A shadow left by a crashed rebuild is thrown away: a rebuild always starts from zero.
  await pool.query(`drop schema if exists ${schema} cascade`);
  await pool.query(`create schema ${schema}`);
  const appendOnly = new Set(p.appendOnlyTables ?? []);
  for (const table of p.tables) {
    await pool.query(`create unlogged table ${schema}.${table} (like ${liveSchema}.${table} including all excluding indexes)`);
    // Append-only tables get even their unique indexes after the load (finishShadow).
    if (appendOnly.has(table)) continue;
    for (const index of await indexesOf(pool, liveSchema, table)) {
      if (index.unique) await addIndex(pool, index, liveSchema, schema, table);
    }
  }
}

async function finishShadow(pool: Pool, schema: string, liveSchema: string, p: Projection): Promise<void> {
  const appendOnly = new Set(p.appendOnlyTables ?? []);
  for (const table of p.tables) {
    // SET LOGGED rewrites the table and rebuilds its indexes: the indexes still missing come after.
    await pool.query(`alter table ${schema}.${table} set logged`);
    const indexes = await indexesOf(pool, liveSchema, table);
    if (appendOnly.has(table)) {
      for (const index of indexes.filter((i) => i.unique)) await addUniqueAfterLoad(pool, index, liveSchema, schema, table);
    }
    for (const index of indexes) {
      if (!index.unique) await addIndex(pool, index, liveSchema, schema, table);
    }
  }
}

async function addIndex(pool: Pool, index: IndexInfo, liveSchema: string, schema: string, table: string): Promise<void> {
  await pool.query(onSchema(index.definition, liveSchema, schema, table));
  if (index.primary) await pool.query(`alter table ${schema}.${table} add constraint ${index.name} primary key using index ${index.name}`);
}

/**
 * A unique index on an append-only table loaded without it. A key written twice in the log (the
 * live model kept the first write and ignored the rest) fails the build; then every row but the
 * lowest-position one per key is deleted and the index built again.
 */
async function addUniqueAfterLoad(pool: Pool, index: IndexInfo, liveSchema: string, schema: string, table: string): Promise<void> {
  try {
    await addIndex(pool, index, liveSchema, schema, table);
    return;
  } catch (error) {
    if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
  }
  if (index.columns.length === 0) throw new Error(`rebuild: ${table}: cannot deduplicate on ${index.definition}`);
  const keys = index.columns.map((c) => `"${c}"`).join(', ');
  await pool.query(
    `delete from ${schema}.${table} t using (select ctid from (select ctid, row_number() over (partition by ${keys} order by position) as n ` +
      `from ${schema}.${table}) r where n > 1) d where t.ctid = d.ctid`,
  );
  await addIndex(pool, index, liveSchema, schema, table);
}

interface IndexInfo {
  readonly name: string;
  readonly definition: string;
  readonly unique: boolean;
  readonly primary: boolean;
  /** Key columns in index order (null for an expression). */
  readonly columns: readonly string[];
}

async function indexesOf(pool: Pool, schema: string, table: string): Promise<IndexInfo[]> {
  const { rows } = await pool.query<IndexInfo>(
    'select c.relname as name, pg_get_indexdef(i.indexrelid) as definition, i.indisunique as unique, i.indisprimary as primary, ' +
      'array(select a.attname::text from unnest(i.indkey) with ordinality k(attnum, ord) join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum order by k.ord) as columns ' +
      'from pg_index i join pg_class c on c.oid = i.indexrelid join pg_class t on t.oid = i.indrelid join pg_namespace n on n.oid = t.relnamespace ' +
      'where n.nspname = $1 and t.relname = $2 order by c.relname',
    [schema, table],
  );
  return rows;
}

/** `CREATE … INDEX name ON live.table …` → the same index on the shadow's table. */
function onSchema(definition: string, liveSchema: string, schema: string, table: string): string {
  const from = ` ON ${liveSchema}.${table} `;
  if (!definition.includes(from)) throw new Error(`rebuild: unexpected index definition ${definition}`);
  return definition.replace(from, ` ON ${schema}.${table} `);
}
