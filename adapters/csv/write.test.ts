import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { writeCsv } from './write';

describe('a CSV we write', () => {
  it('turns every cell a spreadsheet would run as a formula into text (OWASP: = + - @ tab CR)', () => {
    const hostile = ['=HYPERLINK("http://x","y")', '+7701', '-2+3', '@SUM(A1)', '\t=1+1', '\r=1+1'];
    const csv = writeCsv(
      ['name', 'n'],
      hostile.map((name, i) => [name, i]),
    );
    const read = parse(csv, { columns: true }) as { name: string; n: string }[];
    expect(read.map((r) => r.name)).toEqual(hostile.map((h) => `'${h}`));
    for (const line of csv.split('\n').slice(1, -1)) expect(line).toMatch(/^"'/);
  });

  it('leaves ordinary text, numbers (negative ones too) and empty cells alone', () => {
    expect(writeCsv(['a', 'b', 'c', 'd'], [['Әсел Нұрланқызы', -5, null, 'a=b']])).toBe('a,b,c,d\nӘсел Нұрланқызы,-5,,a=b\n');
  });

  it('quotes what CSV needs quoted and writes CRLF when asked', () => {
    expect(writeCsv(['x'], [['a,b'], ['say "hi"']], { lineEnd: '\r\n' })).toBe('x\r\n"a,b"\r\n"say ""hi"""\r\n');
  });
});
