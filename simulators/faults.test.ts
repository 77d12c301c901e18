/**
 * The fault suite's short version (npm run faults is the long one): kill -9 of the service under
 * POS and canteen load, and kill -9 of its durable Postgres, each for a few seconds; no acknowledged
 * write lost or doubled, balances conserve, read models at the head, retries answered as first.
 */
import { describe, expect, it } from 'vitest';
import { faultTable, runFaults } from './faults/run';

describe('fault suite (short)', () => {
  it('kill -9 of the service and of Postgres under load lose and double nothing acknowledged', async () => {
    const { results, durable } = await runFaults({
      faults: ['service-kill-9', 'postgres-kill-9'],
      seconds: 4,
      holdSeconds: 2,
      shops: 4,
      devices: 2,
      families: 48,
      pupilsPerDevice: 40,
      log: () => undefined,
    });
    process.stdout.write(`${faultTable(results)}\n`);
    expect(durable).toBe(true);
    for (const r of results) {
      expect({ fault: r.fault, lost: r.lost, doubled: r.doubled, examples: r.examples }).toEqual({ fault: r.fault, lost: 0, doubled: 0, examples: [] });
      expect(r.acknowledged).toBeGreaterThan(0);
      expect(r.recoverySeconds).toBeDefined();
      expect([r.projectionsAtHead, r.balances, r.replays?.differing]).toEqual([true, { violations: 0, spentMatchesLog: true }, 0]);
    }
  }, 300_000);
});
