/**
 * The fault suite's laboratory: a durable embedded Postgres owned by the suite (supervised, so a
 * killed server comes back as under `npm start`; on a small tmpfs when this machine lets us mount
 * one, so its disk can be filled), the service in its own process on a fixed port (so tills
 * reconnect to the same address after it is killed and started again), and a pool for the checks.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startEmbeddedPostgres, type EmbeddedServer } from '../../adapters/postgres/embedded';
import { createPool, type Pool } from '../../adapters/postgres/pool';
import { startService, type RemoteService } from '../load';

/** Room for the cluster, the fixture and the WAL of every fault run (max_wal_size below). */
const TMPFS_SIZE = '1g';

export interface Lab {
  readonly dir: string;
  readonly server: EmbeddedServer;
  readonly pool: Pool;
  /** The Postgres data directory's own filesystem when it is a tmpfs we mounted; else why not. */
  readonly disk: { readonly mount: string } | { readonly skipped: string };
  /** The service now (a new handle after each restart). */
  service: RemoteService;
  /** Kills nothing: starts the service again on the same port, database and secrets, at `virtualNow`. */
  restartService(virtualNow: string): Promise<RemoteService>;
  /** Postgres supervisor events: restarts and a give-up. */
  readonly events: string[];
  close(): Promise<void>;
}

export async function openLab(options: { start: string; wantDisk: boolean; log: (line: string) => void }): Promise<Lab> {
  const dir = mkdtempSync(join(tmpdir(), 'swl-faults-'));
  // The server runs as 'postgres' under root: it must reach its data directory.
  chmodSync(dir, 0o755);
  const disk = options.wantDisk ? mountTmpfs(join(dir, 'disk')) : { skipped: 'not asked for' };
  const pgParent = 'mount' in disk ? disk.mount : dir;
  const events: string[] = [];
  const server = await startEmbeddedPostgres({
    dataDir: join(pgParent, 'pg'),
    port: 0,
    persistent: false,
    restarts: 5,
    postgresFlags: ['-c', 'max_wal_size=256MB'],
    onRestart: (attempt, reason) => events.push(`restart ${attempt}: ${reason}`),
    onGiveUp: (reason) => events.push(`gave up: ${reason}`),
  });
  const pool = createPool(server.url, 4);
  const port = await freePort();
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir);
  const start = (at: string) => startService(at, { databaseUrl: server.url, dataDir, port });
  const lab: Lab = {
    dir,
    server,
    pool,
    disk,
    service: await start(options.start),
    async restartService(virtualNow) {
      lab.service = await start(virtualNow);
      return lab.service;
    },
    events,
    async close() {
      await lab.service.stop().catch(() => undefined);
      await pool.end().catch(() => undefined);
      await server.stop();
      if ('mount' in disk) {
        try {
          execFileSync('umount', [disk.mount]);
        } catch (error) {
          options.log(`could not unmount ${disk.mount}: ${(error as Error).message}`);
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return lab;
}

function mountTmpfs(mount: string): { mount: string } | { skipped: string } {
  if (process.getuid?.() !== 0) return { skipped: 'mounting a small filesystem needs root' };
  mkdirSync(mount);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_SIZE},mode=0755`, 'tmpfs', mount], { stdio: 'pipe' });
    return { mount };
  } catch (error) {
    return { skipped: `mount of a tmpfs failed here (${String((error as { stderr?: Buffer }).stderr ?? (error as Error).message).trim()})` };
  }
}
