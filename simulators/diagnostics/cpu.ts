/**
 * CPU time of a process and of its descendants (Linux /proc), to report the cost of an operation
 * in CPU milliseconds: a figure that stays put when other work shares the machine, unlike a rate.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's utime/stime (USER_HZ; 100 on every Linux we run on). */
const TICKS_PER_SECOND = 100;

export interface TreeCpu {
  /** The root process itself (user + system), seconds. */
  readonly rootSeconds: number;
  /** Every descendant of it (here: the embedded Postgres and its backends), seconds. */
  readonly descendantSeconds: number;
}

interface Stat {
  readonly pid: number;
  readonly ppid: number;
  readonly seconds: number;
}

function statOf(pid: string): Stat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: split after its last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15, cutime 16, cstime 17.
    const ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    return { pid: Number(pid), ppid: Number(fields[1]), seconds: ticks / TICKS_PER_SECOND };
  } catch {
    return undefined; // gone meanwhile
  }
}

/** Undefined where /proc is not there (not Linux). Exited children count through cutime/cstime. */
export function treeCpu(rootPid: number): TreeCpu | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return undefined;
  }
  const stats = entries.map(statOf).filter((s): s is Stat => s !== undefined);
  const children = new Map<number, Stat[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  const root = stats.find((s) => s.pid === rootPid);
  if (!root) return undefined;
  let descendantSeconds = 0;
  const queue = [...(children.get(rootPid) ?? [])];
  while (queue.length > 0) {
    const s = queue.pop()!;
    descendantSeconds += s.seconds;
    queue.push(...(children.get(s.pid) ?? []));
  }
  // The root's own cutime/cstime already count exited children; its live ones are summed above.
  return { rootSeconds: root.seconds, descendantSeconds };
}
