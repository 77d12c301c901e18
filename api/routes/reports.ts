/**
 * Read models for people: the school's табель and daily reports (social pedagogue of that school,
 * NOBD for daily reports), a family's history and its state as of an instant (auditor), pilot
 * outcomes (ministry).
 */
import { z } from 'zod';
import { auditHistorySchema, nobdDailySchema, outcomesSchema, tabelSchema } from '../answers';
import { requireSameSchool } from '../auth';
import type { ReadSide, Rendered } from '../read-side';
import { defineRoute, json, text, type Reply, type AnyRoute } from '../route';
import { idSchema, instantSchema, localDateSchema, monthSchema, programSchema, singleLine } from '../schemas';

const asReply = (rendered: Rendered, filename: string): Reply =>
  rendered.kind === 'json'
    ? json(200, rendered.data)
    : text(
        200,
        rendered.contentType,
        rendered.body,
        rendered.contentType.startsWith('text/csv') ? { 'Content-Disposition': `attachment; filename="${filename}"` } : {},
      );

export function reportRoutes(deps: { reads: ReadSide }): AnyRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/schools/{schoolId}/tabel/{month}',
      operationId: 'getTabel',
      roles: ['social-pedagogue'],
      tag: 'school',
      summary: 'The school’s monthly табель (pupil × school day, pupils fed, amount due): JSON, CSV or printable HTML.',
      params: z.object({ schoolId: idSchema, month: monthSchema }),
      query: z.object({ format: z.enum(['json', 'csv', 'html']).default('json') }),
      responses: { 200: { description: 'the табель (format=json), or as CSV or printable HTML', schema: tabelSchema, documents: ['text/csv', 'text/html'] } },
      refusals: [],
      async handle({ principal, params, query }) {
        requireSameSchool(principal, params.schoolId);
        return asReply(await deps.reads.tabel(params.schoolId, params.month, query.format), `tabel-${params.schoolId}-${params.month}.csv`);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/schools/{schoolId}/daily/{date}',
      operationId: 'getDailyReport',
      roles: ['social-pedagogue', 'nobd'],
      tag: 'school',
      summary: 'The daily report to NOBD for one school and day: activations, meals, consent outcomes, returns.',
      params: z.object({ schoolId: idSchema, date: localDateSchema }),
      query: z.object({ format: z.enum(['json', 'csv']).default('json') }),
      responses: { 200: { description: 'the daily report (format=json), or as CSV', schema: nobdDailySchema, documents: ['text/csv'] } },
      refusals: [],
      async handle({ principal, params, query }) {
        if (principal.role === 'social-pedagogue') requireSameSchool(principal, params.schoolId);
        return asReply(await deps.reads.dailyReport(params.schoolId, params.date, query.format), `daily-${params.schoolId}-${params.date}.csv`);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/audit/families/{familyId}/history',
      operationId: 'getFamilyHistory',
      roles: ['auditor'],
      tag: 'audit',
      summary: 'A family’s full history (every event) and its state; with asOf, as the log stood at that instant.',
      params: z.object({ familyId: idSchema }),
      query: z.object({ asOf: instantSchema.optional() }),
      responses: { 200: { description: 'history and state', schema: auditHistorySchema } },
      refusals: [],
      async handle({ params, query }) {
        return json(200, await deps.reads.familyHistory(params.familyId, { audience: 'auditor', ...(query.asOf ? { asOf: query.asOf } : {}) }));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/ministry/outcomes',
      operationId: 'getOutcomes',
      roles: ['ministry'],
      tag: 'ministry',
      summary: 'Pilot outcomes by program, city and month: the funnel, vouchers issued and used, goods sold (JSON or CSV).',
      query: z.object({
        program: programSchema.optional(),
        city: singleLine(100).trim().min(1).toLowerCase().optional(),
        month: monthSchema.optional(),
        format: z.enum(['json', 'csv']).default('json'),
      }),
      responses: { 200: { description: 'outcomes (format=json), or as CSV', schema: outcomesSchema, documents: ['text/csv'] } },
      refusals: [],
      async handle({ query }) {
        const { format, ...filter } = query;
        return asReply(await deps.reads.outcomes(filter, format), 'outcomes.csv');
      },
    }),
  ];
}
