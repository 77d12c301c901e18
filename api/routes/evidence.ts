/**
 * Evidence (docs/EVIDENCE.md): the hash chain's signed daily checkpoints, published to anyone so
 * that outsiders can keep them and hold the operator to the log as it stood; and the verifier,
 * for auditors, which recomputes the chain and names the first altered event.
 */
import { z } from 'zod';
import { ApiProblem } from '../problem';
import type { EvidenceSide } from '../evidence-side';
import { defineRoute, json, type AnyRoute } from '../route';

const MAX_CHECKPOINTS_PAGE = 1_000;
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
      async handle({ query }) {
        const checkpoints = await evidence.checkpoints(BigInt(query.after ?? '0'), query.limit);
        return json(200, { publicKeys: evidence.publicKeys(), checkpoints });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/audit/chain/verify',
      roles: ['auditor'],
      tag: 'audit',
      summary: 'Recomputes the hash chain from the start (or from a signed checkpoint) and names the first event that differs from what was chained.',
      query: z.object({ from: z.union([z.literal('start'), z.literal('latest'), seqSchema]).default('start') }),
      responses: { 200: { description: 'the verification report; ok is false when a problem was found', schema: reportSchema } },
      async handle({ query }) {
        const from = query.from === 'start' || query.from === 'latest' ? query.from : BigInt(query.from);
        const report = await evidence.verify(from);
        if (!report) throw new ApiProblem('checkpoint_not_found', `No validly signed checkpoint ${query.from}; verify from=start.`);
        return json(200, report);
      },
    }),
  ];
}
