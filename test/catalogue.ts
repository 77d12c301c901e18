/**
 * The SAMPLE product catalogue for service-level tests: published as version 1 through the real
 * catalogue services (decider, command path) over their own memory log, as dev mode publishes it
 * at start (app/system.ts); API tests get it that way from their dev-mode system.
 */
import { createMemoryEventStore } from '../adapters/eventstore/memory';
import { createCatalogueView, type CatalogueView } from '../application/catalogue/view';
import { createCatalogueServices, publishSampleWhenEmpty } from '../application/services/catalogue';
import { testStates } from './stream-states';

export async function sampleCatalogue(now = '2025-09-01T00:00:00.000Z'): Promise<CatalogueView> {
  const view = createCatalogueView({});
  await publishSampleWhenEmpty(createCatalogueServices({ states: testStates(createMemoryEventStore()), view }), view, now);
  return view;
}
