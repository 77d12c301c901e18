/**
 * The event catalogue: every fact the ledger records, by stream family. This file is the contract
 * between the deciders (domain/), the read models (projections/) and the API. Events are past
 * tense, `{ type, data }`; the store adds id, metadata (actor, recordedAt, familyId, program…),
 * stream, version and position. People appear only as pseudonymous `personId`s (keyed hash of the
 * IIN); names, IINs, phones and complaint texts live in the vault (adapters/vault).
 *
 * Streams: domain/streams.ts builds and parses every stream name (list, consent case, meal voucher,
 * food wallet, hold index, canteen device, feedback, person).
 */
import type { Code } from './shared/codes';
import type { ForgetReason, PersonalDataKind } from './people/personal-data';
import type { Instant, LocalDate, Month, SchoolYear } from './shared/calendar';
import type { Tiyn } from './shared/money';
import type { DomainEvent } from './shared/decider';
import type { SmsLanguage } from './programs/sms';
import type { RegistryEvent } from './registry/events';
import type { SettlementEvent } from './settlement/events';
import type { ProductCatalogueEvent } from './catalogue/events';

export type ProgramCode = 'school-meals' | 'food-vouchers';
export type ListSource = 'sdu' | 'nobd';
/** Who a consent SMS may go to, in priority order mother → father → other legal representative. */
export type RepresentativeRole = 'mother' | 'father' | 'guardian';
/** Eligibility categories of appendix 1, p. 5 (school meals). */
export type PupilCategory = 'asp_family' | 'low_income' | 'orphan_in_family';

// ── scheduling (any stream) ────────────────────────────────────────────────────────────────
/** A deadline the scheduler must fire back into the same stream at `dueAt`. */
export type DeadlineKind =
  /** Food: the start SMS waits for the 5th of the month (seed 004 p. 19) when the list came earlier. */
  'consent_request' | 'consent_reminder' | 'consent_timeout' | 'meal_voucher_expiry' | 'food_month_end' | 'food_hold_expiry';
export type DeadlineScheduled = DomainEvent<'DeadlineScheduled', { deadlineId: string; kind: DeadlineKind; dueAt: Instant; stream: string; ref?: string }>;
/** Written whenever the scheduler fires a deadline, even when it no longer changes anything. */
export type DeadlineFired = DomainEvent<'DeadlineFired', { deadlineId: string; kind: DeadlineKind; firedAt: Instant }>;

// ── lists ─────────────────────────────────────────────────────────────────────────────────
export type EligibilityListReceived = DomainEvent<
  'EligibilityListReceived',
  {
    listId: string;
    source: ListSource;
    program: ProgramCode;
    /** food: the reporting month; meals: the month the list is for. */
    month: Month;
    schoolYear?: SchoolYear;
    /** Only for NOBD lists: the school the pedagogue formed it for. */
    schoolId?: string;
    rowCount: number;
    /** SHA-256 of the canonical rows: a re-send with the same id must carry the same rows. */
    contentHash: string;
    receivedAt: Instant;
  }
>;
export type ListRowAccepted = DomainEvent<
  'ListRowAccepted',
  {
    listId: string;
    rowNo: number;
    familyId: string;
    /** The pupil (meals) or the family head (food). */
    personId: string;
    caseStream: string;
    schoolId?: string;
    city?: string;
    /** Food: the family's members (head first), so a person is in one accepted family per list. */
    memberPersonIds?: readonly string[];
    /** Meals: the pupil's case ended without consent earlier this school year and starts again. */
    startsAgain?: true;
  }
>;
/**
 * Meals (seed 002: the list is monthly): a pupil covered this school year — a voucher, or a consent
 * case still running — is on this month's list again. Not a return: the voucher is listed for the
 * month (and moved when the school or grade changed), or the running case goes on.
 */
export type ListRowContinued = DomainEvent<
  'ListRowContinued',
  {
    listId: string;
    rowNo: number;
    familyId: string;
    /** The pupil. */
    personId: string;
    caseStream: string;
    schoolId: string;
    grade: number;
    /** What the pupil has: a voucher (issued), or a case still waiting for an answer. */
    covered: 'voucher' | 'consent_pending';
    /** The voucher was at another school or grade: this list moves it (MealVoucherTransferred). */
    transferredFrom?: { readonly schoolId: string; readonly grade: number };
  }
