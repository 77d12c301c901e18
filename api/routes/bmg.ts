/**
 * BMG (or an operator on its behalf) loads subscriber numbers by IIN: open a load with its
 * freshness stamp, PUT its numbered chunks (JSON or CSV `iin,phone`), complete it. Every call is
 * idempotent by its path (a resent chunk answers its first receipt), so an upload that broke off
 * resumes from the load's status. Receipts name rejected rows by line and code, never by IIN or number.
 */
import { z } from 'zod';
import { parse } from 'csv-parse/sync';
import type { BmgImport, BmgRow } from '../../application/services/bmg-import';
import { BMG_MAX_CHUNK_ROWS, BMG_MAX_CHUNKS } from '../../application/services/bmg-import';
import { ApiProblem } from '../problem';
import { csvOptions, csvUnreadable } from '../csv-body';
import { defineRoute, json, type AnyRoute } from '../route';
import { idSchema, instantSchema } from '../schemas';

const ROLES = ['bmg', 'operator'] as const;
const loadParams = z.object({ loadId: idSchema });
const chunkParams = loadParams.extend({ chunkNo: z.coerce.number().int().min(1).max(BMG_MAX_CHUNKS) });
const rowSchema = z.strictObject({ iin: z.string().max(64), phone: z.string().max(64) });
/** A CSV body arrives as rows with their line numbers (and lines that could not be read). */
const csvRowSchema = z.union([rowSchema.extend({ line: z.number().int() }), z.strictObject({ line: z.number().int(), malformed: z.string() })]);
const chunkBody = z.strictObject({ rows: z.array(z.union([rowSchema, csvRowSchema])).max(BMG_MAX_CHUNK_ROWS) });
const loadView = z.object({
  loadId: z.string(),
  asOf: z.string(),
  mode: z.enum(['full', 'delta']),
  status: z.enum(['receiving', 'completed']),
  openedAt: z.string(),
  completedAt: z.string().optional(),
  chunks: z.array(z.number().int()),
  rowsApplied: z.number().int(),
  rowsRejected: z.number().int(),
  chunkCount: z.number().int().optional(),
  removed: z.number().int().optional(),
});
const receiptSchema = z.object({
  loadId: z.string(),
  chunkNo: z.number().int(),
  rows: z.number().int(),
  applied: z.number().int(),
  rejected: z.array(z.object({ line: z.number().int(), code: z.string(), detail: z.string().optional() })),
  repeated: z.boolean(),
});

