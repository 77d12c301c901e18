import { describe, expect, it } from 'vitest';
import { MAX_QUANTITY } from './routes/shop';
import { MAX_BASKET_ITEMS, MAX_UNIT_PRICE_TIYN, singleLine, unstorableText } from './schemas';

describe('the edge’s bounds', () => {
  it('let no basket sum past safe integers: every line at its largest, as many lines as allowed', () => {
    expect(MAX_BASKET_ITEMS * MAX_QUANTITY * MAX_UNIT_PRICE_TIYN).toBeLessThanOrEqual(Number.MAX_SAFE_INTEGER);
  });
});

describe('text Postgres cannot store', () => {
  it('is found wherever it is, by path: a NUL character or half a surrogate pair', () => {
    expect(unstorableText({ rows: [{ city: 'ok' }, { city: 'a\u0000b' }] })).toEqual({
      path: ['rows', '1', 'city'],
      message: 'A NUL character is not allowed',
    });
    expect(unstorableText(['fine', { deep: { er: '\uD800' } }])).toMatchObject({ path: ['1', 'deep', 'er'] });
    expect(unstorableText({ 'key\u0000': 1 })).toMatchObject({ path: [] });
  });
  it('leaves well-formed text alone, pairs of surrogates (emoji) and every script included', () => {
    expect(unstorableText({ name: 'Әсел Нұрланқызы 🍞', n: 5, list: [true, null] })).toBeUndefined();
  });
});

describe('a single line', () => {
  it('refuses line breaks, tabs and other control characters', () => {
    for (const bad of ['a\nb', 'a\rb', '\tx', 'a\u0000', 'a\u007f']) expect(singleLine(100).safeParse(bad).success).toBe(false);
    expect(singleLine(100).safeParse('Pavlodar — Павлодар').success).toBe(true);
  });
});
