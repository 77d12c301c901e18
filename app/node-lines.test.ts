import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const read = (file: string) => readFileSync(join(root, file), 'utf8');

describe('the Node lines the project supports are named alike everywhere', () => {
  it('engines names 20 and 24, the image runs 24 and CI installs a 24 release', () => {
    const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;
    expect(engines.split('||').map((range) => range.trim())).toEqual(['^20.11.0', '^24.0.0']);
    expect(read('Dockerfile')).toMatch(/^FROM node:24-bookworm-slim$/m);
    expect(read('.ci/run')).toMatch(/^NODE_24_VERSION=24\.\d+\.\d+$/m);
  });
});
