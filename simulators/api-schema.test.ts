import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

describe('the generated client types (simulators/api-schema.generated.ts)', () => {
  it('are what openapi-typescript generates from docs/openapi.json now (regenerate with: npm run openapi)', () => {
    const bin = join(root, 'node_modules', '.bin', 'openapi-typescript');
    const run = spawnSync(bin, ['docs/openapi.json', '--output', 'simulators/api-schema.generated.ts', '--check'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status, `${run.stdout}${run.stderr}`).toBe(0);
  });
});
