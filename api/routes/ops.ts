/** Operator: projection lag per read model, and a rebuild trigger. */
import { z } from 'zod';
import { ApiProblem } from '../problem';
import type { ReadSide } from '../read-side';
import { defineRoute, json, type AnyRoute } from '../route';

export function opsRoutes(deps: { reads: ReadSide }): AnyRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/ops/projections',
      roles: ['operator'],
      tag: 'ops',
      summary: 'Each read model’s lag behind the event log (events and seconds).',
      responses: {
        200: {
          description: 'lag',
          schema: z.object({ projections: z.array(z.object({ name: z.string(), lagEvents: z.number(), lagSeconds: z.number().optional() })) }),
        },
      },
      async handle() {
        return json(200, { projections: await deps.reads.projections() });
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
