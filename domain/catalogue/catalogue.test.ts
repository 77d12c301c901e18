/** The product catalogue's decider: given versions, when an upload, then the version published or the rows refused. */
import { describe, expect, it } from 'vitest';
import { given, meta } from '../../test/given';
import {
  CatalogueRowsRefused,
  categoryOfSku,
  contentSha256Of,
  productCatalogue,
  productCatalogueOfState,
  type CatalogueRow,
  type ProductCatalogueCommand,
} from './catalogue';
import type { ProductCatalogueEvent } from './events';
import { withCheckDigit } from './gtin';

const NOW = '2026-03-02T04:00:00.000Z';
const MILK = withCheckDigit('487000100001'); // GTIN-13
/** 11 digits with a check digit: no GTIN length. */
const ELEVEN_DIGITS = withCheckDigit('4870001000');
const EGGS_8 = withCheckDigit('4870001'); // EAN-8
const BUCKWHEAT_14 = withCheckDigit('1487000100002'); // GTIN-14
const g14 = (code: string) => code.padStart(14, '0');

const publish = (rows: CatalogueRow[], reason = 'contract batch 1', now = NOW): ProductCatalogueCommand => ({
  type: 'PublishProductCatalogue',
  data: { catalogueId: 'food-vouchers', rows, reason, sourceSha256: 'a'.repeat(64) },
  metadata: meta(now),
});
const first: CatalogueRow[] = [
  { gtin: MILK, categoryId: 'milk', name: 'Молоко 2,5% 1 л' },
  { gtin: EGGS_8, categoryId: 'eggs' },
];
const firstProducts = [
  { gtin: g14(EGGS_8), categoryId: 'eggs' },
  { gtin: g14(MILK), categoryId: 'milk', name: 'Молоко 2,5% 1 л' },
];
const version1: ProductCatalogueEvent = {
  type: 'ProductCatalogueVersionPublished',
  data: {
    catalogueId: 'food-vouchers',
    version: 1,
    products: firstProducts,
    added: 2,
    changed: 0,
    removed: [],
    contentSha256: contentSha256Of(firstProducts),
    sourceSha256: 'a'.repeat(64),
    reason: 'contract batch 1',
    at: NOW,
  },
};

function refusalsOf(command: ProductCatalogueCommand, history: ProductCatalogueEvent[] = []) {
  const error = given(productCatalogue, history).when(command).thenFails('catalogue_row_invalid');
  expect(error).toBeInstanceOf(CatalogueRowsRefused);
  return (error as CatalogueRowsRefused).rows.map((r) => [r.row, r.field, r.code]);
}

describe('product catalogue', () => {
  it('publishes the first upload as version 1: GTIN-14s in GTIN order, every product added', () => {
    given(productCatalogue).when(publish(first)).then([version1]);
  });

  it('publishes a changed list as the next version, with what was added, changed and removed', () => {
    const rows: CatalogueRow[] = [
      { gtin: g14(MILK), categoryId: 'kefir', name: 'Молоко 2,5% 1 л' }, // the same product as a GTIN-14, another category
      { gtin: BUCKWHEAT_14, categoryId: 'buckwheat' },
    ];
    const [event] = given(productCatalogue, [version1])
      .when(publish(rows, 'recategorised', '2026-03-03T04:00:00.000Z'))
      .events();
    expect(event!.data).toMatchObject({ version: 2, added: 1, changed: 1, removed: [g14(EGGS_8)], reason: 'recategorised', at: '2026-03-03T04:00:00.000Z' });
    expect(event!.data.products.map((p) => p.gtin)).toEqual([g14(MILK), BUCKWHEAT_14]);
  });

  it('an upload listing exactly the version in force publishes nothing, whatever its row order, spelling of the GTIN or reason', () => {
    given(productCatalogue, [version1])
      .when(publish([{ gtin: g14(EGGS_8), categoryId: 'eggs' }, first[0]!], 'again'))
      .then([]);
  });

  it('refuses every bad row at once, each with its code, and publishes nothing', () => {
    const rows: CatalogueRow[] = [
      { gtin: MILK, categoryId: 'milk' },
      { gtin: `${MILK.slice(0, -1)}${(Number(MILK.at(-1)) + 1) % 10}`, categoryId: 'milk' }, // check digit wrong
      { gtin: '123', categoryId: 'milk' }, // no GTIN length
      { gtin: EGGS_8, categoryId: 'beer' }, // not on the food list
      { gtin: g14(MILK), categoryId: 'kefir' }, // the same GTIN as row 1, as a GTIN-14
    ];
    expect(refusalsOf(publish(rows))).toEqual([
      [2, 'gtin', 'gtin_invalid'],
      [3, 'gtin', 'gtin_invalid'],
      [4, 'categoryId', 'category_unknown'],
      [5, 'gtin', 'gtin_duplicate'],
    ]);
  });

  it('needs a reason and at least one row', () => {
    given(productCatalogue).when(publish(first, '  ')).thenFails('validation_failed');
    given(productCatalogue).when(publish([])).thenFails('validation_failed');
  });

  it('judges a basket line by GTIN-14: any length of the same code, and nothing that is not a listed GTIN', () => {
    const catalogue = productCatalogueOfState(given(productCatalogue, [version1]).state());
    expect(catalogue.version).toBe(1);
    expect(categoryOfSku(MILK, catalogue)).toBe('milk');
    expect(categoryOfSku(g14(MILK), catalogue)).toBe('milk');
    expect(categoryOfSku(EGGS_8, catalogue)).toBe('eggs');
    expect(categoryOfSku(BUCKWHEAT_14, catalogue)).toBeUndefined();
    expect(categoryOfSku('beer', catalogue)).toBeUndefined();
    expect(categoryOfSku(ELEVEN_DIGITS, catalogue)).toBeUndefined();
  });
});
