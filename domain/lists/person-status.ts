/**
 * The per-person status a row of an eligibility list is in, and which events change it: what PEP
 * passes back to SDU and SDU to NOBD (seed 001 appendix 1 p. 8 and p. 12; seed 004 p. 17). Every
 * event type of the catalogue is classified here (a Record, so a new event type — a new outcome of
 * a decider — does not compile until someone says whether it changes a person's status and
 * whether it ends the row without a voucher, i.e. sends it back in the returns).
 */
import type { LedgerEvent, LedgerEventType } from '../events';

export type PersonStatus =
  | 'accepted'
  | 'continued'
  | 'returned'
  | 'consent_reopened'
  | 'consent_requested'
  | 'consent_reminded'
  | 'consent_not_required'
  | 'consent_given'
  | 'voucher_issued'
  | 'voucher_activated'
  | 'voucher_listed'
  | 'voucher_transferred'
  | 'voucher_suspended'
  | 'voucher_expired'
  | 'voucher_lapsed';

export interface StatusChange {
  readonly status: PersonStatus;
  /** For `returned`: the reason code (a list rejection code, or how the consent case ended). */
  readonly reason?: string;
  readonly detail?: string;
}

/** Where the change lands: the list row itself, the row of a consent case, or the row of a voucher stream's case. */
export type StatusTarget = 'list_row' | 'case' | 'voucher';

type Rule<T extends LedgerEventType> = {
  readonly target: StatusTarget;
  readonly change: (event: Extract<LedgerEvent, { type: T }>) => StatusChange | undefined;
} | null;

const returned = (reason: string, detail?: string): StatusChange => ({ status: 'returned', reason, ...(detail ? { detail } : {}) });
/** A consent recorded without its voucher (the issuing decider refused): the row goes back with that code. */
const consentOrReturn = (status: PersonStatus, missing: { code: string; detail?: string } | undefined): StatusChange =>
  missing ? returned(missing.code, missing.detail) : { status };

