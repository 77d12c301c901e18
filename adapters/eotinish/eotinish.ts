/**
 * e-Otinish, the citizens' appeals platform (seed 001 appendix 2 p. 12; seed 004 p. 29): ratings
 * and complaints are forwarded there, to the addressee the seeds name. The contract:
 *   POST {url}/appeals   Idempotency-Key: {feedbackId}
 *        {externalId, program, kind, rating?, text?, addressee: {code, name}, concerns: {shopId?, schoolId?, voucherId?}, submittedAt}
 *     → 200/201 {"ref": "…"}   accepted (the same externalId again answers the same ref)
 *     → 409 {"ref": "…"}       already accepted under this key
 *     → 4xx                    refused for good (the ledger stops trying and shows it)
 *     → 429, 5xx, no answer    try again later (the outbox backs off)
 * The free text travels only in this request; it is read from the vault at send time.
 */
export interface Appeal {
  readonly feedbackId: string;
  readonly program: 'school-meals' | 'food-vouchers';
  readonly kind: 'rating' | 'complaint';
  readonly rating?: number;
  readonly text?: string;
  readonly addressee: { readonly code: string; readonly name: string };
  readonly concerns: { readonly shopId?: string; readonly schoolId?: string; readonly voucherId?: string };
  readonly submittedAt: string;
}

export type ForwardResult = { readonly ok: true; readonly ref: string } | { readonly ok: false; readonly retry: boolean; readonly reason: string };

export interface Eotinish {
  forward(appeal: Appeal): Promise<ForwardResult>;
}

export interface HttpEotinishOptions {
  readonly url: string;
  readonly token?: string;
  readonly timeoutMs?: number;
}

export const EOTINISH_TIMEOUT_MS = 5_000;

export function createHttpEotinish(options: HttpEotinishOptions): Eotinish {
  const endpoint = `${options.url.replace(/\/+$/, '')}/appeals`;
  const timeoutMs = options.timeoutMs ?? EOTINISH_TIMEOUT_MS;
  return {
    async forward(appeal) {
      const { feedbackId, ...rest } = appeal;
      let response: Response;
      try {
        response = await fetch(endpoint, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'idempotency-key': feedbackId,
            ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          },
          body: JSON.stringify({ externalId: feedbackId, ...rest }),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        return { ok: false, retry: true, reason: (error as Error)?.name === 'TimeoutError' ? 'timeout' : 'no connection' };
      }
      const body = (await response.json().catch(() => undefined)) as { ref?: unknown } | undefined;
      if ((response.status === 200 || response.status === 201 || response.status === 409) && typeof body?.ref === 'string' && body.ref.length > 0)
        return { ok: true, ref: body.ref.slice(0, 200) };
      // Only the status travels into the log: a partner's error body may quote the appeal.
      const retry = response.status === 429 || response.status >= 500 || response.status === 409;
      return { ok: false, retry, reason: `HTTP ${response.status}` };
    },
  };
}
