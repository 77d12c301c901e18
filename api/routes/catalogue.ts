/**
 * The product catalogue (approved product list): the operator uploads GTIN → food-list category
 * as a whole new version; tills (and the operator, the auditor) download the version in force.
 *   POST /v1/catalogue            CSV (gtin,categoryId[,name]) or JSON rows: all rows or none (operator)
 *   GET  /v1/catalogue            the version in force, ETag / If-None-Match → 304 (merchant, operator, auditor)
 *   GET  /v1/catalogue/versions   every version: who, when, why, what changed (operator, auditor)
 * Authorize judges each basket line by the version in force (a code not in it: not eligible,
 * `reason: item_not_eligible` on the line).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { CatalogueServices } from '../../application/services/catalogue';
import {
  CatalogueRowsRefused,
  FOOD_CATALOGUE_ID,
  MAX_CATALOGUE_PRODUCTS,
  MAX_CATALOGUE_REASON_LENGTH,
  MAX_PRODUCT_NAME_LENGTH,
  type ProductCatalogueState,
} from '../../domain/catalogue/catalogue';
import { FOOD_CATEGORIES } from '../../domain/programs/food-list';
import { SHOP_ADMISSION_REFUSALS } from '../../domain/registry/admission';
import { noneMatch } from '../conditional';
import { ApiProblem, type FieldError } from '../problem';
import { readCsvRecords } from '../csv-body';
import { defineRoute, json, type AnyRoute } from '../route';
import { humanText } from '../schemas';

/** What the routes need: the services, the version this process holds in force, and the shop gate. */
export interface CatalogueDoor {
  readonly services: CatalogueServices;
  inForce(): ProductCatalogueState;
  /** Refuses (403, stable code) a shop the registry does not admit now; from memory. */
  admitShop(shopId: string): void;
}

export const CATALOGUE_CSV_COLUMNS = ['gtin', 'categoryId'] as const;
const reason = humanText(MAX_CATALOGUE_REASON_LENGTH).pipe(z.string().trim().min(1, 'Every catalogue version names its reason'));
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'SHA-256 in lower-case hex');
const row = z.strictObject({
  // Any short text: the decider answers a bad one per row with its own code (gtin_invalid), as it does a bad check digit.
  gtin: z.string().trim().min(1).max(64).describe('GTIN-8, -12, -13 or -14 with its GS1 check digit (gtin_invalid otherwise); compared as GTIN-14'),
  categoryId: z.string().trim().min(1).max(64).describe('A category id of the food list (GET /v1/catalogue `categories`; category_unknown otherwise)'),
  name: humanText(MAX_PRODUCT_NAME_LENGTH).optional(),
});
const product = z.object({ gtin: z.string().describe('GTIN-14'), categoryId: z.string(), name: z.string().optional() });
const rowOutcome = z.enum(['added', 'changed', 'unchanged']);
const publishResult = z.object({
  outcome: z.enum(['published', 'unchanged']),
  version: z.number().int(),
  contentSha256: z.string(),
  products: z.number().int(),
  added: z.number().int(),
  changed: z.number().int(),
  unchanged: z.number().int(),
  removed: z.array(z.string()).describe('GTIN-14s the version before listed and this one does not'),
  results: z.array(z.object({ row: z.number().int(), gtin: z.string(), outcome: rowOutcome })),
});
const catalogueAnswer = z.object({
  catalogueId: z.string(),
  version: z.number().int().describe('0 while none is published: nothing is eligible'),
  publishedAt: z.string().optional(),
  contentSha256: z.string().optional(),
  categories: z.array(z.object({ id: z.string(), nameRu: z.string(), nameKk: z.string(), unit: z.enum(['pcs', 'g', 'ml']) })),
  products: z.array(product),
});
const versionSummary = z.object({
  version: z.number().int(),
  publishedAt: z.string(),
  actor: z.object({ role: z.string(), id: z.string() }),
  commandId: z.string(),
  reason: z.string(),
  products: z.number().int(),
  added: z.number().int(),
  changed: z.number().int(),
  removed: z.number().int(),
  contentSha256: z.string(),
  sourceSha256: z.string().optional(),
});

