import type { TestProject } from 'vitest/node';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres, type EmbeddedServer } from '../adapters/postgres/embedded';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin URL of the test server; each test file creates its own database from it (test/pg.ts). */
    databaseUrl: string;
  }
}

let server: EmbeddedServer | undefined;

/** One throw-away embedded Postgres per test run, unless DATABASE_URL points at one already. */
export async function setup(project: TestProject): Promise<void> {
  if (process.env.DATABASE_URL) {
    project.provide('databaseUrl', process.env.DATABASE_URL);
    return;
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'swl-test-pg-'));
  // Tests measure nothing: a throw-away cluster without fsync keeps the suite fast.
  server = await startEmbeddedPostgres({ dataDir, port: 0, persistent: false, durable: false });
  project.provide('databaseUrl', server.url);
}

export async function teardown(): Promise<void> {
  await server?.stop();
}
