/**
 * The registry read model against the real Postgres: rows after a history of onboarding and status
 * changes, run twice → the same rows, a rebuild equals the live model, and the change cursor each
 * process refreshes its in-memory view from.
 */
import { testStates } from '../../test/stream-states';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryEventStore } from '../../adapters/eventstore/memory';
import type { EventStore } from '../../adapters/eventstore/port';
import { createRegistryView } from '../../application/registry/view';
import { createRegistryServices, type RegistryServices } from '../../application/services/registry';
import { createRunner } from '../runner';
import { fixtureDevice, fixtureSchool, fixtureShop } from '../../simulators/registry';
import { readModelDatabase, snapshot } from '../../test/projections/harness';
import { registryProjection } from './projection';
import { deviceById, listShops, registryChangesSince, schoolById, shopById } from './queries';

const projections = [registryProjection];
let db: Awaited<ReturnType<typeof readModelDatabase>>;
let store: EventStore;
let registry: RegistryServices;
let n = 0;
const meta = () => ({ commandId: `op-${++n}`, now: `2026-03-0${1 + (n % 5)}T04:00:00.000Z`, actor: { role: 'operator', id: 'op-1' } });

async function project(): Promise<void> {
  const runner = createRunner({ pool: db.pool, store, projections, batchSize: 2 });
  await runner.catchUp();
  await runner.stop();
}

beforeAll(async () => {
  db = await readModelDatabase(projections);
  store = createMemoryEventStore();
  registry = createRegistryServices({ states: testStates(store), view: createRegistryView() });
  await registry.import(
    'shop',
    Array.from({ length: 5 }, (_, i) => ({ id: `shop-${i}`, details: fixtureShop(`shop-${i}`, i % 2 ? 'pavlodar' : 'kokshetau') })),
    { reason: 'batch 1', activate: true },
    meta(),
  );
  await registry.put(
    'shop',
    { id: 'shop-1', details: { ...fixtureShop('shop-1', 'pavlodar'), address: 'moved', terminals: ['a', 'b'] }, reason: 'moved' },
    meta(),
  );
  await registry.changeStatus('shop', { id: 'shop-2', action: 'suspend', reason: 'complaint' }, meta());
  await registry.changeStatus('shop', { id: 'shop-3', action: 'close', reason: 'left' }, meta());
  await registry.put('school', { id: 'nobd-1', details: fixtureSchool('nobd-1', 'pavlodar', 'pavlodar', 90_000), reason: 'contract' }, meta());
  await registry.put('device', { id: 'dev-1', details: fixtureDevice('nobd-1', 'dev-1'), reason: 'delivered', activate: true }, meta());
  await project();
});
afterAll(async () => db?.drop());

describe('registry read model', () => {
  it('holds each entry’s present details and status, with its last reason and version', async () => {
    expect(await shopById(db.pool, 'shop-1')).toMatchObject({
      status: 'active',
      details: { address: 'moved', terminals: ['a', 'b'], city: 'pavlodar' },
      lastReason: 'moved',
      version: 2,
    });
    expect((await shopById(db.pool, 'shop-2'))?.status).toBe('suspended');
    expect((await shopById(db.pool, 'shop-3'))?.status).toBe('closed');
    expect(await schoolById(db.pool, 'nobd-1')).toMatchObject({
      status: 'registered',
      details: { mealPriceTiyn: 90_000, canteenOperator: { bankAccount: { bic: 'KCJBKZKX' } } },
    });
    expect(await deviceById(db.pool, 'dev-1')).toMatchObject({ status: 'active', details: { schoolId: 'nobd-1' } });
    expect((await listShops(db.pool, { city: 'pavlodar' })).map((s) => s.shopId)).toEqual(['shop-1', 'shop-3']);
  });

  it('run twice, same rows; a rebuild equals the live model', async () => {
    const tables = registryProjection.tables;
    const live = await snapshot(db.pool, tables);
    for (const table of tables) await db.pool.query(`truncate ${table}`);
    await db.pool.query('truncate projection_checkpoints');
    await project();
    expect(await snapshot(db.pool, tables)).toEqual(live);
    const runner = createRunner({ pool: db.pool, store, projections });
    await runner.rebuild('registry');
    await runner.stop();
    expect(await snapshot(db.pool, tables)).toEqual(live);
  });

  it('answers the changes after a cursor, and nothing after the last one', async () => {
    const all = await registryChangesSince(db.pool, 0n);
    expect([all.shops.length, all.schools.length, all.devices.length]).toEqual([5, 1, 1]);
    expect(all.shops.find((s) => s.shopId === 'shop-2')).toEqual({ shopId: 'shop-2', status: 'suspended', city: 'kokshetau', version: 2 });
    expect(await registryChangesSince(db.pool, all.position)).toEqual({ shops: [], schools: [], devices: [], position: all.position });
    await registry.changeStatus('school', { id: 'nobd-1', action: 'activate', reason: 'signed' }, meta());
    await project();
    const next = await registryChangesSince(db.pool, all.position);
    expect([next.shops, next.schools, next.devices]).toEqual([[], [{ schoolId: 'nobd-1', status: 'active', version: 1 }], []]);
    expect(next.position > all.position).toBe(true);
  });
});
