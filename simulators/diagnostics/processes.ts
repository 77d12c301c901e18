/** Process trees from /proc (Linux): freezing a Postgres server means stopping its backends too, not only the postmaster. */
import { readdirSync, readFileSync } from 'node:fs';

/** `root` and every process descended from it. */
export function processTree(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may hold spaces, so read after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // The process ended while we looked.
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) for (const [pid, parent] of parentOf) if (parent === tree[i]) tree.push(pid);
  return tree;
}

/**
 * SIGSTOP `root` and every process descended from it, and return them for `thawTree`. The root is
 * stopped first, so it cannot fork a backend between our look at /proc and the signal (a backend
 * forked just before is found by the next look); we look again until no new process appears.
 */
export function freezeTree(root: number): number[] {
  process.kill(root, 'SIGSTOP');
  const frozen = new Set([root]);
  for (;;) {
    const fresh = processTree(root).filter((pid) => !frozen.has(pid));
    if (fresh.length === 0) return [...frozen];
    for (const pid of fresh) {
      frozen.add(pid);
      try {
        process.kill(pid, 'SIGSTOP');
      } catch {
        // It ended while we looked.
      }
    }
  }
}

/** SIGCONT every process `freezeTree` stopped (those that still exist). */
export function thawTree(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // It ended while frozen (cannot for a stopped process, but a kill -9 from outside can).
    }
  }
}
