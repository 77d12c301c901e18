/**
 * Product catalogue services: the operator publishes the approved product list (GTIN → food-list
 * category) as a whole new version, from a CSV file or JSON rows; tills and auditors read it.
 * Every upload goes through the command path on the catalogue's one stream
 * (domain/catalogue/catalogue.ts) and is then taught to this process's catalogue view
 * (write-through, application/catalogue/view.ts), so authorize judges by it at once.
 *
 * An upload is all or nothing: any refused row refuses the file (each refused row named with its
 * field and code) and nothing is appended. An upload listing exactly the version in force
 * publishes nothing (outcome `unchanged`), so uploading the same file again changes nothing.
 */
import type { LedgerRecorded } from '../../adapters/eventstore/ledger-events';
import { FOOD_CATALOGUE_ID, productCatalogue, type CatalogueRow, type ProductCatalogueState } from '../../domain/catalogue/catalogue';
import type { CatalogueProduct } from '../../domain/catalogue/events';
import { gtin14 } from '../../domain/catalogue/gtin';
import { SAMPLE_PRODUCTS } from '../../domain/programs/food-list';
import type { CommandMetadata } from '../../domain/shared/decider';
import { invariant } from '../../domain/shared/decider';
import { streams } from '../../domain/streams';
import { handle } from '../command-path';
import type { StreamStates } from '../stream-states';

export type RowOutcome = 'added' | 'changed' | 'unchanged';

export interface PublishResult {
  /** `published`: a new version is in force; `unchanged`: the rows list exactly the version in force. */
  readonly outcome: 'published' | 'unchanged';
  readonly version: number;
  readonly contentSha256: string;
  readonly products: number;
  readonly added: number;
  readonly changed: number;
  readonly unchanged: number;
  /** GTIN-14s listed by the version before and not by this one. */
  readonly removed: readonly string[];
  /** Per row of the upload (1-based, as in the file): its GTIN-14 and what it did. */
  readonly results: readonly { readonly row: number; readonly gtin: string; readonly outcome: RowOutcome }[];
}

/** A version as the auditor sees it: who published it, when, why, and what changed (not its products). */
export interface CatalogueVersionSummary {
  readonly version: number;
  readonly publishedAt: string;
  readonly actor: { readonly role: string; readonly id: string };
  readonly commandId: string;
  readonly reason: string;
  readonly products: number;
  readonly added: number;
  readonly changed: number;
  readonly removed: number;
  readonly contentSha256: string;
  readonly sourceSha256?: string;
}

export interface CatalogueServices {
  publish(input: { rows: readonly CatalogueRow[]; reason: string; sourceSha256?: string }, meta: CommandMetadata): Promise<PublishResult>;
  /** Every version, oldest first (read from the stream: no lag after an upload). */
  versions(): Promise<readonly CatalogueVersionSummary[]>;
}

export function createCatalogueServices(deps: { states: StreamStates; view: { learn(state: ProductCatalogueState): void } }): CatalogueServices {
  const { states } = deps;
  const stream = streams.productCatalogue(FOOD_CATALOGUE_ID);

  async function publish(input: { rows: readonly CatalogueRow[]; reason: string; sourceSha256?: string }, meta: CommandMetadata): Promise<PublishResult> {
    const outcome = await handle(states, stream, productCatalogue, {
      type: 'PublishProductCatalogue',
      data: { catalogueId: FOOD_CATALOGUE_ID, ...input },
      metadata: meta,
    });
    const history = await states.history(stream);
    const after = states.fold(productCatalogue, history);
    invariant(after.status === 'published', 'a decided upload leaves a version in force');
    // Taught only once appended: a refused or conflicting upload never reaches the view.
    deps.view.learn(after);
    const published = outcome.repeated ? undefined : outcome.events.find((e) => e.type === 'ProductCatalogueVersionPublished');
    if (published?.type !== 'ProductCatalogueVersionPublished') return resultOf(after, input.rows, after.products, []);
    // The rows against the version before this one (none: every row is new).
    const before = states.fold(productCatalogue, history.slice(0, published.data.version - 1));
    return resultOf(after, input.rows, before.status === 'published' ? before.products : new Map(), published.data.removed);
  }

  return {
    publish,
    async versions() {
      return (await states.history(stream)).map(summaryOf);
    },
  };
}

function resultOf(
  after: Extract<ProductCatalogueState, { status: 'published' }>,
  rows: readonly CatalogueRow[],
  before: ReadonlyMap<string, CatalogueProduct>,
  removed: readonly string[],
): PublishResult {
  const results = rows.map((row, i) => {
    const gtin = gtin14(row.gtin)!;
    const was = before.get(gtin);
    const now = after.products.get(gtin);
    // A repeated upload answers after whatever was published since: its rows changed nothing then.
    const outcome: RowOutcome =
      now === undefined || before === after.products
        ? 'unchanged'
        : was === undefined
          ? 'added'
          : was.categoryId !== now.categoryId || was.name !== now.name
            ? 'changed'
            : 'unchanged';
    return { row: i + 1, gtin, outcome };
  });
  const count = (o: RowOutcome) => results.filter((r) => r.outcome === o).length;
  return {
    outcome: before === after.products ? 'unchanged' : 'published',
    version: after.version,
    contentSha256: after.contentSha256,
    products: after.products.size,
    added: count('added'),
    changed: count('changed'),
    unchanged: count('unchanged'),
    removed,
    results,
  };
}

function summaryOf(event: LedgerRecorded): CatalogueVersionSummary {
  invariant(event.type === 'ProductCatalogueVersionPublished', `the catalogue stream holds versions only, not ${event.type}`);
  const d = event.data;
  return {
    version: d.version,
    publishedAt: d.at,
    actor: { role: event.metadata.actor.role, id: event.metadata.actor.id },
    commandId: event.metadata.commandId,
    reason: d.reason,
    products: d.products.length,
    added: d.added,
    changed: d.changed,
    removed: d.removed.length,
    contentSha256: d.contentSha256,
    ...(d.sourceSha256 !== undefined ? { sourceSha256: d.sourceSha256 } : {}),
  };
}

/** Dev mode's demo fixture: the SAMPLE list published through the real door when no version is (never in production). */
export async function publishSampleWhenEmpty(services: CatalogueServices, view: { state(): ProductCatalogueState }, now: string): Promise<boolean> {
  if (view.state().status === 'published') return false;
  const rows = SAMPLE_PRODUCTS.map((p) => ({ gtin: p.gtin, categoryId: p.categoryId, ...(p.name ? { name: p.name } : {}) }));
  // One command id: processes starting together publish it once.
  await services.publish(
    { rows, reason: 'SAMPLE demo fixture (dev mode): not a real product list' },
    {
      commandId: 'catalogue-fixture:sample',
      now,
      actor: { role: 'system', id: 'dev-fixture' },
    },
  );
  return true;
}
