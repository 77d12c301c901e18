/**
 * Shop settlement windows: one per local day (Asia/Almaty). Closing a window turns the captures
 * not yet on any statement into one statement per shop.
 *
 * Which window a capture falls into: the first window to close after the capture is in the log
 * whose day is not before the capture's own day. So a capture falls into exactly one window:
 *   - a capture of day D appended before window D closes is on D's statements;
 *   - a capture of day D appended after window D closed (a till that synced late) is on the next
 *     window that closes — D+1, or a later one — and is counted there as late;
 *   - a capture of day D+1 appended before window D closes (the close ran a little after
 *     midnight) is left for D+1.
 * The candidates come from the settlement read model (captures not on any statement, read at
 * `cutPosition`); windows close in day order, so a later close sees every earlier statement.
 *
 * Refusal precedence (CloseSettlementWindow): settlement_window_closed → settlement_window_not_started
 * → settlement_previous_window_open.
 */
import { endOfDay, instantAt, localDate } from '../shared/calendar';
import type { CommandMetadata, Decider } from '../shared/decider';
import { evolveEach, unreachable } from '../shared/decider';
import { refuse } from '../shared/errors';
import { sum, type Tiyn } from '../shared/money';
import type { SettlementWindowClosed, ShopStatementIssued, StatementLine, StatementRelease, WindowId } from './events';

/** A capture not yet on any statement. */
export interface CaptureCandidate extends StatementLine {
  readonly shopId: string;
}

/** A void or expiry not yet listed on any statement. */
export interface ReleaseCandidate extends StatementRelease {
  readonly shopId: string;
}

export interface CloseSettlementWindow {
  readonly type: 'CloseSettlementWindow';
  readonly data: {
    readonly windowId: WindowId;
    readonly closedBy: 'schedule' | 'operator';
    readonly cutPosition: string;
    /** Whether the window of the day before is closed (or never had anything to close). */
    readonly previousWindowClosed: boolean;
    readonly captures: readonly CaptureCandidate[];
    readonly releases: readonly ReleaseCandidate[];
  };
  readonly metadata: CommandMetadata;
}

export type SettlementWindowState =
  { readonly status: 'Open' } | { readonly status: 'Closed'; readonly closedAt: string; readonly statementIds: readonly string[] };

export const statementIdOf = (shopId: string, windowId: WindowId): string => `st-${shopId}-${windowId}`;

/** A window closes only once its day has begun; normally the scheduler closes it when the day ends. */
export const windowStart = (windowId: WindowId): string => instantAt(windowId);
export const windowEnd = (windowId: WindowId): string => endOfDay(windowId);

/** The statements a close produces: candidates of this day or earlier, grouped by shop in id order. */
export function planStatements(command: CloseSettlementWindow): { closed: SettlementWindowClosed; statements: ShopStatementIssued[] } {
  const { windowId, captures, releases, closedBy, cutPosition } = command.data;
  const end = Date.parse(windowEnd(windowId));
  const start = Date.parse(windowStart(windowId));
  const inWindow = captures.filter((c) => Date.parse(c.capturedAt) < end);
  const releasesIn = releases.filter((r) => Date.parse(r.at) < end);
  const shops = [...new Set([...inWindow.map((c) => c.shopId), ...releasesIn.map((r) => r.shopId)])].sort();
  const issuedAt = command.metadata.now;
  const statements = shops.map((shopId): ShopStatementIssued => {
    const lines = inWindow
      .filter((c) => c.shopId === shopId)
      .map(withoutShop)
      .sort(byPosition);
    const capturedTiyn: Tiyn = sum(lines.map((l) => l.capturedTiyn));
    return {
      type: 'ShopStatementIssued',
      data: {
        statementId: statementIdOf(shopId, windowId),
        shopId,
        windowId,
        lines,
        releases: releasesIn.filter((r) => r.shopId === shopId).map(releaseWithoutShop),
        purchases: lines.length,
        capturedTiyn,
        payoutTiyn: capturedTiyn,
        issuedAt,
      },
    };
  });
  const closed: SettlementWindowClosed = {
    type: 'SettlementWindowClosed',
    data: {
      windowId,
      closedAt: issuedAt,
      closedBy,
      cutPosition,
      statementIds: statements.map((s) => s.data.statementId),
      purchases: inWindow.length,
      capturedTiyn: sum(statements.map((s) => s.data.capturedTiyn)),
      latePurchases: inWindow.filter((c) => Date.parse(c.capturedAt) < start).length,
    },
  };
  return { closed, statements };
}

function withoutShop(candidate: CaptureCandidate): StatementLine {
  const { shopId: _shopId, ...line } = candidate;
  return line;
}

function releaseWithoutShop(candidate: ReleaseCandidate): StatementRelease {
  const { shopId: _shopId, ...release } = candidate;
  return release;
}

const byPosition = (a: StatementLine, b: StatementLine) => (BigInt(a.position) < BigInt(b.position) ? -1 : BigInt(a.position) > BigInt(b.position) ? 1 : 0);

function closeWindow(command: CloseSettlementWindow, state: SettlementWindowState): SettlementWindowClosed[] {
  const { windowId, previousWindowClosed } = command.data;
  if (state.status === 'Closed') refuse('settlement_window_closed', `window ${windowId} closed at ${state.closedAt}`);
  if (localDate(command.metadata.now) < windowId) refuse('settlement_window_not_started', `window ${windowId} begins at ${windowStart(windowId)}`);
  if (!previousWindowClosed) refuse('settlement_previous_window_open', 'windows close in day order: close the day before first');
  return [planStatements(command).closed];
}

/** The window stream's decider; the statements it plans go to their own streams (see planStatements). */
export const settlementWindowDecider: Decider<SettlementWindowState, CloseSettlementWindow, SettlementWindowClosed> = {
  initialState: () => ({ status: 'Open' }),
  decide(command, state) {
    switch (command.type) {
      case 'CloseSettlementWindow':
        return closeWindow(command, state);
      default:
        return unreachable(command.type, 'command');
    }
  },
  evolve: evolveWindow,
  evolveAll: evolveEach(evolveWindow),
};

function evolveWindow(state: SettlementWindowState, event: SettlementWindowClosed): SettlementWindowState {
  switch (event.type) {
    case 'SettlementWindowClosed':
      return { status: 'Closed', closedAt: event.data.closedAt, statementIds: event.data.statementIds };
    default:
      return unreachable(event.type, 'event');
  }
}
