/**
 * Who may do what in the ledger's database (docs/EVIDENCE.md, "Append-only").
 *
 * Two roles. The OWNER (whoever runs the migrations: MIGRATION_DATABASE_URL, else DATABASE_URL;
 * the embedded server's superuser in dev) owns the evidence — the event log and its hash chain —
 * and the migrations' bookkeeping. The APPLICATION role `swl_app` is what the service connects as
 * in production (a login role that is a member of it); it may read and append evidence, never
 * change or remove it, and it owns everything else in the schema — the read models, the vault,
 * idempotency records — because rebuilding a read model drops and replaces its tables.
 *
 * `handOverToApplication` runs after every migration pass, as the owner: new tables from any
 * module become the application's without each migration having to say so.
 */
import type { Pool } from './pool';

/** The group role of the service's connections (created by migration 0750). Cluster-wide. */
export const APPLICATION_ROLE = 'swl_app';

/**
 * Tables the application may only read (and, the first three, append to): the event log, its
 * hash chain and signed checkpoints, and the record of applied migrations. Kept in the owner's
 * hands; their migrations grant `swl_app` what it needs and guard them with a trigger.
 */
export const OWNER_TABLES: readonly string[] = ['events', 'event_chain', 'chain_checkpoints', 'schema_migrations'];

export interface HandOver {
  /** Tables whose ownership moved to the application role in this pass. */
  readonly tables: readonly string[];
}

/**
 * Gives the application role its privileges on the current schema and database, and hands it
 * every table except OWNER_TABLES. Returns undefined, changing nothing, when the connected role
 * can neither administer the schema (superuser) nor owns the event log: then it is the
 * application itself, started without a separate owner connection, on a database the owner has
 * already prepared. A non-superuser owner must be able to SET ROLE swl_app (`grant swl_app to
 * <owner>`) to hand tables over.
 */
export async function handOverToApplication(pool: Pool, ownerTables: readonly string[] = OWNER_TABLES): Promise<HandOver | undefined> {
  const client = await pool.connect();
  try {
    const { rows } = await client.query<{ may: boolean }>(
      `select coalesce((select rolsuper from pg_roles where rolname = current_user), false)
           or exists (select from pg_class where oid = to_regclass('events') and relowner = (select oid from pg_roles where rolname = current_user)) as may`,
    );
    if (!rows[0]?.may) return undefined;
    await client.query(`do $$ begin
      execute format('grant usage, create on schema %I to ${APPLICATION_ROLE}', current_schema());
      execute format('grant create on database %I to ${APPLICATION_ROLE}', current_database());
    end $$`);
    await client.query(`grant select on schema_migrations to ${APPLICATION_ROLE}`);
    const { rows: tables } = await client.query<{ name: string }>(
      `select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = current_schema() and c.relkind in ('r', 'p')
         and c.relowner <> (select oid from pg_roles where rolname = $1) and c.relname <> all($2::text[])
       order by c.relname`,
      [APPLICATION_ROLE, ownerTables],
    );
    for (const { name } of tables) await client.query(`alter table ${quoteIdentifier(name)} owner to ${APPLICATION_ROLE}`);
    return { tables: tables.map((t) => t.name) };
  } finally {
    client.release();
  }
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
