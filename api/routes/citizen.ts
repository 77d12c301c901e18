/**
 * The citizen (parent / family head), always about the family in their token: vouchers and
 * balances, activation, the dynamic QR, history, ratings and complaints. A voucher of another
 * family answers 404 exactly as a missing one (the services check ownership by familyId).
 */
import { z } from 'zod';
import type { LedgerServices } from '../../application/services/contract';
import { citizenHistorySchema, familyVouchersSchema, feedbackViewSchema } from '../answers';
import type { ReadSide } from '../read-side';
import type { ExchangeSide } from '../exchange-side';
import { defineRoute, json, text, type AnyRoute } from '../route';
import { humanText, idSchema, monthSchema, programSchema } from '../schemas';

const voucherParams = z.object({ voucherId: idSchema });
const qrToken = z.object({ token: z.string(), expiresAt: z.string() });
const NO_STORE = { 'Cache-Control': 'no-store' };

const feedbackReceipt = z.object({
  feedbackId: z.string(),
  status: z.literal('pending'),
  addressee: z.object({ code: z.string(), name: z.string() }),
  concerns: z.object({ shopId: z.string().optional(), schoolId: z.string().optional() }),
});

export function citizenRoutes(deps: { services: LedgerServices; reads: ReadSide; exchanges: ExchangeSide }): AnyRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/me/vouchers',
      operationId: 'listMyVouchers',
      roles: ['citizen'],
      tag: 'citizen',
      summary: 'My family’s vouchers of both programs, with status and balances (tiyn).',
      responses: { 200: { description: 'vouchers', schema: familyVouchersSchema } },
      refusals: [],
      async handle({ principal }) {
        return json(200, await deps.reads.familyVouchers(principal.familyId), NO_STORE);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/me/vouchers/{voucherId}/activate',
      operationId: 'activateVoucher',
      roles: ['citizen'],
      tag: 'citizen',
      summary: 'Activate a voucher of my family (food: until the last day of the month).',
      params: voucherParams,
      idempotency: 'optional',
      responses: { 200: { description: 'active', schema: z.object({ voucherId: z.string(), status: z.literal('active') }) } },
      refusals: ['voucher_not_found', 'voucher_expired', 'voucher_lapsed', 'activation_window_closed', 'version_conflict'],
      async handle({ principal, params, meta }) {
        const result = await deps.services.activateVoucher({ familyId: principal.familyId, voucherId: params.voucherId, byPersonId: principal.personId }, meta);
        return json(200, result);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/me/food-vouchers/{month}/activate',
      operationId: 'activateFoodMonth',
      roles: ['citizen'],
      tag: 'citizen',
      summary: 'Activate every food voucher of my family for the month at once (the wallet’s “activate all”).',
      description: 'Answers the vouchers activated by this call; those already active are left as they are (a repeat answers an empty list).',
      params: z.object({ month: monthSchema }),
      idempotency: 'optional',
      responses: { 200: { description: 'activated', schema: z.object({ activated: z.array(z.string()) }) } },
      refusals: ['voucher_not_found', 'voucher_lapsed', 'activation_window_closed', 'version_conflict'],
      async handle({ principal, params, meta }) {
        const result = await deps.services.activateFoodMonth({ familyId: principal.familyId, month: params.month, byPersonId: principal.personId }, meta);
        return json(200, { activated: [...result.activated] });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/me/vouchers/{voucherId}/qr',
      operationId: 'issueQrToken',
      roles: ['citizen'],
      tag: 'citizen',
      summary: 'A fresh dynamic QR token (Ed25519, single use, short-lived) for an active voucher.',
      params: voucherParams,
      responses: { 201: { description: 'the token', schema: qrToken } },
      refusals: ['voucher_not_found', 'voucher_not_active', 'voucher_expired', 'voucher_lapsed'],
      async handle({ principal, params, meta }) {
        return json(201, await deps.services.issueQrToken({ familyId: principal.familyId, voucherId: params.voucherId }, meta), NO_STORE);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/me/vouchers/{voucherId}/qr.png',
      operationId: 'getQrPng',
      roles: ['citizen'],
      tag: 'citizen',
      summary: 'A fresh dynamic QR as a PNG image (each request issues a new token).',
      params: voucherParams,
      responses: { 200: { description: 'PNG; header X-Token-Expires-At says until when it is good', documents: ['image/png'] } },
      refusals: ['voucher_not_found', 'voucher_not_active', 'voucher_expired', 'voucher_lapsed'],
      async handle({ principal, params, meta }) {
        const token = await deps.services.issueQrToken({ familyId: principal.familyId, voucherId: params.voucherId }, meta);
        return {
          status: 200,
          buffer: await deps.reads.qrPng(token.token),
          contentType: 'image/png',
          headers: { ...NO_STORE, 'X-Token-Expires-At': token.expiresAt },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/me/vouchers/{voucherId}/qr.svg',
      operationId: 'getQrSvg',
      roles: ['citizen'],
      tag: 'citizen',
      summary: 'A fresh dynamic QR as an SVG image (each request issues a new token).',
      params: voucherParams,
      responses: { 200: { description: 'SVG; header X-Token-Expires-At says until when it is good', documents: ['image/svg+xml'] } },
      refusals: ['voucher_not_found', 'voucher_not_active', 'voucher_expired', 'voucher_lapsed'],
      async handle({ principal, params, meta }) {
        const token = await deps.services.issueQrToken({ familyId: principal.familyId, voucherId: params.voucherId }, meta);
        return text(200, 'image/svg+xml', await deps.reads.qrSvg(token.token), { ...NO_STORE, 'X-Token-Expires-At': token.expiresAt });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/me/history',
      operationId: 'getMyHistory',
      roles: ['citizen'],
      tag: 'citizen',
      summary: 'My family’s history: consent, vouchers, meals, purchases — newest last.',
      responses: { 200: { description: 'history', schema: citizenHistorySchema } },
      refusals: [],
      async handle({ principal }) {
        return json(200, await deps.reads.familyHistory(principal.familyId, { audience: 'citizen' }), NO_STORE);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/me/feedback',
      operationId: 'submitFeedback',
      roles: ['citizen'],
      tag: 'citizen',
      summary: 'Rate the service (1–5) or file a complaint about a voucher’s canteen or shop; forwarded to e-Otinish by the outbox.',
      description:
        'Addressed as the seeds say: school meals to the local education body, food vouchers to the akimat of the family’s region. Food: name the purchase ' +
        '(holdId) to name the shop. The text is kept in the vault, never in the log. Answers at once with status pending; GET /v1/me/feedback shows when e-Otinish took it.',
      body: z
        .strictObject({
          program: programSchema,
          voucherId: idSchema,
          holdId: idSchema.optional(),
          kind: z.enum(['rating', 'complaint']),
          rating: z.number().int().min(1).max(5).optional(),
          text: humanText(2000).optional(),
        })
        .refine((b) => b.kind !== 'rating' || b.rating !== undefined, { message: 'A rating needs rating 1–5', path: ['rating'] })
        .refine((b) => b.kind !== 'complaint' || (b.text ?? '').trim().length > 0, { message: 'A complaint needs text', path: ['text'] }),
      idempotency: 'optional',
      responses: { 201: { description: 'recorded; forwarding pending', schema: feedbackReceipt } },
      refusals: ['voucher_not_found', 'hold_not_found', 'version_conflict'],
      async handle({ principal, body, meta }) {
        return json(201, await deps.services.submitFeedback({ familyId: principal.familyId, byPersonId: principal.personId, ...body }, meta));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/me/feedback',
      operationId: 'listMyFeedback',
      roles: ['citizen'],
      tag: 'citizen',
      summary:
        'My family’s ratings and complaints, newest first: to whom, about which shop or canteen, and where each is (pending, forwarded with e-Otinish’s reference, not delivered).',
      responses: { 200: { description: 'feedback', schema: z.object({ feedback: z.array(feedbackViewSchema) }) } },
      refusals: [],
      async handle({ principal }) {
        return json(200, { feedback: await deps.exchanges.familyFeedback(principal.familyId) }, NO_STORE);
      },
    }),
  ];
}
