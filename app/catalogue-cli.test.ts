/** The catalogue CLI against a real system: a file with a bad row is refused whole, the fixed one publishes the next version. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withCheckDigit } from '../domain/catalogue/gtin';
import { startTestSystem, type TestSystem } from '../test/system';
import { catalogueCommand } from './catalogue-cli';

let t: TestSystem;
let dir: string;
beforeAll(async () => {
  t = await startTestSystem('2026-03-02T04:00:00.000Z');
  dir = await mkdtemp(join(tmpdir(), 'swl-catalogue-cli-'));
});
afterAll(async () => {
  await t?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const MILK = withCheckDigit('487000400001');

describe('the product catalogue from the command line', () => {
  it('refuses a file with a bad row whole, then publishes the fixed one after the SAMPLE of dev mode', async () => {
    expect((await t.system.catalogue.versions()).map((v) => v.actor.id)).toEqual(['dev-fixture']);
    const bad = join(dir, 'bad.csv');
    await writeFile(bad, `gtin,categoryId\n${MILK},milk\n${MILK.slice(0, -1)}0,milk\n`);
    const before = await t.eventCount();
    await expect(catalogueCommand(t.system, ['upload', bad, '--reason', 'extract'])).rejects.toThrow(/1 row\(s\) refused; nothing was published/);
    expect(await t.eventCount()).toBe(before);
    const good = join(dir, 'good.csv');
    await writeFile(good, `gtin,categoryId,name\n${MILK},milk,Молоко\n`);
    await expect(catalogueCommand(t.system, ['upload', good])).rejects.toThrow(/--reason/);
    expect(await catalogueCommand(t.system, ['upload', good, '--reason', 'extract 2026-03-01'])).toBe(0);
    expect(t.system.catalogueView.current().version).toBe(2);
    const versions = await t.system.catalogue.versions();
    expect(versions.at(-1)).toMatchObject({ version: 2, reason: 'extract 2026-03-01', products: 1, removed: 19, actor: { role: 'operator' } });
    expect(await catalogueCommand(t.system, ['upload', good, '--reason', 'again'])).toBe(0);
    expect((await t.system.catalogue.versions()).length).toBe(2);
  });
});
