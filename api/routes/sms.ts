/**
 * The SMS gateway: pulls outbound messages (the phone joined from the vault at pull time, so the
 * log never holds it), reports delivery, and forwards citizens' replies.
 */
import { z } from 'zod';
import type { LedgerServices } from '../../application/services/contract';
import type { ReadSide } from '../read-side';
import { defineRoute, json, type AnyRoute } from '../route';
import { humanText, instantSchema, opaqueToken, singleLine } from '../schemas';

/** How many messages one pull may take. */
export const MAX_SMS_PULL = 500;
/** E.164, Kazakhstan numbers included (+7 7xx…); spaces and dashes are the gateway's to strip. */
const phoneSchema = z.string().regex(/^\+?\d{10,15}$/, 'A phone is 10–15 digits, optionally with a leading +');

/** Message ids name their case and number (`{caseId}#{n}`): URL-encode the `#`. */
const messageIdSchema = z
  .string()
  .min(1)
  .max(300)
  .regex(/^[A-Za-z0-9._:~#-]+$/, 'Not a message id');

const outbound = z.object({
  messageId: z.string(),
  caseId: z.string(),
  kind: z.string(),
  text: z.string(),
  phone: z.string(),
  replyBy: z.string().optional(),
  /** The text's language (the list row's, or the program's default): ru | kk. */
  language: z.string().optional(),
});

const deliveryReport = z.strictObject({
  messageId: messageIdSchema,
  status: z.enum(['sent', 'failed']),
  reason: singleLine(200).optional(),
  at: instantSchema,
  gatewayRef: opaqueToken(128).optional(),
});
export function smsRoutes(deps: { services: LedgerServices; reads: ReadSide }): AnyRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/sms/outbound',
      operationId: 'listOutboundSms',
      roles: ['sms-gateway'],
      tag: 'sms',
      summary: 'Outbound SMS waiting to be sent, oldest first, with the recipient’s phone from the vault.',
      description:
        'A message stays here until a delivery report says sent (or failed without retry); pulling twice is harmless. ' +
        'The text is the order’s annex text in the recipient’s language, with the parent’s and the child’s names filled in from the vault. ' +
        'Quiet hours: a message waiting for the sending window (09:00–21:00 local by default) is not offered before it opens.',
      query: z.object({ limit: z.coerce.number().int().min(1).max(MAX_SMS_PULL).default(100) }),
      responses: { 200: { description: 'messages', schema: z.object({ messages: z.array(outbound) }) } },
      refusals: [],
      async handle({ query }) {
        return json(200, { messages: await deps.reads.pendingSms(query.limit) }, { 'Cache-Control': 'no-store' });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/sms/outbound/{messageId}/delivery',
      operationId: 'recordSmsDelivery',
      roles: ['sms-gateway'],
      tag: 'sms',
      summary: 'Delivery report of one outbound message: sent or failed (a failure is retried by the ledger).',
      params: z.object({ messageId: messageIdSchema }),
      body: deliveryReport.omit({ messageId: true }),
      idempotency: 'optional',
      responses: { 204: { description: 'recorded' } },
      refusals: ['sms_message_not_found', 'case_not_found', 'version_conflict'],
      async handle({ params, body, meta }) {
        await deps.services.recordSmsDelivery({ messageId: params.messageId, ...body }, meta);
        return { status: 204, text: '', contentType: 'text/plain' };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/sms/outbound/deliveries',
      operationId: 'recordSmsDeliveries',
      roles: ['sms-gateway'],
      tag: 'sms',
      summary: 'Delivery reports of many outbound messages at once (an aggregator’s DLR batch); each is answered on its own.',
      description:
        'Each report is recorded as by the one-message endpoint; a report that is refused (an unknown message) does not stop the others. ' +
        'Send an Idempotency-Key: a retried batch then records nothing twice, also after a failure half-way.',
      body: z.strictObject({ reports: z.array(deliveryReport).min(1).max(MAX_SMS_PULL) }),
      bodyLimit: 'batch',
      idempotency: 'optional',
      responses: {
        200: {
          description: 'one result per report, in order',
          schema: z.object({ results: z.array(z.object({ messageId: z.string(), outcome: z.enum(['recorded', 'refused']), code: z.string().optional() })) }),
        },
      },
      refusals: ['version_conflict'],
      async handle({ body, meta }) {
        return json(200, { results: await deps.services.recordSmsDeliveries(body.reports, meta) });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/sms/inbound',
      operationId: 'receiveSmsReply',
      roles: ['sms-gateway'],
      tag: 'sms',
      summary: 'A citizen’s SMS reply (e.g. 3#1 / 3#2, 21*1 / 21*2) → the outcome for the consent case.',
      body: z.strictObject({ phone: phoneSchema, text: humanText(480), receivedAt: instantSchema }),
      idempotency: 'optional',
      responses: {
        200: {
          description: 'interpreted',
          schema: z.object({
            outcome: z.enum(['consent_given', 'consent_refused', 'unrecognised', 'late', 'no_open_case_for_phone']),
            caseId: z.string().optional(),
          }),
        },
      },
      refusals: ['version_conflict'],
      async handle({ body, meta }) {
        return json(200, await deps.services.receiveSmsReply(body, meta));
      },
    }),
  ];
}
