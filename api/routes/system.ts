/** Public system routes: health, Prometheus metrics, the OpenAPI document and its page (Swagger UI). */
import { z } from 'zod';
import type { ApiMetrics } from '../metrics';
import type { OpenApiDocument } from '../openapi';
import { DOCS_ASSETS, createDocsAssets, docsPage } from '../docs-page';
import { defineRoute, json, text, type AnyRoute } from '../route';

export interface HealthReport {
  readonly postgres: boolean;
  readonly runner: boolean;
  readonly scheduler?: boolean;
  readonly eventStore?: string;
  /** Read models halted at an event they cannot apply: the service still serves, degraded. */
  readonly haltedProjections?: readonly string[];
  /** Reachable within its timeout, takes writes, disk with room (adapters/postgres/watch.ts). */
  readonly database?: { readonly reachable: boolean; readonly writable: boolean; readonly disk: 'ok' | 'full' | 'unknown'; readonly diskFreeMb?: number };
  /** Why not ready, in words an operator can act on; any entry makes the service not ready. */
  readonly problems?: readonly string[];
  /** The product catalogue version this instance judges baskets by; version 0: none published, nothing is eligible (not a readiness problem). */
  readonly catalogue?: { readonly version: number; readonly products: number };
}

const healthSchema = z.object({
  status: z.enum(['ready', 'degraded', 'not_ready']),
  postgres: z.boolean(),
  runner: z.boolean(),
  scheduler: z.boolean().optional(),
  eventStore: z.string().optional(),
  haltedProjections: z.array(z.string()).optional(),
  database: z
    .object({
      reachable: z.boolean(),
      writable: z.boolean(),
      disk: z.enum(['ok', 'full', 'unknown']),
      diskFreeMb: z.number().optional(),
      problems: z.array(z.string()).optional(),
    })
    .optional(),
  problems: z.array(z.string()).optional(),
  catalogue: z
    .object({ version: z.number().int(), products: z.number().int() })
    .optional()
    .describe('The product catalogue in force here; version 0: none is published and no basket line is eligible'),
});

/** Readiness: may this instance take traffic? Postgres answers and takes writes, the runner and scheduler work. */
async function readiness(health: () => Promise<HealthReport>) {
  const report = await health().catch((): HealthReport => ({ postgres: false, runner: false, problems: ['the health check itself failed'] }));
  const ready = report.postgres && report.runner && (report.problems?.length ?? 0) === 0;
  // Degraded, not unready: writes and the other read models work, so the instance stays in rotation.
  const status = !ready ? 'not_ready' : report.haltedProjections?.length ? 'degraded' : 'ready';
  return json(ready ? 200 : 503, { status, ...report }, { 'Cache-Control': 'no-store' });
}

export function systemRoutes(deps: { metrics: ApiMetrics; health: () => Promise<HealthReport>; openapi: () => OpenApiDocument }): AnyRoute[] {
  const docsAsset = createDocsAssets();
  return [
    defineRoute({
      method: 'get',
      path: '/health',
      operationId: 'getHealth',
      roles: 'public',
      limited: false,
      tag: 'system',
      summary:
        'Readiness (as /health/ready): 200 when Postgres answers within HEALTH_TIMEOUT_MS and takes writes, its disk has room, the projection runner runs and the scheduler is not stalled (status `degraded` and their names when read models are halted: the instance stays in rotation); else 503 with the problems.',
      responses: { 200: { description: 'ready', schema: healthSchema }, 503: { description: 'not ready', schema: healthSchema } },
      refusals: [],
      handle: () => readiness(deps.health),
    }),
    defineRoute({
      method: 'get',
      path: '/health/ready',
      operationId: 'getReadiness',
      roles: 'public',
      limited: false,
      tag: 'system',
      summary: 'Readiness: may this instance take traffic (a load balancer asks this). Same answer as /health.',
      responses: { 200: { description: 'ready', schema: healthSchema }, 503: { description: 'not ready', schema: healthSchema } },
      refusals: [],
      handle: () => readiness(deps.health),
    }),
    defineRoute({
      method: 'get',
      path: '/health/live',
      operationId: 'getLiveness',
      roles: 'public',
      limited: false,
      tag: 'system',
      summary: 'Liveness: the process answers (no database call). Restart the instance only when this fails; a sick database shows in readiness.',
      responses: { 200: { description: 'live', schema: z.object({ status: z.literal('live') }) } },
      refusals: [],
      async handle() {
        return json(200, { status: 'live' as const }, { 'Cache-Control': 'no-store' });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/metrics',
      operationId: 'getMetrics',
      roles: 'public',
      limited: false,
      tag: 'system',
      summary: 'Prometheus metrics: request rates and latencies per route, projection lag, appends.',
      responses: { 200: { description: 'text exposition format 0.0.4', documents: ['text/plain'] } },
      refusals: [],
      async handle() {
        return text(200, deps.metrics.registry.contentType, await deps.metrics.registry.metrics());
      },
    }),
    defineRoute({
      method: 'get',
      path: '/openapi.json',
      operationId: 'getOpenApiDocument',
      roles: 'public',
      tag: 'system',
      summary: 'This API as OpenAPI 3.1, generated from the zod schemas the routes validate with (also docs/openapi.json).',
      responses: { 200: { description: 'the document', schema: openApiSchema } },
      refusals: [],
      async handle() {
        return json(200, deps.openapi());
      },
    }),
    defineRoute({
      method: 'get',
      path: '/docs',
      operationId: 'getDocs',
      roles: 'public',
      tag: 'system',
      summary: 'The OpenAPI document in Swagger UI, served from this origin (no CDN).',
      responses: { 200: { description: 'HTML', documents: ['text/html'] } },
      refusals: [],
      async handle() {
        return text(200, 'text/html; charset=utf-8', docsPage());
      },
    }),
    defineRoute({
      method: 'get',
      path: '/docs/{asset}',
      operationId: 'getDocsAsset',
      roles: 'public',
      tag: 'system',
      summary: 'The scripts and style of the docs page (Swagger UI’s, from its npm package, and its start-up script).',
      params: z.object({ asset: z.enum(DOCS_ASSETS) }),
      responses: { 200: { description: 'the asset', documents: ['text/javascript', 'text/css'] } },
      refusals: [],
      async handle({ params }) {
        const asset = await docsAsset(params.asset);
        return text(200, asset.contentType, asset.body, { 'Cache-Control': 'public, max-age=3600' });
      },
    }),
  ];
}

/** What a client can rely on in the document; the rest follows the OpenAPI 3.1 specification. */
const openApiSchema = z
  .looseObject({
    openapi: z.string(),
    info: z.looseObject({ title: z.string(), version: z.string() }),
    paths: z.record(z.string(), z.looseObject({})),
  })
  .describe('An OpenAPI 3.1 document (https://spec.openapis.org/oas/v3.1.0).');
