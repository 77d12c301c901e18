/**
 * Money out: close shop settlement windows into statements, turn final табели into canteen payment
 * orders, batch payables into transfers for the paying agent, and read its confirmations back.
 * Every step is a decision through the command path; the candidates (captures on no statement,
 * meal counts, payables due) come from read models caught up to the log's head first.
 */
import { createHash } from 'node:crypto';
import { addDays, localDate, type LocalDate, type Month } from '../../domain/shared/calendar';
import type { CommandMetadata } from '../../domain/shared/decider';
import { DomainError } from '../../domain/shared/errors';
import type { Code } from '../../domain/shared/codes';
import { sum, type Tiyn } from '../../domain/shared/money';
import { streams } from '../../domain/events';
import type { BatchPayment, Payee, PayoutBatchCreated } from '../../domain/settlement/events';
import { payoutDecider, type PayoutState } from '../../domain/settlement/payout';
import { paymentOrderDecider, tabelFinalFrom } from '../../domain/settlement/payment-order';
import {
  planStatements,
  settlementWindowDecider,
  windowEnd,
  type CaptureCandidate,
  type CloseSettlementWindow,
  type ReleaseCandidate,
} from '../../domain/settlement/window';
import { decideAcross, handle } from '../command-path';
import type { StreamStates } from '../stream-states';

/** Who is paid, from the registry: a shop's account; a school's canteen operator and contract meal price. */
export interface PayeeDirectory {
  shop(shopId: string): Promise<Payee | undefined>;
  canteen(schoolId: string): Promise<{ readonly payee: Payee; readonly mealPriceTiyn: Tiyn } | undefined>;
}

export interface Payable {
  readonly payableId: string;
  readonly kind: 'shop_statement' | 'canteen_order';
  readonly amountTiyn: Tiyn;
  readonly partyId: string;
  readonly payee?: Payee;
}

export type PayoutSelection =
  | { readonly purpose: 'window'; readonly windowId: LocalDate }
  | { readonly purpose: 'payment_orders'; readonly month: Month }
  | { readonly purpose: 'reissue' };

/** The read side money out decides from; `catchUp` brings every model it reads to the log's head. */
export interface SettlementReads {
  catchUp(): Promise<void>;
  openCandidates(before: string): Promise<{ captures: CaptureCandidate[]; releases: ReleaseCandidate[] }>;
  firstOpenDay(): Promise<string | undefined>;
  lastClosedWindow(): Promise<LocalDate | undefined>;
  payablesDue(selection: PayoutSelection): Promise<Payable[]>;
  payableOfEndToEnd(endToEndIds: readonly string[]): Promise<Map<string, string>>;
  /** Meals per school of a month: on the final табель and received after it became final. */
  mealCounts(month: Month): Promise<{ schoolId: string; mealsOnFinalTabel: number; lateMeals: number }[]>;
}

export interface SettlementServiceDeps {
  /** The one owner of stream state (application/stream-states.ts). */
  readonly states: StreamStates;
  readonly reads: SettlementReads;
  readonly payees: PayeeDirectory;
  /** The programme's own account at the paying agent (the debtor of every transfer). */
  readonly debtor: Payee;
}

export interface WindowClose {
  readonly windowId: LocalDate;
  readonly repeated: boolean;
  readonly statements: number;
  readonly purchases: number;
  readonly capturedTiyn: Tiyn;
}

export interface PaymentOrderRun {
  readonly month: Month;
  readonly issued: {
    readonly orderId: string;
    readonly schoolId: string;
    readonly meals: number;
    readonly amountTiyn: Tiyn;
    readonly supplementary: boolean;
  }[];
  readonly refused: { readonly schoolId: string; readonly code: Code; readonly detail?: string }[];
}

export interface BatchResult {
  /** Absent when nothing was due. */
  readonly batch?: PayoutBatchCreated['data'];
  readonly repeated: boolean;
  /** Payables not in this batch, with why (e.g. the shop has no account in the registry). */
  readonly skipped: { readonly payableId: string; readonly code: Code; readonly detail?: string }[];
}

export type ConfirmationLine =
  | { readonly endToEndId: string; readonly outcome: 'recorded' | 'unchanged'; readonly payableId: string; readonly status: 'booked' | 'rejected' }
  | { readonly endToEndId: string; readonly outcome: 'refused'; readonly code: Code; readonly detail?: string };

export interface TransferResultInput {
  readonly endToEndId: string;
  readonly status: 'booked' | 'rejected';
  readonly amountTiyn: Tiyn;
  readonly bankReference?: string;
  readonly reason?: string;
  readonly at: string;
}

/** Windows closed by one scheduled run at most: a service down for a long time catches up in steps. */
export const MAX_WINDOWS_PER_RUN = 62;

const shortHash = (text: string, length = 16) => createHash('sha256').update(text).digest('base64url').replace(/[-_]/g, '').slice(0, length);

