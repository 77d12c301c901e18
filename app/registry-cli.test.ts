/** The registry CLI against a real system: import a CSV (refused whole when a row is bad), then suspend with a reason. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureSchool } from '../simulators/registry';
import { startTestSystem, type TestSystem } from '../test/system';
import { registryCommand } from './registry-cli';

let t: TestSystem;
let dir: string;
beforeAll(async () => {
  t = await startTestSystem('2026-03-02T04:00:00.000Z');
  dir = await mkdtemp(join(tmpdir(), 'swl-registry-cli-'));
});
afterAll(async () => {
  await t?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const schoolLine = (id: string, price = '85000') => {
  const d = fixtureSchool(id);
  return [
    id,
    d.name,
    d.region,
    d.city,
    d.canteenOperator.name,
    d.canteenOperator.bin,
    d.canteenOperator.bankAccount.iban,
    d.canteenOperator.bankAccount.bic,
    price,
  ].join(',');
};
const HEADER = 'schoolId,name,region,city,operatorName,operatorBin,operatorIban,operatorBic,mealPriceTiyn';

describe('registry from the command line', () => {
  it('refuses a file with a bad row whole, then imports the fixed one and suspends a school with a reason', async () => {
    const bad = join(dir, 'bad.csv');
    await writeFile(bad, `${HEADER}\n${schoolLine('nobd-1')}\n${schoolLine('nobd-2', '-5')}\n`);
    const before = await t.eventCount();
    await expect(registryCommand(t.system, ['import', 'schools', bad, '--reason', 'contracts'])).rejects.toThrow(/do not match/);
    expect(await t.eventCount()).toBe(before);
    const good = join(dir, 'good.csv');
    await writeFile(good, `${HEADER}\n${schoolLine('nobd-1')}\n${schoolLine('nobd-2')}\n`);
    expect(await registryCommand(t.system, ['import', 'schools', good, '--reason', 'contracts', '--activate'])).toBe(0);
    expect(t.system.registryView.school('nobd-2')).toMatchObject({ status: 'active' });
    await expect(registryCommand(t.system, ['suspend', 'school', 'nobd-2'])).rejects.toThrow(/--reason/);
    expect(await registryCommand(t.system, ['suspend', 'school', 'nobd-2', '--reason', 'inspection'])).toBe(0);
    const history = await t.system.registry.history('school', 'nobd-2');
    expect(history.at(-1)).toMatchObject({ type: 'SchoolSuspended', data: { reason: 'inspection' }, metadata: { actor: { role: 'operator' } } });
    await expect(registryCommand(t.system, ['suspend', 'school', 'nobd-2', '--reason', 'again'])).rejects.toThrow(/registry_transition_not_allowed/);
  });
});
