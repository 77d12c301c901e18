/**
 * The operator's door to the counterpart registry (role `operator`; auditors read): shops,
 * schools and canteen devices. Per kind:
 *   PUT  /v1/registry/{kind}/{id}            register, or update the details (201 / 200; same → unchanged)
 *   POST /v1/registry/{kind}/{id}/{action}   activate | suspend | close, with a reason
 *   POST /v1/registry/{kind}/import          CSV (or JSON) of many; all rows or none
 *   GET  /v1/registry/{kind}                 a page of the read model (filters; keyset paging by id)
 *   GET  /v1/registry/{kind}/{id}            the entry as its stream holds it now (ETag = version)
 *   GET  /v1/registry/{kind}/{id}/history    every change: who, when, why (operator, auditor)
 * Every change needs a reason (the operator's words: contract, complaint reference, decision).
 */
import { z } from 'zod';
import type { RecordedEvent } from '../../adapters/eventstore/port';
import { ImportRefused, MAX_REGISTRY_IMPORT_ROWS, type RegistryServices } from '../../application/services/registry';
import type { RegistryKind } from '../../domain/registry/events';
import type { Code } from '../../domain/shared/codes';
import { MAX_REASON_LENGTH } from '../../domain/registry/lifecycle';
import { MAX_SHOP_TERMINALS } from '../../domain/registry/shop';
import { ApiProblem, type FieldError } from '../problem';
import { readCsvRecords } from '../csv-body';
import type { RegistryReadSide } from '../registry-reads';
import { defineRoute, fieldErrors, json, type AnyRoute } from '../route';
import { humanText, idSchema, tiynSchema } from '../schemas';

const STATUS = z.enum(['registered', 'active', 'suspended', 'closed']);
const reason = humanText(MAX_REASON_LENGTH).pipe(z.string().trim().min(1, 'Every registry change names its reason'));
const code = (max: number) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .min(1)
    .max(max)
    .regex(/^[a-z0-9_-]+$/, 'Use the lower-case code (e.g. kokshetau)');
const bin = z.string().regex(/^\d{12}$/, 'A BIN is 12 digits');
const bankAccount = z.strictObject({
  iban: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^[A-Z0-9]{15,34}$/, 'An IBAN is 15–34 letters and digits, no spaces'),
  bic: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^[A-Z0-9]{8}([A-Z0-9]{3})?$/, 'A BIC is 8 or 11 letters and digits'),
});
const name = humanText(200).pipe(z.string().trim().min(1));

const shopDetails = z.strictObject({
  bin,
  name,
  city: code(64),
  address: humanText(300).pipe(z.string().trim().min(1)),
  terminals: z.array(idSchema).min(1).max(MAX_SHOP_TERMINALS),
  bankAccount,
});
const schoolDetails = z.strictObject({
  name,
  region: code(64),
  city: code(64),
  canteenOperator: z.strictObject({ name, bin, bankAccount }),
  mealPriceTiyn: tiynSchema,
});
const deviceDetails = z.strictObject({ schoolId: idSchema, label: name });

interface KindRoutes {
  readonly kind: RegistryKind;
  /** Plural path segment. */
  readonly plural: string;
  /** In operation ids: `registerShop`, `listShops`. */
  readonly singularName: string;
  readonly pluralName: string;
  /** What the details' checks refuse with (besides validation_failed). */
  readonly detailRefusals: readonly Code[];
  readonly idParam: string;
  readonly details: z.ZodType;
  readonly csvColumns: readonly string[];
  readonly rowFromCsv: (record: Record<string, string>) => { id: string; details: unknown };
}

