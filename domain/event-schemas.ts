/**
 * The catalogue's events as zod schemas: how events read back from the store are parsed, not cast
 * (STYLE.md "Habits"). The types stay plain TypeScript in events.ts (deciders never see zod); this
 * module is the catalogue's edge, used only where stored events enter the application and the read
 * models (adapters/eventstore/ledger-events.ts parseRecorded).
 *
 * Two checks keep it the catalogue's twin at compile time: `EVENT_DATA_SCHEMAS` must name every
 * `LedgerEventType` (a new event type does not compile until it has a schema), and each schema's
 * output must be exactly its event's data type (same keys, same optionality, same value types;
 * readonly aside). Objects are strict: a stored key the catalogue does not know is refused, so a
 * field added to a type but not to its schema cannot slip by as an unparsed extra.
 */
import { z } from 'zod';
import { CODES, type Code } from './shared/codes';
import { SMS_LANGUAGES } from './programs/sms';
import { FORGET_REASONS, PERSONAL_DATA_KINDS } from './people/personal-data';
import type { LedgerEvent, LedgerEventType } from './events';

// ── values ────────────────────────────────────────────────────────────────────────────────
const text = z.string();
const id = z.string().min(1);
/** ISO-8601 instant as the Clock writes it (a device's scan time may carry a zone offset). */
const instant = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/, 'an ISO-8601 instant');
const localDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a local date YYYY-MM-DD');
const month = z.string().regex(/^\d{4}-\d{2}$/, 'a month YYYY-MM');
const schoolYear = z.string().regex(/^\d{4}-\d{4}$/, 'a school year YYYY-YYYY');
/** Integer tiyn: never negative, never a float. */
const tiyn = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const safeInteger = z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER);
const code = z.enum(Object.keys(CODES) as [Code, ...Code[]]);
const codeOf = <C extends Code>(...codes: [C, ...C[]]) => z.enum(codes);
/** A hash as the writer recorded it (a SHA-256 in production; the type promises a string). */
const hash = id;

const programCode = z.enum(['school-meals', 'food-vouchers']);
const listSource = z.enum(['sdu', 'nobd']);
const representativeRole = z.enum(['mother', 'father', 'guardian']);
const pupilCategory = z.enum(['asp_family', 'low_income', 'orphan_in_family']);
const smsLanguage = z.enum(SMS_LANGUAGES as readonly ['ru', 'kk']);
const deadlineKind = z.enum(['consent_request', 'consent_reminder', 'consent_timeout', 'meal_voucher_expiry', 'food_month_end', 'food_hold_expiry']);
const mealMethod = z.enum(['qr', 'card']);

// ── shared parts ──────────────────────────────────────────────────────────────────────────
const pupilSubject = z.strictObject({
  kind: z.literal('pupil'),
  pupilId: id,
  schoolId: id,
  grade: count,
  category: pupilCategory,
  schoolYear,
  region: text,
});
const familySubject = z.strictObject({ kind: z.literal('family'), month, city: text, region: text, members: z.array(id) });
const subject = z.discriminatedUnion('kind', [pupilSubject, familySubject]);
const representative = z.strictObject({ personId: id, role: representativeRole, hasPhone: z.boolean(), phoneFrom: text.optional() });
const phoneCheck = z.strictObject({ source: z.enum(['bmg-load', 'bmg-lookup']), loadId: id.optional(), asOf: instant.optional(), checkedAt: instant });
const feedbackAddressee = z.strictObject({ code: id, name: text });
const feedbackConcerns = z.strictObject({ shopId: id.optional(), schoolId: id.optional() });
const voucherNotIssued = z.strictObject({ code, detail: text.optional() });
const canteenRecordOutcome = z.strictObject({
  seq: safeInteger,
  recordHash: hash,
  outcome: code,
  voucherId: id.optional(),
  late: z.literal(true).optional(),
});
const foodVoucher = z.strictObject({ voucherId: id, memberPersonId: id, amountTiyn: tiyn });
const basketLine = z.strictObject({
  sku: id,
  name: text,
  category: text.optional(),
  quantity: count,
  unit: z.enum(['pcs', 'g', 'ml']),
  unitPriceTiyn: tiyn,
  lineTiyn: tiyn,
  eligible: z.boolean(),
  discountTiyn: tiyn.optional(),
});
const allocation = z.strictObject({ voucherId: id, amountTiyn: tiyn });
const voucherLapse = z.strictObject({ voucherId: id, notActivatedTiyn: tiyn, unspentTiyn: tiyn });