export function catalogueRoutes(deps: { catalogue: CatalogueDoor }): AnyRoute[] {
  const door = deps.catalogue;
  return [
    defineRoute({
      method: 'post',
      path: '/v1/catalogue',
      operationId: 'publishCatalogue',
      roles: ['operator'],
      tag: 'catalogue',
      summary: 'Upload the whole product catalogue (CSV: gtin,categoryId[,name]; or JSON rows) as its next version: all rows or none.',
      description:
        'The file is the whole approved list: a GTIN it does not list is no longer eligible. Any refused row refuses the file (400 catalogue_row_invalid; ' +
        'errors[] name `body.rows.<index>.<field>` with the row’s own code: gtin_invalid, category_unknown, gtin_duplicate); nothing is published. ' +
        'A file listing exactly the version in force publishes nothing (200, outcome `unchanged`). CSV: `reason` in the query; the file’s SHA-256 is recorded.',
      query: z.object({ reason: reason.optional() }),
      body: z.strictObject({ rows: z.array(row).min(1).max(MAX_CATALOGUE_PRODUCTS), reason, sourceSha256: sha256.optional() }),
      bodyLimit: 'list',
      csv: (csvText, query) => ({
        rows: parseCatalogueCsv(csvText),
        reason: query.reason,
        sourceSha256: createHash('sha256').update(csvText).digest('hex'),
      }),
      idempotency: 'optional',
      responses: {
        201: { description: 'a new version is in force', schema: publishResult },
        200: { description: 'unchanged: the file lists the version in force', schema: publishResult },
      },
      refusals: ['catalogue_row_invalid', 'version_conflict'],
      async handle({ body, meta }) {
        try {
          const result = await door.services.publish(body, meta);
          return json(result.outcome === 'published' ? 201 : 200, result);
        } catch (error) {
          if (error instanceof CatalogueRowsRefused) throw refusedUpload(error);
          throw error;
        }
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/catalogue',
      operationId: 'getCatalogue',
      roles: ['merchant', 'operator', 'auditor'],
      tag: 'catalogue',
      summary: 'The product catalogue in force: the food list’s categories and every eligible product by GTIN-14 (ETag / If-None-Match → 304).',
      description:
        'Tills download it while online to show which products the voucher pays for; authorize judges by the same version (its answer names it, `catalogueVersion`). ' +
        'A scanned GTIN-8/12/13 is the GTIN-14 left-padded with zeros.',
      responses: {
        200: { description: 'the version in force', schema: catalogueAnswer },
        304: { description: 'the version named by If-None-Match is in force' },
      },
      refusals: [...SHOP_ADMISSION_REFUSALS],
      async handle({ principal, req }) {
        if (principal.role === 'merchant') door.admitShop(principal.shopId);
        const state = door.inForce();
        const etag = state.status === 'published' ? `"catalogue-${state.version}-${state.contentSha256.slice(0, 16)}"` : '"catalogue-0"';
        const headers = { 'Cache-Control': 'private, no-cache', ETag: etag };
        if (noneMatch(req, etag)) return { status: 304, json: undefined, headers };
        return json(200, answerOf(state), headers);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/catalogue/versions',
      operationId: 'listCatalogueVersions',
      roles: ['operator', 'auditor'],
      tag: 'catalogue',
      summary: 'Every version of the product catalogue, oldest first: who published it (the token’s subject), when, why, and what changed.',
      responses: { 200: { description: 'the versions', schema: z.object({ versions: z.array(versionSummary) }) } },
      refusals: [],
      async handle() {
        return json(200, { versions: await door.services.versions() });
      },
    }),
  ];
}

function answerOf(state: ProductCatalogueState) {
  const categories = FOOD_CATEGORIES.map((c) => ({ id: c.id, nameRu: c.nameRu, nameKk: c.nameKk, unit: c.unit }));
  if (state.status === 'empty') return { catalogueId: FOOD_CATALOGUE_ID, version: 0, categories, products: [] };
  return {
    catalogueId: FOOD_CATALOGUE_ID,
    version: state.version,
    publishedAt: state.publishedAt,
    contentSha256: state.contentSha256,
    categories,
    products: [...state.products.values()],
  };
}

/** A refused upload as one problem: every refused row, by its index in `rows` (0-based, as zod's paths). */
function refusedUpload(error: CatalogueRowsRefused): ApiProblem {
  const errors: FieldError[] = error.rows.slice(0, MAX_UPLOAD_ERRORS).map((r) => ({
    path: `body.rows.${r.row - 1}.${r.field}`,
    message: `${r.code}: ${r.detail} (row ${r.row}, gtin ${r.gtin})`,
  }));
  const more = error.rows.length > MAX_UPLOAD_ERRORS ? ` (the first ${MAX_UPLOAD_ERRORS} are listed)` : '';
  return new ApiProblem(
    'catalogue_row_invalid',
    `${error.rows.length} row(s) refused; nothing was published${more}. Fix them and upload the file again.`,
    errors,
  );
}
const MAX_UPLOAD_ERRORS = 200;

/** A catalogue CSV as rows, exactly as the HTTP door reads it (the CLI uses this); an ApiProblem when the file is malformed. */
export function parseCatalogueCsv(csvText: string): unknown[] {
  const records = readCsvRecords(csvText, {
    required: CATALOGUE_CSV_COLUMNS,
    maxRows: MAX_CATALOGUE_PRODUCTS,
    tooMany: `At most ${MAX_CATALOGUE_PRODUCTS} products per catalogue.`,
  });
  return records.map((r) => ({ gtin: r.gtin, categoryId: r.categoryId, ...(r.name ? { name: r.name } : {}) }));
}
