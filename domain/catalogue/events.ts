/**
 * Events of the product catalogue (the approved product list): which products, by GTIN, are
 * socially significant food of which category of the program's food list (order No. 166-НҚ,
 * domain/programs/food-list.ts). The catalogue lives in one stream, `catalogue-{catalogueId}`;
 * each upload that changes it publishes a whole new version (not a delta), so a version is
 * auditable on its own and a till's copy is named by one number. Who uploaded it is the event's
 * actor; why is `reason`.
 */
import type { Instant } from '../shared/calendar';
import type { DomainEvent } from '../shared/decider';

/** One product of a version: its GTIN-14 (domain/catalogue/gtin.ts) and its food-list category. */
export interface CatalogueProduct {
  readonly gtin: string;
  readonly categoryId: string;
  /** The product's name as the operator's file gives it (for people reading the list; eligibility ignores it). */
  readonly name?: string;
}

export type ProductCatalogueVersionPublished = DomainEvent<
  'ProductCatalogueVersionPublished',
  {
    readonly catalogueId: string;
    /** 1 for the first version, then one more per change. */
    readonly version: number;
    /** The whole list of this version, in GTIN order. */
    readonly products: readonly CatalogueProduct[];
    /** Compared with the version before: products new in this one, products whose category or name changed, GTINs no longer listed. */
    readonly added: number;
    readonly changed: number;
    readonly removed: readonly string[];
    /** SHA-256 (hex) of the version's content (its products, canonical): a till's ETag names it. */
    readonly contentSha256: string;
    /** SHA-256 (hex) of the file the operator uploaded, as sent, when it came as a file. */
    readonly sourceSha256?: string;
    readonly reason: string;
    readonly at: Instant;
  }
>;

export type ProductCatalogueEvent = ProductCatalogueVersionPublished;
