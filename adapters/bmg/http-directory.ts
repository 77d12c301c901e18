/**
 * BMG asked per person over HTTP, for a deployment where PEP queries BMG instead of holding its
 * loads (seed 004 p. 15: "автоматическая проверка … в БМГ"). The contract:
 *   GET {url}/subscribers/{iin}   → 200 {"phone": "+7 701 …"}  the registered number
 *                                 → 404                         BMG has no number for the IIN
 * (with `Authorization: Bearer {token}` when one is configured). A timeout, a network error, 429
 * or 5xx is retried with exponential backoff; when the last try fails too the whole look-up fails
 * with partner_unavailable and the caller decides nothing (a list upload is refused, not half
 * done). The IIN travels in the path only to BMG itself; nothing here logs it.
 */
import { refuse } from '../../domain/shared/errors';
import { normalisePhone } from '../vault/vault';
import type { PhoneDirectory, PhoneLookup } from './phone-directory';

export interface HttpDirectoryOptions {
  readonly url: string;
  readonly token?: string;
  /** Per request. */
  readonly timeoutMs?: number;
  /** Tries after the first one. */
  readonly retries?: number;
  /** First backoff; doubled per retry. */
  readonly backoffMs?: number;
  /** Persons asked at once. */
  readonly concurrency?: number;
  /** For tests: what waits between tries. */
  readonly sleep?: (ms: number) => Promise<void>;
}

export const BMG_HTTP_DEFAULTS = { timeoutMs: 2_000, retries: 3, backoffMs: 200, concurrency: 8 } as const;

class Retryable extends Error {}

export function createHttpPhoneDirectory(options: HttpDirectoryOptions): PhoneDirectory {
  const base = options.url.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? BMG_HTTP_DEFAULTS.timeoutMs;
  const retries = options.retries ?? BMG_HTTP_DEFAULTS.retries;
  const backoffMs = options.backoffMs ?? BMG_HTTP_DEFAULTS.backoffMs;
  const concurrency = options.concurrency ?? BMG_HTTP_DEFAULTS.concurrency;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((done) => setTimeout(done, ms)));
  const headers: Record<string, string> = { accept: 'application/json', ...(options.token ? { authorization: `Bearer ${options.token}` } : {}) };

  /** One try: the number, undefined for "none", or Retryable. */
  async function ask(iin: string): Promise<string | undefined> {
    let response: Response;
    try {
      response = await fetch(`${base}/subscribers/${encodeURIComponent(iin)}`, { headers, signal: AbortSignal.timeout(timeoutMs) });
    } catch {
      throw new Retryable('no answer');
    }
    if (response.status === 404) {
      await response.body?.cancel();
      return undefined;
    }
    if (response.status === 429 || response.status >= 500) {
      await response.body?.cancel();
      throw new Retryable(`status ${response.status}`);
    }
    const body = (await response.json().catch(() => undefined)) as { phone?: unknown } | undefined;
    if (response.status !== 200 || typeof body?.phone !== 'string') refuse('partner_unavailable', `BMG answered ${response.status} without a phone`);
    return normalisePhone(body.phone);
  }

  async function lookup(iin: string): Promise<string | undefined> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await ask(iin);
      } catch (error) {
        if (!(error instanceof Retryable)) throw error;
        if (attempt >= retries) refuse('partner_unavailable', `BMG did not answer after ${retries + 1} tries (${error.message})`);
        await sleep(backoffMs * 2 ** attempt);
      }
    }
  }

  return {
    async lookupMany(iins): Promise<PhoneLookup> {
      const unique = [...new Set(iins.map((i) => i.trim()))];
      const phones = new Map<string, { phone: string; from: string }>();
      let next = 0;
      // One person BMG cannot answer fails the whole look-up: the other workers stop asking.
      let failed = false;
      const worker = async () => {
        while (!failed && next < unique.length) {
          const iin = unique[next++]!;
          const phone = await lookup(iin).catch((error: unknown) => {
            failed = true;
            throw error;
          });
          if (phone) phones.set(iin, { phone, from: 'lookup' });
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, unique.length) }, worker));
      return { phones, directory: { source: 'bmg-lookup' } };
    },
  };
}