const bankAccount = z.strictObject({ iban: text, bic: text });
const shopDetails = z.strictObject({ bin: text, name: text, city: text, address: text, terminals: z.array(text), bankAccount });
const schoolDetails = z.strictObject({
  name: text,
  region: text,
  city: text,
  canteenOperator: z.strictObject({ name: text, bin: text, bankAccount }),
  mealPriceTiyn: tiyn,
});
const deviceDetails = z.strictObject({ schoolId: id, label: text });
/** A registry entry's lifecycle events (domain/registry/events.ts), for one kind: its id field and its details. */
const registryEntry = <Entry extends z.ZodRawShape, Details extends z.ZodType>(entry: Entry, details: Details) => ({
  registered: z.strictObject({ ...entry, details, reason: text, at: instant }),
  changed: z.strictObject({ ...entry, details, changed: z.array(text), reason: text, at: instant }),
  status: z.strictObject({ ...entry, reason: text, at: instant }),
});
const shopEntry = registryEntry({ shopId: id }, shopDetails);
const schoolEntry = registryEntry({ schoolId: id }, schoolDetails);
const deviceEntry = registryEntry({ deviceId: id }, deviceDetails);

// ── money out (domain/settlement/events.ts) ──
const payee = z.strictObject({ name: text, bin: text, iban: text, bic: text });
const payableKind = z.enum(['shop_statement', 'canteen_order']);
const statementItem = z.strictObject({ sku: text, name: text, lineTiyn: tiyn, eligible: z.boolean() });
const statementLine = z.strictObject({ holdId: id, familyId: id, capturedAt: instant, capturedTiyn: tiyn, position: text, items: z.array(statementItem) });
const statementRelease = z.strictObject({ holdId: id, kind: z.enum(['voided', 'expired']), at: instant, releasedTiyn: tiyn });
const batchPayment = z.strictObject({ payableId: id, kind: payableKind, endToEndId: id, attempt: count, amountTiyn: tiyn, payee });

// ── the product catalogue (domain/catalogue/events.ts) ──
const catalogueProduct = z.strictObject({ gtin: id, categoryId: id, name: text.optional() });

