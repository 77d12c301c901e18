/**
 * The faults, each injected while the load runs and ended again: it returns when the fault was
 * injected and when it ended (the service started again, Postgres back or thawed, space freed), so
 * recovery is measured from the end to the next acknowledged write.
 */
import { closeSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { freezeTree, thawTree } from '../diagnostics/processes';
import type { Lab } from './lab';

export interface Injected {
  readonly injectedAt: number;
  readonly endedAt: number;
  /** What happened, in a line (e.g. "Postgres restarted by its supervisor as pid 1234"). */
  readonly note: string;
}

export interface Fault {
  readonly name: string;
  readonly what: string;
  /** Why it cannot run here (printed, the fault skipped), or undefined. */
  skipReason(lab: Lab): string | undefined;
  inject(lab: Lab, options: { holdSeconds: number; virtualNow: () => string }): Promise<Injected>;
}

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await sleep(50);
  }
}

const answers = (lab: Lab) =>
  lab.pool.query('select 1').then(
    () => true,
    () => false,
  );

export const FAULTS: readonly Fault[] = [
  {
    name: 'service-kill-9',
    what: 'kill -9 of the service under POS and canteen load, then started again',
    skipReason: () => undefined,
    async inject(lab, { virtualNow }) {
      const pid = lab.service.pids[0]!;
      const injectedAt = performance.now();
      process.kill(pid, 'SIGKILL');
      await until(() => !isAlive(pid), 10_000, 'the killed service to exit');
      await lab.restartService(virtualNow());
      return { injectedAt, endedAt: performance.now(), note: `service pid ${pid} killed, started again as pid ${lab.service.pids[0]}` };
    },
  },
  {
    name: 'postgres-kill-9',
    what: 'kill -9 of the Postgres postmaster under load; its supervisor restarts it',
    skipReason: () => undefined,
    async inject(lab) {
      const pid = lab.server.pid()!;
      const injectedAt = performance.now();
      process.kill(pid, 'SIGKILL');
      await until(async () => (lab.server.pid() ?? pid) !== pid && (await answers(lab)), 60_000, 'Postgres to come back');
      return { injectedAt, endedAt: performance.now(), note: `postmaster ${pid} killed, restarted by its supervisor as pid ${lab.server.pid()}` };
    },
  },
  {
    name: 'postgres-sigstop',
    what: 'SIGSTOP of Postgres (every process of the server) under load, SIGCONT after a hold',
    skipReason: () => undefined,
    async inject(lab, { holdSeconds }) {
      const injectedAt = performance.now();
      const pids = freezeTree(lab.server.pid()!);
      await sleep(holdSeconds * 1000);
      thawTree(pids);
      return { injectedAt, endedAt: performance.now(), note: `${pids.length} server processes frozen for ${holdSeconds} s` };
    },
  },
  {
    name: 'disk-full',
    what: "Postgres' disk filled to the last byte under load, then space freed",
    skipReason: (lab) => ('skipped' in lab.disk ? lab.disk.skipped : undefined),
    async inject(lab, { holdSeconds }) {
      if (!('mount' in lab.disk)) throw new Error('invariant violated: disk-full without its tmpfs');
      const filler = join(lab.disk.mount, 'filler');
      const injectedAt = performance.now();
      const filled = fill(filler);
      await sleep(holdSeconds * 1000);
      unlinkSync(filler);
      return { injectedAt, endedAt: performance.now(), note: `${Math.round(filled / 1024 / 1024)} MB of filler left no space for ${holdSeconds} s` };
    },
  },
];

/** Writes until the filesystem is full; returns the bytes written. */
function fill(path: string): number {
  const chunk = Buffer.alloc(4 * 1024 * 1024, 0x5a);
  const fd = openSync(path, 'w');
  let written = 0;
  try {
    for (;;) {
      try {
        written += writeSync(fd, chunk);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
        throw error;
      }
    }
    // The last partial chunk: byte by byte would be slow; 4 KiB pages are enough to leave nothing.
    const page = Buffer.alloc(4096, 0x5a);
    for (;;) {
      try {
        written += writeSync(fd, page);
      } catch {
        break;
      }
    }
  } finally {
    closeSync(fd);
  }
  return written;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
