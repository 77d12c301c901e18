/**
 * Money out, composed: the settlement services over the Postgres read models, the payees from the
 * registry, the paying agent's formats, and what the API, the CLI and the scheduler call.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../adapters/clock/clock';
import type { StreamStates } from '../application/stream-states';
import type { Pool } from '../adapters/postgres/pool';
import { writeCsv, type CsvCell } from '../adapters/csv/write';
import { batchRows, parseConfirmationCsv } from '../adapters/paying-agent/csv';
import { kztAmount, pain001, parseCamt054, PayingAgentFileError } from '../adapters/paying-agent/iso20022';
import { createSettlementServices, importIdOf, type PayeeDirectory, type SettlementServices } from '../application/services/settlement';
import type { FileFormat, Rendered, SettlementDoor } from '../api/routes/settlement';
import { addMonths, localDate, type Month } from '../domain/shared/calendar';
import type { CommandMetadata } from '../domain/shared/decider';
import { DomainError } from '../domain/shared/errors';
import type { Payee } from '../domain/settlement/events';
import { tabelFinalFrom } from '../domain/settlement/payment-order';
import { reconcile, type Reconciliation } from '../domain/settlement/reconcile';
import * as queries from '../projections/settlement/queries';
import { mealCountsOf, mealMonths } from '../projections/tabel/queries';
import { schoolById, shopById } from '../projections/registry/queries';
import type { Config } from './config';

export interface Settlement extends SettlementDoor {
  readonly services: SettlementServices;
  /** Closes ended windows and issues due payment orders (the service runs it on a timer). */
  runDue(meta: CommandMetadata): Promise<{ windows: number; orders: number }>;
  reconcile(): Promise<Reconciliation>;
  /** Writes a batch's pain.001, CSV and JSON under `dir`; returns the paths. */
  writeBatchFiles(batchId: string, dir: string): Promise<string[]>;
}

export function debtorOf(config: Config): Payee {
  return { name: config.PAYOUT_DEBTOR_NAME, bin: config.PAYOUT_DEBTOR_BIN, iban: config.PAYOUT_DEBTOR_IBAN, bic: config.PAYOUT_DEBTOR_BIC };
}

/**
 * Who is paid, from the registry's read model: a shop's payout account, a school's canteen operator
 * and contract meal price. The status is not asked: a suspended or closed shop is still paid what it
 * captured while it was admitted (issue 15: what was already captured is not lost).
 */
export function registryPayees(pool: Pool): PayeeDirectory {
  return {
    async shop(shopId) {
      const shop = await shopById(pool, shopId);
      if (!shop) return undefined;
      return { name: shop.details.name, bin: shop.details.bin, iban: shop.details.bankAccount.iban, bic: shop.details.bankAccount.bic };
    },
    async canteen(schoolId) {
      const school = await schoolById(pool, schoolId);
      if (!school) return undefined;
      const operator = school.details.canteenOperator;
      return {
        payee: { name: operator.name, bin: operator.bin, iban: operator.bankAccount.iban, bic: operator.bankAccount.bic },
        mealPriceTiyn: school.details.mealPriceTiyn,
      };
    },
  };
}

/** Header first, then rows; through the one CSV writer (formula cells made inert). */
const csv = ([header, ...rows]: CsvCell[][], filename: string): Rendered => ({
  contentType: 'text/csv; charset=utf-8',
  body: writeCsv((header ?? []).map(String), rows),
  filename,
});