>;
export type ListRowRejected = DomainEvent<
  'ListRowRejected',
  {
    listId: string;
    rowNo: number;
    reason: Extract<
      Code,
      | 'invalid_iin'
      | 'duplicate_row'
      | 'already_covered'
      | 'not_in_pilot_city'
      | 'not_on_asp_at_month_end'
      | 'not_approved_by_head'
      | 'failed_sdu_reconciliation'
      | 'not_eligible_category'
      | 'consent_refused_earlier'
    >;
    /** Why, for the returned row; free text from the source is capped and has long digit runs masked (no IINs). */
    detail?: string;
    familyId?: string;
    personId?: string;
    schoolId?: string;
    city?: string;
    /** Returned to whom: NOBD (meals) or SDU (food). */
    returnTo: ListSource;
  }
>;
export type EligibilityListProcessed = DomainEvent<
  'EligibilityListProcessed',
  {
    listId: string;
    accepted: number;
    rejected: number;
    /** Meals: pupils covered already who stay on the month's list (absent on lists before issue 16). */
    continued?: number;
  }
>;
/**
 * `schoollists-{schoolId}~{schoolYear}`: a school's monthly meals list, once processed, and the
 * pupils it names (accepted or continued). A pupil named by an earlier list of the year but not by
 * this one is absent from the month's approved list: their voucher is suspended for the month.
 */
export type SchoolListRecorded = DomainEvent<
  'SchoolListRecorded',
  { schoolId: string; schoolYear: SchoolYear; month: Month; listId: string; listed: readonly string[]; at: Instant }
>;

/**
 * `personmonth-{personId}~{month}`: a person is a member of this food case (family) in the month,
 * claimed when a list's row is accepted. One voucher per person per month across lists (seed 004
 * p. 2.5, 4: one voucher per member): a corrected or second list naming the person in another family
 * is refused at intake, and issuing checks the claims again.
 */
export type PersonMonthClaimed = DomainEvent<
  'PersonMonthClaimed',
  { personId: string; month: Month; familyId: string; caseId: string; listId: string; rowNo: number; at: Instant }
>;
/**
 * `foodconsent-{familyId}`: the family consented in this case, and the consent stands for the
 * service period (seed 004 annex: «Согласие … действует в период оказания указанной услуги»;
 * program parameter consentScope): a later month's case records the consent without an SMS.
 */
export type StandingConsentRecorded = DomainEvent<
  'StandingConsentRecorded',
  { familyId: string; caseId: string; month: Month; byPersonId: string; at: Instant }
>;

// ── consent case ──────────────────────────────────────────────────────────────────────────
export interface PupilSubject {
  readonly kind: 'pupil';
  readonly pupilId: string;
  readonly schoolId: string;
  readonly grade: number;
  readonly category: PupilCategory;
  readonly schoolYear: SchoolYear;
  readonly region: string;
}
export interface FamilySubject {
  readonly kind: 'family';
  readonly month: Month;
  readonly city: string;
  readonly region: string;
  /** personIds of the family members, the head first: one voucher each. */
  readonly members: readonly string[];
}
export interface Representative {
  readonly personId: string;
  readonly role: RepresentativeRole;
  /** Whether BMG has a phone for this person (the number itself stays in the vault). */
  readonly hasPhone: boolean;
  /** Where the number came from: `load:{loadId}` (a BMG load) or `lookup` (BMG asked live). */
  readonly phoneFrom?: string;
}
/** What the BMG phone check at intake stood on (seed 001 appendix 1 p. 7–8, seed 004 p. 15–17). */
export interface PhoneCheck {
  /** A BMG load imported in bulk, or BMG asked per person. */
  readonly source: 'bmg-load' | 'bmg-lookup';
  /** The latest completed load and BMG's own time of it (absent: no load had been completed). */
  readonly loadId?: string;
  readonly asOf?: Instant;
  readonly checkedAt: Instant;
}

export type ConsentCaseOpened = DomainEvent<
  'ConsentCaseOpened',
  {
    caseId: string;
    program: ProgramCode;
    familyId: string;
    subject: PupilSubject | FamilySubject;
    representatives: readonly Representative[];
    listId: string;
    rowNo: number;
    /** The recipients' language from the list row (absent: the program's default). */
    language?: SmsLanguage;
    openedAt: Instant;
    /** Absent on cases opened before the BMG import existed. */
    phoneCheck?: PhoneCheck;
  }
