/**
 * Money out's doors. The operator closes settlement windows, issues canteen payment orders,
 * makes payout batches (JSON, CSV, ISO 20022 pain.001) and imports the paying agent's
 * confirmations (camt.054 or CSV). A shop reads its own statements; a school its own payment
 * orders; the ministry and the auditor read everything, and the reconciliation.
 */
import { z } from 'zod';
import type { CommandMetadata } from '../../domain/shared/decider';
import { ApiProblem } from '../problem';
import { defineRoute, json, text, type AnyRoute, type Reply } from '../route';
import { idSchema, localDateSchema, monthSchema } from '../schemas';
import type { LocalDate, Month } from '../../domain/shared/calendar';
import type { PayoutBatchCreated } from '../../domain/settlement/events';
import type { Reconciliation } from '../../domain/settlement/reconcile';
import type { BatchResult, PaymentOrderRun, PayoutSelection, WindowClose } from '../../application/services/settlement';
import type { PaymentOrderFilter, PaymentOrderRow, StatementDetail, StatementRow, WindowRow } from '../../projections/settlement/queries';
import {
  batchResultSchema,
  batchSummarySchema,
  confirmationImportSchema,
  paymentOrderRowSchema,
  paymentOrderRunSchema,
  payoutBatchSchema,
  reconciliationSchema,
  statementDetailSchema,
  statementRowSchema,
  windowCloseSchema,
  windowRowSchema,
  type BatchSummary,
  type ConfirmationImport,
} from '../settlement-answers';

export type FileFormat = 'json' | 'csv';
export interface Rendered {
  readonly contentType: string;
  readonly body: string;
  readonly filename: string;
}

/** What these routes need; the composition root (app/settlement.ts) provides it. */
export interface SettlementDoor {
  closeWindow(windowId: LocalDate, meta: CommandMetadata): Promise<WindowClose>;
  issuePaymentOrders(month: Month, meta: CommandMetadata): Promise<PaymentOrderRun>;
  createPayoutBatch(selection: PayoutSelection, meta: CommandMetadata): Promise<BatchResult>;
  importConfirmation(file: { format: 'camt.054' | 'csv'; content: string }, meta: CommandMetadata): Promise<ConfirmationImport>;
  windows(filter: { from?: string; to?: string }): Promise<WindowRow[]>;
  statements(
    filter: { shopId?: string; windowId?: string; from?: string; to?: string },
    format: FileFormat,
  ): Promise<Rendered | { statements: StatementRow[] }>;
  /** undefined: no such statement. */
  statement(statementId: string, format: FileFormat): Promise<{ shopId: string; rendered: Rendered | StatementDetail } | undefined>;
  paymentOrders(filter: PaymentOrderFilter, format: FileFormat): Promise<Rendered | { orders: PaymentOrderRow[] }>;
  batches(): Promise<BatchSummary[]>;
  batch(batchId: string, format: 'json' | 'csv' | 'pain.001'): Promise<Rendered | PayoutBatchCreated['data'] | undefined>;
  reconciliation(format: FileFormat): Promise<Rendered | Reconciliation>;
}

const isRendered = (value: unknown): value is Rendered =>
  typeof value === 'object' && value !== null && 'contentType' in value && 'body' in value && 'filename' in value;
const reply = (value: unknown): Reply =>
  isRendered(value) ? text(200, value.contentType, value.body, { 'Content-Disposition': `attachment; filename="${value.filename}"` }) : json(200, value);

const fileFormat = z.enum(['json', 'csv']).default('json');
const range = { from: localDateSchema.optional(), to: localDateSchema.optional() };
const MAX_CONFIRMATION_BYTES_TEXT = 8 * 1024 * 1024;