const KINDS: readonly KindRoutes[] = [
  {
    kind: 'shop',
    plural: 'shops',
    singularName: 'Shop',
    pluralName: 'Shops',
    detailRefusals: ['bin_invalid', 'iban_invalid', 'bic_invalid', 'shop_outside_pilot_city'],
    idParam: 'shopId',
    details: shopDetails,
    csvColumns: ['shopId', 'bin', 'name', 'city', 'address', 'terminals', 'iban', 'bic'],
    rowFromCsv: (r) => ({
      id: r.shopId!,
      details: { bin: r.bin, name: r.name, city: r.city, address: r.address, terminals: splitList(r.terminals), bankAccount: { iban: r.iban, bic: r.bic } },
    }),
  },
  {
    kind: 'school',
    plural: 'schools',
    singularName: 'School',
    pluralName: 'Schools',
    detailRefusals: ['bin_invalid', 'iban_invalid', 'bic_invalid', 'meal_price_invalid'],
    idParam: 'schoolId',
    details: schoolDetails,
    csvColumns: ['schoolId', 'name', 'region', 'city', 'operatorName', 'operatorBin', 'operatorIban', 'operatorBic', 'mealPriceTiyn'],
    rowFromCsv: (r) => ({
      id: r.schoolId!,
      details: {
        name: r.name,
        region: r.region,
        city: r.city,
        canteenOperator: { name: r.operatorName, bin: r.operatorBin, bankAccount: { iban: r.operatorIban, bic: r.operatorBic } },
        mealPriceTiyn: /^\d+$/.test(r.mealPriceTiyn ?? '') ? Number(r.mealPriceTiyn) : r.mealPriceTiyn,
      },
    }),
  },
  {
    kind: 'device',
    plural: 'devices',
    singularName: 'Device',
    pluralName: 'Devices',
    detailRefusals: ['school_not_registered', 'school_closed'],
    idParam: 'deviceId',
    details: deviceDetails,
    csvColumns: ['deviceId', 'schoolId', 'label'],
    rowFromCsv: (r) => ({ id: r.deviceId!, details: { schoolId: r.schoolId, label: r.label } }),
  },
];

/** Terminals in one CSV cell: `t-1;t-2` (a comma would need quoting). */
const splitList = (cell: string | undefined) =>
  (cell ?? '')
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean);

const lifecycleSchema = { status: STATUS, registeredAt: z.string(), statusSince: z.string(), version: z.number().int() };
const putResult = z.object({ id: z.string(), outcome: z.enum(['registered', 'updated', 'unchanged']), status: STATUS, version: z.number().int() });
const importResult = z.object({
  rows: z.number().int(),
  registered: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  results: z.array(z.object({ row: z.number().int(), id: z.string(), outcome: z.enum(['registered', 'updated', 'unchanged']) })),
});
/** An event of an entry's history, the details typed as the kind's. */
const historyEvent = (details: z.ZodType) =>
  z.object({
    position: z.string(),
    version: z.number().int(),
    type: z.string(),
    at: z.string(),
    actor: z.object({ role: z.string(), id: z.string() }),
    reason: z.string(),
    changed: z.array(z.string()).optional(),
    details: details.optional(),
    commandId: z.string(),
  });

export function registryRoutes(deps: { registry: RegistryServices; registryReads: RegistryReadSide }): AnyRoute[] {
  return KINDS.flatMap((k) => kindRoutes(k, deps));
}