>;
/** Consent is not asked (2026 order: primary grades go to the wallet without SMS). */
export type ConsentNotRequired = DomainEvent<'ConsentNotRequired', { caseId: string; reason: 'primary_grade'; voucherNotIssued?: VoucherNotIssued }>;
/**
 * On ConsentGiven / ConsentNotRequired: the voucher could not be issued in the same decision (the
 * issuing decider refused with `code`). The consent stays recorded; only the voucher is missing.
 * Set by application/services/consent-streams.ts decideCase, never by the consent decider.
 */
export interface VoucherNotIssued {
  readonly code: Code;
  readonly detail?: string;
}
/**
 * A later monthly list names the subject of a case that ended without consent (meals: no phone,
 * timed out, undeliverable): the same case starts again (seed 002: the list is monthly).
 */
export type ConsentCaseReopened = DomainEvent<
  'ConsentCaseReopened',
  {
    caseId: string;
    /** 2 for the first new start, and so on. */
    attempt: number;
    previousOutcome: 'no_phone' | 'timed_out' | 'undeliverable' | 'refused' | 'given' | 'not_required';
    subject: PupilSubject | FamilySubject;
    representatives: readonly Representative[];
    listId: string;
    rowNo: number;
    language?: SmsLanguage;
    reopenedAt: Instant;
  }
>;
/**
 * The start SMS could not be delivered to anyone who may be asked (final delivery failures; meals:
 * every representative with a phone in turn, by priority): the case ends; its own outcome, passed
 * back to SDU/NOBD like "no phone", never counted as a timeout.
 */
export type ConsentUndeliverable = DomainEvent<'ConsentUndeliverable', { caseId: string; at: Instant; triedPersonIds: readonly string[] }>;
/** No representative has a phone in BMG: the case ends; passed back to SDU/NOBD. */
export type ConsentPhoneNotFound = DomainEvent<'ConsentPhoneNotFound', { caseId: string }>;
export type SmsKind = 'consent_request' | 'consent_reminder' | 'consent_confirmed' | 'consent_refused_ack';
/** Outbox entry: the SMS gateway picks it up; the phone is looked up in the vault at send time. */
export type SmsRequested = DomainEvent<
  'SmsRequested',
  {
    caseId: string;
    messageId: string;
    kind: SmsKind;
    recipientPersonId: string;
    role: RepresentativeRole;
    /**
     * The annex's text as a template: `{recipientName}` / `{pupilName}` are filled from the vault
     * when the gateway pulls the message (domain/programs/sms.ts renderSms); names are never stored here.
     */
    text: string;
    /** The language of `text` (the case's, or the program's default when the seeds give none in it). */
    language?: SmsLanguage;
    /** Meals: the pupil the SMS is about (whose name fills `{pupilName}`). */
    aboutPersonId?: string;
    /** Until when a reply counts (for requests and reminders). */
    replyBy?: Instant;
    /** Quiet hours: not to be sent before this instant (the start of the next sending window). */
    notBefore?: Instant;
  }
>;
export type SmsSent = DomainEvent<'SmsSent', { caseId: string; messageId: string; sentAt: Instant; gatewayRef?: string }>;
export type SmsFailed = DomainEvent<
  'SmsFailed',
  {
    caseId: string;
    messageId: string;
    failedAt: Instant;
    reason: string;
    attempt: number;
    willRetry: boolean;
    /** When the outbox offers it again: after the backoff, inside the sending window (quiet hours). */
    retryAt?: Instant;
  }
>;
export type SmsReplyReceived = DomainEvent<
  'SmsReplyReceived',
  {
    caseId: string;
    /**
     * A REDACTED form of the reply (domain/consent/reply.ts redactReply): only its code characters
     * [0-9*#], and nothing when there are more than a code could have. Free text may carry names,
     * IINs or phones, and events are immutable, so the raw text is never stored.
     */
    text: string;
    /** Length of the text as received, when `text` differs from it (redacted). */
    textLength?: number;
    interpretation: 'yes' | 'no' | 'unrecognised';
    receivedAt: Instant;
    /** The case was already closed: recorded, changes nothing. */
    late: boolean;
  }
>;
export type ConsentGiven = DomainEvent<
  'ConsentGiven',
  {
    caseId: string;
    byPersonId: string;
    at: Instant;
    voucherNotIssued?: VoucherNotIssued;
    /** Food, consent scope "service period": no SMS this month; the consent given in this case stands. */
    standingFrom?: string;
  }
