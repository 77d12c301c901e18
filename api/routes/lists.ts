/**
 * SDU and NOBD: upload an eligibility list (JSON, or CSV with the list's header fields in the
 * query), read its per-row outcome, and the returns (rows sent back with a reason).
 * Per-row outcomes never echo IINs or names: rows are identified by their number in the upload.
 */
import { z } from 'zod';
import { writeCsv } from '../../adapters/csv/write';
import type { LedgerServices, ReceiveListInput } from '../../application/services/contract';
import type { ListSource } from '../../domain/events';
import { requireRole, type PrincipalOf } from '../auth';
import { listReturnSchema } from '../answers';
import { ApiProblem } from '../problem';
import { readCsvRecords, type CsvRecord } from '../csv-body';
import type { ReadSide } from '../read-side';
import type { ExchangeSide } from '../exchange-side';
import { defineRoute, json, text, type AnyRoute } from '../route';
import {
  MAX_FAMILY_MEMBERS,
  MAX_LIST_ROWS,
  MAX_REPRESENTATIVES,
  idSchema,
  iinSchema,
  localDateSchema,
  monthSchema,
  personNameSchema,
  schoolYearSchema,
  singleLine,
} from '../schemas';

const person = z.strictObject({ iin: iinSchema, fullName: personNameSchema.optional() });

const foodRow = z.strictObject({
  familyId: idSchema,
  city: singleLine(100).min(1),
  aspOnDate: localDateSchema,
  head: person,
  members: z.array(person).min(1).max(MAX_FAMILY_MEMBERS),
  language: z.enum(['ru', 'kk']).optional(),
});
const mealsRow = z.strictObject({
  familyId: idSchema,
  pupil: person,
  schoolId: idSchema,
  grade: z.number().int().min(0).max(12),
  category: z.enum(['asp_family', 'low_income', 'orphan_in_family']),
  approvedByHead: z.boolean(),
  reconciliation: z.strictObject({ ok: z.boolean(), reason: singleLine(200).optional() }).optional(),
  representatives: z.array(person.extend({ role: z.enum(['mother', 'father', 'guardian']) })).max(MAX_REPRESENTATIVES),
  language: z.enum(['ru', 'kk']).optional(),
});

const foodList = z.strictObject({ listId: idSchema, month: monthSchema, rows: z.array(foodRow).max(MAX_LIST_ROWS) });
const mealsList = z.strictObject({
  listId: idSchema,
  month: monthSchema,
  schoolYear: schoolYearSchema,
  schoolId: idSchema,
  region: singleLine(100).min(1),
  rows: z.array(mealsRow).max(MAX_LIST_ROWS),
});
const foodCsvQuery = z.object({ listId: idSchema.optional(), month: monthSchema.optional() });
const mealsCsvQuery = foodCsvQuery.extend({ schoolYear: schoolYearSchema.optional(), schoolId: idSchema.optional(), region: singleLine(100).optional() });

const rowOutcome = z.object({
  rowNo: z.number().int(),
  outcome: z.string(),
  caseStream: z.string().optional(),
  detail: z.string().optional(),
  status: z.string().optional(),
  reason: z.string().optional(),
});
const receipt = z.object({
  listId: z.string(),
  accepted: z.number().int(),
  rejected: z.number().int(),
  /** Meals: pupils covered already this school year who stay on the month's list (row_continued; not returns). */
  continued: z.number().int(),
  rows: z.array(rowOutcome),
  repeated: z.boolean(),
  pending: z.array(z.number().int()).optional(),
  phoneDirectory: z.object({ source: z.enum(['bmg-load', 'bmg-lookup']), loadId: z.string().optional(), asOf: z.string().optional() }).optional(),
});
const listView = z.object({
  listId: z.string(),
  source: z.enum(['sdu', 'nobd']),
  program: z.string(),
  month: z.string(),
  rowCount: z.number().int(),
  processed: z.boolean(),
  accepted: z.number().int(),
  rejected: z.number().int(),
  continued: z.number().int(),
  rows: z.array(rowOutcome),
  pending: z.array(z.number().int()),
});

