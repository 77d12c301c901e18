/**
 * Identifiers of counterparts: the BIN (БИН, business identification number, 12 digits with the
 * same check digit as the IIN), a Kazakh IBAN (KZ, 2 check digits, 3-character bank code, 13
 * account characters: 20 in all, ISO 13616 mod-97) and a bank's BIC (SWIFT, ISO 9362: 8 or 11
 * characters, country KZ). Pure: they say whether a string is well formed, nothing more.
 */
import { iinCheckDigit } from '../shared/iin';

export function isValidBin(bin: string): boolean {
  if (!/^\d{12}$/.test(bin)) return false;
  return iinCheckDigit(bin.slice(0, 11)) === Number(bin[11]);
}

/** Kazakhstan's IBAN length (ISO 13616 registry). */
export const KZ_IBAN_LENGTH = 20;

export function isValidIban(iban: string): boolean {
  if (iban.length !== KZ_IBAN_LENGTH || !/^KZ\d{2}[0-9A-Z]{16}$/.test(iban)) return false;
  return ibanRemainder(iban) === 1;
}

/** ISO 13616: move the first four characters to the end, letters to 10..35, the number mod 97. */
function ibanRemainder(iban: string): number {
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const character of rearranged) {
    const value = character >= 'A' ? character.charCodeAt(0) - 55 : Number(character);
    remainder = (remainder * (value >= 10 ? 100 : 10) + value) % 97;
  }
  return remainder;
}

/** The two check digits that make `KZ??` + `bban` a valid IBAN (simulators and tests build accounts with it). */
export function kzIban(bban: string): string {
  if (!/^[0-9A-Z]{16}$/.test(bban)) throw new Error(`invariant violated: a KZ BBAN is 16 digits or capitals, not ${bban.length} characters`);
  const check = 98 - ibanRemainder(`KZ00${bban}`);
  return `KZ${String(check).padStart(2, '0')}${bban}`;
}

export function isValidBic(bic: string): boolean {
  return /^[A-Z]{4}KZ[A-Z0-9]{2}([A-Z0-9]{3})?$/.test(bic);
}

/** A BIN with a valid check digit from its first 11 digits (simulators and tests); undefined when none exists. */
export function binFrom(first11: string): string | undefined {
  if (!/^\d{11}$/.test(first11)) throw new Error('invariant violated: a BIN prefix is 11 digits');
  const check = iinCheckDigit(first11);
  return check === undefined ? undefined : `${first11}${check}`;
}