function kindRoutes(k: KindRoutes, deps: { registry: RegistryServices; registryReads: RegistryReadSide }): AnyRoute[] {
  const base = `/v1/registry/${k.plural}`;
  const one = `${base}/{${k.idParam}}`;
  const params = z.object({ [k.idParam]: idSchema });
  const idOf = (p: Record<string, string>) => p[k.idParam]!;
  const entrySchema = z.object({ id: z.string(), details: k.details, ...lifecycleSchema });
  // A read-model row (projections/registry/queries.ts): the id under its own name, and the last reason.
  const recordSchema = z.object({ [k.idParam]: z.string(), details: k.details, ...lifecycleSchema, lastReason: z.string() });
  return [
    defineRoute({
      method: 'put',
      path: one,
      operationId: `register${k.singularName}`,
      roles: ['operator'],
      tag: 'registry',
      summary: `Register a ${k.kind}, or update its details (the changed fields are recorded; the same details change nothing).`,
      description: 'activate: true activates a newly registered entry at once (ignored for an existing one).',
      params,
      body: z.strictObject({ details: k.details, reason, activate: z.boolean().optional() }),
      idempotency: 'optional',
      responses: { 201: { description: 'registered', schema: putResult }, 200: { description: 'updated or unchanged', schema: putResult } },
      refusals: [...k.detailRefusals, 'registry_entry_closed', 'version_conflict'],
      async handle({ params: p, body, meta }) {
        const input = { id: idOf(p), details: body.details as never, reason: body.reason, ...(body.activate ? { activate: true } : {}) };
        const result = await deps.registry.put(k.kind, input, meta);
        return json(result.outcome === 'registered' ? 201 : 200, result);
      },
    }),
    defineRoute({
      method: 'post',
      path: `${one}/{action}`,
      operationId: `change${k.singularName}Status`,
      roles: ['operator'],
      tag: 'registry',
      summary: `Activate, suspend or close a ${k.kind} (registered → active ⇄ suspended → closed), with a reason.`,
      description: 'A suspended or closed counterpart is refused on every call from then on; what it recorded before stays.',
      params: params.extend({ action: z.enum(['activate', 'suspend', 'close']) }),
      body: z.strictObject({ reason }),
      idempotency: 'optional',
      responses: { 200: { description: 'the new status', schema: z.object({ id: z.string(), status: STATUS, version: z.number().int() }) } },
      refusals: ['registry_entry_not_found', 'registry_entry_closed', 'registry_transition_not_allowed', 'version_conflict'],
      async handle({ params: p, body, meta }) {
        return json(
          200,
          await deps.registry.changeStatus(k.kind, { id: idOf(p), action: p.action as 'activate' | 'suspend' | 'close', reason: body.reason }, meta),
        );
      },
    }),
    defineRoute({
      method: 'post',
      path: `${base}/import`,
      operationId: `import${k.pluralName}`,
      roles: ['operator'],
      tag: 'registry',
      summary: `Import many ${k.plural} (CSV: ${k.csvColumns.join(',')}; or JSON rows): all rows or none.`,
      description:
        'Each row registers a new entry, updates a changed one or changes nothing. Any refused row refuses the whole file (400 validation_failed, ' +
        'errors[] name `rows.<index>.<field>` with the code); nothing is appended. Importing the same file again changes nothing. CSV: reason and activate in the query' +
        (k.kind === 'shop' ? '; terminals separated by `;`.' : '.'),
      query: z.object({ reason: reason.optional(), activate: z.enum(['true', 'false']).optional() }),
      body: z.strictObject({
        rows: z
          .array(z.strictObject({ id: idSchema, details: k.details }))
          .min(1)
          .max(MAX_REGISTRY_IMPORT_ROWS),
        reason,
        activate: z.boolean().optional(),
      }),
      bodyLimit: 'list',
      csv: (csvText, query) => ({
        rows: parseRegistryCsv(csvText, k),
        reason: query.reason,
        ...(query.activate ? { activate: query.activate === 'true' } : {}),
      }),
      idempotency: 'optional',
      responses: { 200: { description: 'per-row outcomes', schema: importResult } },
      // A refused row answers validation_failed naming the row's own code (see the description).
      refusals: ['version_conflict'],
      async handle({ body, meta }) {
        try {
          return json(200, await deps.registry.import(k.kind, body.rows as never, { reason: body.reason, ...(body.activate ? { activate: true } : {}) }, meta));
        } catch (error) {
          if (error instanceof ImportRefused) throw refusedImport(error);
          throw error;
        }
      },
    }),
    defineRoute({
      method: 'get',
      path: base,
      operationId: `list${k.pluralName}`,
      roles: ['operator', 'auditor'],
      tag: 'registry',
      summary: `A page of ${k.plural} (by id), filtered by status${k.kind === 'shop' ? ', city or BIN' : k.kind === 'school' ? ', region or city' : ' or school'}.`,
      query: z.object({
        status: STATUS.optional(),
        after: idSchema.optional(),
        limit: z.coerce.number().int().min(1).max(1000).optional(),
        ...(k.kind === 'shop' ? { city: code(64).optional(), bin: bin.optional() } : {}),
        ...(k.kind === 'school' ? { region: code(64).optional(), city: code(64).optional() } : {}),
        ...(k.kind === 'device' ? { schoolId: idSchema.optional() } : {}),
      }),
      responses: { 200: { description: 'entries', schema: z.object({ entries: z.array(recordSchema) }) } },
      refusals: [],
      async handle({ query }) {
        const filter = query as Record<string, never>;
        const entries =
          k.kind === 'shop'
            ? await deps.registryReads.shops(filter)
            : k.kind === 'school'
              ? await deps.registryReads.schools(filter)
              : await deps.registryReads.devices(filter);
        return json(200, { entries });
      },
    }),
    defineRoute({
      method: 'get',
      path: one,
      operationId: `get${k.singularName}`,
      roles: ['operator', 'auditor'],
      tag: 'registry',
      summary: `One ${k.kind} as it stands now: details, status, since when (ETag: its version).`,
      params,
      responses: { 200: { description: 'the entry', schema: entrySchema } },
      refusals: ['registry_entry_not_found'],
      async handle({ params: p }) {
        const entry = await deps.registry.entry(k.kind, idOf(p));
        return json(200, entry, { ETag: `"${k.kind}-${entry.id}-${entry.version}"`, 'Cache-Control': 'no-cache' });
      },
    }),
    defineRoute({
      method: 'get',
      path: `${one}/history`,
      operationId: `get${k.singularName}History`,
      roles: ['operator', 'auditor'],
      tag: 'registry',
      summary: `Every change of a ${k.kind}: what, when, who (the token’s subject) and why.`,
      params,
      responses: { 200: { description: 'the changes, oldest first', schema: z.object({ id: z.string(), events: z.array(historyEvent(k.details)) }) } },
      refusals: ['registry_entry_not_found'],
      async handle({ params: p }) {
        const events = await deps.registry.history(k.kind, idOf(p));
        if (events.length === 0) throw new ApiProblem('registry_entry_not_found', `No ${k.kind} ${idOf(p)} in the registry.`);
        return json(200, { id: idOf(p), events: events.map(historyOf) });
      },
    }),
  ];
}

