/**
 * Evidence (docs/EVIDENCE.md): the hash chain's signed daily checkpoints, published to anyone so
 * that outsiders can keep them and hold the operator to the log as it stood; and the verifier,
 * for auditors, which recomputes the chain and names the first altered event.
 */
import { z } from 'zod';
import { ApiProblem } from '../problem';
import type { EvidenceSide } from '../evidence-side';
import { defineRoute, json, text, type AnyRoute } from '../route';
import { REPORTS } from '../../projections/figures/projection';
import { TraceTooWideError } from '../../projections/figures/queries';
import { traceCsv } from '../../projections/figures/export';
import { idSchema, instantSchema } from '../schemas';
import { familyAsOfSchema } from '../answers';

const MAX_CHECKPOINTS_PAGE = 1_000;
/** A figure key: parts URI-encoded, joined by "/" (projections/figures/projection.ts). */
const figureSchema = z
  .string()
  .min(1)
  .max(600)
  .regex(/^[A-Za-z0-9._~%:-]+(\/[A-Za-z0-9._~%:-]*)*$/, 'key parts URI-encoded, joined by /');
const measuresSchema = z.record(z.string(), z.number());
const traceSchema = z.object({
  report: z.enum(REPORTS),
  figure: z.string(),
  key: z.record(z.string(), z.string()),
  recounted: measuresSchema,
  reported: measuresSchema.optional(),
  agrees: z.boolean().optional(),
  events: z.array(
    z.object({
      position: z.string(),
      stream: z.string(),
      streamVersion: z.string(),
      id: z.string(),
      type: z.string(),
      data: z.unknown(),
      metadata: z.unknown(),
    }),
  ),
});
const bundleSchema = z.object({
  kind: z.literal('swl.bundle.v1'),
  familyId: z.string(),
  madeAt: z.string(),
  verify: z.string(),
  history: z.array(z.object({ position: z.string(), type: z.string(), stream: z.string(), recordedAt: z.string() })),
  states: z.array(z.object({ asOf: z.string(), state: familyAsOfSchema })),
  figures: z.array(z.object({ report: z.string(), figure: z.string(), positions: z.array(z.string()) })),
  proofs: z.object({
    events: z.array(
      z.object({
        position: z.string(),
        stream: z.string(),
        streamVersion: z.string(),
        id: z.string(),
        type: z.string(),
        data: z.string(),
        metadata: z.string(),
        block: z.string(),
        leafIndex: z.number(),
        leafPath: z.array(z.string()),
      }),
    ),
    blocks: z.array(
      z.object({
        seq: z.string(),
        firstPosition: z.string(),
        lastPosition: z.string(),
        eventCount: z.number(),
        previousHash: z.string(),
        eventsRoot: z.string(),
        hash: z.string(),
        checkpoint: z.string().optional(),
        blockIndex: z.number().optional(),
        blockPath: z.array(z.string()).optional(),
      }),
    ),
    checkpoints: z.array(z.object({ seq: z.string(), payload: z.string(), signature: z.string(), keyId: z.string() })),
    unchained: z.array(z.string()),
  }),
  publicKeys: z.array(z.object({ keyId: z.string(), publicKeyPem: z.string() })),
});
const seqSchema = z.string().regex(/^\d{1,18}$/, 'a checkpoint number');

const checkpointSchema = z.object({ seq: z.string(), day: z.string(), payload: z.string(), signature: z.string(), keyId: z.string() });
const problemSchema = z.object({
  kind: z.string(),
  detail: z.string(),
  blockSeq: z.string().optional(),
  position: z.string().optional(),
  eventId: z.string().optional(),
  stream: z.string().optional(),
  streamVersion: z.string().optional(),
  checkpointSeq: z.string().optional(),
});
const reportSchema = z.object({
  ok: z.boolean(),
  from: z.union([z.literal('start'), z.object({ checkpointSeq: z.string(), day: z.string() })]),
  blocksVerified: z.number(),
  eventsVerified: z.number(),
  head: z.object({ blockSeq: z.string(), lastPosition: z.string() }),
  eventsNotYetChained: z.number(),
  checkpointsVerified: z.number(),
  problems: z.array(problemSchema),
});

