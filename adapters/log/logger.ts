/**
 * The service's one logger: pino, JSON lines on stderr (`{"level":"error","time":"…","msg":…,
 * "reqId":…,"correlationId":…,"route":…,"code":…}`), or pino-pretty's readable lines in dev mode.
 * Every part of the service logs through it (API errors, projection runner, scheduler, hash
 * chain, CLI); nothing writes log lines of its own.
 *
 * Personal data never reaches a line: callers log ids, codes and counts, never bodies; pino's own
 * `redact` censors the keys that hold personal data or secrets wherever a logged object has them
 * (REDACT_PATHS, to four levels deep), as a second line of defence; and an error is logged by
 * `safeError` — its name, its code and a message only where the message is ours (a database or
 * library message can quote the values of a row).
 */
import { createRequire } from 'node:module';
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** Keys whose values are personal data (IINs, names, phones, complaint text) or credentials. */
export const SENSITIVE_KEYS = [
  'iin',
  'cardIin',
  'pupilIin',
  'representativeIin',
  'fullName',
  'name',
  'pupilName',
  'representativeName',
  'displayName',
  'phone',
  'text',
  'token',
  'authorization',
  'cookie',
  'password',
  'secret',
  'jwtSecret',
  'vaultKey',
  'vaultMasterKey',
] as const;

/** Each sensitive key at the top and up to three levels below (pino's paths have no recursive wildcard). */
export const REDACT_PATHS: readonly string[] = SENSITIVE_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`, `*.*.*.${key}`]);

export const REDACTED = '[redacted]';

export interface LoggerOptions {
  readonly level?: LogLevel;
  /** Human-readable lines (pino-pretty, a dev dependency); JSON when false or when it is not installed. */
  readonly pretty?: boolean;
  /** Where lines go (tests capture them); default stderr. */
  readonly destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const settings = {
    level: options.level ?? 'info',
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
    redact: { paths: [...REDACT_PATHS], censor: REDACTED },
    serializers: { err: safeError },
  };
  // Synchronous: the service logs rarely (failures, start and stop), and a line written just before exit must not be lost.
  const destination = options.destination ?? (options.pretty ? prettyStream() : undefined) ?? pino.destination({ dest: 2, sync: true });
  return pino(settings, destination);
}

/** A logger that writes nothing (benchmarks, simulators that report on their own). */
export const silentLogger = (): Logger => pino({ level: 'silent' });

/** pino-pretty's stream when it is installed (npm ci installs dev dependencies; a production install may not). */
function prettyStream(): DestinationStream | undefined {
  try {
    const pretty = createRequire(import.meta.url)('pino-pretty') as (options: object) => DestinationStream;
    return pretty({ colorize: process.stderr.isTTY, destination: 2, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid' });
  } catch {
    return undefined;
  }
}

/** What a logged error may say. */
export interface SafeError {
  readonly type: string;
  /** A stable code: ours, Postgres' SQLSTATE, or Node's (ECONNREFUSED). */
  readonly code?: string;
  readonly message?: string;
  /** Postgres' names of what failed: schema objects, never values. */
  readonly table?: string;
  readonly column?: string;
  readonly constraint?: string;
  /** The stack's frames, without the message line. */
  readonly stack?: string;
}

/** Errors written by this code base: their messages carry ids and codes, never personal data. */
const OUR_ERRORS = new Set(['DomainError', 'ApiProblem', 'ConfigError', 'ProjectionHalted', 'ProjectionHaltedError', 'TornRead', 'WrongExpectedVersionError']);
/** Node's system errors (a refused connection, a full disk) name addresses and paths, not people. */
const isSystemError = (error: { syscall?: unknown }) => typeof error.syscall === 'string';
const isInvariant = (message: string) => message.startsWith('invariant violated');

/**
 * An error as a log line may show it. A database error (it has a SQLSTATE) shows its code and the
 * names of the table, column or constraint, never its message or detail: those quote values.
 */
export function safeError(error: unknown): SafeError {
  if (!(error instanceof Error)) return { type: typeof error };
  const fields = error as Error & { code?: unknown; syscall?: unknown; table?: unknown; column?: unknown; constraint?: unknown; severity?: unknown };
  const code = typeof fields.code === 'string' ? fields.code : undefined;
  const ours = OUR_ERRORS.has(error.name) || isSystemError(fields) || isInvariant(error.message);
  const stack = error.stack?.split('\n').slice(1).join('\n');
  return {
    // The class: pg's DatabaseError names itself 'error'.
    type: error.constructor?.name || error.name,
    ...(code ? { code } : {}),
    ...(ours ? { message: redactDigits(error.message) } : {}),
    ...(typeof fields.table === 'string' ? { table: fields.table } : {}),
    ...(typeof fields.column === 'string' ? { column: fields.column } : {}),
    ...(typeof fields.constraint === 'string' ? { constraint: fields.constraint } : {}),
    ...(stack ? { stack } : {}),
  };
}

/** An IIN (12 digits) or a phone-like run of digits, masked: a message of ours should never hold one. */
export function redactDigits(text: string): string {
  return text.replace(/\+?\d[\d\s()-]{9,}\d/g, REDACTED);
}