export function bmgRoutes(deps: { bmg: BmgImport }): AnyRoute[] {
  return [
    defineRoute({
      method: 'put',
      path: '/v1/bmg/loads/{loadId}',
      operationId: 'openBmgLoad',
      roles: ROLES,
      tag: 'bmg',
      summary: 'Open a BMG load: its freshness stamp (asOf: BMG’s time of the export) and mode (full snapshot or delta).',
      description: 'Idempotent: the same load again answers 200; the same id with another asOf or mode is 409.',
      params: loadParams,
      body: z.strictObject({ asOf: instantSchema, mode: z.enum(['full', 'delta']).default('full') }),
      responses: { 201: { description: 'opened', schema: loadView }, 200: { description: 'already open', schema: loadView } },
      refusals: ['load_already_opened_with_different_header'],
      async handle({ params, body, meta }) {
        const { created, load } = await deps.bmg.openLoad({ loadId: params.loadId, asOf: body.asOf, mode: body.mode }, meta);
        return json(created ? 201 : 200, load);
      },
    }),
    defineRoute({
      method: 'put',
      path: '/v1/bmg/loads/{loadId}/chunks/{chunkNo}',
      operationId: 'receiveBmgChunk',
      roles: ROLES,
      tag: 'bmg',
      summary: `One chunk of a load (≤ ${BMG_MAX_CHUNK_ROWS} rows): JSON {rows:[{iin, phone}]} or CSV with the header iin,phone.`,
      description:
        'Rows are checked one by one (malformed_row, invalid_iin, invalid_phone, duplicate_row) and the rest applied; the receipt names rejected rows by line. ' +
        'A resent chunk answers its first receipt (repeated: true); other rows under the same number are 409.',
      params: chunkParams,
      body: chunkBody,
      bodyLimit: 'list',
      csv: (csvText) => ({ rows: csvRows(csvText) }),
      responses: { 200: { description: 'the chunk’s receipt', schema: receiptSchema } },
      refusals: ['load_not_found', 'chunk_already_received_with_different_content', 'load_already_completed'],
      async handle({ params, body, meta }) {
        const rows: BmgRow[] = body.rows.map((r, i) => ('line' in r ? r : { line: i + 1, iin: r.iin, phone: r.phone }));
        return json(200, await deps.bmg.receiveChunk({ loadId: params.loadId, chunkNo: params.chunkNo, rows }, meta));
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/bmg/loads/{loadId}/complete',
      operationId: 'completeBmgLoad',
      roles: ROLES,
      tag: 'bmg',
      summary: 'Complete a load once chunks 1..chunks are in: its numbers become the directory the phone check uses.',
      description: 'A full load also drops everyone it did not list. Missing chunks: 409 load_incomplete naming them. Completing again answers the same.',
      params: loadParams,
      body: z.strictObject({ chunks: z.number().int().min(1).max(BMG_MAX_CHUNKS) }),
      responses: { 200: { description: 'completed', schema: loadView } },
      refusals: ['load_not_found', 'load_incomplete', 'load_already_completed'],
      async handle({ params, body, meta }) {
        return json(200, await deps.bmg.completeLoad(params.loadId, body.chunks, meta));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/bmg/loads/{loadId}',
      operationId: 'getBmgLoad',
      roles: ROLES,
      tag: 'bmg',
      summary: 'A load’s status: the chunks received so far (to resume), rows applied and rejected, completion.',
      params: loadParams,
      responses: { 200: { description: 'the load', schema: loadView } },
      refusals: ['load_not_found'],
      async handle({ params }) {
        return json(200, await deps.bmg.loadStatus(params.loadId));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/bmg/loads',
      operationId: 'listBmgLoads',
      roles: ROLES,
      tag: 'bmg',
      summary: 'The latest loads, newest first.',
      query: z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) }),
      responses: { 200: { description: 'loads', schema: z.object({ loads: z.array(loadView) }) } },
      refusals: [],
      async handle({ query }) {
        return json(200, { loads: await deps.bmg.recentLoads(query.limit) });
      },
    }),
  ];
}

/**
 * CSV `iin,phone` (header required, any order, more columns ignored) → rows with their line numbers.
 * A line with another number of fields than the header is a malformed row, not a failed chunk;
 * text that is not CSV at all (an unclosed quote) fails the chunk with the line where it broke.
 */
export function csvRows(csvText: string): (BmgRow & { line: number })[] {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(csvText, { ...csvOptions(csvText, 4 * 1024), relax_column_count: true, info: true }) as unknown as typeof records;
  } catch (error) {
    throw csvUnreadable(error);
  }
  const [header, ...lines] = records;
  const names = header?.record.map((h) => h.toLowerCase()) ?? [];
  const iinAt = names.indexOf('iin');
  const phoneAt = names.indexOf('phone');
  if (iinAt < 0 || phoneAt < 0)
    throw new ApiProblem('validation_failed', 'The CSV needs a header line with the columns iin and phone.', [
      { path: 'body', message: 'missing columns iin, phone' },
    ]);
  if (lines.length > BMG_MAX_CHUNK_ROWS) throw new ApiProblem('payload_too_large', `At most ${BMG_MAX_CHUNK_ROWS} rows per chunk.`);
  return lines.map(({ record, info }) =>
    record.length !== names.length
      ? { line: info.lines, malformed: `${record.length} fields, the header has ${names.length}` }
      : { line: info.lines, iin: record[iinAt]!, phone: record[phoneAt]! },
  );
}
