/**
 * The product catalogue's decider: the operator publishes the whole approved product list as a
 * new version (GTIN → food-list category, domain/catalogue/events.ts), and the food wallet judges
 * each basket line's eligibility by the version in force (domain/vouchers/food-wallet.ts).
 *
 *   publish (rows)   → ProductCatalogueVersionPublished (version + 1), or nothing when the rows
 *                      list exactly the products of the version in force (a repeat is a no-op)
 *
 * Refusal precedence: validation_failed (reason, no rows) → payload_too_large (too many rows) →
 * catalogue_row_invalid (every refused row named, each with its own code: gtin_invalid,
 * category_unknown, gtin_duplicate; nothing is published when any row is refused).
 */
import { createHash } from 'node:crypto';
import { foodCategory } from '../programs/food-list';
import type { Instant } from '../shared/calendar';
import type { Code } from '../shared/codes';
import { evolveEach, invariant, unreachable, type CommandMetadata, type Decider } from '../shared/decider';
import { DomainError, refuse } from '../shared/errors';
import type { CatalogueProduct, ProductCatalogueEvent } from './events';
import { gtin14 } from './gtin';

/** The one catalogue of the food-voucher program (its stream: domain/streams.ts productCatalogue). */
export const FOOD_CATALOGUE_ID = 'food-vouchers';
/** Products one version may list: its event holds them all (about 60 bytes each). */
export const MAX_CATALOGUE_PRODUCTS = 50_000;
export const MAX_CATALOGUE_REASON_LENGTH = 500;
export const MAX_PRODUCT_NAME_LENGTH = 200;

/** A row of the operator's file: the GTIN as written (8, 12, 13 or 14 digits), the category id, a name. */
export interface CatalogueRow {
  readonly gtin: string;
  readonly categoryId: string;
  readonly name?: string;
}

export interface PublishProductCatalogue {
  readonly type: 'PublishProductCatalogue';
  readonly data: {
    readonly catalogueId: string;
    readonly rows: readonly CatalogueRow[];
    readonly reason: string;
    readonly sourceSha256?: string;
  };
  readonly metadata: CommandMetadata;
}
export type ProductCatalogueCommand = PublishProductCatalogue;

/** The version in force: what authorize judges baskets by (`products` keyed by GTIN-14). */
export interface CatalogueVersion {
  readonly version: number;
  readonly products: ReadonlyMap<string, CatalogueProduct>;
  readonly contentSha256: string;
  readonly publishedAt: Instant;
}
export type ProductCatalogueState = { readonly status: 'empty' } | ({ readonly status: 'published' } & CatalogueVersion);

/** One refused row: its number (1-based, the file's data rows), the field and its code. */
export interface CatalogueRowRefusal {
  readonly row: number;
  readonly gtin: string;
  readonly code: Code;
  readonly field: 'gtin' | 'categoryId' | 'name';
  readonly detail: string;
}

/** The upload is refused (catalogue_row_invalid); `rows` names every refused row. Nothing was published. */
export class CatalogueRowsRefused extends DomainError {
  constructor(readonly rows: readonly CatalogueRowRefusal[]) {
    super('catalogue_row_invalid', `${rows.length} row(s) refused`, 'rows');
  }
}

/** What a basket's lines are judged by: a version's products, by GTIN-14. Version 0 is the empty catalogue. */
export interface ProductCatalogue {
  readonly version: number;
  readonly categories: ReadonlyMap<string, string>;
}

export const EMPTY_PRODUCT_CATALOGUE: ProductCatalogue = { version: 0, categories: new Map() };

/** A catalogue of products (a version's, or a fixture's) for judging baskets. */
export function productCatalogueOf(version: number, products: Iterable<CatalogueProduct>): ProductCatalogue {
  return { version, categories: new Map([...products].map((p) => [p.gtin, p.categoryId])) };
}

/** The category of a basket line's code, or undefined when it is no GTIN or not in the catalogue (not eligible). */
export function categoryOfSku(sku: string, catalogue: ProductCatalogue): string | undefined {
  const key = gtin14(sku);
  return key === undefined ? undefined : catalogue.categories.get(key);
}

/** SHA-256 (hex) of a version's products in GTIN order: equal content, equal hash, whatever the file's order or spelling. */
export function contentSha256Of(products: readonly CatalogueProduct[]): string {
  const hash = createHash('sha256');
  for (const p of products) hash.update(`${p.gtin}\t${p.categoryId}\t${p.name ?? ''}\n`);
  return hash.digest('hex');
}

