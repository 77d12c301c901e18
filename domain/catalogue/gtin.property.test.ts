/** GTINs: the GS1 check digit, against known codes and for any digits (fast-check). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GTIN_LENGTHS, gtin14, gtinCheckDigit, isValidGtin, withCheckDigit } from './gtin';

const body = (length: number) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: length - 1, maxLength: length - 1 }).map((d) => d.join(''));
const anyGtin = fc.constantFrom(...GTIN_LENGTHS).chain((length) => body(length).map(withCheckDigit));

describe('GTIN', () => {
  it('accepts published codes of every length and refuses them with another check digit', () => {
    // EAN-13 and UPC-A examples from GS1's check digit calculator, an EAN-8, and a GTIN-14 of a case.
    for (const code of ['4006381333931', '036000291452', '96385074', '10614141000415', '4870001000011']) {
      expect(isValidGtin(code), code).toBe(true);
      const wrong = `${code.slice(0, -1)}${(Number(code.at(-1)) + 1) % 10}`;
      expect(isValidGtin(wrong), wrong).toBe(false);
    }
  });

  it('refuses other lengths, letters and the empty string', () => {
    for (const code of ['', '1234567', '123456789', '12345678901', '123456789012345', '40063813339a1', ' 4006381333931'])
      expect(isValidGtin(code), code).toBe(false);
  });

  it('any digits with their check digit are a GTIN of that length, and its GTIN-14 is the same code padded', () => {
    fc.assert(
      fc.property(anyGtin, (code) => {
        expect(isValidGtin(code)).toBe(true);
        expect(gtin14(code)).toBe(code.padStart(14, '0'));
        // The padded form is the same number: valid too, and its own GTIN-14.
        expect(gtin14(gtin14(code)!)).toBe(gtin14(code));
      }),
    );
  });

  it('one digit changed, the check digit no longer fits (GS1 detects every single-digit error)', () => {
    fc.assert(
      fc.property(anyGtin, fc.nat(), fc.integer({ min: 1, max: 9 }), (code, at, by) => {
        const i = at % code.length;
        const changed = `${code.slice(0, i)}${(Number(code[i]) + by) % 10}${code.slice(i + 1)}`;
        expect(isValidGtin(changed)).toBe(false);
      }),
    );
  });

  it('the check digit is one digit and makes the weighted sum a multiple of ten', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(7, 11, 12, 13).chain((length) => body(length + 1)),
        (digits) => {
          const check = gtinCheckDigit(digits);
          const weighted = [...`${digits}${check}`].reverse().reduce((sum, d, i) => sum + Number(d) * (i % 2 === 0 ? 1 : 3), 0);
          expect(check).toBeGreaterThanOrEqual(0);
          expect(check).toBeLessThanOrEqual(9);
          expect(weighted % 10).toBe(0);
        },
      ),
    );
  });
});
