/**
 * The embedded Postgres under `npm start` (issue 12, item 5), on real servers in temp directories:
 * restarted on a crash, given up on with a reason, stopped without hanging when already dead; a
 * stale postmaster.pid and a server left by a killed service are cleared; a damaged pg_control,
 * wrong permissions and a data dir held by another live service refuse to start with one line
 * naming the fix — and `npm start` exits non-zero with it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, truncate, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedServer } from './embedded';
import { ConfigError } from '../config-error';

const answers = async (url: string) => {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
};

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await new Promise((ok) => setTimeout(ok, 50));
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('embedded Postgres supervision', () => {
  let parent: string;
  let dataDir: string;

  beforeAll(async () => {
    parent = await mkdtemp(join(tmpdir(), 'swl-embedded-'));
    await chmod(parent, 0o755);
    dataDir = join(parent, 'pg');
    // One cluster for the file (initdb once): each test starts and stops it.
    const first = await startEmbeddedPostgres({ dataDir, port: 0, persistent: true, durable: false });
    await first.stop();
  });
  afterAll(async () => rm(parent, { recursive: true, force: true }));

  const start = (extra: Partial<Parameters<typeof startEmbeddedPostgres>[0]> = {}) =>
    startEmbeddedPostgres({ dataDir, port: 0, persistent: true, durable: false, ...extra });

  it('restarts a server killed with -9, on the same port, and it answers again', async () => {
    const restarts: string[] = [];
    const server = await start({ restarts: 3, onRestart: (attempt, reason) => restarts.push(`${attempt}: ${reason}`) });
    try {
      const first = server.pid()!;
      process.kill(first, 'SIGKILL');
      await until(async () => server.pid() !== undefined && server.pid() !== first && (await answers(server.url)));
      expect(restarts).toEqual([expect.stringMatching(/^1: the embedded Postgres .* died \(signal SIGKILL\)$/)]);
    } finally {
      await server.stop();
    }
  });

  it('gives up with the reason when it may not restart, and stop() does not hang on the dead server', async () => {
    let reason: string | undefined;
    const server = await start({ restarts: 0, onGiveUp: (why) => (reason = why) });
    process.kill(server.pid()!, 'SIGKILL');
    await until(() => reason !== undefined);
    expect(reason).toMatch(/died \(signal SIGKILL\)\. Fix: /);
    const stopped = performance.now();
    await server.stop();
    expect(performance.now() - stopped).toBeLessThan(2_000);
  });

  it('removes a stale postmaster.pid: its process gone, or its pid reused by something else', async () => {
    for (const pid of [2_000_000_000, process.pid]) {
      await writeFile(join(dataDir, 'postmaster.pid'), `${pid}\n${dataDir}\n0\n5432\n`);
      const logged: string[] = [];
      const server = await start({ onLog: (line) => logged.push(line) });
      expect(await answers(server.url)).toBe(true);
      expect(logged.join()).toMatch(/removed a stale postmaster\.pid/);
      await server.stop();
    }
  });

  it('shuts down cleanly a server left running by a service killed with -9, then starts its own', async () => {
    // A service in its own process starts the server and is killed: its Postgres is left running.
    const script = `import { startEmbeddedPostgres } from ${JSON.stringify(join(process.cwd(), 'adapters/postgres/embedded.ts'))};
      const s = await startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)}, port: 0, persistent: true, durable: false });
      process.stdout.write(String(s.pid()) + '\\n'); setInterval(() => {}, 1000);`;
    const service = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const leftover = await new Promise<number>((ok) => service.stdout!.once('data', (chunk: Buffer) => ok(Number(chunk.toString().trim()))));
    service.kill('SIGKILL');
    await until(() => service.exitCode !== null || service.signalCode !== null);
    expect(alive(leftover)).toBe(true);
    const logged: string[] = [];
    const server = await start({ onLog: (line) => logged.push(line) });
    try {
      expect(alive(leftover)).toBe(false);
      expect(logged.join()).toMatch(new RegExp(`shut down a Postgres left running by a killed service \\(pid ${leftover}\\)`));
      expect(await answers(server.url)).toBe(true);
    } finally {
      await server.stop();
    }
  });

  it('refuses a data dir held by a live server of another live service, naming it', async () => {
    const server = await start();
    const other = spawn('sleep', ['60']);
    try {
      await writeFile(`${dataDir}.owner`, `${other.pid}\n`);
      const error = await start().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(
        new RegExp(`in use by a running Postgres \\(pid ${server.pid()}\\) of another service process \\(pid ${other.pid}\\)\\. Fix: stop that service`),
      );
    } finally {
      other.kill();
      await server.stop();
    }
  });

  it('refuses wrong permissions and a truncated pg_control with one line naming the fix', async () => {
    await chmod(dataDir, 0o777);
    const permissions = await start().catch((e: unknown) => e);
    await chmod(dataDir, 0o700);
    expect((permissions as Error).message).toMatch(/has mode 0777; Postgres needs 0700 \(or 0750\)\. Fix: chmod 700 /);
    const control = join(dataDir, 'global', 'pg_control');
    await copyFile(control, `${control}.good`);
    await truncate(control, 100);
    try {
      const damaged = await start().catch((e: unknown) => e);
      expect(damaged).toBeInstanceOf(ConfigError);
      expect((damaged as Error).message).toMatch(/is damaged: global\/pg_control is 100 bytes, not 8192\. Fix: restore/);
      // npm start: exit code 1 and that one line, not exit 0 in silence.
      const { DATABASE_URL: _external, ...env } = process.env;
      const run = spawnSync(process.execPath, ['--import', 'tsx', 'app/cli.ts', 'start'], {
        env: { ...env, MODE: 'dev', DATA_DIR: parent, EMBEDDED_PG_PORT: '0', PORT: '0' },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(run.status).toBe(1);
      expect(run.stderr.trim().split('\n').at(-1)).toMatch(/^error: The data dir .* is damaged: global\/pg_control is 100 bytes/);
    } finally {
      await copyFile(`${control}.good`, control);
      await rm(`${control}.good`);
    }
    const healthy: EmbeddedServer = await start();
    expect(await answers(healthy.url)).toBe(true);
    await healthy.stop();
    expect(await readFile(control).then((b) => b.length)).toBe(8192);
  });
});
