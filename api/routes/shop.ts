/**
 * Shop POS (food vouchers): balance by QR, authorize a basket (hold), capture, void. Every write
 * needs an Idempotency-Key; the hold id is derived from the shop and that key, so a retried
 * authorization names the same hold. A hold of another shop answers 404 (hold_not_found).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { AuthorizeResult, LedgerServices } from '../../application/services/contract';
import { defineRoute, json, type AnyRoute } from '../route';
import { SHOP_ADMISSION_REFUSALS } from '../../domain/registry/admission';
import { MAX_BASKET_ITEMS, MAX_QR_TOKEN_LENGTH, MAX_UNIT_PRICE_TIYN, humanText, idSchema, opaqueToken, tiynSchema } from '../schemas';

/** Grams or millilitres up to a tonne; pieces up to a thousand: more is a typo, not a basket. */
export const MAX_QUANTITY = 1_000_000;

const item = z.strictObject({
  sku: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9._-]+$/, 'A sku is letters, digits and . _ -'),
  name: humanText(200).pipe(z.string().trim().min(1)),
  quantity: z.number().int('Quantities are integers (pcs, g or ml)').positive().max(MAX_QUANTITY),
  unit: z.enum(['pcs', 'g', 'ml']),
  unitPriceTiyn: tiynSchema.max(MAX_UNIT_PRICE_TIYN, 'A unit price is at most 100 000 ₸ (10 000 000 tiyn)'),
  discountTiyn: tiynSchema
    .optional()
    .describe(
      'The discount given on this line from the voucher, at most the line (quantity × unit price) and the trade-markup cap (markup_cap_exceeded). Without it the voucher pays the eligible line whole, or up to the cap when the program sets one.',
    ),
});
const tokenSchema = opaqueToken(MAX_QR_TOKEN_LENGTH);
const holdParams = z.object({ holdId: idSchema });
const captureResult = z.object({ holdId: z.string(), capturedTiyn: z.number().int(), releasedTiyn: z.number().int(), status: z.enum(['captured', 'voided']) });

const authorization = z.object({
  holdId: z.string(),
  familyId: z.string(),
  basketTiyn: z.number().int(),
  eligibleTiyn: z.number().int(),
  heldTiyn: z.number().int(),
  remainderTiyn: z.number().int().describe('What the customer pays by other means.'),
  items: z.array(
    z.object({
      sku: z.string(),
      name: z.string(),
      quantity: z.number().int(),
      unit: z.enum(['pcs', 'g', 'ml']),
      unitPriceTiyn: z.number().int(),
      eligible: z.boolean(),
      category: z.string().optional(),
      reason: z
        .literal('item_not_eligible')
        .optional()
        .describe('On a line that is not eligible: its code is no GTIN of the product catalogue version that judged the basket (docs/CODES.md)'),
      lineTiyn: z.number().int(),
      discountTiyn: z.number().int().optional(),
    }),
  ),
  expiresAt: z.string(),
  catalogueVersion: z.number().int().optional().describe('The product catalogue version that judged the lines (GET /v1/catalogue)'),
}) satisfies z.ZodType<AuthorizeResult>;

export function holdIdOf(shopId: string, idempotencyKey: string): string {
  return `hold-${createHash('sha256').update(`${shopId}\n${idempotencyKey}`).digest('hex').slice(0, 24)}`;
}

export function shopRoutes(deps: { services: LedgerServices }): AnyRoute[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/shop/balance',
      operationId: 'getBalanceByQr',
      roles: ['merchant'],
      tag: 'shop',
      summary: 'Balance inquiry by the customer’s QR token (the token is not used up).',
      body: z.strictObject({ token: tokenSchema }),
      responses: {
        200: {
          description: 'balance',
          schema: z.object({ familyId: z.string(), month: z.string(), availableTiyn: z.number().int(), heldTiyn: z.number().int() }),
        },
      },
      refusals: [...SHOP_ADMISSION_REFUSALS, 'qr_token_invalid', 'qr_token_expired', 'voucher_not_found', 'voucher_lapsed'],
      async handle({ principal, body, meta }) {
        return json(200, await deps.services.balanceByToken({ shopId: principal.shopId, token: body.token }, meta), { 'Cache-Control': 'no-store' });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/shop/holds',
      operationId: 'authorizePurchase',
      roles: ['merchant'],
      tag: 'shop',
      summary:
        'Authorize a basket: the eligible items’ sum, capped by the balance, is held; per-item eligibility by the product catalogue in force (GTIN; not eligible: `reason`).',
      body: z.strictObject({ token: tokenSchema, items: z.array(item).min(1).max(MAX_BASKET_ITEMS) }),
      idempotency: 'required',
      repeatsAnsweredBy: 'ledger',
      responses: { 201: { description: 'held', schema: authorization } },
      refusals: [
        ...SHOP_ADMISSION_REFUSALS,
        'basket_empty',
        'amount_invalid',
        'qr_token_invalid',
        'qr_token_expired',
        'hold_already_exists',
        'voucher_not_found',
        'qr_token_reused',
        'voucher_lapsed',
        'voucher_not_active',
        'no_eligible_items',
        'insufficient_balance',
        'markup_cap_exceeded',
        'version_conflict',
      ],
      async handle({ principal, body, meta, idempotencyKey }) {
        const holdId = holdIdOf(principal.shopId, idempotencyKey!);
        return json(201, await deps.services.authorizePurchase({ shopId: principal.shopId, token: body.token, holdId, items: body.items }, meta));
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/shop/holds/{holdId}/capture',
      operationId: 'capturePurchase',
      roles: ['merchant'],
      tag: 'shop',
      summary: 'Capture a hold with the payment status and the final items (≤ the hold); a failed payment voids it.',
      params: holdParams,
      body: z.strictObject({ paymentStatus: z.enum(['paid', 'failed']), items: z.array(item).min(1).max(MAX_BASKET_ITEMS).optional() }),
      idempotency: 'required',
      repeatsAnsweredBy: 'ledger',
      responses: { 200: { description: 'settled', schema: captureResult } },
      refusals: [
        ...SHOP_ADMISSION_REFUSALS,
        'amount_invalid',
        'hold_not_found',
        'hold_expired',
        'hold_already_settled',
        'markup_cap_exceeded',
        'capture_exceeds_hold',
        'version_conflict',
      ],
      async handle({ principal, params, body, meta }) {
        return json(200, await deps.services.capturePurchase({ shopId: principal.shopId, holdId: params.holdId, ...body }, meta));
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/shop/holds/{holdId}/void',
      operationId: 'voidPurchase',
      roles: ['merchant'],
      tag: 'shop',
      summary: 'Void a hold: the whole amount goes back to the family’s balance.',
      params: holdParams,
      idempotency: 'required',
      repeatsAnsweredBy: 'ledger',
      responses: { 200: { description: 'voided', schema: captureResult } },
      refusals: [...SHOP_ADMISSION_REFUSALS, 'hold_not_found', 'hold_expired', 'hold_already_settled', 'version_conflict'],
      async handle({ principal, params, meta }) {
        return json(200, await deps.services.voidPurchase({ shopId: principal.shopId, holdId: params.holdId }, meta));
      },
    }),
  ];
}
