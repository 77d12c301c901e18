import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryEventStore } from '../adapters/eventstore/memory';
import { allProjections, createRunner } from './runner';
import { generateHistory } from './testing/history';
import { appendAll, readModelDatabase } from './testing/harness';

describe('smoke', () => {
  let db: Awaited<ReturnType<typeof readModelDatabase>>;
  beforeAll(async () => (db = await readModelDatabase()));
  afterAll(async () => db?.drop());
  it('runs', async () => {
    const store = createMemoryEventStore();
    const head = await appendAll(store, generateHistory({ seed: 3, pupils: 300, familyMonths: 300 }));
    const errors: unknown[] = [];
    const runner = createRunner({ pool: db.pool, store, projections: allProjections, batchSize: 97, onError: (n, e) => errors.push([n, e]) });
    await runner.catchUp();
    console.log(errors);
    expect(errors).toEqual([]);
    await runner.waitUntilCaughtUp(head, 1000);
    for (const t of ['nobd_daily', 'tabel_meals', 'balances_vouchers', 'outcomes_cases', 'family_events']) {
      console.log(t, (await db.pool.query(`select count(*) from ${t}`)).rows[0]);
    }
    await runner.stop();
  });
});
