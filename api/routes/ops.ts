/** Operator: each read model's checkpoint, lag and halt, and a rebuild trigger. */
import { z } from 'zod';
import type { ProjectionHaltView } from '../metrics';
import { ApiProblem } from '../problem';
import type { ReadSide } from '../read-side';
import { defineRoute, json, type AnyRoute } from '../route';

/** A halted read model (projections/runner/halt.ts): the others go on; the way out is in README "When a read model halts". */
const halt = z.object({
  eventId: z.string(),
  eventPosition: z.string().describe('log position of the event it cannot apply (a decimal string: positions are 64-bit)'),
  eventType: z.string(),
  error: z.string(),
  errorCode: z.string().optional().describe('Postgres SQLSTATE when the database refused the statement'),
  since: z.string(),
  failures: z.number().int(),
});

/** The documented fields only: the runner's halt record carries more (its projection's name, again). */
const haltView = (record: ProjectionHaltView): z.infer<typeof halt> => ({
  eventId: record.eventId,
  eventPosition: String(record.eventPosition),
  eventType: record.eventType,
  error: record.error,
  ...(record.errorCode === undefined ? {} : { errorCode: record.errorCode }),
  since: record.since,
  failures: record.failures,
});

const projectionState = z.object({
  name: z.string(),
  status: z.enum(['live', 'halted']),
  position: z.string().optional().describe('the checkpoint: last log position applied (a decimal string)'),
  lagEvents: z.number(),
  lagSeconds: z.number().optional(),
  halt: halt.optional(),
});

export function opsRoutes(deps: { reads: ReadSide }): AnyRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/ops/projections',
      operationId: 'getProjectionLag',
      roles: ['operator'],
      tag: 'ops',
      summary: 'Each read model’s checkpoint, lag behind the event log (events and seconds), and the event it is halted at, if any.',
      responses: { 200: { description: 'read models', schema: z.object({ projections: z.array(projectionState) }) } },
      refusals: [],
      async handle() {
        const projections = (await deps.reads.projections()).map(({ halt, position, ...p }) => ({
          ...p,
          status: halt ? 'halted' : 'live',
          ...(position === undefined ? {} : { position: String(position) }),
          ...(halt ? { halt: haltView(halt) } : {}),
        }));
        return json(200, { projections });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/ops/projections/{name}/rebuild',
      operationId: 'rebuildProjection',
      roles: ['operator'],
      tag: 'ops',
      summary: 'Rebuild one read model from the event log (runs in the background; watch the lag).',
      params: z.object({
        name: z
          .string()
          .min(1)
          .max(64)
          .regex(/^[a-z0-9_-]+$/),
      }),
      idempotency: 'optional',
      responses: { 202: { description: 'started', schema: z.object({ name: z.string(), status: z.literal('rebuilding') }) } },
      refusals: ['route_not_found'],
      async handle({ params }) {
        if (!(await deps.reads.rebuild(params.name))) throw new ApiProblem('route_not_found', 'No read model with this name.');
        return json(202, { name: params.name, status: 'rebuilding' });
      },
    }),
  ];
}
