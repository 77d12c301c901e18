/** A logger whose lines (JSON, as production writes them) are kept in memory, for tests that read the log. */
import { createLogger, type Logger, type LogLevel } from '../adapters/log/logger';

export function capturedLogger(level: LogLevel = 'debug'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: createLogger({ level, destination: { write: (line: string) => void lines.push(line) } }), lines };
}