>;
export type ConsentRefused = DomainEvent<'ConsentRefused', { caseId: string; byPersonId: string; at: Instant }>;
export type ConsentTimedOut = DomainEvent<'ConsentTimedOut', { caseId: string; at: Instant }>;

// ── school-meal voucher ───────────────────────────────────────────────────────────────────
export type MealVoucherIssued = DomainEvent<
  'MealVoucherIssued',
  {
    voucherId: string;
    pupilId: string;
    familyId: string;
    schoolId: string;
    region: string;
    grade: number;
    category: PupilCategory;
    schoolYear: SchoolYear;
    validFrom: LocalDate;
    validUntil: LocalDate;
    /** False for primary grades issued without consent. */
    viaConsent: boolean;
    caseId: string;
    issuedAt: Instant;
  }
>;
export type MealVoucherActivated = DomainEvent<'MealVoucherActivated', { voucherId: string; byPersonId: string; activatedAt: Instant }>;
export type MealServed = DomainEvent<
  'MealServed',
  {
    voucherId: string;
    pupilId: string;
    schoolId: string;
    deviceId: string;
    seq: number;
    schoolDay: LocalDate;
    /** Device time (may be hours before receipt for offline devices). */
    scannedAt: Instant;
    receivedAt: Instant;
    method: 'qr' | 'card';
    /** Nonce of the single-use QR token, when method is qr. */
    tokenNonce?: string;
    /** Received once the month's табель was final (SCHOOL_MEALS.tabelFinalDayOfNextMonth): on no sheet. */
    late?: true;
  }
>;
export type MealRefused = DomainEvent<
  'MealRefused',
  {
    voucherId: string;
    pupilId: string;
    schoolId: string;
    deviceId: string;
    seq: number;
    schoolDay: LocalDate;
    scannedAt: Instant;
    receivedAt: Instant;
    method: 'qr' | 'card';
    code: Code;
  }
>;
export type MealVoucherExpired = DomainEvent<'MealVoucherExpired', { voucherId: string; at: Instant }>;
/** The month's approved list names the pupil (seed 002): meals that month are paid; a suspension for it ends. */
export type MealVoucherListed = DomainEvent<
  'MealVoucherListed',
  { voucherId: string; month: Month; listId: string; rowNo: number; schoolId: string; grade: number; at: Instant }
>;
/** The month's list of another school (or another grade) names the pupil: the voucher moves there. */
export type MealVoucherTransferred = DomainEvent<
  'MealVoucherTransferred',
  { voucherId: string; month: Month; listId: string; fromSchoolId: string; toSchoolId: string; fromGrade: number; toGrade: number; at: Instant }
>;
/**
 * The school's approved list for the month does not name the pupil (seed 002: the list of pupils
 * «которым положена услуга» is monthly): no meals that month, none on the табель; a later list for
 * the month that names the pupil again lifts it (MealVoucherListed).
 */
export type MealVoucherSuspended = DomainEvent<
  'MealVoucherSuspended',
  { voucherId: string; month: Month; listId: string; schoolId: string; reason: 'absent_from_month_list'; at: Instant }
>;

// ── canteen device ────────────────────────────────────────────────────────────────────────
export interface CanteenRecordOutcome {
  readonly seq: number;
  /** SHA-256 of the record as sent, so a resend with other content is detected. */
  readonly recordHash: string;
  readonly outcome: Code; // 'meal_recorded' or a refusal code
  readonly voucherId?: string;
  /** A meal recorded after its month's табель became final: on no sheet (seed 002). */
  readonly late?: true;
}
export type CanteenBatchReceived = DomainEvent<
  'CanteenBatchReceived',
  { deviceId: string; schoolId: string; batchId: string; receivedAt: Instant; records: readonly CanteenRecordOutcome[] }
>;

// ── family food wallet ────────────────────────────────────────────────────────────────────
export interface FoodVoucher {
  readonly voucherId: string;
  readonly memberPersonId: string;
  readonly amountTiyn: Tiyn;
}
export type FoodVouchersIssued = DomainEvent<
  'FoodVouchersIssued',
  {
    familyId: string;
    month: Month;
    city: string;
    region: string;
    /** A member's voucher value: MRP of the month's year × the program's multiplier, or the region's value for the month. */
    mrpTiyn: Tiyn;
    vouchers: readonly FoodVoucher[];
    totalTiyn: Tiyn;
    /** Last day on which activation is possible (the month's last day). */
    activationUntil: LocalDate;
    caseId: string;
    issuedAt: Instant;
  }