export function createSettlement(deps: {
  states: StreamStates;
  pool: Pool;
  clock: Clock;
  catchUp: () => Promise<void>;
  payees: PayeeDirectory;
  debtor: Payee;
}): Settlement {
  const { pool, clock } = deps;
  const services = createSettlementServices({
    states: deps.states,
    payees: deps.payees,
    debtor: deps.debtor,
    reads: {
      catchUp: deps.catchUp,
      openCandidates: (before) => queries.openCandidates(pool, before),
      firstOpenDay: () => queries.firstOpenDay(pool),
      lastClosedWindow: () => queries.lastClosedWindow(pool),
      payablesDue: (selection) => queries.payablesDue(pool, selection),
      payableOfEndToEnd: (ids) => queries.payableOfEndToEnd(pool, ids),
      mealCounts: (month) => mealCountsOf(pool, month),
    },
  });

  async function reconcileNow(): Promise<Reconciliation> {
    await deps.catchUp();
    const now = clock.now().getTime();
    const months = await mealMonths(pool);
    const mealMonthFacts = (
      await Promise.all(
        months.map(async (month) =>
          (await mealCountsOf(pool, month)).map((c) => ({
            schoolId: c.schoolId,
            month,
            mealsRecorded: c.mealsOnFinalTabel + c.lateMeals,
            final: now >= Date.parse(tabelFinalFrom(month)),
          })),
        ),
      )
    ).flat();
    return reconcile(await queries.reconcileFacts(pool, mealMonthFacts));
  }

  async function importConfirmation(file: { format: 'camt.054' | 'csv'; content: string }, meta: CommandMetadata) {
    let results;
    try {
      results = file.format === 'csv' ? parseConfirmationCsv(file.content) : parseCamt054(file.content);
    } catch (error) {
      if (error instanceof PayingAgentFileError) throw new DomainError('payout_file_invalid', error.message);
      throw error;
    }
    const importId = importIdOf(file.content);
    const lines = await services.importConfirmation(results, importId, meta);
    const count = (outcome: string) => lines.filter((l) => l.outcome === outcome).length;
    return { importId, transfers: lines.length, recorded: count('recorded'), unchanged: count('unchanged'), refused: count('refused'), lines };
  }

  const door: Settlement = {
    services,
    closeWindow: (windowId, meta) => services.closeWindow(windowId, 'operator', meta),
    issuePaymentOrders: (month, meta) => services.issuePaymentOrders(month, meta),
    createPayoutBatch: (selection, meta) => services.createPayoutBatch(selection, meta),
    importConfirmation,
    windows: (filter) => queries.windows(pool, filter),
    async statements(filter, format: FileFormat) {
      const rows = await queries.statements(pool, filter);
      if (format === 'json') return { statements: rows };
      return csv(
        [
          ['statement_id', 'shop_id', 'window_id', 'purchases', 'captured_kzt', 'payout_kzt', 'payout_status', 'end_to_end_id', 'bank_reference'],
          ...rows.map((s) => [
            s.statementId,
            s.shopId,
            s.windowId,
            s.purchases,
            kztAmount(s.capturedTiyn),
            kztAmount(s.payoutTiyn),
            s.payout.status,
            s.payout.endToEndId,
            s.payout.bankReference,
          ]),
        ],
        'statements.csv',
      );
    },
    async statement(statementId, format: FileFormat) {
      const found = await queries.statement(pool, statementId);
      if (!found) return undefined;
      if (format === 'json') return { shopId: found.shopId, rendered: found };
      const rows = [
        ['statement_id', 'line', 'hold_id', 'captured_at', 'sku', 'item', 'eligible', 'item_kzt', 'captured_kzt'],
        ...found.lines.flatMap((line) =>
          line.items.map((item, i) => [
            found.statementId,
            'purchase',
            line.holdId,
            line.capturedAt,
            item.sku,
            item.name,
            item.eligible,
            kztAmount(item.lineTiyn),
            i === 0 ? kztAmount(line.capturedTiyn) : '',
          ]),
        ),
        ...found.releases.map((r) => [found.statementId, r.kind, r.holdId, r.at, '', '', '', '', kztAmount(0)]),
        [found.statementId, 'total', '', '', '', '', '', '', kztAmount(found.payoutTiyn)],
      ];
      return { shopId: found.shopId, rendered: csv(rows, `${found.statementId}.csv`) };
    },
    async paymentOrders(filter, format: FileFormat) {
      const rows = await queries.paymentOrders(pool, filter);
      if (format === 'json') return { orders: rows };
      return csv(
        [
          [
            'order_id',
            'school_id',
            'month',
            'sequence',
            'supplementary',
            'meals',
            'meal_price_kzt',
            'amount_kzt',
            'payee',
            'payee_bin',
            'payout_status',
            'bank_reference',
          ],
          ...rows.map((o) => [
            o.orderId,
            o.schoolId,
            o.month,
            o.sequence,
            o.supplementary,
            o.meals,
            kztAmount(o.mealPriceTiyn),
            kztAmount(o.amountTiyn),
            o.payee.name,
            o.payee.bin,
            o.payout.status,
            o.payout.bankReference,
          ]),
        ],
        'payment-orders.csv',
      );
    },
    batches: () => queries.payoutBatches(pool),
    async batch(batchId, format) {
      const batch = await queries.payoutBatch(pool, batchId);
      if (!batch) return undefined;
      if (format === 'json') return batch;
      if (format === 'csv') return csv(batchRows(batch), `${batchId}.csv`);
      return { contentType: 'application/xml; charset=utf-8', body: pain001(batch, localDate(batch.createdAt)), filename: `${batchId}.pain.001.xml` };
    },
    async reconciliation(format: FileFormat) {
      const report = await reconcileNow();
      if (format === 'json') return report;
      return csv(
        [
          ['scope', 'id', 'party', 'period', 'count', 'amount_kzt', 'paid_kzt', 'pending_kzt', 'failed_kzt', 'unissued_kzt'],
          ...report.shops.map((s) => [
            'shop_statement',
            s.statementId,
            s.shopId,
            s.windowId,
            s.purchases,
            kztAmount(s.amountTiyn),
            kztAmount(s.paidTiyn),
            kztAmount(s.pendingTiyn),
            kztAmount(s.failedTiyn),
            kztAmount(s.unissuedTiyn),
          ]),
          ...report.schools.map((s) => [
            'school_month',
            `${s.schoolId}/${s.month}`,
            s.schoolId,
            s.month,
            `${s.mealsOrdered}/${s.mealsRecorded}`,
            kztAmount(s.amountTiyn),
            kztAmount(s.paidTiyn),
            kztAmount(s.pendingTiyn),
            kztAmount(s.failedTiyn),
            kztAmount(s.unissuedTiyn),
          ]),
          ...report.differences.map((d) => ['difference', d.kind, d.refs.join(' '), '', '', d.detail, '', '', '', '']),
        ],
        'reconciliation.csv',
      );
    },
    reconcile: reconcileNow,
    async runDue(meta) {
      const windows = await services.closeDueWindows({ ...meta, commandId: `${meta.commandId}:windows` });
      const month = localDate(meta.now).slice(0, 7) as Month;
      const runs = await services.issueDuePaymentOrders([addMonths(month, -2), addMonths(month, -1)], {
        ...meta,
        commandId: `payment-orders-${localDate(meta.now)}`,
      });
      return { windows: windows.length, orders: runs.reduce((n, r) => n + r.issued.length, 0) };
    },
    async writeBatchFiles(batchId, dir) {
      const batch = await queries.payoutBatch(pool, batchId);
      if (!batch) throw new DomainError('payout_batch_not_found', batchId);
      await mkdir(dir, { recursive: true });
      const files: [string, string][] = [
        [`${batchId}.pain.001.xml`, pain001(batch, localDate(batch.createdAt))],
        [`${batchId}.csv`, csv(batchRows(batch), '').body],
        [`${batchId}.json`, `${JSON.stringify(batch, null, 2)}\n`],
      ];
      for (const [name, content] of files) await writeFile(join(dir, name), content);
      return files.map(([name]) => join(dir, name));
    },
  };
  return door;
}
