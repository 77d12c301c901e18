import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/** The import boundaries in eslint.config.js, checked on sources that break them. */
const eslint = new ESLint({ cwd: process.cwd() });

async function restrictedImports(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === 'no-restricted-syntax').map((m) => m.message);
}

describe('import boundaries', () => {
  it.each([
    ['domain/vouchers/x.ts', "import { createPool } from '../../adapters/postgres/pool';\nexport const x = createPool;"],
    ['domain/vouchers/x.ts', "import { handle } from '../../application/command-path';\nexport const x = handle;"],
    ['adapters/vault/x.ts', "import { createSystem } from '../../app/system';\nexport const x = createSystem;"],
    ['adapters/vault/x.ts', "import { runner } from '../../projections/runner';\nexport const x = runner;"],
    ['projections/tabel/x.ts', "import { createApi } from '../../api/app';\nexport const x = createApi;"],
    ['api/routes/x.ts', "import { createSystem } from '../../app/system';\nexport const x = createSystem;"],
    ['application/services/x.ts', "import { createApi } from '../../api/app';\nexport const x = createApi;"],
  ])('%s may not import what it imports here', async (filePath, code) => {
    expect(await restrictedImports(filePath, code)).toHaveLength(1);
  });

  it('keeps the domain free of the clock and randomness', async () => {
    expect(
      await restrictedImports('domain/vouchers/x.ts', 'export const a = Date.now();\nexport const b = Math.random();\nexport const c = new Date();'),
    ).toHaveLength(3);
  });

  it('lets the composition root import every layer, and tests import helpers', async () => {
    expect(
      await restrictedImports(
        'app/x.ts',
        "import { createApi } from '../api/app';\nimport { handle } from '../application/command-path';\nexport const x = [createApi, handle];",
      ),
    ).toEqual([]);
    expect(await restrictedImports('api/routes/x.ts', "import { createApi } from '../app';\nexport const x = createApi;")).toEqual([]);
    expect(await restrictedImports('domain/vouchers/x.test.ts', "import { given } from '../../test/given';\nexport const x = given;")).toEqual([]);
  });
});
