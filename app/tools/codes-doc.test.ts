import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CODES } from '../../domain/shared/codes';
import { CODES_DOC_PATH, PRECEDENCE, renderCodesDoc } from './codes-doc';

describe('docs/CODES.md', () => {
  it('matches the code table (regenerate with: npx tsx app/tools/codes-doc.ts)', () => {
    expect(readFileSync(CODES_DOC_PATH, 'utf8')).toBe(renderCodesDoc());
  });
  it('lists every code exactly once', () => {
    const rows = renderCodesDoc()
      .split('\n')
      .filter((l) => /^\| `[a-z_]+` \| [a-z_]+ \|/.test(l));
    expect(rows).toHaveLength(Object.keys(CODES).length);
  });
  it('names only known codes in the precedence chains, each once per chain', () => {
    for (const chain of PRECEDENCE) {
      expect(new Set(chain.codes).size, chain.name).toBe(chain.codes.length);
      for (const code of chain.codes) expect(Object.hasOwn(CODES, code), code).toBe(true);
    }
  });
});
