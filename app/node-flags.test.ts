import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SERVICE_NODE_FLAGS } from './node-flags';

const root = join(import.meta.dirname, '..');

describe('the service runs with the same node flags wherever it starts', () => {
  it('npm start, the Dockerfile and the simulators’ service process (which imports them) carry them', () => {
    const start = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
    const cmd = /^CMD (.+)$/m.exec(readFileSync(join(root, 'Dockerfile'), 'utf8'))![1]!;
    for (const flag of SERVICE_NODE_FLAGS) {
      expect(start.split(' ')).toContain(flag);
      expect(JSON.parse(cmd) as string[]).toContain(flag);
    }
  });
});
