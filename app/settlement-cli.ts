/**
 * `tsx app/cli.ts settlement …`: money out for an operator at a terminal. Each command says what
 * it did and writes the files a person (or the paying agent) opens under REPORTS_DIR/settlement/.
 */
import { readFile, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ConfigError } from '../adapters/config-error';
import { kztAmount } from '../adapters/paying-agent/iso20022';
import type { CommandMetadata } from '../domain/shared/decider';
import type { System } from './system';

export const SETTLEMENT_USAGE = `  settlement close <YYYY-MM-DD>        close a shop settlement window now; write its statements (CSV)
  settlement due                       close every ended window and issue due payment orders, as the timer does
  settlement payment-orders <YYYY-MM>  issue the canteen payment orders of a month whose табель is final
  settlement batch --window <YYYY-MM-DD> | --month <YYYY-MM> | --reissue
                                       make a payout batch; write it as pain.001 XML, CSV and JSON
  settlement import <file.xml|file.csv>
                                       read the paying agent's camt.054 or CSV confirmation back
  settlement reconcile                 write the reconciliation (JSON + CSV); exit 1 when it does not balance`;

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const MONTH = /^\d{4}-\d{2}$/;

export async function settlementCli(system: System, args: readonly string[]): Promise<number> {
  const [command, ...rest] = args;
  const dir = resolve(system.config.REPORTS_DIR, 'settlement');
  const meta = (commandId: string): CommandMetadata => ({ commandId, now: system.clock.now().toISOString(), actor: { role: 'operator', id: 'cli' } });
  const say = (line: string) => process.stdout.write(`${line}\n`);
  switch (command) {
    case 'close': {
      const windowId = dateArg(rest[0], 'settlement close <YYYY-MM-DD>');
      const closed = await system.settlement.closeWindow(windowId, meta(`cli-close-${windowId}`));
      say(`window ${windowId}: ${JSON.stringify(closed)}`);
      const statements = await system.settlement.statements({ windowId }, 'csv');
      await write(dir, `statements-${windowId}.csv`, (statements as { body: string }).body, say);
      return 0;
    }
    case 'due': {
      const done = await system.settlement.runDue(meta(`cli-due-${system.clock.now().toISOString()}`));
      say(`closed ${done.windows} window(s), issued ${done.orders} payment order(s)`);
      return 0;
    }
    case 'payment-orders': {
      const month = rest[0];
      if (!month || !MONTH.test(month)) throw new ConfigError('usage: settlement payment-orders <YYYY-MM>');
      const run = (await system.settlement.issuePaymentOrders(month, meta(`cli-payment-orders-${month}`))) as {
        issued: { orderId: string; meals: number; amountTiyn: number; supplementary: boolean }[];
        refused: { schoolId: string; code: string; detail?: string }[];
      };
      for (const order of run.issued)
        say(`issued ${order.orderId}${order.supplementary ? ' (supplementary)' : ''}: ${order.meals} meals, ${kztAmount(order.amountTiyn)} KZT`);
      for (const refusal of run.refused) say(`refused ${refusal.schoolId}: ${refusal.code}${refusal.detail ? ` — ${refusal.detail}` : ''}`);
      const orders = await system.settlement.paymentOrders({ month }, 'csv');
      await write(dir, `payment-orders-${month}.csv`, (orders as { body: string }).body, say);
      return run.refused.length > 0 ? 1 : 0;
    }
    case 'batch': {
      const selection = batchSelection(rest);
      const made = (await system.settlement.createPayoutBatch(
        selection,
        meta(`cli-batch-${JSON.stringify(selection)}-${system.clock.now().toISOString()}`),
      )) as { batch?: { batchId: string; payments: unknown[]; totalTiyn: number }; skipped: { payableId: string; code: string; detail?: string }[] };
      for (const skipped of made.skipped) say(`skipped ${skipped.payableId}: ${skipped.code}${skipped.detail ? ` — ${skipped.detail}` : ''}`);
      if (!made.batch) {
        say('nothing is due: no batch made');
        return 0;
      }
      say(`batch ${made.batch.batchId}: ${made.batch.payments.length} transfer(s), ${kztAmount(made.batch.totalTiyn)} KZT`);
      for (const file of await system.settlement.writeBatchFiles(made.batch.batchId, dir)) say(`wrote ${file}`);
      return 0;
    }
    case 'import': {
      const file = rest[0];
      if (!file) throw new ConfigError('usage: settlement import <file.xml|file.csv>');
      const content = await readFile(file, 'utf8').catch(() => {
        throw new ConfigError(`cannot read ${file}: check the path`);
      });
      const format = content.trimStart().startsWith('<') ? 'camt.054' : 'csv';
      const result = (await system.settlement.importConfirmation({ format, content }, meta(`cli-import-${file}`))) as {
        transfers: number;
        recorded: number;
        unchanged: number;
        refused: number;
        lines: { endToEndId: string; outcome: string; code?: string; detail?: string }[];
      };
      for (const line of result.lines.filter((l) => l.outcome === 'refused'))
        say(`refused ${line.endToEndId}: ${line.code}${line.detail ? ` — ${line.detail}` : ''}`);
      say(`${format}: ${result.transfers} transfer(s): ${result.recorded} recorded, ${result.unchanged} already known, ${result.refused} refused`);
      return result.refused > 0 ? 1 : 0;
    }
    case 'reconcile': {
      const report = await system.settlement.reconcile();
      await write(dir, 'reconciliation.json', `${JSON.stringify(report, null, 2)}\n`, say);
      await write(dir, 'reconciliation.csv', ((await system.settlement.reconciliation('csv')) as { body: string }).body, say);
      const t = report.totals;
      say(
        `captured ${kztAmount(t.capturedTiyn)} = settled ${kztAmount(t.settledTiyn)} + on no statement yet ${kztAmount(t.unsettledTiyn)}; ordered for canteens ${kztAmount(t.orderedTiyn)}`,
      );
      say(
        `paid ${kztAmount(t.paidTiyn)}, pending ${kztAmount(t.pendingTiyn)}, failed ${kztAmount(t.failedTiyn)}, not yet in a batch ${kztAmount(t.unissuedTiyn)} (KZT)`,
      );
      say(report.balanced ? 'balanced: no difference' : `NOT BALANCED: ${report.differences.length} difference(s), listed in reconciliation.csv`);
      return report.balanced ? 0 : 1;
    }
    default:
      process.stderr.write(`usage: tsx app/cli.ts <command>\n${SETTLEMENT_USAGE}\n`);
      return 2;
  }
}

function dateArg(value: string | undefined, usage: string): string {
  if (!value || !DATE.test(value)) throw new ConfigError(`usage: ${usage}`);
  return value;
}

function batchSelection(
  args: readonly string[],
): { purpose: 'window'; windowId: string } | { purpose: 'payment_orders'; month: string } | { purpose: 'reissue' } {
  const [flag, value] = args;
  if (flag === '--window') return { purpose: 'window', windowId: dateArg(value, 'settlement batch --window <YYYY-MM-DD>') };
  if (flag === '--month' && value && MONTH.test(value)) return { purpose: 'payment_orders', month: value };
  if (flag === '--reissue') return { purpose: 'reissue' };
  throw new ConfigError('usage: settlement batch --window <YYYY-MM-DD> | --month <YYYY-MM> | --reissue');
}

async function write(dir: string, name: string, content: string, say: (line: string) => void): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, name), content);
  say(`wrote ${join(dir, name)}`);
}
