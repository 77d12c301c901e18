import { describe, expect, it } from 'vitest';
import { csvDelimiter, readCsvRecords } from './csv-body';
import { ApiProblem } from './problem';

const limits = { required: ['iin', 'phone'], maxRows: 2, tooMany: 'At most 2 rows.' };

describe('an uploaded CSV', () => {
  it('is separated by commas, or by semicolons when its header has them and no comma (Excel in a Russian locale)', () => {
    expect(csvDelimiter('iin,phone\n1;2,3\n')).toBe(',');
    expect(csvDelimiter('iin;phone\r\n1,5;2\r\n')).toBe(';');
    expect(csvDelimiter('iin\n1;2\n')).toBe(',');
    expect(readCsvRecords('iin;phone\r\n880101300011;"+7 701, home"\r\n', limits)).toEqual([{ iin: '880101300011', phone: '+7 701, home' }]);
  });

  it('is refused, saying what to fix, when a column is missing or named twice, a line is malformed, or it is too long', () => {
    const refusal = (csv: string) => {
      try {
        readCsvRecords(csv, limits);
        return undefined;
      } catch (error) {
        if (!(error instanceof ApiProblem)) throw error;
        return [error.code, error.detail];
      }
    };
    expect(refusal('iin\n1\n')).toEqual(['validation_failed', 'The CSV lacks columns: phone.']);
    expect(refusal('iin,phone,iin\n1,2,3\n')).toEqual(['validation_failed', 'The CSV header names the column iin twice; keep one.']);
    expect(refusal('iin,phone\n1,2,3\n')).toEqual(['validation_failed', 'The CSV could not be parsed near line 2.']);
    expect(refusal('iin,phone\n1,2\n3,4\n5,6\n')).toEqual(['payload_too_large', 'At most 2 rows.']);
  });
});
