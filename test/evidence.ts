/** Test helpers for the hash chain: a signer, and tampering as someone with the database's keys would. */
import { generateKeyPairSync } from 'node:crypto';
import type { Pool } from '../adapters/postgres/pool';
import { createCheckpointSigner, type CheckpointSigner } from '../adapters/evidence/checkpoints';

export function testSigner(): CheckpointSigner & { privateKeyPem: string } {
  const keys = generateKeyPairSync('ed25519');
  const privateKeyPem = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return { ...createCheckpointSigner(privateKeyPem, keys.publicKey.export({ type: 'spki', format: 'pem' }).toString()), privateKeyPem };
}

/** Runs `sql` with the append-only triggers of the evidence tables off: what a superuser bent on rewriting history can do. */
export async function tamper(pool: Pool, sql: string, values: unknown[] = []): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    await client.query('set local session_replication_role = replica');
    await client.query(sql, values);
    await client.query('commit');
  } catch (error) {
    await client.query('rollback');
    throw error;
  } finally {
    client.release();
  }
}
