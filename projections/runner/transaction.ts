/** How a batch of projection SQL reaches Postgres: one transaction per batch, statements in order. */
import type { Pool, PoolClient } from '../../adapters/postgres/pool';
import type { Sql } from '../projection';

export type Queryable = Pick<PoolClient, 'query'>;

export async function run(client: Queryable, statements: readonly Sql[]): Promise<void> {
  for (const s of statements) await client.query(s.text, s.values as unknown[]);
}

/**
 * A transaction for projection writes. `synchronous_commit = off` is safe here: a commit lost in a
 * server crash loses the read-model rows and their checkpoint together, and they are re-applied.
 */
export async function inTx<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  guard(client);
  let broken = false;
  try {
    // One round trip (simple protocol, two statements): every live batch of every model opens one.
    await client.query('begin; set local synchronous_commit = off');
    const result = await work(client);
    await client.query('commit');
    return result;
  } catch (error) {
    await client.query('rollback').catch(() => (broken = true));
    throw error;
  } finally {
    // A connection that cannot even roll back is dropped, not returned to the pool.
    client.release(broken);
  }
}

const guarded = new WeakSet<PoolClient>();
/** A checked-out client whose server connection dies emits 'error'; the failing query reports it. */
function guard(client: PoolClient): void {
  if (guarded.has(client)) return;
  guarded.add(client);
  client.on('error', () => undefined);
}
