import { describe, expect, it } from 'vitest';
import { stringify } from './route';

describe('reply JSON', () => {
  it('writes plain values as JSON.stringify does', () => {
    const value = { a: 1, b: ['x', null, { c: true }], d: undefined, e: 'я' };
    expect(stringify(value)).toBe(JSON.stringify(value));
  });
  it('writes a bigint as a number when safe and as a string beyond 2^53 − 1, wherever it is', () => {
    expect(stringify({ position: 42n, nested: [{ at: 9007199254740991n }], big: 9007199254740993n })).toBe(
      '{"position":42,"nested":[{"at":9007199254740991}],"big":"9007199254740993"}',
    );
  });
  it('still refuses what cannot be JSON (a cycle)', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => stringify(cyclic)).toThrow(TypeError);
  });
});
