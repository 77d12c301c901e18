/**
 * Money out's answers, typed: each schema is tied to the type the composition root returns with
 * `satisfies`, so a field added on one side and not the other is a type error, and the OpenAPI
 * document describes exactly what is served.
 */
import { z } from 'zod';
import type { BatchResult, ConfirmationLine, PaymentOrderRun, WindowClose } from '../application/services/settlement';
import type { Payee, PayoutBatchCreated } from '../domain/settlement/events';
import type { Reconciliation } from '../domain/settlement/reconcile';
import type { PaymentOrderRow, PayoutSummary, StatementDetail, StatementRow, WindowRow } from '../projections/settlement/queries';
import type { Code } from '../domain/shared/codes';

const tiyn = z.number().int().describe('integer tiyn (1 KZT = 100 tiyn)');
const count = z.number().int().min(0);
const code = z.string() as unknown as z.ZodType<Code>;

export const payeeSchema = z.object({ name: z.string(), bin: z.string(), iban: z.string(), bic: z.string() }) satisfies z.ZodType<Payee>;

export const windowCloseSchema = z.object({
  windowId: z.string(),
  repeated: z.boolean(),
  statements: count,
  purchases: count,
  capturedTiyn: tiyn,
}) satisfies z.ZodType<WindowClose>;

export const windowRowSchema = z.object({
  windowId: z.string(),
  closedAt: z.string(),
  closedBy: z.string(),
  cutPosition: z.string(),
  purchases: count,
  capturedTiyn: tiyn,
  latePurchases: count,
}) satisfies z.ZodType<WindowRow>;

const payoutSummarySchema = z.object({
  status: z.enum(['nothing_to_pay', 'unissued', 'pending', 'paid', 'failed']),
  attempts: count,
  endToEndId: z.string().optional(),
  batchId: z.string().optional(),
  bankReference: z.string().optional(),
  reason: z.string().optional(),
  at: z.string().optional(),
}) satisfies z.ZodType<PayoutSummary>;

const statementRowFields = {
  statementId: z.string(),
  shopId: z.string(),
  windowId: z.string(),
  purchases: count,
  capturedTiyn: tiyn,
  payoutTiyn: tiyn,
  issuedAt: z.string(),
  payout: payoutSummarySchema,
};
export const statementRowSchema = z.object(statementRowFields) satisfies z.ZodType<StatementRow>;

export const statementDetailSchema = z.object({
  ...statementRowFields,
  lines: z.array(
    z.object({
      holdId: z.string(),
      familyId: z.string(),
      capturedAt: z.string(),
      capturedTiyn: tiyn,
      position: z.string(),
      items: z.array(z.object({ sku: z.string(), name: z.string(), lineTiyn: tiyn, eligible: z.boolean() })),
    }),
  ),
  releases: z.array(z.object({ holdId: z.string(), shopId: z.string(), kind: z.enum(['voided', 'expired']), at: z.string(), releasedTiyn: tiyn })),
}) satisfies z.ZodType<StatementDetail>;

export const paymentOrderRunSchema = z.object({
  month: z.string(),
  issued: z.array(z.object({ orderId: z.string(), schoolId: z.string(), meals: count, amountTiyn: tiyn, supplementary: z.boolean() })),
  refused: z.array(z.object({ schoolId: z.string(), code, detail: z.string().optional() })),
}) satisfies z.ZodType<PaymentOrderRun>;

export const paymentOrderRowSchema = z.object({
  orderId: z.string(),
  schoolId: z.string(),
  month: z.string(),
  sequence: count,
  supplementary: z.boolean(),
  meals: count,
  mealPriceTiyn: tiyn,
  amountTiyn: tiyn,
  payee: payeeSchema,
  issuedAt: z.string(),
  payout: payoutSummarySchema,
}) satisfies z.ZodType<PaymentOrderRow>;

export const payoutBatchSchema = z.object({
  batchId: z.string(),
  messageId: z.string(),
  purpose: z.enum(['window', 'payment_orders', 'reissue']),
  reference: z.string(),
  payments: z.array(
    z.object({
      payableId: z.string(),
      kind: z.enum(['shop_statement', 'canteen_order']),
      endToEndId: z.string(),
      attempt: count,
      amountTiyn: tiyn,
      payee: payeeSchema,
    }),
  ),
  totalTiyn: tiyn,
  createdAt: z.string(),
  debtor: payeeSchema,
}) satisfies z.ZodType<PayoutBatchCreated['data']>;

export const batchResultSchema = z.object({
  batch: payoutBatchSchema.optional().describe('absent when nothing was due'),
  repeated: z.boolean(),
  skipped: z.array(z.object({ payableId: z.string(), code, detail: z.string().optional() })).describe('payables left out, with why'),
}) satisfies z.ZodType<BatchResult>;

export const batchSummarySchema = z.object({
  batchId: z.string(),
  messageId: z.string(),
  purpose: z.string(),
  reference: z.string(),
  payments: count,
  totalTiyn: tiyn,
  createdAt: z.string(),
});

const confirmationLineSchema = z.union([
  z.object({ endToEndId: z.string(), outcome: z.enum(['recorded', 'unchanged']), payableId: z.string(), status: z.enum(['booked', 'rejected']) }),
  z.object({ endToEndId: z.string(), outcome: z.literal('refused'), code, detail: z.string().optional() }),
]) satisfies z.ZodType<ConfirmationLine>;

export const confirmationImportSchema = z.object({
  importId: z.string(),
  transfers: count,
  recorded: count,
  unchanged: count,
  refused: count,
  lines: z.array(confirmationLineSchema),
});

const moneyStateFields = { amountTiyn: tiyn, paidTiyn: tiyn, pendingTiyn: tiyn, failedTiyn: tiyn, unissuedTiyn: tiyn };

export const reconciliationSchema = z.object({
  shops: z.array(z.object({ windowId: z.string(), shopId: z.string(), statementId: z.string(), purchases: count, ...moneyStateFields })),
  schools: z.array(z.object({ schoolId: z.string(), month: z.string(), mealsRecorded: count, mealsOrdered: count, orders: count, ...moneyStateFields })),
  totals: z.object({
    capturedTiyn: tiyn,
    settledTiyn: tiyn,
    unsettledTiyn: tiyn,
    orderedTiyn: tiyn,
    paidTiyn: tiyn,
    pendingTiyn: tiyn,
    failedTiyn: tiyn,
    unissuedTiyn: tiyn,
  }),
  differences: z.array(
    z.object({
      kind: z.enum([
        'purchase_on_two_statements',
        'statement_line_mismatch',
        'statement_total_mismatch',
        'purchase_missed_by_window',
        'paid_more_than_once',
        'paid_amount_mismatch',
        'meals_not_ordered',
        'meals_ordered_twice',
        'order_amount_mismatch',
      ]),
      detail: z.string(),
      refs: z.array(z.string()).describe('the ids behind it: hold, statement, payable or order ids'),
    }),
  ),
  balanced: z.boolean(),
}) satisfies z.ZodType<Reconciliation>;

export type ConfirmationImport = z.infer<typeof confirmationImportSchema>;
export type BatchSummary = z.infer<typeof batchSummarySchema>;
