/**
 * The ReadSide port implemented over the read models' own query and export functions
 * (projections/*\/queries.ts, export.ts), the event log (lists, "as of" replays) and the QR
 * renderer. The SMS outbox and the vault are passed in by the composition root.
 */
import type { Clock } from '../adapters/clock/clock';
import type { Logger } from '../adapters/log/logger';
import type { EventStore } from '../adapters/eventstore/port';
import { parseRecorded, type LedgerRecorded } from '../adapters/eventstore/ledger-events';
import type { Pool } from '../adapters/postgres/pool';
import { qrPng, qrSvg } from '../adapters/qr/render';
import { familyAsOf } from '../projections/family-history/as-of';
import { familyHistory, MAX_HISTORY_PAGE } from '../projections/family-history/queries';
import { familyMonths } from '../projections/balances/queries';
import { nobdDailyDocument } from '../projections/nobd-daily/export';
import { nobdDailyCsv, nobdReturnsCsv } from '../projections/nobd-daily/export';
import { outcomesDocument, funnelCsv, foodVolumesCsv, mealsCsv } from '../projections/outcomes/export';
import { tabel } from '../projections/tabel/queries';
import { tabelCsv, tabelHtml } from '../projections/tabel/export';
import type { Runner } from '../projections/runner';
import type { ListView, OutboundSms, ReadSide } from './read-side';
import { listReturns } from '../projections/exchanges/queries';
import { streams } from '../domain/events';
import { FORGOTTEN } from '../domain/people/personal-data';

export interface ReadsDeps {
  readonly pool: Pool;
  readonly store: EventStore;
  readonly clock: Clock;
  readonly runner: Pick<Runner, 'lag' | 'rebuild'>;
  /** Names of the read models the operator may rebuild. */
  readonly projectionNames: readonly string[];
  readonly pendingSms: (limit: number) => Promise<readonly OutboundSms[]>;
  readonly logger: Logger;
  /** Of these people, those whose personal data was forgotten (the vault's record of it). */
  readonly forgottenOf?: (personIds: readonly string[]) => Promise<ReadonlyMap<string, unknown>>;
  /** Names for the табель a pedagogue signs (from the vault); absent names print the pseudonymous id. */
  readonly displayNames?: (personIds: readonly string[]) => Promise<ReadonlyMap<string, string>>;
}

const CSV = 'text/csv; charset=utf-8';

