import { CODES, type RefusalCode } from './codes';

/**
 * A command refused by a rule. `code` is stable snake_case (see codes.ts and docs/CODES.md);
 * it carries no HTTP status: the API maps codes to statuses in one place.
 */
export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly code: RefusalCode,
    readonly detail?: string,
    /** Field path for validation-like refusals (e.g. `items.2.quantity`). */
    readonly path?: string,
  ) {
    super(detail ? `${code}: ${detail}` : code);
  }
  get meaning(): string {
    return CODES[this.code].meaning;
  }
}

export function refuse(code: RefusalCode, detail?: string, path?: string): never {
  throw new DomainError(code, detail, path);
}

/**
 * Thrown by a decision that sees its streams disagree (a concurrent multi-stream append landed
 * between two reads): the command path retries it on fresh reads like a version conflict; if it
 * persists, it is a bug.
 */
export class TornRead extends Error {
  override readonly name = 'TornRead';
}