>;
export type FoodVoucherActivated = DomainEvent<'FoodVoucherActivated', { voucherId: string; byPersonId: string; activatedAt: Instant }>;
export type FoodUnit = 'pcs' | 'g' | 'ml';
export interface BasketLine {
  /** Code in the national goods catalogue (GTIN or internal). */
  readonly sku: string;
  readonly name: string;
  /** Socially significant food category id (programs/food-list.ts), when the sku is on the list. */
  readonly category?: string;
  readonly quantity: number;
  readonly unit: FoodUnit;
  readonly unitPriceTiyn: Tiyn;
  readonly lineTiyn: Tiyn;
  readonly eligible: boolean;
  /**
   * The discount the shop gives on this line from the voucher, when it names one (≤ the line and,
   * with a trade-markup cap, ≤ the cap: markup_cap_exceeded). Without it the voucher pays the eligible
   * line whole, or up to the cap when the program sets one (seed 004 p. 2.1, 12).
   */
  readonly discountTiyn?: Tiyn;
}
export interface Allocation {
  readonly voucherId: string;
  readonly amountTiyn: Tiyn;
}
export type FoodPurchaseAuthorized = DomainEvent<
  'FoodPurchaseAuthorized',
  {
    holdId: string;
    shopId: string;
    lines: readonly BasketLine[];
    basketTiyn: Tiyn;
    /** What the voucher may pay for the eligible lines: whole, or their discounts, each within the trade-markup cap. */
    eligibleTiyn: Tiyn;
    /** min(eligible, available): what the wallet pays; the customer pays the rest. */
    heldTiyn: Tiyn;
    allocations: readonly Allocation[];
    expiresAt: Instant;
    authorizedAt: Instant;
    /** Nonce of the single-use QR token presented (so a replay of the stream knows it was used). */
    tokenNonce?: string;
    /** The product catalogue version that judged the lines (domain/catalogue/); absent on authorizations recorded before the catalogue had versions. */
    catalogueVersion?: number;
  }
>;
/**
 * Index entry in `foodhold-{shopId}/{holdId}`, written atomically with the authorization: the
 * shop names the hold, this finds its family-month stream, and a shop sees only its own holds.
 */
export type FoodHoldRegistered = DomainEvent<
  'FoodHoldRegistered',
  { holdId: string; shopId: string; familyId: string; month: Month; stream: string; at: Instant }
>;
export type FoodPurchaseCaptured = DomainEvent<
  'FoodPurchaseCaptured',
  {
    holdId: string;
    shopId: string;
    /** Final items as paid (may be fewer than authorized). */
    lines: readonly BasketLine[];
    capturedTiyn: Tiyn;
    /** heldTiyn − capturedTiyn, back to available. */
    releasedTiyn: Tiyn;
    allocations: readonly Allocation[];
    paymentStatus: 'paid';
    capturedAt: Instant;
  }
>;
export type FoodPurchaseVoided = DomainEvent<
  'FoodPurchaseVoided',
  { holdId: string; shopId: string; releasedTiyn: Tiyn; reason: 'shop_voided' | 'payment_failed'; at: Instant }
>;
export type FoodHoldExpired = DomainEvent<'FoodHoldExpired', { holdId: string; shopId: string; releasedTiyn: Tiyn; at: Instant }>;
export interface VoucherLapse {
  readonly voucherId: string;
  /** The voucher was never activated: all of it lapses. */
  readonly notActivatedTiyn: Tiyn;
  /** Activated but unspent at month end (lapses when the program parameter says so). */
  readonly unspentTiyn: Tiyn;
}
export type FoodVouchersLapsed = DomainEvent<
  'FoodVouchersLapsed',
  { familyId: string; month: Month; lapses: readonly VoucherLapse[]; totalTiyn: Tiyn; at: Instant }
>;

