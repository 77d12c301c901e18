/** Operator: each read model's checkpoint, lag and halt, and a rebuild trigger. */
import { z } from 'zod';
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
      roles: ['operator'],
      tag: 'ops',
      summary: 'Each read model’s checkpoint, lag behind the event log (events and seconds), and the event it is halted at, if any.',
      responses: { 200: { description: 'read models', schema: z.object({ projections: z.array(projectionState) }) } },
      async handle() {
        const projections = (await deps.reads.projections()).map(({ halt, position, ...p }) => ({
          ...p,
          status: halt ? 'halted' : 'live',
          ...(position === undefined ? {} : { position: String(position) }),
          ...(halt ? { halt: { ...halt, eventPosition: String(halt.eventPosition) } } : {}),
        }));
        return json(200, { projections });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/ops/projections/{name}/rebuild',
      roles: ['operator'],
      tag: 'ops',
      summary: 'Rebuild one read model from the event log (runs in the background; watch the lag).',
      params: z.object({ name: z.string().min(1).max(64).regex(/^[a-z0-9_-]+$/) }),
      idempotency: 'optional',
      responses: { 202: { description: 'started', schema: z.object({ name: z.string(), status: z.literal('rebuilding') }) } },
      async handle({ params }) {
        if (!(await deps.reads.rebuild(params.name))) throw new ApiProblem('route_not_found', 'No read model with this name.');
        return json(202, { name: params.name, status: 'rebuilding' });
      },
    }),
  ];
}