export function listRoutes(deps: { services: LedgerServices; reads: ReadSide; exchanges: ExchangeSide }): AnyRoute[] {
  const sourceOf = (principal: PrincipalOf<'sdu' | 'nobd'>): ListSource => principal.role;
  return [
    defineRoute({
      method: 'post',
      path: '/v1/lists/food-vouchers',
      operationId: 'receiveFoodVoucherList',
      roles: ['sdu'],
      tag: 'lists',
      summary: 'SDU uploads the monthly food-voucher list (JSON, or CSV: familyId,city,aspOnDate,memberRole,iin,fullName[,language]).',
      description: 'CSV: one line per family member, memberRole head|member; listId and month in the query. Re-sending the same list changes nothing.',
      query: foodCsvQuery,
      body: foodList,
      bodyLimit: 'list',
      csv: (csvText, query) => ({ listId: query.listId, month: query.month, rows: foodRowsFromCsv(csvText) }),
      idempotency: 'optional',
      responses: { 201: { description: 'received; per-row outcomes', schema: receipt }, 200: { description: 'the same list again', schema: receipt } },
      refusals: ['program_not_in_force', 'list_period_closed', 'list_already_received_with_different_content', 'version_conflict'],
      async handle({ body, meta }) {
        const input: ReceiveListInput = { program: 'food-vouchers', source: 'sdu', ...body };
        const result = await deps.services.receiveList(input, meta);
        return json(result.repeated ? 200 : 201, result);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/lists/school-meals',
      operationId: 'receiveSchoolMealList',
      roles: ['nobd'],
      tag: 'lists',
      summary: 'NOBD uploads a school’s monthly school-meal list (JSON, or CSV: one line per pupil × representative).',
      description:
        'CSV header: familyId,pupilIin,pupilName,grade,category,approvedByHead,reconciliationOk,reconciliationReason,representativeRole,representativeIin,representativeName[,language]; ' +
        'listId, month, schoolYear, schoolId and region in the query.',
      query: mealsCsvQuery,
      body: mealsList,
      bodyLimit: 'list',
      csv: (csvText, query) => ({
        listId: query.listId,
        month: query.month,
        schoolYear: query.schoolYear,
        schoolId: query.schoolId,
        region: query.region,
        rows: mealsRowsFromCsv(csvText, query.schoolId),
      }),
      idempotency: 'optional',
      responses: { 201: { description: 'received; per-row outcomes', schema: receipt }, 200: { description: 'the same list again', schema: receipt } },
      refusals: ['program_not_in_force', 'list_period_closed', 'list_already_received_with_different_content', 'version_conflict'],
      async handle({ body, meta }) {
        const result = await deps.services.receiveList({ program: 'school-meals', source: 'nobd', ...body }, meta);
        return json(result.repeated ? 200 : 201, result);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/lists/{source}/{listId}',
      operationId: 'getList',
      roles: ['sdu', 'nobd'],
      tag: 'lists',
      summary: 'A received list and the outcome of every row (SDU sees its lists, NOBD its own).',
      params: z.object({ source: z.enum(['sdu', 'nobd']), listId: idSchema }),
      responses: { 200: { description: 'the list', schema: listView } },
      refusals: ['route_not_found'],
      async handle({ params, principal }) {
        if (sourceOf(requireRole(principal, ['sdu', 'nobd'])) !== params.source) throw new ApiProblem('route_not_found', 'No such list.');
        const view = await deps.reads.listView(params.source, params.listId);
        if (!view) throw new ApiProblem('route_not_found', 'No such list.');
        // Current statuses from the read model (it may trail the log by the projection lag).
        const current = new Map((await deps.exchanges.listRows(params.source, params.listId)).map((r) => [r.rowNo, r]));
        const rows = view.rows.map((r) => {
          const now = current.get(r.rowNo);
          return now ? { ...r, status: now.status, ...(now.reason ? { reason: now.reason } : {}) } : r;
        });
        return json(200, { ...view, rows, pending: rows.filter((r) => 'status' in r && PENDING.has(r.status as string)).map((r) => r.rowNo) });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/lists/{source}/{listId}/returns',
      operationId: 'getListReturns',
      roles: ['sdu', 'nobd'],
      tag: 'lists',
      summary:
        'The returns of a list: every row that ended without a voucher (refused at intake, no phone, refused, timed out…) with its reason (JSON or CSV).',
      params: z.object({ source: z.enum(['sdu', 'nobd']), listId: idSchema }),
      query: z.object({ format: z.enum(['json', 'csv']).default('json') }),
      responses: {
        200: {
          description: 'the returns (format=json), or as CSV',
          schema: z.object({ listId: z.string(), returns: z.array(listReturnSchema) }),
          documents: ['text/csv'],
        },
      },
      refusals: ['route_not_found'],
      async handle({ params, query, principal }) {
        if (sourceOf(requireRole(principal, ['sdu', 'nobd'])) !== params.source) throw new ApiProblem('route_not_found', 'No such list.');
        const returns = await deps.reads.listReturns(params.source, params.listId);
        if (query.format === 'csv') {
          const rows = returns.map((r) => RETURN_COLUMNS.map((c) => r[c] ?? ''));
          return text(200, 'text/csv; charset=utf-8', writeCsv([...RETURN_COLUMNS], rows, { lineEnd: '\r\n' }));
        }
        return json(200, { listId: params.listId, returns });
      },
    }),
  ];
}

/** Statuses of a row still waiting for the family's or parent's answer. */
const PENDING = new Set(['accepted', 'consent_requested', 'consent_reminded', 'consent_reopened']);
/** The returns' CSV columns (stable; new ones go at the end). */
const RETURN_COLUMNS = ['rowNo', 'reason', 'detail', 'familyId', 'personId', 'schoolId', 'city', 'caseId', 'at'] as const;

function parseCsv(csvText: string, required: readonly string[]): CsvRecord[] {
  return readCsvRecords(csvText, { required, maxRows: MAX_LIST_ROWS * MAX_FAMILY_MEMBERS, tooMany: 'Too many CSV lines.' });
}

const optional = (v: string | undefined) => (v === undefined || v === '' ? undefined : v);
const bool = (v: string | undefined): unknown => {
  const s = (v ?? '').toLowerCase();
  if (['true', 'yes', '1', 'да'].includes(s)) return true;
  if (['false', 'no', '0', 'нет'].includes(s)) return false;
  return v;
};
const int = (v: string | undefined): unknown => (v !== undefined && /^-?\d+$/.test(v) ? Number(v) : v);

/** One line per member; lines of a family are consecutive or not — grouped by familyId in order of first sight. */
export function foodRowsFromCsv(csvText: string): unknown[] {
  const families = new Map<string, { familyId: string; city: string; aspOnDate: string; head?: unknown; members: unknown[]; language?: string }>();
  for (const r of parseCsv(csvText, ['familyId', 'city', 'aspOnDate', 'memberRole', 'iin'])) {
    const key = r.familyId ?? '';
    let family = families.get(key);
    if (!family) {
      family = { familyId: key, city: r.city ?? '', aspOnDate: r.aspOnDate ?? '', members: [], ...(optional(r.language) ? { language: r.language } : {}) };
      families.set(key, family);
    }
    const member = { iin: r.iin ?? '', ...(optional(r.fullName) ? { fullName: r.fullName } : {}) };
    family.members.push(member);
    if (r.memberRole === 'head') family.head = member;
  }
  return [...families.values()];
}

/** One line per pupil × representative (a pupil with no representative: empty representative columns). */
export function mealsRowsFromCsv(csvText: string, schoolId: string | undefined): unknown[] {
  const pupils = new Map<string, Record<string, unknown> & { representatives: unknown[] }>();
  for (const r of parseCsv(csvText, ['familyId', 'pupilIin', 'grade', 'category', 'approvedByHead'])) {
    const key = `${r.familyId}|${r.pupilIin}`;
    let pupil = pupils.get(key);
    if (!pupil) {
      const ok = optional(r.reconciliationOk);
      pupil = {
        familyId: r.familyId,
        pupil: { iin: r.pupilIin ?? '', ...(optional(r.pupilName) ? { fullName: r.pupilName } : {}) },
        schoolId: optional(r.schoolId) ?? schoolId,
        grade: int(r.grade),
        category: r.category,
        approvedByHead: bool(r.approvedByHead),
        ...(ok === undefined ? {} : { reconciliation: { ok: bool(ok), ...(optional(r.reconciliationReason) ? { reason: r.reconciliationReason } : {}) } }),
        representatives: [],
        ...(optional(r.language) ? { language: r.language } : {}),
      };
      pupils.set(key, pupil);
    }
    if (optional(r.representativeIin))
      pupil.representatives.push({
        iin: r.representativeIin,
        role: r.representativeRole,
        ...(optional(r.representativeName) ? { fullName: r.representativeName } : {}),
      });
  }
  return [...pupils.values()];
}

/** A meals row's field rules, for the test that read models store every value they accept (app/read-model-bounds.test.ts). */
export { mealsRow as mealsRowSchema };
