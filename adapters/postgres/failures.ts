/**
 * Which database failures are the database's state rather than a bug: the API answers them 503 with
 * Retry-After instead of 500, and readiness reports them. Classified by SQLSTATE (server errors),
 * by socket error code, and by the messages node-postgres gives its own timeouts and lost
 * connections (they carry no code).
 */
export type DatabaseFailure =
  /** Down, restarting, frozen (timeouts), out of connections or memory: retry later. */
  | 'unavailable'
  /** The server's disk is full (53100): nothing more can be written until an operator frees space. */
  | 'storage_full'
  /** The server refuses writes (a standby, or default_transaction_read_only). */
  | 'read_only';

const BY_SQLSTATE: Readonly<Record<string, DatabaseFailure>> = {
  '53100': 'storage_full', // disk_full
  '53000': 'unavailable', // insufficient_resources
  '53200': 'unavailable', // out_of_memory
  '53300': 'unavailable', // too_many_connections
  '57014': 'unavailable', // query_canceled: statement_timeout
  '57P01': 'unavailable', // admin_shutdown
  '57P02': 'unavailable', // crash_shutdown
  '57P03': 'unavailable', // cannot_connect_now (starting up, recovering)
  '25P03': 'unavailable', // idle_in_transaction_session_timeout
  '25006': 'read_only', // read_only_sql_transaction
};

const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND']);

/** node-postgres' own failures, which have no code. */
const CLIENT_MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect/,
  /^Query read timeout/,
  /is not queryable/,
  /^Connection timed out/,
  /^Cannot use a pool after calling end/,
];

/** `cause` chains are followed a few levels (application code may wrap the driver's error). */
const MAX_CAUSE_DEPTH = 4;

export function databaseFailureOf(error: unknown): DatabaseFailure | undefined {
  let current: unknown = error;
  for (let depth = 0; depth <= MAX_CAUSE_DEPTH && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (code in BY_SQLSTATE) return BY_SQLSTATE[code];
      // Connection exceptions (08000, 08003, 08006…).
      if (/^08[0-9A-Z]{3}$/.test(code)) return 'unavailable';
      if (SOCKET_CODES.has(code)) return 'unavailable';
    }
    if (CLIENT_MESSAGES.some((pattern) => pattern.test(current instanceof Error ? current.message : ''))) return 'unavailable';
    // AggregateError (a connect to localhost tried over IPv4 and IPv6) carries the real errors inside.
    if (current instanceof AggregateError && current.errors.some((inner) => databaseFailureOf(inner) === 'unavailable')) return 'unavailable';
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** A client-side timeout: the server did not answer at all (frozen, or the network is). */
export function isQueryReadTimeout(error: unknown): boolean {
  return error instanceof Error && /^Query read timeout/.test(error.message);
}
