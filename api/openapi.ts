/**
 * The OpenAPI 3.1 document, generated from the route declarations (api/route.ts `defineRoute`) and
 * the zod schemas the routes validate with (@asteasolutions/zod-to-openapi). Every operation has
 * its operationId, its roles (security), parameters, Idempotency-Key header and body, each success
 * answer with its schema, and each problem status it may answer with the codes that status
 * carries (application/problem+json, RFC 9457). docs/openapi.json is this document, committed:
 * Redocly lints it in `npm test` (redocly.yaml) and the typed client is generated from it
 * (app/tools/openapi-doc.ts, simulators/api-client/).
 */
import { OpenAPIRegistry, OpenApiGeneratorV31, type ResponseConfig, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import type { Code } from '../domain/shared/codes';
import { IDEMPOTENCY_HEADER_NAME, MAX_IDEMPOTENCY_KEY_LENGTH } from './idempotency';
import { PROBLEM_BASE, PROBLEM_CONTENT_TYPE, statusOf, titleOf } from './problem';
import { problemCodesOf, type AnyRoute, type SuccessAnswer } from './route';
import { problemSchema } from './schemas';

const problemComponent = problemSchema.openapi('Problem', {
  description: 'RFC 9457 problem details. `type` is the code’s URI, `code` the bare stable code (docs/CODES.md); `errors` names the fields at fault.',
});

export function createRegistry(): OpenAPIRegistry {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'JWT: in production from the OpenID Connect provider (RS256, ES256 or EdDSA; claims mapped as docs/IDENTITY.md says), in dev and tests HS256 with `role` and the subject fields of that role (see docs/API.md).',
  });
  registry.register('Problem', problemComponent);
  return registry;
}

export type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;

export const API_TAGS: Readonly<Record<string, string>> = {
  system: 'Health, metrics and this documentation (no token).',
  lists: 'Eligibility lists from SDU (food vouchers) and NOBD (school meals), their per-row outcomes and returns.',
  sms: 'The SMS gateway: outbound consent messages, delivery reports, citizens’ replies.',
  citizen: 'The parent or family head in the eGov Mobile wallet: vouchers, activation, dynamic QR, history, feedback.',
  canteen: 'School canteen devices: offline batches of meal records.',
  shop: 'Shop tills: balance by QR, authorize a basket (hold), capture or void.',
  school: 'The school’s social pedagogue (and NOBD): the monthly табель and daily reports.',
  audit: 'Auditors: a family’s full event history, as of any instant, and the hash chain’s verification.',
  evidence: 'The hash chain’s signed daily checkpoints, for anyone to keep (docs/EVIDENCE.md).',
  ministry: 'Ministries: pilot outcomes by program, city and month.',
  ops: 'Operators: read-model lag and rebuilds.',
};

export function generateDocument(registry: OpenAPIRegistry): OpenApiDocument {
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Social Wallet ledger API',
      version: '1.0.0',
      description:
        'Free school meals and АСП food vouchers. Every failure is application/problem+json; ' +
        `its \`type\` is ${PROBLEM_BASE}<code> and \`code\` the bare stable code. Writes take an Idempotency-Key.`,
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    tags: Object.entries(API_TAGS).map(([name, description]) => ({ name, description })),
  });
}

/** The route's OpenAPI operation. */
export function documentRoute(registry: OpenAPIRegistry, def: AnyRoute): void {
  registry.registerPath(operationOf(def));
}

function operationOf(def: AnyRoute): RouteConfig {
  const roles = def.roles === 'public' ? 'public' : (def.roles as readonly string[]).join(', ');
  const idempotency = def.method === 'get' ? undefined : (def.idempotency ?? 'optional');
  const bodyContent: Record<string, { schema: z.ZodType }> = {};
  if (def.body) bodyContent['application/json'] = { schema: def.body };
  if (def.csv) bodyContent['text/csv'] = { schema: z.string().openapi({ description: 'CSV with a header line; see the description for its columns.' }) };
  return {
    method: def.method,
    path: def.path,
    operationId: def.operationId,
    tags: [def.tag],
    summary: def.summary,
    description: `${def.description ?? ''}\n\nRoles: ${roles}.${idempotency ? ` Idempotency-Key: ${idempotency}.` : ''}`.trim(),
    // An empty list: this operation needs no token, whatever the document's default says.
    security: def.roles === 'public' ? [] : [{ bearer: [] }],
    request: {
      ...(def.params ? { params: def.params } : {}),
      ...(def.query ? { query: def.query } : {}),
      ...(idempotency ? { headers: idempotencyHeader(idempotency) } : {}),
      ...(def.body ? { body: { content: bodyContent, required: true } } : {}),
    },
    responses: { ...successAnswers(def.responses), ...problemAnswers(problemCodesOf(def)) },
  };
}

function idempotencyHeader(idempotency: 'required' | 'optional') {
  const key = z.string().min(1).max(MAX_IDEMPOTENCY_KEY_LENGTH).openapi({
    description:
      'Repeating a write with the same key answers the first answer (header Idempotent-Replayed: true); the same key with another body is refused (409).',
  });
  return z.object({ [IDEMPOTENCY_HEADER_NAME]: idempotency === 'required' ? key : key.optional() });
}

function successAnswers(answers: Readonly<Record<number, SuccessAnswer>>): Record<string, ResponseConfig> {
  const responses: Record<string, ResponseConfig> = {};
  for (const [status, answer] of Object.entries(answers)) {
    const content: Record<string, { schema: z.ZodType }> = {};
    if (answer.schema) content['application/json'] = { schema: answer.schema };
    for (const mediaType of answer.documents ?? []) content[mediaType] = { schema: documentSchema(mediaType) };
    responses[status] = Object.keys(content).length > 0 ? { description: answer.description, content } : { description: answer.description };
  }
  return responses;
}

const documentSchema = (mediaType: string): z.ZodType =>
  mediaType.startsWith('image/') && mediaType !== 'image/svg+xml' ? z.string().openapi({ format: 'binary' }) : z.string();

/** The Problem with `type`, `title` and `code` narrowed to those of `codes`. */
const problemOf = (codes: readonly Code[]) =>
  problemComponent.extend({
    type: z.enum(codes.map((code) => `${PROBLEM_BASE}${code}`) as [string, ...string[]]),
    title: z.enum(codes.map(titleOf) as [string, ...string[]]),
    code: z.enum(codes as [Code, ...Code[]]),
  });

/** One answer per status, naming the codes it carries; its schema is the Problem with `code` one of them. */
function problemAnswers(codes: readonly Code[]): Record<string, ResponseConfig> {
  const byStatus = new Map<number, Code[]>();
  for (const code of codes) byStatus.set(statusOf(code), [...(byStatus.get(statusOf(code)) ?? []), code]);
  const responses: Record<string, ResponseConfig> = {};
  for (const [status, group] of [...byStatus.entries()].sort(([a], [b]) => a - b)) {
    const sorted = [...group].sort();
    responses[String(status)] = {
      description: `A problem: ${sorted.map((code) => `\`${code}\``).join(', ')}.`,
      ...(status === 429 || status === 503
        ? { headers: { 'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer' } } } }
        : {}),
      content: { [PROBLEM_CONTENT_TYPE]: { schema: problemOf(sorted) } },
    };
  }
  return responses;
}