function historyOf(e: RecordedEvent) {
  const data = e.data as { reason: string; at: string; changed?: string[]; details?: Record<string, unknown> };
  return {
    position: e.position.toString(),
    version: Number(e.streamVersion),
    type: e.type,
    at: data.at,
    actor: e.metadata.actor,
    reason: data.reason,
    ...(data.changed ? { changed: data.changed } : {}),
    ...(data.details ? { details: data.details } : {}),
    commandId: e.metadata.commandId,
  };
}

/** A refused import as one problem: every refused row, by its index in `rows` (0-based, as zod's paths). */
function refusedImport(error: ImportRefused): ApiProblem {
  const errors: FieldError[] = error.refusals.slice(0, MAX_IMPORT_ERRORS).map((r) => ({
    path: `body.rows.${r.row - 1}${r.field ? `.${r.field}` : ''}`,
    message: `${r.code}${r.detail ? `: ${r.detail}` : ''} (row ${r.row}, id ${r.id})`,
  }));
  const more = error.refusals.length > MAX_IMPORT_ERRORS ? ` (the first ${MAX_IMPORT_ERRORS} are listed)` : '';
  return new ApiProblem('validation_failed', `${error.refusals.length} row(s) refused; nothing was imported${more}. Fix them and send the file again.`, errors);
}
const MAX_IMPORT_ERRORS = 200;

/**
 * A registry CSV as validated import rows, exactly as the HTTP door reads it (the CLI uses this):
 * an ApiProblem (validation_failed, errors per row and field) when the file or a row is malformed.
 */
export function registryRowsFromCsv(kind: RegistryKind, csvText: string): { id: string; details: unknown }[] {
  const k = KINDS.find((candidate) => candidate.kind === kind)!;
  const rows = z
    .array(z.strictObject({ id: idSchema, details: k.details }))
    .min(1)
    .max(MAX_REGISTRY_IMPORT_ROWS)
    .safeParse(parseRegistryCsv(csvText, k));
  if (!rows.success) throw new ApiProblem('validation_failed', 'Rows of the CSV do not match their schema.', fieldErrors('rows', rows.error));
  return rows.data;
}

function parseRegistryCsv(csvText: string, k: KindRoutes): unknown[] {
  const records = readCsvRecords(csvText, {
    required: k.csvColumns,
    maxRows: MAX_REGISTRY_IMPORT_ROWS,
    tooMany: `At most ${MAX_REGISTRY_IMPORT_ROWS} rows per import.`,
  });
  return records.map((r) => k.rowFromCsv(r));
}
