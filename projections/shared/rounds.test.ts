import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { roundsByKey } from './rounds';

describe('roundsByKey', () => {
  it('keeps every event once, each key in log order, and no key twice in a round', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ key: fc.constantFrom('a', 'b', 'c', 'd'), n: fc.nat() })), (events) => {
        const numbered = events.map((e, i) => ({ ...e, i }));
        const rounds = roundsByKey(numbered, (e) => e.key);
        expect(
          rounds
            .flat()
            .map((e) => e.i)
            .sort((a, b) => a - b),
        ).toEqual(numbered.map((e) => e.i));
        for (const round of rounds) expect(new Set(round.map((e) => e.key)).size).toBe(round.length);
        for (const key of ['a', 'b', 'c', 'd']) {
          const inRounds = rounds.flatMap((r) => r.filter((e) => e.key === key).map((e) => e.i));
          expect(inRounds).toEqual(numbered.filter((e) => e.key === key).map((e) => e.i));
        }
      }),
    );
  });

  it('a batch of distinct keys is one round; a key seen three times makes three', () => {
    expect(roundsByKey(['a', 'b', 'c'], (k) => k)).toEqual([['a', 'b', 'c']]);
    expect(roundsByKey(['a', 'b', 'a', 'a'], (k) => k)).toEqual([['a', 'b'], ['a'], ['a']]);
  });
});
