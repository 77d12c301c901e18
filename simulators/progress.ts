/**
 * A progress bar on stderr: redrawn in place on a TTY (at most ~10 times a second), one line per
 * 10 % step otherwise (CI logs stay short). Silent when `quiet`.
 */
export interface Progress {
  update(done: number, label?: string): void;
  finish(label?: string): void;
}

const WIDTH = 30;
const REDRAW_MS = 100;

export function createProgress(total: number, title: string, options: { quiet?: boolean; stream?: NodeJS.WriteStream } = {}): Progress {
  const stream = options.stream ?? process.stderr;
  if (options.quiet) return { update: () => undefined, finish: () => undefined };
  const tty = Boolean(stream.isTTY);
  let lastDraw = 0;
  let lastStep = -1;
  const started = performance.now();
  const line = (done: number, label: string) => {
    const ratio = total > 0 ? Math.min(1, done / total) : 1;
    const filled = Math.round(ratio * WIDTH);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    return `${title} [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${String(Math.round(ratio * 100)).padStart(3)}% ${label} ${seconds}s`;
  };
  return {
    update(done, label = '') {
      if (tty) {
        const now = performance.now();
        if (now - lastDraw < REDRAW_MS) return;
        lastDraw = now;
        stream.write(`\r${line(done, label)}\x1b[K`);
      } else {
        const step = total > 0 ? Math.floor((done / total) * 10) : 10;
        if (step === lastStep) return;
        lastStep = step;
        stream.write(`${line(done, label)}\n`);
      }
    },
    finish(label = 'done') {
      stream.write(tty ? `\r${line(total, label)}\x1b[K\n` : `${line(total, label)}\n`);
    },
  };
}