export const STATUS_RULES: { readonly [T in LedgerEventType]: Rule<T> } = {
  EligibilityListReceived: null,
  ListRowAccepted: { target: 'list_row', change: () => ({ status: 'accepted' }) },
  /** Meals, a later monthly list: the pupil has a voucher or a running case already (issue 16) — not a return. */
  ListRowContinued: { target: 'list_row', change: (e) => ({ status: 'continued', detail: e.data.covered }) },
  ListRowRejected: { target: 'list_row', change: (e) => returned(e.data.reason, e.data.detail) },
  EligibilityListProcessed: null,
  /** The school's list index: each pupil's own change is the voucher's (listed or suspended). */
  SchoolListRecorded: null,
  /** Food indexes (issue 16): a person's family of the month and a family's standing consent — the case's own events carry the status. */
  PersonMonthClaimed: null,
  StandingConsentRecorded: null,
  ConsentCaseOpened: null,
  ConsentNotRequired: { target: 'case', change: (e) => consentOrReturn('consent_not_required', e.data.voucherNotIssued) },
  ConsentPhoneNotFound: { target: 'case', change: () => returned('no_phone') },
  SmsRequested: {
    target: 'case',
    change: (e) =>
      e.data.kind === 'consent_request' ? { status: 'consent_requested' } : e.data.kind === 'consent_reminder' ? { status: 'consent_reminded' } : undefined,
  },
  SmsSent: null,
  SmsFailed: null,
  SmsReplyReceived: null,
  ConsentGiven: { target: 'case', change: (e) => consentOrReturn('consent_given', e.data.voucherNotIssued) },
  ConsentRefused: { target: 'case', change: () => returned('consent_refused') },
  ConsentTimedOut: { target: 'case', change: () => returned('consent_timed_out') },
  /** Every representative's SMS failed for good (issue 16): returned, as a timeout is. */
  ConsentUndeliverable: { target: 'case', change: () => returned('undeliverable') },
  /** A new attempt on the same case (a later list names the pupil again): no longer returned. */
  ConsentCaseReopened: { target: 'case', change: () => ({ status: 'consent_reopened' }) },
  MealVoucherIssued: { target: 'voucher', change: () => ({ status: 'voucher_issued' }) },
  MealVoucherActivated: { target: 'voucher', change: () => ({ status: 'voucher_activated' }) },
  MealServed: null,
  MealRefused: null,
  MealVoucherExpired: { target: 'voucher', change: () => ({ status: 'voucher_expired' }) },
  /** The month's list names the pupil: meals that month are paid (and a suspension for it ends). */
  MealVoucherListed: { target: 'voucher', change: (e) => ({ status: 'voucher_listed', detail: e.data.month }) },
  MealVoucherTransferred: {
    target: 'voucher',
    change: (e) => ({
      status: 'voucher_transferred',
      detail: `${e.data.fromSchoolId} grade ${e.data.fromGrade} → ${e.data.toSchoolId} grade ${e.data.toGrade}`,
    }),
  },
  /** No list of the month names the pupil: no meals that month. Not a return (the voucher stays for the school year). */
  MealVoucherSuspended: { target: 'voucher', change: (e) => ({ status: 'voucher_suspended', reason: e.data.reason, detail: e.data.month }) },
  CanteenBatchReceived: null,
  FoodVouchersIssued: { target: 'voucher', change: () => ({ status: 'voucher_issued' }) },
  FoodVoucherActivated: { target: 'voucher', change: () => ({ status: 'voucher_activated' }) },
  FoodPurchaseAuthorized: null,
  FoodPurchaseCaptured: null,
  FoodPurchaseVoided: null,
  FoodHoldExpired: null,
  FoodHoldRegistered: null,
  FoodVouchersLapsed: { target: 'voucher', change: () => ({ status: 'voucher_lapsed' }) },
  DeadlineScheduled: null,
  DeadlineFired: null,
  /** The counterpart registry (shops, schools, canteen devices): no person's status; a school's suspension stops meals, not vouchers. */
  ShopRegistered: null,
  ShopDetailsChanged: null,
  ShopActivated: null,
  ShopSuspended: null,
  ShopClosed: null,
  SchoolRegistered: null,
  SchoolDetailsChanged: null,
  SchoolActivated: null,
  SchoolSuspended: null,
  SchoolClosed: null,
  DeviceRegistered: null,
  DeviceDetailsChanged: null,
  DeviceActivated: null,
  DeviceSuspended: null,
  DeviceClosed: null,
  /** Forgetting deletes a person's data, never their statuses (the pseudonym and the rows stay). */
  PersonForgotten: null,
  // Money out pays shops and canteens; no person's status changes.
  SettlementWindowClosed: null,
  ShopStatementIssued: null,
  CanteenPaymentOrderIssued: null,
  PayoutIssued: null,
  PayoutConfirmed: null,
  PayoutFailed: null,
  PayoutBatchCreated: null,
  /** The product catalogue says which products are eligible; no person's status changes. */
  ProductCatalogueVersionPublished: null,
  FeedbackSubmitted: null,
  FeedbackForwardFailed: null,
  FeedbackForwarded: null,
};

/** The event types that change someone's status (the projection's canHandle, plus the case and voucher links). */
export const STATUS_EVENT_TYPES = (Object.keys(STATUS_RULES) as LedgerEventType[]).filter((type) => STATUS_RULES[type] !== null);

/** The change an event makes, and where it lands; undefined when it changes no one's status. */
export function statusChangeOf(event: LedgerEvent): { target: StatusTarget; change: StatusChange } | undefined {
  const rule = STATUS_RULES[event.type] as Rule<typeof event.type>;
  if (!rule) return undefined;
  const change = (rule.change as (e: LedgerEvent) => StatusChange | undefined)(event);
  return change ? { target: rule.target, change } : undefined;
}