// ── every event's data ────────────────────────────────────────────────────────────────────
export const EVENT_DATA_SCHEMAS = {
  DeadlineScheduled: z.strictObject({ deadlineId: id, kind: deadlineKind, dueAt: instant, stream: id, ref: text.optional() }),
  DeadlineFired: z.strictObject({ deadlineId: id, kind: deadlineKind, firedAt: instant }),

  EligibilityListReceived: z.strictObject({
    listId: id,
    source: listSource,
    program: programCode,
    month,
    schoolYear: schoolYear.optional(),
    schoolId: id.optional(),
    rowCount: count,
    contentHash: hash,
    receivedAt: instant,
  }),
  ListRowAccepted: z.strictObject({
    listId: id,
    rowNo: count,
    familyId: id,
    personId: id,
    caseStream: id,
    schoolId: id.optional(),
    city: text.optional(),
    memberPersonIds: z.array(id).optional(),
    startsAgain: z.literal(true).optional(),
  }),
  ListRowContinued: z.strictObject({
    listId: id,
    rowNo: count,
    familyId: id,
    personId: id,
    caseStream: id,
    schoolId: id,
    grade: count,
    covered: z.enum(['voucher', 'consent_pending']),
    transferredFrom: z.strictObject({ schoolId: id, grade: count }).optional(),
  }),
  ListRowRejected: z.strictObject({
    listId: id,
    rowNo: count,
    reason: codeOf(
      'invalid_iin',
      'duplicate_row',
      'already_covered',
      'not_in_pilot_city',
      'not_on_asp_at_month_end',
      'not_approved_by_head',
      'failed_sdu_reconciliation',
      'not_eligible_category',
      'consent_refused_earlier',
    ),
    detail: text.optional(),
    familyId: id.optional(),
    personId: id.optional(),
    schoolId: id.optional(),
    city: text.optional(),
    returnTo: listSource,
  }),
  EligibilityListProcessed: z.strictObject({ listId: id, accepted: count, rejected: count, continued: count.optional() }),
  SchoolListRecorded: z.strictObject({ schoolId: id, schoolYear, month, listId: id, listed: z.array(id), at: instant }),
  PersonMonthClaimed: z.strictObject({ personId: id, month, familyId: id, caseId: id, listId: id, rowNo: count, at: instant }),
  StandingConsentRecorded: z.strictObject({ familyId: id, caseId: id, month, byPersonId: id, at: instant }),

  ConsentCaseOpened: z.strictObject({
    caseId: id,
    program: programCode,
    familyId: id,
    subject,
    representatives: z.array(representative),
    listId: id,
    rowNo: count,
    language: smsLanguage.optional(),
    openedAt: instant,
    phoneCheck: phoneCheck.optional(),
  }),
  ConsentNotRequired: z.strictObject({ caseId: id, reason: z.literal('primary_grade'), voucherNotIssued: voucherNotIssued.optional() }),
  ConsentCaseReopened: z.strictObject({
    caseId: id,
    attempt: count,
    previousOutcome: z.enum(['no_phone', 'timed_out', 'undeliverable', 'refused', 'given', 'not_required']),
    subject,
    representatives: z.array(representative),
    listId: id,
    rowNo: count,
    language: smsLanguage.optional(),
    reopenedAt: instant,
  }),
  ConsentUndeliverable: z.strictObject({ caseId: id, at: instant, triedPersonIds: z.array(id) }),
  ConsentPhoneNotFound: z.strictObject({ caseId: id }),
  SmsRequested: z.strictObject({
    caseId: id,
    messageId: id,
    kind: z.enum(['consent_request', 'consent_reminder', 'consent_confirmed', 'consent_refused_ack']),
    recipientPersonId: id,
    role: representativeRole,
    text,
    language: smsLanguage.optional(),
    aboutPersonId: id.optional(),
    replyBy: instant.optional(),
    notBefore: instant.optional(),
  }),
  SmsSent: z.strictObject({ caseId: id, messageId: id, sentAt: instant, gatewayRef: text.optional() }),
  SmsFailed: z.strictObject({
    caseId: id,
    messageId: id,
    failedAt: instant,
    reason: text,
    attempt: count,
    willRetry: z.boolean(),
    retryAt: instant.optional(),
  }),
  SmsReplyReceived: z.strictObject({
    caseId: id,
    text,
    textLength: count.optional(),
    interpretation: z.enum(['yes', 'no', 'unrecognised']),
    receivedAt: instant,
    late: z.boolean(),
  }),
  ConsentGiven: z.strictObject({
    caseId: id,
    byPersonId: id,
    at: instant,
    voucherNotIssued: voucherNotIssued.optional(),
    standingFrom: text.optional(),
  }),
  ConsentRefused: z.strictObject({ caseId: id, byPersonId: id, at: instant }),
  ConsentTimedOut: z.strictObject({ caseId: id, at: instant }),

  MealVoucherIssued: z.strictObject({
    voucherId: id,
    pupilId: id,
    familyId: id,
    schoolId: id,
    region: text,
    grade: count,
    category: pupilCategory,
    schoolYear,
    validFrom: localDate,
    validUntil: localDate,
    viaConsent: z.boolean(),
    caseId: id,
    issuedAt: instant,
  }),
  MealVoucherActivated: z.strictObject({ voucherId: id, byPersonId: id, activatedAt: instant }),
  MealServed: z.strictObject({
    voucherId: id,
    pupilId: id,
    schoolId: id,
    deviceId: id,
    seq: safeInteger,
    schoolDay: localDate,
    scannedAt: instant,
    receivedAt: instant,
    method: mealMethod,
    tokenNonce: text.optional(),
    late: z.literal(true).optional(),
  }),
  MealRefused: z.strictObject({
    voucherId: id,
    pupilId: id,
    schoolId: id,
    deviceId: id,
    seq: safeInteger,
    schoolDay: localDate,
    scannedAt: instant,
    receivedAt: instant,
    method: mealMethod,
    code,
  }),
  MealVoucherExpired: z.strictObject({ voucherId: id, at: instant }),
  MealVoucherListed: z.strictObject({ voucherId: id, month, listId: id, rowNo: count, schoolId: id, grade: count, at: instant }),
  MealVoucherTransferred: z.strictObject({
    voucherId: id,
    month,
    listId: id,
    fromSchoolId: id,
    toSchoolId: id,
    fromGrade: count,
    toGrade: count,
    at: instant,
  }),
  MealVoucherSuspended: z.strictObject({ voucherId: id, month, listId: id, schoolId: id, reason: z.literal('absent_from_month_list'), at: instant }),

  CanteenBatchReceived: z.strictObject({ deviceId: id, schoolId: id, batchId: id, receivedAt: instant, records: z.array(canteenRecordOutcome) }),

  FoodVouchersIssued: z.strictObject({
    familyId: id,
    month,
    city: text,
    region: text,
    mrpTiyn: tiyn,
    vouchers: z.array(foodVoucher),
    totalTiyn: tiyn,
    activationUntil: localDate,
    caseId: id,
    issuedAt: instant,
  }),
  FoodVoucherActivated: z.strictObject({ voucherId: id, byPersonId: id, activatedAt: instant }),
  FoodPurchaseAuthorized: z.strictObject({
    holdId: id,
    shopId: id,
    lines: z.array(basketLine),
    basketTiyn: tiyn,
    eligibleTiyn: tiyn,
    heldTiyn: tiyn,
    allocations: z.array(allocation),
    expiresAt: instant,
    authorizedAt: instant,
    tokenNonce: text.optional(),
    catalogueVersion: count.optional(),
  }),
  FoodHoldRegistered: z.strictObject({ holdId: id, shopId: id, familyId: id, month, stream: id, at: instant }),
  FoodPurchaseCaptured: z.strictObject({
    holdId: id,
    shopId: id,
    lines: z.array(basketLine),
    capturedTiyn: tiyn,
    releasedTiyn: tiyn,
    allocations: z.array(allocation),
    paymentStatus: z.literal('paid'),
    capturedAt: instant,
  }),
  FoodPurchaseVoided: z.strictObject({ holdId: id, shopId: id, releasedTiyn: tiyn, reason: z.enum(['shop_voided', 'payment_failed']), at: instant }),
  FoodHoldExpired: z.strictObject({ holdId: id, shopId: id, releasedTiyn: tiyn, at: instant }),
  FoodVouchersLapsed: z.strictObject({ familyId: id, month, lapses: z.array(voucherLapse), totalTiyn: tiyn, at: instant }),

  FeedbackSubmitted: z.strictObject({
    feedbackId: id,
    familyId: id,
    program: programCode,
    voucherId: id.optional(),
    kind: z.enum(['rating', 'complaint']),
    rating: z.number().int().min(1).max(5).optional(),
    textRef: id.optional(),
    textLength: count.optional(),
    personId: id.optional(),
    text: text.optional(),
    addressee: feedbackAddressee.optional(),
    concerns: feedbackConcerns.optional(),
    submittedAt: instant,
  }),
  FeedbackForwardFailed: z.strictObject({
    feedbackId: id,
    attempt: count,
    reason: text,
    willRetry: z.boolean(),
    nextAttemptAt: instant.optional(),
    at: instant,
  }),
  FeedbackForwarded: z.strictObject({ feedbackId: id, eotinishRef: text, forwardedAt: instant, attempt: count.optional() }),
  PersonForgotten: z.strictObject({
    personId: id,
    kinds: z.array(z.enum(PERSONAL_DATA_KINDS)),
    reason: z.enum(FORGET_REASONS),
    reference: text.optional(),
    forgottenAt: instant,
  }),

  ShopRegistered: shopEntry.registered,
  ShopDetailsChanged: shopEntry.changed,
  ShopActivated: shopEntry.status,
  ShopSuspended: shopEntry.status,
  ShopClosed: shopEntry.status,
  SchoolRegistered: schoolEntry.registered,
  SchoolDetailsChanged: schoolEntry.changed,
  SchoolActivated: schoolEntry.status,
  SchoolSuspended: schoolEntry.status,
  SchoolClosed: schoolEntry.status,
  DeviceRegistered: deviceEntry.registered,
  DeviceDetailsChanged: deviceEntry.changed,
  DeviceActivated: deviceEntry.status,
  DeviceSuspended: deviceEntry.status,
  DeviceClosed: deviceEntry.status,
  SettlementWindowClosed: z.strictObject({
    windowId: localDate,
    closedAt: instant,
    closedBy: z.enum(['schedule', 'operator']),
    cutPosition: text,
    statementIds: z.array(id),
    purchases: count,
    capturedTiyn: tiyn,
    latePurchases: count,
  }),
  ShopStatementIssued: z.strictObject({
    statementId: id,
    shopId: id,
    windowId: localDate,
    lines: z.array(statementLine),
    releases: z.array(statementRelease),
    purchases: count,
    capturedTiyn: tiyn,
    payoutTiyn: tiyn,
    issuedAt: instant,
  }),
  CanteenPaymentOrderIssued: z.strictObject({
    orderId: id,
    schoolId: id,
    month,
    sequence: count,
    supplementary: z.boolean(),
    meals: count,
    mealPriceTiyn: tiyn,
    amountTiyn: tiyn,
    mealsOrderedTotal: count,
    payee,
    issuedAt: instant,
  }),
  PayoutIssued: z.strictObject({ payableId: id, kind: payableKind, endToEndId: id, attempt: count, batchId: id, amountTiyn: tiyn, payee, issuedAt: instant }),
  PayoutConfirmed: z.strictObject({ payableId: id, endToEndId: id, attempt: count, amountTiyn: tiyn, bankReference: text, bookedAt: instant, importId: id }),
  PayoutFailed: z.strictObject({ payableId: id, endToEndId: id, attempt: count, amountTiyn: tiyn, reason: text, failedAt: instant, importId: id }),
  PayoutBatchCreated: z.strictObject({
    batchId: id,
    messageId: id,
    purpose: z.enum(['window', 'payment_orders', 'reissue']),
    reference: text,
    payments: z.array(batchPayment),
    totalTiyn: tiyn,
    createdAt: instant,
    debtor: payee,
  }),
  ProductCatalogueVersionPublished: z.strictObject({
    catalogueId: id,
    version: count,
    products: z.array(catalogueProduct),
    added: count,
    changed: count,
    removed: z.array(id),
    contentSha256: hash,
    sourceSha256: hash.optional(),
    reason: text,
    at: instant,
  }),
} satisfies Record<LedgerEventType, z.ZodType>;

