/**
 * GTIN (Global Trade Item Number, GS1): the product codes of the national goods catalogue
 * (Национальный каталог товаров, seed 004 p. 2.16) and of the barcodes a till scans. A GTIN is
 * 8, 12, 13 or 14 digits whose last digit is the GS1 check digit: from the right, the digits
 * before it are weighted 3, 1, 3, 1, …; the check digit brings the sum to a multiple of ten.
 * The four lengths are one number space: left-padded with zeros to 14 digits (GTIN-14), an EAN-13
 * and the GTIN-14 that holds it are the same product, so the catalogue compares codes as GTIN-14.
 * Pure: these say whether a string is well formed and what its GTIN-14 is, nothing more.
 */

export const GTIN_LENGTHS: readonly number[] = [8, 12, 13, 14];
export const GTIN_14_LENGTH = 14;

/** The GS1 check digit of a GTIN's digits without it (7, 11, 12 or 13 digits). */
export function gtinCheckDigit(body: string): number {
  if (!/^\d+$/.test(body)) throw new Error('invariant violated: a GTIN body is digits');
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    const digit = body.charCodeAt(body.length - 1 - i) - 48;
    sum += i % 2 === 0 ? digit * 3 : digit;
  }
  return (10 - (sum % 10)) % 10;
}

export function isValidGtin(code: string): boolean {
  if (!/^\d+$/.test(code) || !GTIN_LENGTHS.includes(code.length)) return false;
  return gtinCheckDigit(code.slice(0, -1)) === code.charCodeAt(code.length - 1) - 48;
}

/** The GTIN-14 of a valid GTIN (left-padded with zeros); undefined for a code that is not one. */
export function gtin14(code: string): string | undefined {
  return isValidGtin(code) ? code.padStart(GTIN_14_LENGTH, '0') : undefined;
}

/** A GTIN from its digits without the check digit (fixtures and tests build codes with it). */
export function withCheckDigit(body: string): string {
  return `${body}${gtinCheckDigit(body)}`;
}
