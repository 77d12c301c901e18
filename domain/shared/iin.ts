/**
 * The Kazakh IIN (ЖСН / ИИН): 12 digits.
 *   1–6   birth date YYMMDD
 *   7     century and sex: 1/2 → 1800s, 3/4 → 1900s, 5/6 → 2000s; odd = male, even = female
 *   8–11  serial number
 *   12    check digit: Σ dᵢ·wᵢ mod 11 with weights 1..11; when that gives 10, again with weights
 *         3,4,5,6,7,8,9,10,11,1,2; when that also gives 10 the number is invalid (never issued).
 * Pure: no clock, so a birth date in the future is not refused here (the list decides eligibility).
 */
import { invariant } from './decider';
import type { LocalDate } from './calendar';

export type Sex = 'male' | 'female';
export type IinRefusal = 'format' | 'century' | 'birth_date' | 'check_digit';
export type ParsedIin =
  { readonly ok: true; readonly iin: string; readonly birthDate: LocalDate; readonly sex: Sex } | { readonly ok: false; readonly reason: IinRefusal };

const FIRST_WEIGHTS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] as const;
const SECOND_WEIGHTS = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2] as const;
const CENTURY_BY_DIGIT: Readonly<Record<number, number>> = { 1: 1800, 2: 1800, 3: 1900, 4: 1900, 5: 2000, 6: 2000 };

/** The check digit of the first 11 digits, or undefined when both weightings give 10 (invalid). */
export function iinCheckDigit(first11: string): number | undefined {
  const digits = [...first11].map(Number);
  const weighted = (weights: readonly number[]) => digits.reduce((sum, d, i) => sum + d * weights[i]!, 0) % 11;
  const first = weighted(FIRST_WEIGHTS);
  if (first !== 10) return first;
  const second = weighted(SECOND_WEIGHTS);
  return second === 10 ? undefined : second;
}

export function parseIin(input: string): ParsedIin {
  const iin = input.trim();
  if (!/^\d{12}$/.test(iin)) return { ok: false, reason: 'format' };
  const centuryDigit = Number(iin[6]);
  const century = CENTURY_BY_DIGIT[centuryDigit];
  if (century === undefined) return { ok: false, reason: 'century' };
  const year = century + Number(iin.slice(0, 2));
  const month = Number(iin.slice(2, 4));
  const day = Number(iin.slice(4, 6));
  const date = new Date(Date.UTC(year, month - 1, day));
  if (month < 1 || month > 12 || day < 1 || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return { ok: false, reason: 'birth_date' };
  if (iinCheckDigit(iin.slice(0, 11)) !== Number(iin[11])) return { ok: false, reason: 'check_digit' };
  const birthDate = `${String(year).padStart(4, '0')}-${iin.slice(2, 4)}-${iin.slice(4, 6)}`;
  return { ok: true, iin, birthDate, sex: centuryDigit % 2 === 1 ? 'male' : 'female' };
}

export function isValidIin(input: string): boolean {
  return parseIin(input).ok;
}

/** Serial numbers are 4 digits (positions 8–11). */
export const IIN_SERIAL_LIMIT = 10_000;

/**
 * A valid IIN for a birth date (1800–2099), sex and serial (0–9999), for simulators and tests.
 * About 1 serial in 121 has no valid check digit; then the next serial (cyclically) is used, so the
 * result is deterministic but its serial may differ from the one asked for.
 */
export function makeIin(birthDate: LocalDate, sex: Sex, serial: number): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(birthDate);
  invariant(match, `${birthDate} is not a YYYY-MM-DD date`);
  const year = Number(match[1]);
  invariant(year >= 1800, `IIN years are 1800–2099, got ${year}`);
  invariant(year <= 2099, `IIN years are 1800–2099, got ${year}`);
  invariant(Number.isSafeInteger(serial), `serial ${serial} is not an integer`);
  invariant(serial >= 0 && serial < IIN_SERIAL_LIMIT, `serial ${serial} is not 0–9999`);
  const centuryDigit = (Math.floor(year / 100) - 18) * 2 + (sex === 'male' ? 1 : 2);
  const prefix = `${match[1]!.slice(2)}${match[2]}${match[3]}${centuryDigit}`;
  for (let i = 0; i < IIN_SERIAL_LIMIT; i++) {
    const first11 = prefix + String((serial + i) % IIN_SERIAL_LIMIT).padStart(4, '0');
    const check = iinCheckDigit(first11);
    if (check !== undefined) {
      const iin = first11 + String(check);
      invariant(parseIin(iin).ok, `${birthDate} is not a calendar date`);
      return iin;
    }
  }
  invariant(false, 'no serial gives a valid check digit');
}
