/**
 * The application services: what the API, the scheduler and the simulators call. Each write takes
 * CommandMetadata (commandId = Idempotency-Key or a derived id, now = Clock, actor = token subject)
 * and goes through application/command-path.ts. Refusals throw DomainError with a code from
 * domain/shared/codes.ts. Inputs here are already validated by zod at the edge (api/),
 * except domain rules (IIN check digit, eligibility), which the services/deciders apply.
 *
 * Implementations: application/services/lists.ts, consent.ts (lists, SMS, deadlines of consent cases),
 * application/services/meals.ts, food.ts, qr.ts (vouchers, canteen, shop, QR).
 */
import type { CommandMetadata } from '../../domain/shared/decider';
import type { Code } from '../../domain/shared/codes';
import type { Instant, Month, SchoolYear } from '../../domain/shared/calendar';
import type { Tiyn } from '../../domain/shared/money';
import type { DeadlineKind, PupilCategory, RepresentativeRole } from '../../domain/events';
import type { SmsLanguage } from '../../domain/programs/sms';

// ── lists ───────────────────────────────────────────────────────────────────────────────
export interface PersonRow {
  readonly iin: string;
  readonly fullName?: string;
  /** Food lists (optional): a member's role when SDU knows it; the head without one is asked as 'guardian'. */
  readonly role?: RepresentativeRole;
}
export interface FoodListRow {
  readonly familyId: string;
  readonly city: string;
  /** The date SDU confirmed АСП for; must be the last day of the month before the reporting month. */
  readonly aspOnDate: string;
  readonly head: PersonRow;
  /** Every family member, the head included. */
  readonly members: readonly PersonRow[];
  /** The language the family is written to (SMS): ru | kk; absent: the program's default. */
  readonly language?: SmsLanguage;
}
export interface MealsListRow {
  readonly familyId: string;
  readonly pupil: PersonRow;
  readonly schoolId: string;
  readonly grade: number;
  readonly category: PupilCategory;
  readonly approvedByHead: boolean;
  /** SDU reconciliation result for the row; absent = reconciled. */
  readonly reconciliation?: { readonly ok: boolean; readonly reason?: string };
  readonly representatives: readonly (PersonRow & { readonly role: RepresentativeRole })[];
  /** The language the parents are written to (SMS): ru | kk; absent: the program's default. */
  readonly language?: SmsLanguage;
}
export type ReceiveListInput =
  | { readonly program: 'food-vouchers'; readonly source: 'sdu'; readonly listId: string; readonly month: Month; readonly rows: readonly FoodListRow[] }
  | {
      readonly program: 'school-meals';
      readonly source: 'nobd';
      readonly listId: string;
      readonly month: Month;
      readonly schoolYear: SchoolYear;
      readonly schoolId: string;
      readonly region: string;
      readonly rows: readonly MealsListRow[];
    };
export interface RowOutcome {
  readonly rowNo: number;
  readonly outcome: Code; // 'row_accepted' or a rejection reason
  readonly caseStream?: string;
  /** Right after intake (absent on a repeated upload: GET the list for the current statuses). */
  readonly status?: 'pending' | 'returned' | 'voucher_issued' | 'continued';
  /** Why an accepted row was returned at once (no_phone, or why no voucher came). */
  readonly reason?: string;
}
export interface ListReceipt {
  readonly listId: string;
  readonly accepted: number;
  readonly rejected: number;
  /** Meals: pupils covered already this school year who stay on the month's list (row_continued; not returns). */
  readonly continued: number;
  readonly rows: readonly RowOutcome[];
  readonly repeated: boolean;
  /** Rows still waiting for a decision (the family's or parent's answer), by row number; absent on a repeat. */
  readonly pending?: readonly number[];
  /** What this upload's phone check stood on (BMG's latest completed load, or a live lookup). */
  readonly phoneDirectory?: { readonly source: 'bmg-load' | 'bmg-lookup'; readonly loadId?: string; readonly asOf?: string };
}

// ── SMS ─────────────────────────────────────────────────────────────────────────────────
export interface SmsDeliveryReport {
  readonly messageId: string;
  readonly status: 'sent' | 'failed';
  readonly reason?: string;
  readonly at: Instant;
  readonly gatewayRef?: string;
}
export type SmsDeliveryResult =
  { readonly messageId: string; readonly outcome: 'recorded' } | { readonly messageId: string; readonly outcome: 'refused'; readonly code: Code };
export interface SmsReply {
  readonly phone: string;
  readonly text: string;
  readonly receivedAt: Instant;
}
export interface SmsReplyResult {
  readonly outcome: 'consent_given' | 'consent_refused' | 'unrecognised' | 'late' | Extract<Code, 'no_open_case_for_phone'>;
  readonly caseId?: string;
}

