/** The catalogue each process holds: another process's upload reaches it by refresh; a version is replaced only by a newer one. */
import { describe, expect, it } from 'vitest';
import { createMemoryEventStore } from '../../adapters/eventstore/memory';
import { withCheckDigit } from '../../domain/catalogue/gtin';
import { categoryOfSku } from '../../domain/catalogue/catalogue';
import { createCatalogueServices } from '../services/catalogue';
import { testStates } from '../../test/stream-states';
import { createCatalogueView } from './view';

const MILK = withCheckDigit('487000300001');
const KEFIR = withCheckDigit('487000300002');
let n = 0;
const meta = () => ({ commandId: `c-${++n}`, now: '2026-03-02T04:00:00.000Z', actor: { role: 'operator', id: 'op' } });

describe('the catalogue view', () => {
  it('learns its own process’s upload at once and another process’s at its next refresh', async () => {
    const store = createMemoryEventStore();
    const here = createCatalogueView({ store });
    const there = createCatalogueView({ store });
    const services = createCatalogueServices({ states: testStates(store), view: here });
    expect(here.current().version).toBe(0);
    await services.publish({ rows: [{ gtin: MILK, categoryId: 'milk' }], reason: 'first' }, meta());
    expect(categoryOfSku(MILK, here.current())).toBe('milk');
    expect(there.current().version).toBe(0);
    await there.refresh();
    expect([there.current().version, categoryOfSku(MILK, there.current())]).toEqual([1, 'milk']);
    await services.publish({ rows: [{ gtin: KEFIR, categoryId: 'kefir' }], reason: 'second' }, meta());
    await there.refresh();
    expect([there.current().version, categoryOfSku(MILK, there.current()), categoryOfSku(KEFIR, there.current())]).toEqual([2, undefined, 'kefir']);
  });

  it('keeps a newer version it learnt while a refresh was reading, and never goes back to an older one', async () => {
    const store = createMemoryEventStore();
    const view = createCatalogueView({ store });
    const services = createCatalogueServices({ states: testStates(store), view: createCatalogueView({}) });
    await services.publish({ rows: [{ gtin: MILK, categoryId: 'milk' }], reason: 'first' }, meta());
    await services.publish({ rows: [{ gtin: KEFIR, categoryId: 'kefir' }], reason: 'second' }, meta());
    const other = createCatalogueView({ store });
    await other.refresh();
    // The write-through of version 2 arrives while this view's refresh reads versions 1 and 2 from the start.
    const reading = view.refresh();
    view.learn(other.state());
    await reading;
    expect(view.current().version).toBe(2);
    view.learn({ status: 'empty' });
    expect(view.current().version).toBe(2);
  });
});
