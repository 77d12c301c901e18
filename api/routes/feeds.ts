/**
 * SDU and NOBD pull each person's status changes incrementally instead of polling whole lists
 * (seed 001 appendix 1 p. 12: PEP passes the statuses of service receipt to SDU, SDU to NOBD;
 * seed 004 p. 17). The feed is ordered and resumable: each entry carries its cursor; `next` is
 * where the following page starts (the same cursor again when nothing is new yet).
 */
import { z } from 'zod';
import { requireRole } from '../auth';
import { ApiProblem } from '../problem';
import type { ExchangeSide } from '../exchange-side';
import { defineRoute, json, type AnyRoute } from '../route';
import { sourceSchema } from '../schemas';
import { feedEntrySchema } from '../answers';

/** Entries per page at most. */
export const MAX_FEED_PAGE = 1_000;

export function feedRoutes(deps: { exchanges: ExchangeSide }): AnyRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/feeds/{source}/statuses',
      operationId: 'getStatusFeed',
      roles: ['sdu', 'nobd'],
      tag: 'lists',
      summary: 'Each person’s status changes (consent, voucher, returns) of the lists this source sent, oldest first, after a cursor.',
      description:
        'Start without `after`; keep `next` and pass it as `after` next time. Statuses: accepted, continued, consent_requested, consent_reminded, consent_reopened, ' +
        'consent_not_required, consent_given, voucher_issued, voucher_listed, voucher_transferred, voucher_suspended, voucher_activated, voucher_expired, ' +
        'voucher_lapsed, returned (with reason). A cursor this feed never handed out is 400 ' +
        'invalid_cursor; one past the end of the feed is 400 cursor_from_the_future.',
      params: z.object({ source: sourceSchema }),
      query: z.object({ after: z.string().max(200).optional(), limit: z.coerce.number().int().min(1).max(MAX_FEED_PAGE).default(500) }),
      refusals: ['invalid_cursor', 'cursor_from_the_future'],
      responses: { 200: { description: 'a page of the feed', schema: z.object({ statuses: z.array(feedEntrySchema), next: z.string().nullable() }) } },
      async handle({ params, query, principal }) {
        if (requireRole(principal, ['sdu', 'nobd']).role !== params.source) throw new ApiProblem('forbidden', 'This is another source’s feed.');
        return json(200, await deps.exchanges.statusFeed(params.source, query.after, query.limit));
      },
    }),
  ];
}
