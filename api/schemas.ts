/**
 * Zod schemas of the HTTP edge: field rules every route shares. Domain rules that need the
 * domain (IIN check digit, eligibility) stay in the deciders; the shapes are checked here.
 */
import { z } from 'zod';

/** Ids we hand out or receive from partner systems: no spaces, no control characters. */
export const idSchema = z.string().min(1).max(128).regex(/^[A-Za-z0-9._:~-]+$/, 'Use letters, digits and . _ : ~ - only');
/** 12 digits; the check digit is the domain's job (invalid_iin per row). */
export const iinSchema = z.string().regex(/^\d{12}$/, 'An IIN is 12 digits');
/**
 * What Postgres' date and timestamptz (where read models keep them) store, narrower than ISO 8601
 * as zod reads it: no year 0000, and zone offsets up to ±15:59 (real ones span −12:00…+14:00).
 * app/read-model-bounds.test.ts holds the two together.
 */
const NOT_YEAR_ZERO = (value: string) => !value.startsWith('0000');
const OFFSET = /([+-])(\d{2}):?(\d{2})$/;
const STORABLE_OFFSET = (value: string) => Number(OFFSET.exec(value)?.[2] ?? 0) <= 14;
export const instantSchema = z.iso
  .datetime({ offset: true })
  .refine(NOT_YEAR_ZERO, 'There is no year 0000')
  .refine(STORABLE_OFFSET, 'A zone offset is at most ±14:00');
export const monthSchema = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'A month is YYYY-MM');
export const localDateSchema = z.iso.date().refine(NOT_YEAR_ZERO, 'There is no year 0000');
export const schoolYearSchema = z
  .string()
  .regex(/^\d{4}-\d{4}$/, 'A school year is YYYY-YYYY')
  .refine((v) => Number(v.slice(5)) === Number(v.slice(0, 4)) + 1, 'The second year follows the first');
/** Integer tiyn, never negative, never a float (1 KZT = 100 tiyn). */
export const tiynSchema = z.number().int('Amounts are integer tiyn').nonnegative('Amounts are never negative').max(Number.MAX_SAFE_INTEGER);
/** Half of a UTF-16 surrogate pair without its other half: not representable in UTF-8. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** Free text people type (names, feedback): no control characters except newline and tab. */
export const humanText = (max: number) =>
  z
    .string()
    .max(max)
    .refine((v) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(v), 'Control characters are not allowed')
    .refine((v) => !LONE_SURROGATE.test(v), 'The text is not well-formed Unicode');
export const personNameSchema = humanText(200).pipe(z.string().trim().min(1));

export const programSchema = z.enum(['school-meals', 'food-vouchers']);
export const sourceSchema = z.enum(['sdu', 'nobd']);

export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  code: z.string(),
  instance: z.string().optional(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

/** Limits on collection sizes at the edge. */
export const MAX_LIST_ROWS = 20_000;
export const MAX_FAMILY_MEMBERS = 30;
export const MAX_REPRESENTATIVES = 6;
export const MAX_CANTEEN_BATCH = 2_000;
export const MAX_BASKET_ITEMS = 200;
export const MAX_QR_TOKEN_LENGTH = 2_048;
