/**
 * Money out in the simulations, as the operator and the paying agent would do it through the doors:
 * after a food month the operator closes every day's settlement window, sends each window's payout
 * batch (pain.001) to a simulated paying agent, which books most transfers and rejects some (a
 * closed account); the rejections are re-issued and booked; a confirmation file sent twice records
 * nothing. After a meals month's табель is final, the operator issues the canteen payment orders
 * and pays them the same way. The truth is what the simulator captured and the canteens recorded.
 */
import { XMLParser } from 'fast-xml-parser';
import { addDays, addMonths, firstDayOfMonth, instantAt, type Month } from '../domain/shared/calendar';
import { camt054, parseKztAmount, type TransferResult } from '../adapters/paying-agent/iso20022';
import type { Rng } from './rng';
import { bearer } from './http';
import type { ServiceHandle } from './driver';

export interface MoneyOutTruth {
  readonly windowsClosed: number;
  readonly batches: number;
  readonly transfers: number;
  readonly rejected: number;
  readonly reissued: number;
  /** Lines of the repeated confirmation that recorded something (must be 0). */
  readonly repeatedImportRecorded: number;
}

interface AgentTransfer {
  readonly endToEndId: string;
  readonly amountTiyn: number;
}

/** What the paying agent reads from a pain.001: each transfer's end-to-end id and amount. */
export function transfersOf(pain001: string): AgentTransfer[] {
  const parser = new XMLParser({ ignoreAttributes: true, processEntities: false, isArray: (name) => name === 'PmtInf' || name === 'CdtTrfTxInf' });
  const document = parser.parse(pain001) as {
    Document: { CstmrCdtTrfInitn: { PmtInf: { CdtTrfTxInf: { PmtId: { EndToEndId: string }; Amt: { InstdAmt: string | number } }[] }[] } };
  };
  return document.Document.CstmrCdtTrfInitn.PmtInf.flatMap((info) =>
    info.CdtTrfTxInf.map((tx) => {
      const amountTiyn = parseKztAmount(String(tx.Amt.InstdAmt));
      if (amountTiyn === undefined) throw new Error(`the paying agent cannot read the amount of ${tx.PmtId.EndToEndId}`);
      return { endToEndId: tx.PmtId.EndToEndId, amountTiyn };
    }),
  );
}

/** A paying agent: books every transfer of a file but those `reject` picks (reason AC04, account closed). */
export function agentAnswer(
  pain001: string,
  options: { messageId: string; at: string; reject: (transfer: AgentTransfer) => boolean },
): { camt054: string; results: TransferResult[] } {
  const results: TransferResult[] = transfersOf(pain001).map((transfer, index) =>
    options.reject(transfer)
      ? { endToEndId: transfer.endToEndId, status: 'rejected', amountTiyn: transfer.amountTiyn, reason: 'AC04', at: options.at }
      : {
          endToEndId: transfer.endToEndId,
          status: 'booked',
          amountTiyn: transfer.amountTiyn,
          bankReference: `${options.messageId}-${index + 1}`,
          at: options.at,
        },
  );
  return { camt054: camt054({ messageId: options.messageId, createdAt: options.at, account: 'KZ000PROGRAMME', results }), results };
}

async function operatorToken(driver: ServiceHandle): Promise<string> {
  return driver.token({ role: 'operator', sub: 'operator-money-out' });
}

function ok<T>(reply: { status: number; body: T; code?: string }, what: string): T {
  if (reply.status >= 300) throw new Error(`${what} answered ${reply.status} ${reply.code ?? ''}: ${JSON.stringify(reply.body)}`);
  return reply.body;
}

/** Sends each batch's pain.001 to the agent and its camt.054 back; returns the files (to send one again) and counts. */
async function payThrough(driver: ServiceHandle, token: string, batchIds: readonly string[], reject: (transfer: AgentTransfer) => boolean, at: string) {
  const http = driver.http;
  const files: string[] = [];
  let transfers = 0;
  let rejected = 0;
  // Batches are read from the settlement read model, which follows the log a moment later.
  await driver.settle();
  for (const batchId of batchIds) {
    const pain = ok(
      await http.send(
        http.api.GET('/v1/payouts/batches/{batchId}', {
          params: { path: { batchId }, query: { format: 'pain.001' } },
          headers: bearer(token),
          parseAs: 'text',
        }),
      ),
      `pain.001 of ${batchId}`,
    ) as unknown as string;
    const answer = agentAnswer(pain, { messageId: `AGENT-${batchId}`, at, reject });
    transfers += answer.results.length;
    rejected += answer.results.filter((r) => r.status === 'rejected').length;
    const imported = ok(
      await http.send(
        http.api.POST('/v1/payouts/confirmations', {
          params: { header: { 'Idempotency-Key': `camt-${batchId}` } },
          headers: bearer(token),
          body: { format: 'camt.054', content: answer.camt054 },
        }),
      ),
      `camt.054 of ${batchId}`,
    );
    if (imported.refused > 0)
      throw new Error(`the service refused ${imported.refused} lines of the agent's confirmation of ${batchId}: ${JSON.stringify(imported.lines)}`);
    files.push(answer.camt054);
  }
  return { files, transfers, rejected };
}

async function reissueAndPay(driver: ServiceHandle, token: string, key: string, at: string): Promise<{ batches: number; transfers: number }> {
  const http = driver.http;
  const reissue = ok(
    await http.send(
      http.api.POST('/v1/payouts/batches', { params: { header: { 'Idempotency-Key': key } }, headers: bearer(token), body: { purpose: 'reissue' } }),
    ),
    'reissue batch',
  );
  if (!reissue.batch) return { batches: 0, transfers: 0 };
  const paid = await payThrough(driver, token, [reissue.batch.batchId], () => false, at);
  return { batches: 1, transfers: paid.transfers };
}