// ── feedback ──────────────────────────────────────────────────────────────────────────────
/** Whom e-Otinish routes a rating or complaint to (domain/programs/feedback-routing.ts). */
export interface FeedbackAddressee {
  readonly code: string;
  readonly name: string;
}
/** What the feedback is about: the canteen's school (meals) or the shop of a purchase (food). */
export interface FeedbackConcerns {
  readonly shopId?: string;
  readonly schoolId?: string;
}
export type FeedbackSubmitted = DomainEvent<
  'FeedbackSubmitted',
  {
    feedbackId: string;
    familyId: string;
    program: ProgramCode;
    voucherId?: string;
    kind: 'rating' | 'complaint';
    /** 1–5 for ratings. */
    rating?: number;
    /**
     * The citizen's free text may name people, IINs and phones, and events are immutable: the text
     * is kept in the vault, sealed under the writer's key (`textRef` opens it until it is forgotten).
     */
    textRef?: string;
    /** Characters in the text as written. */
    textLength?: number;
    /** Who wrote it (the vault keeps the text under this person). */
    personId?: string;
    /** LEGACY: feedback submitted before texts moved to the vault kept the text here. Never written now. */
    text?: string;
    /** Absent on feedback submitted before routing existed. */
    addressee?: FeedbackAddressee;
    concerns?: FeedbackConcerns;
    submittedAt: Instant;
  }
>;
/** One try of the e-Otinish outbox that did not get a reference; the next is due at nextAttemptAt. */
export type FeedbackForwardFailed = DomainEvent<
  'FeedbackForwardFailed',
  {
    feedbackId: string;
    attempt: number;
    /** The partner's status only (never its body: it may quote the appeal). */
    reason: string;
    willRetry: boolean;
    nextAttemptAt?: Instant;
    at: Instant;
  }
>;
export type FeedbackForwarded = DomainEvent<'FeedbackForwarded', { feedbackId: string; eotinishRef: string; forwardedAt: Instant; attempt?: number }>;

export type ListEvent = EligibilityListReceived | ListRowAccepted | ListRowContinued | ListRowRejected | EligibilityListProcessed;
export type SchoolListsEvent = SchoolListRecorded;
export type PersonMonthEvent = PersonMonthClaimed;
export type FoodConsentEvent = StandingConsentRecorded;
export type ConsentEvent =
  | ConsentCaseOpened
  | ConsentCaseReopened
  | ConsentUndeliverable
  | ConsentNotRequired
  | ConsentPhoneNotFound
  | SmsRequested
  | SmsSent
  | SmsFailed
  | SmsReplyReceived
  | ConsentGiven
  | ConsentRefused
  | ConsentTimedOut
  | DeadlineScheduled
  | DeadlineFired;
export type MealVoucherEvent =
  | MealVoucherIssued
  | MealVoucherActivated
  | MealServed
  | MealRefused
  | MealVoucherExpired
  | MealVoucherListed
  | MealVoucherTransferred
  | MealVoucherSuspended
  | DeadlineScheduled
  | DeadlineFired;
export type CanteenEvent = CanteenBatchReceived;
export type FoodWalletEvent =
  | FoodVouchersIssued
  | FoodVoucherActivated
  | FoodPurchaseAuthorized
  | FoodPurchaseCaptured
  | FoodPurchaseVoided
  | FoodHoldExpired
  | FoodVouchersLapsed
  | DeadlineScheduled
  | DeadlineFired;
export type FoodHoldIndexEvent = FoodHoldRegistered;
export type FeedbackEvent = FeedbackSubmitted | FeedbackForwardFailed | FeedbackForwarded;

/** Every event the ledger writes. */
// ── people ────────────────────────────────────────────────────────────────────────────────
/**
 * A person's personal data of these kinds was deleted from the vault (all kinds: their key, so
 * every sealed copy is unreadable). Names who (the pseudonym), why and what — never the data.
 * The actor who asked is the event's metadata.actor.
 */
export type PersonForgotten = DomainEvent<
  'PersonForgotten',
  {
    personId: string;
    kinds: readonly PersonalDataKind[];
    reason: ForgetReason;
    /** The operator's reference for the decision (a request or case number); never personal data. */
    reference?: string;
    forgottenAt: Instant;
  }
>;
export type PersonEvent = PersonForgotten;

export type LedgerEvent =
  | ListEvent
  | SchoolListsEvent
  | PersonMonthEvent
  | FoodConsentEvent
  | ConsentEvent
  | MealVoucherEvent
  | CanteenEvent
  | FoodWalletEvent
  | FoodHoldIndexEvent
  | FeedbackEvent
  | RegistryEvent
  | PersonEvent
  | SettlementEvent
  | ProductCatalogueEvent;
export type LedgerEventType = LedgerEvent['type'];

/** Stream names, in one place. */
/** Stream names are built and parsed in one module. */
export { streams, isVoucherStream } from './streams';