export function createReads(deps: ReadsDeps): ReadSide {
  const { pool, store } = deps;
  const historyEvents = async (familyId: string): Promise<LedgerRecorded[]> => {
    const refs = await familyHistory(pool, familyId, { limit: MAX_HISTORY_PAGE });
    const byStream = new Map<string, LedgerRecorded[]>();
    for (const stream of new Set(refs.map((r) => r.stream))) byStream.set(stream, (await store.readStream(stream)).map(parseRecorded));
    const wanted = new Set(refs.map((r) => r.position));
    return [...byStream.values()]
      .flat()
      .filter((e) => wanted.has(e.position))
      .sort((a, b) => (a.position < b.position ? -1 : 1));
  };
  return {
    pendingSms: (limit) => deps.pendingSms(limit),
    async familyVouchers(familyId) {
      const now = deps.clock.now().toISOString();
      const state = await familyAsOf(pool, store, familyId, now);
      return { familyId, vouchers: state.vouchers, foodMonths: await familyMonths(pool, familyId) };
    },
    async familyHistory(familyId, options) {
      const asOf = options.asOf ?? deps.clock.now().toISOString();
      const cutoff = Date.parse(asOf);
      const events = (await historyEvents(familyId)).filter((e) => Date.parse(e.metadata.recordedAt) <= cutoff);
      const state = await familyAsOf(pool, store, familyId, asOf);
      if (options.audience === 'citizen') {
        // What "History" in the wallet shows: what happened and when; no internal metadata.
        return {
          familyId,
          vouchers: state.vouchers,
          events: events.map((e) => ({ at: e.metadata.recordedAt, type: e.type, stream: e.stream })),
        };
      }
      const forgotten = (await deps.forgottenOf?.(personIdsIn(events.map((e) => e.data)))) ?? new Map<string, unknown>();
      return {
        familyId,
        asOf,
        state,
        people: Object.fromEntries([...forgotten.keys()].sort().map((id) => [id, FORGOTTEN])),
        events: events.map((e) => ({
          position: e.position,
          stream: e.stream,
          streamVersion: e.streamVersion,
          type: e.type,
          data: e.data,
          recordedAt: e.metadata.recordedAt,
          actor: e.metadata.actor,
          commandId: e.metadata.commandId,
        })),
      };
    },
    async listView(source, listId) {
      const events = (await store.readStream(streams.list(source, listId))).map(parseRecorded);
      const head = events.flatMap((e) => (e.type === 'EligibilityListReceived' ? [e.data] : []))[0];
      if (!head) return undefined;
      type Row = ListView['rows'][number];
      const rows = events.flatMap((e): Row[] => {
        if (e.type === 'ListRowAccepted')
          return [{ rowNo: e.data.rowNo, outcome: 'row_accepted', ...(e.data.caseStream ? { caseStream: e.data.caseStream } : {}) }];
        if (e.type === 'ListRowContinued')
          return [{ rowNo: e.data.rowNo, outcome: 'row_continued', ...(e.data.caseStream ? { caseStream: e.data.caseStream } : {}) }];
        if (e.type === 'ListRowRejected') return [{ rowNo: e.data.rowNo, outcome: e.data.reason, ...(e.data.detail ? { detail: e.data.detail } : {}) }];
        return [];
      });
      rows.sort((a, b) => a.rowNo - b.rowNo);
      const accepted = rows.filter((r) => r.outcome === 'row_accepted').length;
      const continued = rows.filter((r) => r.outcome === 'row_continued').length;
      const processed = events.some((e) => e.type === 'EligibilityListProcessed');
      return {
        listId: head.listId,
        source,
        program: head.program,
        month: head.month,
        rowCount: head.rowCount,
        processed,
        accepted,
        rejected: rows.length - accepted - continued,
        continued,
        rows,
      };
    },
    async listReturns(source, listId) {
      return (await listReturns(pool, source, listId)).map((r) => ({ ...r, reason: r.reason ?? r.status }));
    },
    async tabel(schoolId, month, format) {
      const sheet = await tabel(pool, { schoolId, month, now: deps.clock.now() });
      if (format === 'json') return { kind: 'json', data: sheet };
      const names = (await deps.displayNames?.(sheet.pupils.map((p) => p.pupilId))) ?? new Map<string, string>();
      const presentation = { displayName: (pupilId: string) => names.get(pupilId) };
      if (format === 'csv') return { kind: 'document', contentType: CSV, body: tabelCsv(sheet, presentation) };
      if (format === 'html') return { kind: 'document', contentType: 'text/html; charset=utf-8', body: tabelHtml(sheet, presentation) };
      return { kind: 'json', data: sheet };
    },
    async dailyReport(schoolId, date, format) {
      const doc = await nobdDailyDocument(pool, date, schoolId);
      if (format === 'csv') return { kind: 'document', contentType: CSV, body: `${nobdDailyCsv(doc.schools)}\r\n${nobdReturnsCsv(doc.returnedRows)}` };
      return { kind: 'json', data: doc };
    },
    async outcomes(filter, format) {
      const doc = await outcomesDocument(pool, {
        ...(filter.program ? { program: filter.program as 'school-meals' | 'food-vouchers' } : {}),
        ...(filter.month ? { month: filter.month } : {}),
        ...(filter.city ? { area: filter.city } : {}),
      });
      if (format === 'csv')
        return { kind: 'document', contentType: CSV, body: [funnelCsv(doc.funnel), foodVolumesCsv(doc.foodVolumes), mealsCsv(doc.schoolMeals)].join('\r\n') };
      return { kind: 'json', data: doc };
    },
    async projections() {
      return (await deps.runner.lag()).map((l) => ({
        name: l.name,
        lagEvents: l.lagEvents,
        lagSeconds: l.lagSeconds,
        position: l.position,
        ...(l.halt ? { halt: l.halt } : {}),
      }));
    },
    async rebuild(name) {
      if (!deps.projectionNames.includes(name)) return false;
      // In the background: the operator watches the lag; a failure leaves the live model untouched.
      void deps.runner.rebuild(name).catch((error: unknown) => deps.logger.error({ projection: name, err: error }, 'rebuild failed'));
      return true;
    },
    qrPng: (token) => qrPng(token),
    qrSvg: (token) => qrSvg(token),
  };
}

const PERSON_ID = /^p_[0-9a-f]{32}$/;

/** Every pseudonymous person id anywhere in these events' data (pupils, recipients, members, writers). */
function personIdsIn(values: readonly unknown[]): string[] {
  const found = new Set<string>();
  const visit = (value: unknown): void => {
    if (typeof value === 'string') {
      if (PERSON_ID.test(value)) found.add(value);
    } else if (Array.isArray(value)) value.forEach(visit);
    else if (value !== null && typeof value === 'object') Object.values(value).forEach(visit);
  };
  values.forEach(visit);
  return [...found];
}
