/**
 * Every failure leaves the API as RFC 9457 `application/problem+json`:
 *   { type, title, status, detail, code, instance?, errors?: [{ path, message }] }
 * `type` is `https://social-wallet.kz/problems/<code>` where `<code>` is the stable snake_case code
 * of domain/shared/codes.ts (also given bare as `code`, for clients that switch on it).
 * The code's `kind` decides the HTTP status — here, and nowhere else.
 *
 * Bodies never carry PII: details come from our own messages, never from raw exception text of
 * a library or a database (those can quote input values), and a 500 never shows a stack.
 */
import type { ServerResponse } from 'node:http';
import { CODES, isCode, type Code, type CodeKind } from '../domain/shared/codes';
import { DomainError } from '../domain/shared/errors';
import { databaseFailureOf } from '../adapters/postgres/failures';
import { PartlyWritten } from '../application/partly-written';

/** How long a client waits before retrying when the database is unavailable or full. */
export const RETRY_AFTER_SECONDS = 5;
import { redactDigits } from '../adapters/log/logger';

export const PROBLEM_BASE = 'https://social-wallet.kz/problems/';
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** The one kind → status table. */
export const STATUS_OF_KIND: Readonly<Record<CodeKind, number>> = {
  validation: 400,
  not_found: 404,
  forbidden: 403,
  unauthorized: 401,
  conflict: 409,
  rule: 422,
  rate_limited: 429,
  unavailable: 503,
  // An outcome code used as a refusal (e.g. a reply with no open case): the request was understood, not done.
  outcome: 422,
};

/** Codes whose HTTP status is more specific than their kind's. */
const STATUS_OVERRIDE: Partial<Record<Code, number>> = {
  payload_too_large: 413,
  unsupported_media_type: 415,
  internal_error: 500,
  partner_unavailable: 503,
};

export function statusOf(code: Code): number {
  return STATUS_OVERRIDE[code] ?? STATUS_OF_KIND[CODES[code].kind];
}

export interface FieldError {
  readonly path: string;
  readonly message: string;
}

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: Code;
  readonly instance?: string;
  readonly errors?: readonly FieldError[];
}

/** An error the API raises itself (auth, validation, idempotency…): turned into a problem by `toProblem`. */
export class ApiProblem extends Error {
  constructor(
    readonly code: Code,
    readonly detail?: string,
    readonly errors?: readonly FieldError[],
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(detail ? `${code}: ${detail}` : code);
  }
}

export function problem(code: Code, detail?: string, instance?: string, errors?: readonly FieldError[]): Problem {
  const meaning = CODES[code].meaning;
  return {
    type: `${PROBLEM_BASE}${code}`,
    title: titleOf(code),
    status: statusOf(code),
    detail: detail ?? meaning,
    code,
    ...(instance ? { instance } : {}),
    ...(errors && errors.length > 0 ? { errors } : {}),
  };
}

/** `voucher_not_active` → `Voucher not active`. */
export function titleOf(code: Code): string {
  const words = code.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function sendProblem(res: ServerResponse, body: Problem, headers?: Readonly<Record<string, string>>): void {
  if (res.headersSent) return;
  for (const [name, value] of Object.entries(headers ?? {})) res.setHeader(name, value);
  const text = JSON.stringify(body);
  res.writeHead(body.status, { 'Content-Type': `${PROBLEM_CONTENT_TYPE}; charset=utf-8`, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Turns any thrown value into a problem. Unknown errors become `internal_error` (500) and are
 * handed to `onInternal`, which logs them (api/route.ts `logFailure`: a request id, never a body).
 */
export function toProblem(
  error: unknown,
  instance: string,
  onInternal: (error: unknown) => void,
): { body: Problem; headers?: Readonly<Record<string, string>> } {
  if (error instanceof ApiProblem) {
    return { body: problem(error.code, error.detail, instance, error.errors), ...(error.headers ? { headers: error.headers } : {}) };
  }
  if (error instanceof DomainError) {
    const errors = error.path ? [{ path: error.path, message: error.meaning }] : undefined;
    return { body: problem(error.code, safeDomainDetail(error), instance, errors) };
  }
  // A DomainError from another copy of the module (tsx/vitest can load one twice) still has a code.
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && isCode(code) && (error as Error).name === 'DomainError') {
    return { body: problem(code, undefined, instance) };
  }
  // Some writes went through: say exactly which, whatever the cause.
  const written = error instanceof PartlyWritten ? error.whatWasWritten : undefined;
  const cause = error instanceof PartlyWritten ? error.cause : error;
  const unavailable = unavailableProblem(cause, instance, written);
  if (unavailable) return unavailable;
  onInternal(cause);
  return { body: problem('internal_error', written, instance) };
}

/** A sick database is the service's state, not a bug: 503 with Retry-After (a stable code per cause). */
export function unavailableProblem(
  error: unknown,
  instance: string,
  detail?: string,
): { body: Problem; headers: Readonly<Record<string, string>> } | undefined {
  const failure = databaseFailureOf(error);
  if (!failure) return undefined;
  const code: Code = failure === 'storage_full' ? 'storage_full' : 'service_unavailable';
  return { body: problem(code, detail, instance), headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) } };
}

/**
 * Domain details are written by our own deciders and carry ids, not names; keep them short and
 * strip anything that looks like an IIN or a phone number, in case a message ever quotes one.
 */
function safeDomainDetail(error: DomainError): string {
  const detail = error.detail ? redactMessage(error.detail) : error.meaning;
  return detail.length > MAX_DETAIL_CHARS ? `${detail.slice(0, MAX_DETAIL_CHARS)}…` : detail;
}

/** Long enough for a sentence, short enough to never echo a whole input. */
const MAX_DETAIL_CHARS = 300;

/** 12 digits (IIN) and phone-like digit runs are masked. */
export const redactMessage = redactDigits;
