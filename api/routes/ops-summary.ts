/**
 * The operator's picture in one answer (the dashboard's operations page polls it): read-model
 * lag, the SMS outbox and delivery failures, list intake, the deadline queue, and the API's recent
 * problems by code. Counts, kinds and ids of lists only — no person's data.
 */
import { z } from 'zod';
import type { Clock } from '../../adapters/clock/clock';
import type { ApiMetrics } from '../metrics';
import { PROBLEM_WINDOW_MINUTES } from '../metrics';
import type { OverviewSide } from '../overview-side';
import type { ReadSide } from '../read-side';
import { defineRoute, json, type AnyRoute } from '../route';

const summarySchema = z.object({
  now: z.string(),
  windowHours: z.number().int(),
  projections: z.array(z.object({ name: z.string(), status: z.enum(['live', 'halted']), lagEvents: z.number(), lagSeconds: z.number().optional() })),
  sms: z.object({
    dueNow: z.number().int(),
    waiting: z.number().int().describe('pending, waiting for the sending window (quiet hours) or a retry'),
    requested: z.number().int().describe('messages requested within the window'),
    sent: z.number().int(),
    failedForGood: z.number().int(),
    failedAttempts: z.number().int(),
    failureRate: z.number().nullable().describe('failed attempts / (failed attempts + sent), of the messages requested within the window'),
    oldestDueAt: z.string().optional(),
  }),
  lists: z.object({
    received: z.number().int(),
    rows: z.number().int(),
    rejectedRows: z.number().int(),
    unprocessed: z.number().int(),
    recent: z.array(
      z.object({
        source: z.enum(['sdu', 'nobd']),
        listId: z.string(),
        program: z.string(),
        month: z.string(),
        schoolId: z.string().optional(),
        rowCount: z.number().int(),
        accepted: z.number().int(),
        rejected: z.number().int(),
        receivedAt: z.string(),
        processedAt: z.string().optional(),
      }),
    ),
  }),
  deadlines: z.object({
    overdue: z.number().int(),
    overdueSince: z.string().optional(),
    next: z.array(z.object({ kind: z.string(), dueAt: z.string(), count: z.number().int() })),
    comingByKind: z.record(z.string(), z.number().int()),
  }),
  errors: z.object({ windowMinutes: z.number().int(), byCode: z.array(z.object({ code: z.string(), count: z.number().int(), lastAt: z.string() })) }),
});

export function opsSummaryRoutes(deps: { overviews: OverviewSide; reads: ReadSide; metrics: ApiMetrics; clock: Clock }): AnyRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/ops/summary',
      operationId: 'getOpsSummary',
      roles: ['operator'],
      tag: 'ops',
      summary:
        'The operator’s picture: each read model’s lag, the SMS outbox (due now, waiting, delivery failure rate), lists received, deadlines overdue and next, and the API’s problem answers of the last hour by code (this process). `hours` sets the window (default 24).',
      query: z.object({
        hours: z.coerce
          .number()
          .int()
          .min(1)
          .max(24 * 31)
          .default(24),
      }),
      responses: { 200: { description: 'the picture', schema: summarySchema } },
      refusals: [],
      async handle({ query }) {
        const [picture, lag] = await Promise.all([deps.overviews.opsPicture(query.hours), deps.reads.projections()]);
        const projections = lag.map((p) => ({
          name: p.name,
          status: p.halt ? ('halted' as const) : ('live' as const),
          lagEvents: p.lagEvents,
          ...(p.lagSeconds === undefined ? {} : { lagSeconds: p.lagSeconds }),
        }));
        const errors = { windowMinutes: PROBLEM_WINDOW_MINUTES, byCode: deps.metrics.problems.recent(deps.clock.now()) };
        return json(200, { ...picture, projections, errors });
      },
    }),
  ];
}
