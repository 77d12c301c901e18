import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OPENAPI_DOC_PATH, apiDocument, renderOpenApiDoc } from './openapi-doc';

type Schema = Record<string, unknown>;
type Operation = { operationId?: string; responses: Record<string, { content?: Record<string, { schema?: Schema }> }> };

const document = apiDocument();
const operations = Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
  Object.entries(item as Record<string, Operation>).map(([method, operation]) => ({ name: `${method.toUpperCase()} ${path}`, operation })),
);

/**
 * The only shapes the document leaves open, each for its reason: the auditor's view of the
 * deciders' own states and of each event's data (in a family's history and in a figure's trace) (their fields are the domain's, by `status` and
 * `type`: domain/vouchers/, domain/events.ts), and /openapi.json, whose shape is the OpenAPI spec's.
 */
const OPEN_SHAPES = [
  /^GET \/v1\/audit\/families\/\{familyId\}\/history 200 .*\.state\.(mealVouchers|foodWallets)\[\]\.state$/,
  /^GET \/v1\/audit\/families\/\{familyId\}\/history 200 .*\.events\[\]\.data$/,
  /^GET \/v1\/audit\/figures\/\{report\} 200 .*\.events\[\]\.(data|metadata)$/,
  /^GET \/v1\/audit\/families\/\{familyId\}\/bundle 200 .*\.states\[\]\.state\.(mealVouchers|foodWallets)\[\]\.state$/,
  /^GET \/openapi\.json 200 /,
];

/** Schemas that say nothing of their fields: `{}`, an object without properties, or one open to any extra field. */
function openShapes(schema: unknown, at: string): string[] {
  if (typeof schema !== 'object' || schema === null) return [];
  const node = schema as Schema;
  const found: string[] = [];
  const keys = Object.keys(node).filter((key) => key !== 'description');
  if (keys.length === 0) found.push(at);
  if (node.type === 'object' && node.properties === undefined && node.additionalProperties === undefined) found.push(at);
  if (node.additionalProperties === true || (typeof node.additionalProperties === 'object' && Object.keys(node.additionalProperties as object).length === 0))
    found.push(at);
  for (const [key, value] of Object.entries(node.properties ?? {})) found.push(...openShapes(value, `${at}.${key}`));
  if (node.items) found.push(...openShapes(node.items, `${at}[]`));
  for (const part of [...((node.allOf as unknown[]) ?? []), ...((node.oneOf as unknown[]) ?? []), ...((node.anyOf as unknown[]) ?? [])])
    found.push(...openShapes(part, at));
  if (typeof node.additionalProperties === 'object' && Object.keys(node.additionalProperties as object).length > 0)
    found.push(...openShapes(node.additionalProperties, `${at}{}`));
  return [...new Set(found)];
}

describe('docs/openapi.json', () => {
  it('is the document the API serves (regenerate with: npm run openapi)', () => {
    expect(readFileSync(OPENAPI_DOC_PATH, 'utf8'), 'docs/openapi.json is stale: run npm run openapi').toBe(renderOpenApiDoc());
  });

  it('names every operation, once, in camelCase', () => {
    const ids = operations.map(({ operation }) => operation.operationId);
    for (const [i, id] of ids.entries()) expect(id, operations[i]!.name).toMatch(/^[a-z][A-Za-z0-9]*$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('documents a success and every problem status of every operation as problem+json with its codes', () => {
    for (const { name, operation } of operations) {
      const statuses = Object.keys(operation.responses);
      expect(
        statuses.some((status) => status.startsWith('2')),
        name,
      ).toBe(true);
      expect(statuses, name).toEqual(expect.arrayContaining(['400', '500']));
      // 4xx and 500 are problems; /health's 503 is its own JSON answer.
      for (const status of statuses.filter((s) => /^4/.test(s) || s === '500')) {
        const schema = operation.responses[status]!.content?.['application/problem+json']?.schema as
          { allOf?: [Schema, { properties: { code: { enum: string[] } } }] } | undefined;
        expect(schema?.allOf?.[0], `${name} ${status}`).toEqual({ $ref: '#/components/schemas/Problem' });
        expect(schema?.allOf?.[1].properties.code.enum.length, `${name} ${status}`).toBeGreaterThan(0);
      }
    }
  });

  it('types every answer: no open shape but the listed ones', () => {
    const open = operations.flatMap(({ name, operation }) =>
      Object.entries(operation.responses).flatMap(([status, response]) =>
        Object.entries(response.content ?? {}).flatMap(([mediaType, media]) => openShapes(media.schema, `${name} ${status} ${mediaType}`)),
      ),
    );
    expect(open.filter((at) => !OPEN_SHAPES.some((allowed) => allowed.test(at)))).toEqual([]);
    for (const allowed of OPEN_SHAPES)
      expect(
        open.some((at) => allowed.test(at)),
        `${allowed} still needed`,
      ).toBe(true);
  });
});
