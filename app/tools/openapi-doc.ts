/**
 * Writes docs/openapi.json, the document the API serves at /openapi.json, built from the route
 * declarations without a database: `npm run openapi`. It is committed so that Redocly lints it in
 * `npm test` (`npm run lint:openapi`, redocly.yaml) and the typed client is generated from it
 * (`npm run client`); app/tools/openapi-doc.test.ts fails when it is stale.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApi } from '../../api/app';
import type { OpenApiDocument } from '../../api/openapi';

export const OPENAPI_DOC_PATH = join(fileURLToPath(new URL('../..', import.meta.url)), 'docs', 'openapi.json');

/** The served document: the routes are declared with dependencies they only use when they answer. */
export function apiDocument(): OpenApiDocument {
  const unused = new Proxy(
    {},
    {
      get(_target, name) {
        throw new Error(`building the OpenAPI document used ${String(name)} of a dependency; routes may use their dependencies only when they answer`);
      },
    },
  ) as never;
  const api = createApi({
    clock: unused,
    jwtSecret: 'only-the-document-only-the-document',
    services: unused,
    pool: unused,
    store: unused,
    reads: unused,
    metrics: unused,
    health: unused,
    registry: unused,
    registryReads: unused,
    catalogue: unused,
    // Optional dependencies too: their routes are part of the API wherever they are served.
    evidence: unused,
    forgetting: unused,
    qrKeySet: unused,
    exchanges: unused,
    settlement: unused,
    overviews: unused,
  });
  api.close();
  return api.openapi;
}

export const renderOpenApiDoc = (): string => `${JSON.stringify(apiDocument(), null, 2)}\n`;

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(OPENAPI_DOC_PATH, renderOpenApiDoc());
  process.stdout.write(`wrote ${OPENAPI_DOC_PATH}\n`);
}
