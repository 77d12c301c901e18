/**
 * Canteen device: syncs a batch of offline meal records. Device and school come from the token;
 * a body naming another device or school is refused (403). Each record gets its own outcome;
 * a resent record (same deviceId + seq, same content) returns its first outcome, changing nothing.
 */
import { z } from 'zod';
import type { LedgerServices } from '../../application/services/contract';
import { ApiProblem } from '../problem';
import { defineRoute, json, type AnyRoute } from '../route';
import { DEVICE_ADMISSION_REFUSALS } from '../../domain/registry/admission';
import { MAX_CANTEEN_BATCH, MAX_QR_TOKEN_LENGTH, idSchema, iinSchema, instantSchema, opaqueToken } from '../schemas';

const record = z
  .strictObject({
    seq: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
    token: opaqueToken(MAX_QR_TOKEN_LENGTH).optional(),
    cardIin: iinSchema.optional(),
    scannedAt: instantSchema,
  })
  .refine((r) => (r.token === undefined) !== (r.cardIin === undefined), { message: 'Give exactly one of token or cardIin', path: ['token'] });

const batch = z
  .strictObject({
    batchId: idSchema,
    deviceId: idSchema.optional(),
    schoolId: idSchema.optional(),
    records: z.array(record).min(1).max(MAX_CANTEEN_BATCH),
  })
  .refine((b) => new Set(b.records.map((r) => r.seq)).size === b.records.length, { message: 'seq must be unique within a batch', path: ['records'] });

const result = z.object({
  seq: z.number().int(),
  outcome: z.string(),
  voucherId: z.string().optional(),
  /** Recorded after the month's табель became final: on no sheet, not paid (seed 002). */
  late: z.literal(true).optional(),
  repeated: z.boolean(),
});

export function canteenRoutes(deps: { services: LedgerServices }): AnyRoute[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/canteen/batches',
      operationId: 'syncCanteenBatch',
      roles: ['canteen-device'],
      tag: 'canteen',
      summary: 'Sync a batch of offline meal records (QR token or ID-card read) → an outcome per record.',
      description: 'Outcomes: meal_recorded or a refusal code (meal_already_recorded_today, qr_token_reused, …). Resending is harmless.',
      body: batch,
      bodyLimit: 'batch',
      idempotency: 'optional',
      responses: { 200: { description: 'per-record outcomes', schema: z.object({ results: z.array(result) }) } },
      refusals: [...DEVICE_ADMISSION_REFUSALS, 'version_conflict'],
      async handle({ principal, body, meta }) {
        if (body.deviceId !== undefined && body.deviceId !== principal.deviceId) throw new ApiProblem('forbidden', 'This is not your device.');
        if (body.schoolId !== undefined && body.schoolId !== principal.schoolId) throw new ApiProblem('forbidden', 'This school is not yours.');
        const out = await deps.services.syncCanteenBatch(
          { deviceId: principal.deviceId, schoolId: principal.schoolId, batchId: body.batchId, records: body.records },
          meta,
        );
        return json(200, out);
      },
    }),
  ];
}

/** The record's field rules, for the test that read models store every value they accept (app/read-model-bounds.test.ts). */
export { record as canteenRecordSchema };