/** Pure: the rows as a version's products (GTIN-14, in GTIN order), or every refused row. */
export function productsOfRows(rows: readonly CatalogueRow[]): { products: CatalogueProduct[]; refusals: CatalogueRowRefusal[] } {
  const refusals: CatalogueRowRefusal[] = [];
  const firstRowOf = new Map<string, number>();
  const products: CatalogueProduct[] = [];
  rows.forEach((row, i) => {
    const number = i + 1;
    const refused = (code: Code, field: CatalogueRowRefusal['field'], detail: string) => refusals.push({ row: number, gtin: row.gtin, code, field, detail });
    const gtin = gtin14(row.gtin);
    if (gtin === undefined) return refused('gtin_invalid', 'gtin', 'not 8, 12, 13 or 14 digits with a valid GS1 check digit');
    const first = firstRowOf.get(gtin);
    if (first !== undefined) return refused('gtin_duplicate', 'gtin', `the same GTIN as row ${first}`);
    firstRowOf.set(gtin, number);
    if (foodCategory(row.categoryId) === undefined) return refused('category_unknown', 'categoryId', `${row.categoryId} is not a category of the food list`);
    const name = row.name?.trim();
    if (name !== undefined && name.length > MAX_PRODUCT_NAME_LENGTH)
      return refused('validation_failed', 'name', `at most ${MAX_PRODUCT_NAME_LENGTH} characters`);
    products.push({ gtin, categoryId: row.categoryId, ...(name ? { name } : {}) });
  });
  products.sort((a, b) => (a.gtin < b.gtin ? -1 : a.gtin > b.gtin ? 1 : 0));
  return { products, refusals };
}

/** Compared with the version in force: what is new, what changed, what is gone. */
export function differenceOf(before: ReadonlyMap<string, CatalogueProduct>, products: readonly CatalogueProduct[]) {
  let added = 0;
  let changed = 0;
  const listed = new Set<string>();
  for (const p of products) {
    listed.add(p.gtin);
    const held = before.get(p.gtin);
    if (held === undefined) added++;
    else if (held.categoryId !== p.categoryId || held.name !== p.name) changed++;
  }
  const removed = [...before.keys()].filter((gtin) => !listed.has(gtin)).sort();
  return { added, changed, removed };
}

function publish(command: PublishProductCatalogue, state: ProductCatalogueState): ProductCatalogueEvent[] {
  const { catalogueId, rows, reason, sourceSha256 } = command.data;
  if (reason.trim().length === 0) refuse('validation_failed', 'every catalogue version names its reason', 'reason');
  if (reason.length > MAX_CATALOGUE_REASON_LENGTH) refuse('validation_failed', `a reason is at most ${MAX_CATALOGUE_REASON_LENGTH} characters`, 'reason');
  if (rows.length === 0) refuse('validation_failed', 'a catalogue lists at least one product', 'rows');
  if (rows.length > MAX_CATALOGUE_PRODUCTS) refuse('payload_too_large', `at most ${MAX_CATALOGUE_PRODUCTS} products per catalogue`, 'rows');
  const { products, refusals } = productsOfRows(rows);
  if (refusals.length > 0) throw new CatalogueRowsRefused(refusals);
  const contentSha256 = contentSha256Of(products);
  if (state.status === 'published' && state.contentSha256 === contentSha256) return [];
  const before = state.status === 'published' ? state.products : new Map<string, CatalogueProduct>();
  return [
    {
      type: 'ProductCatalogueVersionPublished',
      data: {
        catalogueId,
        version: (state.status === 'published' ? state.version : 0) + 1,
        products,
        ...differenceOf(before, products),
        contentSha256,
        ...(sourceSha256 !== undefined ? { sourceSha256 } : {}),
        reason,
        at: command.metadata.now,
      },
    },
  ];
}

function evolve(state: ProductCatalogueState, event: ProductCatalogueEvent): ProductCatalogueState {
  switch (event.type) {
    case 'ProductCatalogueVersionPublished': {
      const { version, products, contentSha256, at } = event.data;
      invariant(version === (state.status === 'published' ? state.version : 0) + 1, `catalogue version ${version} follows the one in force`);
      return { status: 'published', version, products: new Map(products.map((p) => [p.gtin, p])), contentSha256, publishedAt: at };
    }
    default:
      return unreachable(event.type, 'product catalogue event');
  }
}

export const productCatalogue: Decider<ProductCatalogueState, ProductCatalogueCommand, ProductCatalogueEvent> = {
  initialState: () => ({ status: 'empty' }),
  decide(command, state) {
    switch (command.type) {
      case 'PublishProductCatalogue':
        return publish(command, state);
      default:
        return unreachable(command.type, 'product catalogue command');
    }
  },
  evolve,
  evolveAll: (state, events) => evolveEach(evolve)(state, events),
};

/** The lookup a state gives authorize. */
export function productCatalogueOfState(state: ProductCatalogueState): ProductCatalogue {
  if (state.status === 'empty') return EMPTY_PRODUCT_CATALOGUE;
  return { version: state.version, categories: new Map([...state.products.values()].map((p) => [p.gtin, p.categoryId])) };
}