// ── vouchers, canteen, shop ─────────────────────────────────────────────────────────────
export interface ActivateInput {
  readonly familyId: string;
  readonly voucherId: string;
  /** The citizen (parent / family head) who activates. */
  readonly byPersonId: string;
}
export interface QrToken {
  readonly token: string;
  readonly expiresAt: Instant;
}
export interface CanteenRecord {
  readonly seq: number;
  readonly token?: string;
  readonly cardIin?: string;
  readonly scannedAt: Instant;
}
export interface CanteenBatch {
  readonly deviceId: string;
  readonly schoolId: string;
  readonly batchId: string;
  readonly records: readonly CanteenRecord[];
}
import type { CanteenRecordResult } from '../../domain/vouchers/canteen-batch';
import type { BasketItem } from '../../domain/vouchers/food-wallet';
export type { CanteenRecordResult };
/** One line of a basket as the shop sends it (the food decider prices it: domain/vouchers/food-wallet.ts). */
export type BasketItemInput = BasketItem;
export interface BalanceAnswer {
  readonly familyId: string;
  readonly month: Month;
  readonly availableTiyn: Tiyn;
  readonly heldTiyn: Tiyn;
}
export interface AuthorizeInput {
  readonly shopId: string;
  readonly token: string;
  readonly holdId: string;
  readonly items: readonly BasketItemInput[];
}
export interface AuthorizeResult {
  readonly holdId: string;
  readonly familyId: string;
  readonly basketTiyn: Tiyn;
  readonly eligibleTiyn: Tiyn;
  readonly heldTiyn: Tiyn;
  /** What the customer pays by other means. */
  readonly remainderTiyn: Tiyn;
  readonly items: readonly (BasketItemInput & {
    readonly eligible: boolean;
    readonly category?: string;
    /** Why a line is not eligible: its code is no GTIN of the catalogue version that judged it. */
    readonly reason?: 'item_not_eligible';
    readonly lineTiyn: Tiyn;
  })[];
  readonly expiresAt: Instant;
  /** The product catalogue version that judged the lines (GET /v1/catalogue); absent on holds recorded before versions existed. */
  readonly catalogueVersion?: number;
}
export interface CaptureInput {
  readonly shopId: string;
  readonly holdId: string;
  readonly paymentStatus: 'paid' | 'failed';
  /** Final items as paid; default: the authorized items. */
  readonly items?: readonly BasketItemInput[];
}
export interface CaptureResult {
  readonly holdId: string;
  readonly capturedTiyn: Tiyn;
  readonly releasedTiyn: Tiyn;
  readonly status: 'captured' | 'voided';
}

// ── feedback ───────────────────────────────────────────────────────────────────────────
export interface FeedbackInput {
  readonly familyId: string;
  /** The citizen writing: the vault keeps the text as theirs. */
  readonly byPersonId: string;
  readonly program: 'school-meals' | 'food-vouchers';
  /** The voucher the service was given under: it says where (the school's canteen, the family's city). */
  readonly voucherId: string;
  /** Food: the purchase (its hold id) the feedback is about, naming the shop. */
  readonly holdId?: string;
  readonly kind: 'rating' | 'complaint';
  readonly rating?: number;
  readonly text?: string;
}
export interface FeedbackReceipt {
  readonly feedbackId: string;
  readonly status: 'pending';
  readonly addressee: { readonly code: string; readonly name: string };
  readonly concerns: { readonly shopId?: string; readonly schoolId?: string };
}

export interface LedgerServices {
  receiveList(input: ReceiveListInput, meta: CommandMetadata): Promise<ListReceipt>;
  recordSmsDelivery(report: SmsDeliveryReport, meta: CommandMetadata): Promise<void>;
  /**
   * Many delivery reports at once (an aggregator's batch): one command each (its id the batch's
   * command id and the message), one result per report, in order; a refusal stops no other report.
   */
  recordSmsDeliveries(reports: readonly SmsDeliveryReport[], meta: CommandMetadata): Promise<readonly SmsDeliveryResult[]>;
  receiveSmsReply(reply: SmsReply, meta: CommandMetadata): Promise<SmsReplyResult>;
  activateVoucher(input: ActivateInput, meta: CommandMetadata): Promise<{ voucherId: string; status: 'active' }>;
  /** Food vouchers: every not yet active voucher of the family-month at once (the wallet's "activate all"). */
  activateFoodMonth(input: { familyId: string; month: Month; byPersonId: string }, meta: CommandMetadata): Promise<{ activated: readonly string[] }>;
  /** A short-lived single-use QR token for a voucher the family owns (meals: per pupil; food: the family-month). */
  issueQrToken(input: { familyId: string; voucherId: string }, meta: CommandMetadata): Promise<QrToken>;
  syncCanteenBatch(batch: CanteenBatch, meta: CommandMetadata): Promise<{ results: readonly CanteenRecordResult[] }>;
  balanceByToken(input: { shopId: string; token: string }, meta: CommandMetadata): Promise<BalanceAnswer>;
  authorizePurchase(input: AuthorizeInput, meta: CommandMetadata): Promise<AuthorizeResult>;
  capturePurchase(input: CaptureInput, meta: CommandMetadata): Promise<CaptureResult>;
  voidPurchase(input: { shopId: string; holdId: string }, meta: CommandMetadata): Promise<CaptureResult>;
  /** Recorded at once; forwarded to e-Otinish by the outbox (status in GET /v1/me/feedback). */
  submitFeedback(input: FeedbackInput, meta: CommandMetadata): Promise<FeedbackReceipt>;
  /** Called by the scheduler for a due deadline. Always records DeadlineFired. */
  fireDeadline(input: { stream: string; deadlineId: string; kind: DeadlineKind }, meta: CommandMetadata): Promise<void>;
}