export function createSettlementServices(deps: SettlementServiceDeps) {
  const { states, reads } = deps;

  async function previousClosed(windowId: LocalDate): Promise<boolean> {
    const last = await reads.lastClosedWindow();
    if (last !== undefined) return last >= addDays(windowId, -1);
    const first = await reads.firstOpenDay();
    return first === undefined || localDate(first) >= windowId;
  }

  async function closeWindow(windowId: LocalDate, closedBy: 'schedule' | 'operator', meta: CommandMetadata): Promise<WindowClose> {
    await reads.catchUp();
    const cutPosition = (await states.store.headPosition()).toString();
    const candidates = await reads.openCandidates(windowEnd(windowId));
    const command: CloseSettlementWindow = {
      type: 'CloseSettlementWindow',
      data: { windowId, closedBy, cutPosition, previousWindowClosed: await previousClosed(windowId), ...candidates },
      metadata: meta,
    };
    const planned = planStatements(command);
    const statementStreams = planned.statements.map((s) => streams.statement(s.data.shopId, s.data.windowId));
    const windowStream = streams.settlementWindow(windowId);
    const outcome = await decideAcross(
      states,
      [windowStream, ...statementStreams],
      meta,
      (loaded) => {
        const state = states.fold(settlementWindowDecider, loaded.get(windowStream)!.events);
        const closed = settlementWindowDecider.decide(command, state);
        return [
          { stream: windowStream, events: closed },
          ...planned.statements.map((s) => ({ stream: streams.statement(s.data.shopId, s.data.windowId), events: [s] })),
        ];
      },
      { expectNew: statementStreams },
    );
    const closed = outcome.events.find((e) => e.type === 'SettlementWindowClosed')?.data as
      { purchases: number; capturedTiyn: number; statementIds: string[] } | undefined;
    return {
      windowId,
      repeated: outcome.repeated,
      statements: closed?.statementIds.length ?? 0,
      purchases: closed?.purchases ?? 0,
      capturedTiyn: closed?.capturedTiyn ?? 0,
    };
  }

  /** Closes, in day order, every window whose day has ended (scheduled; a command id per window). */
  async function closeDueWindows(meta: CommandMetadata): Promise<WindowClose[]> {
    await reads.catchUp();
    const today = localDate(meta.now);
    const last = await reads.lastClosedWindow();
    const first = await reads.firstOpenDay();
    let next = last !== undefined ? addDays(last, 1) : first !== undefined ? localDate(first) : undefined;
    const closed: WindowClose[] = [];
    while (next !== undefined && next < today && closed.length < MAX_WINDOWS_PER_RUN) {
      closed.push(await closeWindow(next, 'schedule', { ...meta, commandId: `settlement-window-${next}` }));
      next = addDays(next, 1);
    }
    return closed;
  }

  async function issuePaymentOrders(month: Month, meta: CommandMetadata): Promise<PaymentOrderRun> {
    await reads.catchUp();
    const run: PaymentOrderRun = { month, issued: [], refused: [] };
    for (const counts of await reads.mealCounts(month)) {
      const canteen = await deps.payees.canteen(counts.schoolId);
      const stream = streams.paymentOrders(counts.schoolId, month);
      try {
        const outcome = await handle(states, stream, paymentOrderDecider, {
          type: 'IssuePaymentOrder',
          data: {
            schoolId: counts.schoolId,
            month,
            mealsOnFinalTabel: counts.mealsOnFinalTabel,
            lateMeals: counts.lateMeals,
            ...(canteen ? { mealPriceTiyn: canteen.mealPriceTiyn, payee: canteen.payee } : {}),
          },
          metadata: { ...meta, commandId: `${meta.commandId}:${stream}` },
        });
        for (const e of outcome.events) {
          const d = e.data as { orderId: string; meals: number; amountTiyn: number; supplementary: boolean };
          run.issued.push({ orderId: d.orderId, schoolId: counts.schoolId, meals: d.meals, amountTiyn: d.amountTiyn, supplementary: d.supplementary });
        }
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        run.refused.push({ schoolId: counts.schoolId, code: error.code, ...(error.detail ? { detail: error.detail } : {}) });
      }
    }
    return run;
  }

  /** Payment orders of every month whose табель is final and not fully ordered (scheduled). */
  async function issueDuePaymentOrders(months: readonly Month[], meta: CommandMetadata): Promise<PaymentOrderRun[]> {
    const due = months.filter((m) => Date.parse(meta.now) >= Date.parse(tabelFinalFrom(m)));
    const runs: PaymentOrderRun[] = [];
    for (const month of due) runs.push(await issuePaymentOrders(month, { ...meta, commandId: `${meta.commandId}:${month}` }));
    return runs;
  }

  async function payeeOf(payable: Payable): Promise<Payee | undefined> {
    return payable.payee ?? (payable.kind === 'shop_statement' ? deps.payees.shop(payable.partyId) : undefined);
  }

  async function createPayoutBatch(selection: PayoutSelection, meta: CommandMetadata): Promise<BatchResult> {
    await reads.catchUp();
    const batchId = `pb-${shortHash(meta.commandId)}`;
    const batchStream = streams.payoutBatch(batchId);
    const due = await reads.payablesDue(selection);
    const skipped: { payableId: string; code: Code; detail?: string }[] = [];
    const payable: (Payable & { payee: Payee })[] = [];
    for (const p of due) {
      const payee = await payeeOf(p);
      if (payee) payable.push({ ...p, payee });
      else skipped.push({ payableId: p.payableId, code: 'shop_not_registered', detail: `shop ${p.partyId} has no account in the registry` });
    }
    if (payable.length === 0) return { repeated: false, skipped };
    const payoutStreams = payable.map((p) => streams.payout(p.payableId));
    const outcome = await decideAcross(
      states,
      [batchStream, ...payoutStreams],
      meta,
      (loaded) => {
        const issued = payable.map((p) => {
          const state: PayoutState = states.fold(payoutDecider, loaded.get(streams.payout(p.payableId))!.events);
          const events = payoutDecider.decide(
            { type: 'IssuePayout', data: { payableId: p.payableId, kind: p.kind, amountTiyn: p.amountTiyn, payee: p.payee, batchId }, metadata: meta },
            state,
          );
          return { stream: streams.payout(p.payableId), events };
        });
        const payments: BatchPayment[] = issued
          .flatMap((d) => d.events)
          .filter((e) => e.type === 'PayoutIssued')
          .map((e) => ({
            payableId: e.data.payableId,
            kind: e.data.kind,
            endToEndId: e.data.endToEndId,
            attempt: e.data.attempt,
            amountTiyn: e.data.amountTiyn,
            payee: e.data.payee,
          }));
        const reference = selection.purpose === 'window' ? selection.windowId : selection.purpose === 'payment_orders' ? selection.month : localDate(meta.now);
        const batch: PayoutBatchCreated = {
          type: 'PayoutBatchCreated',
          data: {
            batchId,
            messageId: `SW-${batchId}`,
            purpose: selection.purpose,
            reference,
            payments,
            totalTiyn: sum(payments.map((p) => p.amountTiyn)),
            createdAt: meta.now,
            debtor: deps.debtor,
          },
        };
        return [{ stream: batchStream, events: [batch] }, ...issued];
      },
      { expectNew: [batchStream] },
    );
    const created = outcome.events.find((e) => e.type === 'PayoutBatchCreated')?.data as PayoutBatchCreated['data'] | undefined;
    return { ...(created ? { batch: created } : {}), repeated: outcome.repeated, skipped };
  }

  /** One result per transfer; the import id (the file's digest) makes a re-import record nothing. */
  async function importConfirmation(results: readonly TransferResultInput[], importId: string, meta: CommandMetadata): Promise<ConfirmationLine[]> {
    await reads.catchUp();
    const payables = await reads.payableOfEndToEnd(results.map((r) => r.endToEndId));
    const lines: ConfirmationLine[] = [];
    for (const [index, result] of results.entries()) {
      const payableId = payables.get(result.endToEndId);
      if (!payableId) {
        lines.push({
          endToEndId: result.endToEndId,
          outcome: 'refused',
          code: 'payout_unknown_reference',
          detail: 'no transfer was issued with this end-to-end id',
        });
        continue;
      }
      try {
        const outcome = await handle(states, streams.payout(payableId), payoutDecider, {
          type: 'RecordPayoutResult',
          data: {
            endToEndId: result.endToEndId,
            status: result.status,
            amountTiyn: result.amountTiyn,
            at: result.at,
            importId,
            ...(result.bankReference ? { bankReference: result.bankReference } : {}),
            ...(result.reason ? { reason: result.reason } : {}),
          },
          metadata: { ...meta, commandId: `confirmation-${importId}-${index}` },
        });
        lines.push({
          endToEndId: result.endToEndId,
          outcome: outcome.events.length > 0 && !outcome.repeated ? 'recorded' : 'unchanged',
          payableId,
          status: result.status,
        });
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        lines.push({ endToEndId: result.endToEndId, outcome: 'refused', code: error.code, ...(error.detail ? { detail: error.detail } : {}) });
      }
    }
    return lines;
  }

  return { closeWindow, closeDueWindows, issuePaymentOrders, issueDuePaymentOrders, createPayoutBatch, importConfirmation };
}

export type SettlementServices = ReturnType<typeof createSettlementServices>;

/** The import id of a confirmation file: its content's digest (the same file imported twice is one import). */
export const importIdOf = (content: string): string => `imp-${shortHash(content, 20)}`;