/** A file the service has read once, sent again: every line must come back unchanged. */
async function importAgain(driver: ServiceHandle, token: string, file: string): Promise<number> {
  const http = driver.http;
  const again = ok(
    await http.send(
      http.api.POST('/v1/payouts/confirmations', {
        params: { header: { 'Idempotency-Key': `camt-again-${file.length}` } },
        headers: bearer(token),
        body: { format: 'camt.054', content: file },
      }),
    ),
    'camt.054 again',
  );
  return again.recorded;
}

/**
 * The agent's round trip for some batches: each file answered (a share rejected), the rejections
 * re-issued in one batch and booked, and the first confirmation file sent again.
 */
async function payAll(
  driver: ServiceHandle,
  token: string,
  batchIds: readonly string[],
  options: { rng: Rng; rejectShare: number; at: string; reissueKey: string; reissueAt: string },
): Promise<Omit<MoneyOutTruth, 'windowsClosed'>> {
  const first = await payThrough(driver, token, batchIds, () => options.rng.chance(options.rejectShare), options.at);
  const again = await reissueAndPay(driver, token, options.reissueKey, options.reissueAt);
  const repeatedImportRecorded = first.files.length > 0 ? await importAgain(driver, token, first.files[0]!) : 0;
  return {
    batches: batchIds.length + again.batches,
    transfers: first.transfers + again.transfers,
    rejected: first.rejected,
    reissued: again.transfers,
    repeatedImportRecorded,
  };
}

/**
 * After food months (in order): close every window of each month in day order, one payout batch
 * per window with captures, the agent's answers (a share `rejectShare` rejected), the rejections
 * re-issued and booked, and the first confirmation sent again.
 */
export async function settleFoodMonths(driver: ServiceHandle, months: readonly Month[], rng: Rng, rejectShare: number): Promise<MoneyOutTruth> {
  const http = driver.http;
  const token = await operatorToken(driver);
  const next = firstDayOfMonth(addMonths(months[months.length - 1]!, 1));
  const at = instantAt(next, '10:00');
  await driver.advanceTo(at);
  const batchIds: string[] = [];
  let windowsClosed = 0;
  for (const month of months) {
    for (let day = firstDayOfMonth(month); day.startsWith(month); day = addDays(day, 1)) {
      const closed = ok(
        await http.send(
          http.api.POST('/v1/settlement/windows/{windowId}/close', {
            params: { path: { windowId: day }, header: { 'Idempotency-Key': `close-${day}` } },
            headers: bearer(token),
          }),
        ),
        `closing ${day}`,
      );
      windowsClosed++;
      if (closed.capturedTiyn === 0) continue;
      const made = ok(
        await http.send(
          http.api.POST('/v1/payouts/batches', {
            params: { header: { 'Idempotency-Key': `batch-${day}` } },
            headers: bearer(token),
            body: { purpose: 'window', windowId: day },
          }),
        ),
        `batch of ${day}`,
      );
      if (made.skipped.length > 0) throw new Error(`payables left out of the batch of ${day}: ${JSON.stringify(made.skipped)}`);
      if (made.batch) batchIds.push(made.batch.batchId);
    }
  }
  return {
    windowsClosed,
    ...(await payAll(driver, token, batchIds, { rng, rejectShare, at, reissueKey: `reissue-${next}`, reissueAt: instantAt(next, '12:00') })),
  };
}

/**
 * After a meals month: once its табель is final (the 5th of the next month), the operator issues the
 * canteen payment orders and pays them through the agent (a share rejected, re-issued, booked).
 */
export async function payCanteens(driver: ServiceHandle, month: Month, rng: Rng, rejectShare: number): Promise<MoneyOutTruth & { orders: number }> {
  const http = driver.http;
  const token = await operatorToken(driver);
  const at = instantAt(addDays(firstDayOfMonth(addMonths(month, 1)), 4), '10:00');
  await driver.advanceTo(at);
  const run = ok(
    await http.send(
      http.api.POST('/v1/payment-orders/{month}/issue', {
        params: { path: { month }, header: { 'Idempotency-Key': `orders-${month}` } },
        headers: bearer(token),
      }),
    ),
    `payment orders of ${month}`,
  );
  if (run.refused.length > 0) throw new Error(`schools refused a payment order for ${month}: ${JSON.stringify(run.refused)}`);
  const made = ok(
    await http.send(
      http.api.POST('/v1/payouts/batches', {
        params: { header: { 'Idempotency-Key': `batch-orders-${month}` } },
        headers: bearer(token),
        body: { purpose: 'payment_orders', month },
      }),
    ),
    `batch of ${month}'s orders`,
  );
  if (made.skipped.length > 0) throw new Error(`payment orders left out of the batch: ${JSON.stringify(made.skipped)}`);
  const batchIds = made.batch ? [made.batch.batchId] : [];
  const paid = await payAll(driver, token, batchIds, {
    rng,
    rejectShare,
    at,
    reissueKey: `reissue-orders-${month}`,
    reissueAt: instantAt(addDays(firstDayOfMonth(addMonths(month, 1)), 4), '12:00'),
  });
  return { orders: run.issued.length, windowsClosed: 0, ...paid };
}

/** Several runs' truths as one (a meals run spanning months pays each month). */
export function sumMoneyOut(runs: readonly MoneyOutTruth[]): MoneyOutTruth {
  const total = (key: keyof MoneyOutTruth) => runs.reduce((sum, run) => sum + run[key], 0);
  return {
    windowsClosed: total('windowsClosed'),
    batches: total('batches'),
    transfers: total('transfers'),
    rejected: total('rejected'),
    reissued: total('reissued'),
    repeatedImportRecorded: total('repeatedImportRecorded'),
  };
}