/** Every event's metadata (adapters/eventstore/port.ts EventMetadata): the known keys checked, others kept. */
export const EVENT_METADATA_SCHEMA = z.looseObject({
  commandId: id,
  correlationId: id,
  causationId: id,
  actor: z.looseObject({ role: id, id }),
  recordedAt: instant,
  familyId: id.optional(),
  program: text.optional(),
});

// ── compile-time: each schema is its event's data type exactly ────────────────────────────────
/** Readonly aside (the catalogue's arrays are readonly, zod's are not), the type itself. */
type Plain<T> = T extends readonly (infer Item)[] ? Plain<Item>[] : T extends object ? { -readonly [K in keyof T]: Plain<T[K]> } : T;
type Same<A, B> = (<T>() => T extends Plain<A> ? 1 : 2) extends <T>() => T extends Plain<B> ? 1 : 2 ? true : false;
type DataOf<Type extends LedgerEventType> = Extract<LedgerEvent, { type: Type }>['data'];
/** The event types whose schema is not exactly their data type (never, when the two agree). */
type Drifted = { [Type in LedgerEventType]: Same<z.output<(typeof EVENT_DATA_SCHEMAS)[Type]>, DataOf<Type>> extends true ? never : Type }[LedgerEventType];
/** Fails to compile naming the event types whose schema drifted from domain/events.ts. */
export const SCHEMAS_MATCH_THE_CATALOGUE: [Drifted] extends [never] ? true : `the schema of ${Drifted} is not its type in domain/events.ts` = true;