export function evidenceRoutes(deps: { evidence?: EvidenceSide }): AnyRoute[] {
  const evidence = deps.evidence;
  if (!evidence) return [];
  return [
    defineRoute({
      method: 'get',
      path: '/v1/evidence/checkpoints',
      operationId: 'listCheckpoints',
      roles: 'public',
      tag: 'evidence',
      summary: 'The hash chain’s signed daily checkpoints and the keys that sign them: keep them, and hold the operator to them (docs/EVIDENCE.md).',
      query: z.object({ after: seqSchema.optional(), limit: z.coerce.number().int().min(1).max(MAX_CHECKPOINTS_PAGE).default(100) }),
      responses: {
        200: {
          description: 'checkpoints after `after`, oldest first',
          schema: z.object({ publicKeys: z.array(z.object({ keyId: z.string(), publicKeyPem: z.string() })), checkpoints: z.array(checkpointSchema) }),
        },
      },
      refusals: ['service_unavailable'],
      async handle({ query }) {
        const checkpoints = await evidence.checkpoints(BigInt(query.after ?? '0'), query.limit);
        return json(200, { publicKeys: evidence.publicKeys(), checkpoints });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/audit/chain/verify',
      operationId: 'verifyChain',
      roles: ['auditor'],
      tag: 'audit',
      summary: 'Recomputes the hash chain from the start (or from a signed checkpoint) and names the first event that differs from what was chained.',
      query: z.object({ from: z.union([z.literal('start'), z.literal('latest'), seqSchema]).default('start') }),
      responses: { 200: { description: 'the verification report; ok is false when a problem was found', schema: reportSchema } },
      refusals: ['checkpoint_not_found'],
      async handle({ query }) {
        const from = query.from === 'start' || query.from === 'latest' ? query.from : BigInt(query.from);
        const report = await evidence.verify(from);
        if (!report) throw new ApiProblem('checkpoint_not_found', `No validly signed checkpoint ${query.from}; verify from=start.`);
        return json(200, report);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/audit/figures/{report}',
      operationId: 'traceFigure',
      roles: ['auditor'],
      tag: 'audit',
      summary: 'A reported figure opened to the events it counts, recounted beside what the report states (JSON), or those events as CSV.',
      description:
        'Keys: tabel school/month[/pupil], nobd-daily school/date, outcomes-funnel program/area/month, outcomes-food city/month/category/unit, ' +
        'outcomes-meals region/month; parts URI-encoded. A prefix opens every row under it (school/month: the whole табель).',
      params: z.object({ report: z.enum(REPORTS) }),
      query: z.object({ key: figureSchema, format: z.enum(['json', 'csv']).default('json') }),
      responses: {
        200: { description: 'the figure, its recount and its events (format=json), or the events as CSV', schema: traceSchema, documents: ['text/csv'] },
      },
      refusals: ['figure_too_wide', 'figure_not_found'],
      async handle({ params, query }) {
        const trace = await evidence.traceFigure(params.report, query.key).catch((error: unknown) => {
          if (error instanceof TraceTooWideError) throw new ApiProblem('figure_too_wide', error.message);
          throw error;
        });
        if (trace.events.length === 0) throw new ApiProblem('figure_not_found', `No events count in ${params.report} ${query.key}.`);
        if (query.format === 'csv')
          return text(200, 'text/csv; charset=utf-8', traceCsv(trace), {
            'Content-Disposition': `attachment; filename="${params.report}-${query.key.replace(/[^A-Za-z0-9._-]+/g, '_')}.csv"`,
          });
        return json(200, { ...trace, events: trace.events.map((e) => ({ ...e, position: e.position.toString(), streamVersion: e.streamVersion.toString() })) });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/audit/figures/{report}/keys',
      operationId: 'listFigureKeys',
      roles: ['auditor'],
      tag: 'audit',
      summary: 'The figures of a report that can be opened, optionally under a key prefix.',
      params: z.object({ report: z.enum(REPORTS) }),
      query: z.object({ prefix: figureSchema.optional() }),
      responses: { 200: { description: 'figure keys in order', schema: z.object({ report: z.enum(REPORTS), keys: z.array(z.string()) }) } },
      refusals: [],
      async handle({ params, query }) {
        return json(200, { report: params.report, keys: await evidence.figureKeys(params.report, query.prefix) });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/audit/families/{familyId}/bundle',
      operationId: 'getFamilyBundle',
      roles: ['auditor'],
      tag: 'audit',
      summary:
        'A family’s evidence bundle: every event with its chain proof up to a signed checkpoint, its state as of the instants asked, the figures its events count in; check it offline with scripts/verify-bundle.mjs.',
      params: z.object({ familyId: idSchema }),
      query: z.object({
        asOf: z
          .string()
          .max(2000)
          .regex(/^[^,]+(,[^,]+)*$/, 'instants, comma-separated')
          .optional(),
      }),
      responses: { 200: { description: 'the bundle (JSON, as an attachment)', schema: bundleSchema } },
      refusals: [],
      async handle({ params, query }) {
        const asOf = (query.asOf ?? '').split(',').filter((a) => a !== '');
        const bad = asOf.find((a) => !instantSchema.safeParse(a).success);
        if (bad !== undefined) throw new ApiProblem('validation_failed', `asOf: ${bad} is not an ISO-8601 instant`);
        const bundle = await evidence.familyBundle(params.familyId, asOf);
        return json(200, bundle, { 'Content-Disposition': `attachment; filename="bundle-${params.familyId.replace(/[^A-Za-z0-9._-]+/g, '_')}.json"` });
      },
    }),
  ];
}
