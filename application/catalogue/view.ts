/**
 * The product catalogue as each process holds it in memory, for the hot path: authorize judges a
 * basket by the version held here (application/services/food.ts), never by a database round trip
 * per request.
 *
 * Fed from the catalogue's own stream, one rule: a version replaces the held one only when it is
 * newer.
 *   - write-through: the catalogue services of this process `learn` the version they just
 *     published, so an operator's upload is in force here the moment its answer is sent;
 *   - refresh: every `refreshIntervalMs` the stream's events after the held version (one small
 *     read that returns nothing while nothing changed; never the versions already held, which can
 *     be large), which brings other processes' uploads within that interval.
 * The first refresh (at start) loads the version in force.
 */
import {
  EMPTY_PRODUCT_CATALOGUE,
  FOOD_CATALOGUE_ID,
  productCatalogue,
  productCatalogueOfState,
  type ProductCatalogue,
  type ProductCatalogueState,
} from '../../domain/catalogue/catalogue';
import { invariant } from '../../domain/shared/decider';
import { streams } from '../../domain/streams';
import { parseRecorded } from '../../adapters/eventstore/ledger-events';
import type { EventStore } from '../../adapters/eventstore/port';

/** How often a process picks up a catalogue version published by another process. */
export const DEFAULT_CATALOGUE_REFRESH_MS = 1000;

/** What authorize asks: the version in force (version 0, empty, when none was ever published). */
export interface CatalogueInForce {
  current(): ProductCatalogue;
}

export interface CatalogueView extends CatalogueInForce {
  /** The version in force as its stream folds to (products with names, its content hash): the tills' download. */
  state(): ProductCatalogueState;
  learn(state: ProductCatalogueState): void;
  refresh(): Promise<void>;
  /** Refreshes on a timer until stop(); errors go to onError and the next tick tries again. */
  start(): void;
  stop(): void;
}

export function createCatalogueView(options: {
  store?: EventStore;
  catalogueId?: string;
  refreshIntervalMs?: number;
  onError?: (error: unknown) => void;
}): CatalogueView {
  const stream = streams.productCatalogue(options.catalogueId ?? FOOD_CATALOGUE_ID);
  let held: ProductCatalogueState = productCatalogue.initialState();
  let lookup: ProductCatalogue = EMPTY_PRODUCT_CATALOGUE;
  let timer: NodeJS.Timeout | undefined;
  let refreshing: Promise<void> | undefined;

  const versionOf = (state: ProductCatalogueState) => (state.status === 'published' ? state.version : 0);
  const learn = (state: ProductCatalogueState) => {
    if (versionOf(state) <= versionOf(held)) return;
    held = state;
    lookup = productCatalogueOfState(state);
  };
  const refreshOnce = async () => {
    if (!options.store) return;
    // A stream's versions are 0-based: version N of the catalogue is the stream's event N − 1.
    // From the version held when the read starts: a version learnt meanwhile is kept only if newer.
    let state = held;
    const newer = await options.store.readStream(stream, { fromVersion: BigInt(versionOf(state)) });
    for (const recorded of newer) {
      const event = parseRecorded(recorded);
      invariant(event.type === 'ProductCatalogueVersionPublished', `${stream} holds catalogue versions only, not ${event.type}`);
      state = productCatalogue.evolve(state, event);
    }
    learn(state);
  };

  return {
    current: () => lookup,
    state: () => held,
    learn,
    refresh() {
      // Overlapping refreshes share one read.
      refreshing ??= refreshOnce().finally(() => (refreshing = undefined));
      return refreshing;
    },
    start() {
      if (timer || !options.store) return;
      timer = setInterval(
        () => void this.refresh().catch((error: unknown) => options.onError?.(error)),
        options.refreshIntervalMs ?? DEFAULT_CATALOGUE_REFRESH_MS,
      );
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
