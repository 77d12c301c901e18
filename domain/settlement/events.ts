/**
 * Money out: what the ledger owes shops and canteen operators, and what it has paid them.
 *
 * Streams:
 *   settlement-{windowId}                 a shop settlement window (one Asia/Almaty day) and its close
 *   statement-{shopId}-{windowId}         one shop's statement for a window: its purchases and payout amount
 *   payment-order-{schoolId}-{month}      a school-month's canteen payment orders (the final табель, then supplements)
 *   payout-{payableId}                    the payout attempts of one statement or payment order
 *   payout-batch-{batchId}                a batch of credit transfers sent to the paying agent (one pain.001 file)
 *
 * A statement or a payment order is a *payable*; each is paid through its own payout stream, so a
 * payable can be confirmed paid at most once whatever the paying agent's files say, and a failed
 * transfer is re-issued as a new attempt with a new end-to-end id.
 */
import type { Instant, LocalDate, Month } from '../shared/calendar';
import type { DomainEvent } from '../shared/decider';
import type { Tiyn } from '../shared/money';

/** A settlement window is one local day (Asia/Almaty): `YYYY-MM-DD`. */
export type WindowId = LocalDate;

/** Who is paid: the registry's record of a shop or of a school's canteen operator, as of issuing. */
export interface Payee {
  readonly name: string;
  /** БИН: the payee's business identification number (12 digits). */
  readonly bin: string;
  /** IBAN of the payee's account (KZ…, 20 characters). */
  readonly iban: string;
  /** BIC of the payee's bank. */
  readonly bic: string;
}

/** One captured purchase on a shop statement. */
export interface StatementLine {
  readonly holdId: string;
  readonly familyId: string;
  readonly capturedAt: Instant;
  readonly capturedTiyn: Tiyn;
  /** Global log position of the capture: the evidence an auditor opens. */
  readonly position: string;
  readonly items: readonly { readonly sku: string; readonly name: string; readonly lineTiyn: Tiyn; readonly eligible: boolean }[];
}

/** A hold that ended without money (voided or expired) in the window: listed, pays nothing. */
export interface StatementRelease {
  readonly holdId: string;
  readonly kind: 'voided' | 'expired';
  readonly at: Instant;
  readonly releasedTiyn: Tiyn;
}

export type SettlementWindowClosed = DomainEvent<
  'SettlementWindowClosed',
  {
    windowId: WindowId;
    closedAt: Instant;
    /** `schedule` (the day ended) or `operator` (asked by hand). */
    closedBy: 'schedule' | 'operator';
    /** The log position the candidates were read at: captures after it fall into a later window. */
    cutPosition: string;
    statementIds: readonly string[];
    purchases: number;
    capturedTiyn: Tiyn;
    /** Captures of earlier days that arrived after their own window closed. */
    latePurchases: number;
  }
>;

export type ShopStatementIssued = DomainEvent<
  'ShopStatementIssued',
  {
    statementId: string;
    shopId: string;
    windowId: WindowId;
    lines: readonly StatementLine[];
    releases: readonly StatementRelease[];
    purchases: number;
    capturedTiyn: Tiyn;
    /** What the paying agent transfers to the shop for this statement (no fees in the pilot). */
    payoutTiyn: Tiyn;
    issuedAt: Instant;
  }
>;

export type CanteenPaymentOrderIssued = DomainEvent<
  'CanteenPaymentOrderIssued',
  {
    orderId: string;
    schoolId: string;
    month: Month;
    /** 1 for the order from the final табель; 2, 3… for supplements of late-synced meals. */
    sequence: number;
    supplementary: boolean;
    meals: number;
    mealPriceTiyn: Tiyn;
    amountTiyn: Tiyn;
    /** Meals on all of this school-month's orders so far, this one included. */
    mealsOrderedTotal: number;
    payee: Payee;
    issuedAt: Instant;
  }
>;

export type PayableKind = 'shop_statement' | 'canteen_order';

export type PayoutIssued = DomainEvent<
  'PayoutIssued',
  {
    payableId: string;
    kind: PayableKind;
    /** The ISO 20022 end-to-end id of this attempt: `{payableId}/{attempt}` shortened (see payout.ts). */
    endToEndId: string;
    attempt: number;
    batchId: string;
    amountTiyn: Tiyn;
    payee: Payee;
    issuedAt: Instant;
  }
>;

export type PayoutConfirmed = DomainEvent<
  'PayoutConfirmed',
  { payableId: string; endToEndId: string; attempt: number; amountTiyn: Tiyn; bankReference: string; bookedAt: Instant; importId: string }
>;

export type PayoutFailed = DomainEvent<
  'PayoutFailed',
  { payableId: string; endToEndId: string; attempt: number; amountTiyn: Tiyn; reason: string; failedAt: Instant; importId: string }
>;

export interface BatchPayment {
  readonly payableId: string;
  readonly kind: PayableKind;
  readonly endToEndId: string;
  readonly attempt: number;
  readonly amountTiyn: Tiyn;
  readonly payee: Payee;
}

export type PayoutBatchCreated = DomainEvent<
  'PayoutBatchCreated',
  {
    batchId: string;
    /** ISO 20022 message id of the pain.001 file made from this batch. */
    messageId: string;
    /** What the batch pays: a window's statements, a month's payment orders, or re-issues. */
    purpose: 'window' | 'payment_orders' | 'reissue';
    reference: string;
    payments: readonly BatchPayment[];
    totalTiyn: Tiyn;
    createdAt: Instant;
    /** The payer (the programme's account at the paying agent). */
    debtor: Payee;
  }
>;

export type SettlementEvent =
  SettlementWindowClosed | ShopStatementIssued | CanteenPaymentOrderIssued | PayoutIssued | PayoutConfirmed | PayoutFailed | PayoutBatchCreated;