export function settlementRoutes(deps: { settlement: SettlementDoor }): AnyRoute[] {
  const { settlement } = deps;
  return [
    defineRoute({
      method: 'post',
      path: '/v1/settlement/windows/{windowId}/close',
      operationId: 'closeSettlementWindow',
      roles: ['operator'],
      tag: 'money out',
      summary: 'Close a shop settlement window (one Asia/Almaty day) now: one statement per shop of the captures on no statement yet.',
      params: z.object({ windowId: localDateSchema }),
      idempotency: 'required',
      responses: { 200: { description: 'the window closed (or, repeated, as first closed)', schema: windowCloseSchema } },
      refusals: ['settlement_window_closed', 'settlement_window_not_started', 'settlement_previous_window_open'],
      async handle({ params, meta }) {
        return json(200, await settlement.closeWindow(params.windowId, meta));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/settlement/windows',
      operationId: 'listSettlementWindows',
      roles: ['operator', 'ministry', 'auditor'],
      tag: 'money out',
      summary: 'Closed settlement windows: when, how many purchases, how much captured, how many late.',
      query: z.object(range),
      responses: { 200: { description: 'windows', schema: z.object({ windows: z.array(windowRowSchema) }) } },
      refusals: [],
      async handle({ query }) {
        return json(200, { windows: await settlement.windows(query) });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/shop/statements',
      operationId: 'listShopStatements',
      roles: ['merchant', 'operator', 'ministry', 'auditor'],
      tag: 'money out',
      summary: 'Shop statements with their payout state (a shop sees only its own).',
      query: z.object({ ...range, windowId: localDateSchema.optional(), shopId: idSchema.optional(), format: fileFormat }),
      responses: { 200: { description: 'statements (JSON or CSV)', schema: z.object({ statements: z.array(statementRowSchema) }), documents: ['text/csv'] } },
      refusals: [],
      async handle({ principal, query }) {
        const { format, ...filter } = query;
        const shopId = principal.role === 'merchant' ? principal.shopId : filter.shopId;
        return reply(await settlement.statements({ ...filter, ...(shopId ? { shopId } : {}) }, format));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/shop/statements/{statementId}',
      operationId: 'getShopStatement',
      roles: ['merchant', 'operator', 'ministry', 'auditor'],
      tag: 'money out',
      summary: 'One statement: every purchase with its items, voids and expiries, totals, payout amount and state.',
      params: z.object({ statementId: idSchema }),
      query: z.object({ format: fileFormat }),
      responses: { 200: { description: 'the statement (JSON or CSV)', schema: statementDetailSchema, documents: ['text/csv'] } },
      refusals: ['statement_not_found'],
      async handle({ principal, params, query }) {
        const found = await settlement.statement(params.statementId, query.format);
        // Another shop's statement is answered as missing: its existence is not the caller's to learn.
        if (!found || (principal.role === 'merchant' && found.shopId !== principal.shopId)) throw new ApiProblem('statement_not_found', 'No such statement.');
        return reply(found.rendered);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/payment-orders/{month}/issue',
      operationId: 'issuePaymentOrders',
      roles: ['operator'],
      tag: 'money out',
      summary: 'Issue the canteen payment orders of a month whose табель is final (from the 5th of the next month); late meals go to supplementary orders.',
      params: z.object({ month: monthSchema }),
      idempotency: 'required',
      responses: { 200: { description: 'orders issued, and schools refused with why', schema: paymentOrderRunSchema } },
      refusals: [],
      async handle({ params, meta }) {
        return json(200, await settlement.issuePaymentOrders(params.month, meta));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/payment-orders',
      operationId: 'listPaymentOrders',
      roles: ['operator', 'ministry', 'auditor', 'social-pedagogue', 'education-authority'],
      tag: 'money out',
      summary: 'Canteen payment orders (paid and unpaid) by school and month; a school sees its own, an education authority its region’s.',
      query: z.object({ schoolId: idSchema.optional(), month: monthSchema.optional(), format: fileFormat }),
      responses: {
        200: { description: 'payment orders (JSON or CSV)', schema: z.object({ orders: z.array(paymentOrderRowSchema) }), documents: ['text/csv'] },
      },
      refusals: [],
      async handle({ principal, query }) {
        const { format, ...filter } = query;
        const schoolId = principal.role === 'social-pedagogue' ? principal.schoolId : filter.schoolId;
        const region = principal.role === 'education-authority' ? principal.region : undefined;
        return reply(await settlement.paymentOrders({ ...filter, ...(schoolId ? { schoolId } : {}), ...(region ? { region } : {}) }, format));
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/payouts/batches',
      operationId: 'createPayoutBatch',
      roles: ['operator'],
      tag: 'money out',
      summary: 'Make a payout batch for the paying agent: a window’s statements, a month’s payment orders, or re-issues of failed transfers.',
      body: z.discriminatedUnion('purpose', [
        z.object({ purpose: z.literal('window'), windowId: localDateSchema }),
        z.object({ purpose: z.literal('payment_orders'), month: monthSchema }),
        z.object({ purpose: z.literal('reissue') }),
      ]),
      idempotency: 'required',
      responses: { 200: { description: 'the batch (absent when nothing was due) and payables skipped with why', schema: batchResultSchema } },
      refusals: ['payout_pending', 'payout_already_confirmed', 'payout_amount_changed'],
      async handle({ body, meta }) {
        return json(200, await settlement.createPayoutBatch(body, meta));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/payouts/batches',
      operationId: 'listPayoutBatches',
      roles: ['operator', 'ministry', 'auditor'],
      tag: 'money out',
      summary: 'Payout batches made so far.',
      responses: { 200: { description: 'batches', schema: z.object({ batches: z.array(batchSummarySchema) }) } },
      refusals: [],
      async handle() {
        return json(200, { batches: await settlement.batches() });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/payouts/batches/{batchId}',
      operationId: 'getPayoutBatch',
      roles: ['operator', 'ministry', 'auditor'],
      tag: 'money out',
      summary: 'One payout batch as JSON, as CSV for people, or as the ISO 20022 pain.001.001.09 file for the paying agent.',
      params: z.object({ batchId: idSchema }),
      query: z.object({ format: z.enum(['json', 'csv', 'pain.001']).default('json') }),
      responses: { 200: { description: 'the batch', schema: payoutBatchSchema, documents: ['text/csv', 'application/xml'] } },
      refusals: ['payout_batch_not_found'],
      async handle({ params, query }) {
        const found = await settlement.batch(params.batchId, query.format);
        if (found === undefined) throw new ApiProblem('payout_batch_not_found', 'No such payout batch.');
        return reply(found);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/payouts/confirmations',
      operationId: 'importPayoutConfirmation',
      roles: ['operator'],
      tag: 'money out',
      summary:
        'Import the paying agent’s confirmation (camt.054.001.08 XML or CSV, as text in `content`): one result per transfer; the same file twice records nothing new.',
      body: z.object({ format: z.enum(['camt.054', 'csv']), content: z.string().min(1).max(MAX_CONFIRMATION_BYTES_TEXT) }),
      bodyLimit: 'list',
      csv: (content) => ({ format: 'csv', content }),
      idempotency: 'required',
      responses: { 200: { description: 'one line per transfer: recorded, unchanged or refused with its code', schema: confirmationImportSchema } },
      refusals: ['payout_file_invalid'],
      async handle({ body, meta }) {
        return json(200, await settlement.importConfirmation(body, meta));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/settlement/reconciliation',
      operationId: 'getReconciliation',
      roles: ['operator', 'ministry', 'auditor'],
      tag: 'money out',
      summary:
        'Reconciliation to the tiyn: captured = settled = paid + pending per window and shop; табель meals = payment orders per school-month; every difference with the ids behind it.',
      query: z.object({ format: fileFormat }),
      responses: { 200: { description: 'totals, lines and differences (JSON or CSV)', schema: reconciliationSchema, documents: ['text/csv'] } },
      refusals: [],
      async handle({ query }) {
        return reply(await settlement.reconciliation(query.format));
      },
    }),
  ];
}
