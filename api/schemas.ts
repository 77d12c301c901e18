/**
 * Zod schemas of the HTTP edge: field rules every route shares. Domain rules that need the
 * domain (IIN check digit, eligibility) stay in the deciders; the shapes are checked here.
 */
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

// zod 4 gives each schema its methods when it is made: `.openapi()` exists only on schemas made
// after this, so it runs here, in the module every route's schemas import first.
extendZodWithOpenApi(z);

/** Ids we hand out or receive from partner systems: no spaces, no control characters. */
export const idSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._:~-]+$/, 'Use letters, digits and . _ : ~ - only');
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
/** Tab, line feed, carriage return: the controls free text may hold. */
const LINE_BREAKS_AND_TAB: ReadonlySet<number> = new Set([0x09, 0x0a, 0x0d]);
/** A C0 control or DEL other than the `allowed` ones. */
function hasControlCharacter(text: string, allowed: ReadonlySet<number> = new Set()): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if ((code < 0x20 || code === 0x7f) && !allowed.has(code)) return true;
  }
  return false;
}
/** Free text people type (names, feedback): no control characters except newline and tab. */
export const humanText = (max: number) =>
  z
    .string()
    .max(max)
    .refine((v) => !hasControlCharacter(v, LINE_BREAKS_AND_TAB), 'Control characters are not allowed')
    .refine((v) => !LONE_SURROGATE.test(v), 'The text is not well-formed Unicode');
/** One line of text (a city, a region, a reason): no control characters at all, tab and line breaks included. */
export const singleLine = (max: number) =>
  z
    .string()
    .max(max)
    .refine((v) => !hasControlCharacter(v), 'Control characters (line breaks and tabs too) are not allowed')
    .refine((v) => !LONE_SURROGATE.test(v), 'The text is not well-formed Unicode');
/** An opaque token or reference we are handed (QR tokens, a gateway's reference): printable ASCII. */
export const opaqueToken = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[\x21-\x7e]+$/, 'Printable ASCII characters only');

/**
 * The first string in a validated request part that Postgres could not store (a NUL character;
 * half a surrogate pair, which jsonb refuses), with its path. Every route's params, query and body
 * pass through it (api/route.ts), so no field is forgotten, whatever its own schema allows.
 */
export function unstorableText(value: unknown, path: readonly string[] = []): { path: readonly string[]; message: string } | undefined {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) return { path, message: 'A NUL character is not allowed' };
    return LONE_SURROGATE.test(value) ? { path, message: 'The text is not well-formed Unicode' } : undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = unstorableText(value[i], [...path, String(i)]);
      if (found) return found;
    }
    return undefined;
  }
  for (const [key, inner] of Object.entries(value)) {
    const found = unstorableText(key, path) ?? unstorableText(inner, [...path, key]);
    if (found) return found;
  }
  return undefined;
}
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
/**
 * A unit price (per piece, gram or millilitre) of a socially significant food: 100 000 ₸ is far
 * above any. Bounded so that no basket can sum past 2^53 tiyn: MAX_BASKET_ITEMS × the largest
 * quantity (api/routes/shop.ts) × this stays below Number.MAX_SAFE_INTEGER (a test checks it).
 */
export const MAX_UNIT_PRICE_TIYN = 10_000_000;
