/**
 * The one table of stable codes: refusals of commands, per-row outcomes of lists, per-record
 * outcomes of canteen batches. The API maps `kind` to an HTTP status in one place
 * (api/problem.ts); docs/CODES.md is generated from / checked against this table.
 *
 * Precedence when several apply: the first failing check in the decider wins; deciders check in
 * the order existence → authorisation → lifecycle (closed/expired/not active) → time windows →
 * amounts. That order is documented per code group below.
 */
export type CodeKind =
  | 'validation' // the input is malformed or breaks a field rule
  | 'not_found' // the thing named does not exist (or is not yours to see)
  | 'forbidden' // authenticated but not allowed
  | 'unauthorized' // no or bad credentials
  | 'conflict' // the state or an earlier request forbids it (idempotency, versions, duplicates)
  | 'rule' // a business rule refuses it (closed window, no balance, already fed today)
  | 'rate_limited'
  | 'unavailable' // the service cannot do it now (its database is down, frozen or full): retry later
  | 'outcome'; // not a refusal: a recorded per-row/per-record outcome

export interface CodeInfo {
  readonly kind: CodeKind;
  readonly meaning: string;
}

export const CODES = {
  // ── generic (API edge) ────────────────────────────────────────────────────────────────
  validation_failed: { kind: 'validation', meaning: 'The request does not match its schema; see errors[].path.' },
  malformed_json: { kind: 'validation', meaning: 'The body is not valid JSON.' },
  payload_too_large: { kind: 'validation', meaning: 'The body is larger than the limit for this route.' },
  unsupported_media_type: { kind: 'validation', meaning: 'The body must be application/json (or text/csv where stated).' },
  route_not_found: { kind: 'not_found', meaning: 'No such route.' },
  checkpoint_not_found: { kind: 'not_found', meaning: 'No validly signed checkpoint with this number (or none yet): verify from the start.' },
  figure_not_found: { kind: 'not_found', meaning: 'No event counts in a figure with this report and key (check the key, or it counts nothing yet).' },
  figure_too_wide: { kind: 'validation', meaning: 'The key opens more events than one trace reads: name a narrower key (a school, a day, a pupil).' },
  unauthorized: { kind: 'unauthorized', meaning: 'Missing, expired or invalid bearer token.' },
  forbidden: { kind: 'forbidden', meaning: 'Your role may not do this, or the object is not yours.' },
  rate_limited: { kind: 'rate_limited', meaning: 'Too many requests from this client; retry after the Retry-After seconds.' },
  idempotency_key_required: { kind: 'validation', meaning: 'This write needs an Idempotency-Key header.' },
  idempotency_key_reused_with_different_body: {
    kind: 'conflict',
    meaning: 'The Idempotency-Key was used before with a different request body.',
  },
  version_conflict: { kind: 'conflict', meaning: 'The stream changed concurrently too often; retry the request.' },
  internal_error: {
    kind: 'conflict',
    meaning: 'Unexpected failure. Retry a write with the same Idempotency-Key (it is done at most once); report the time of the request.',
  },
  service_unavailable: {
    kind: 'unavailable',
    meaning:
      'The database is down, restarting, frozen or refusing writes. A write may or may not have been recorded: retry it after Retry-After seconds with the same Idempotency-Key, and it answers as the first attempt did.',
  },
  storage_full: {
    kind: 'unavailable',
    meaning:
      'The database server has no disk space left; nothing more can be recorded until an operator frees space. Retry after Retry-After seconds with the same Idempotency-Key.',
  },

  clock_not_movable: {
    kind: 'forbidden',
    meaning: 'The clock moves only in dev mode on a virtual clock (npm run demo); a service in production runs on the wall clock.',
  },
  clock_cannot_go_back: { kind: 'conflict', meaning: 'The clock only moves forward: read models and fired deadlines already stand at a later instant.' },

  // ── lists (per-row outcomes; `outcome` kind) ──────────────────────────────────────────
  row_accepted: { kind: 'outcome', meaning: 'The row opened a consent case (or started one again that ended without consent) or issued a voucher.' },
  row_continued: {
    kind: 'outcome',
    meaning:
      'School meals: the pupil is covered this school year already (a voucher, or a case still waiting for an answer) and stays on the month’s list; not a return.',
  },
  consent_refused_earlier: {
    kind: 'outcome',
    meaning: 'School meals: the parent refused this school year; the refusal stands (program parameter startAgainAfter). Returned to NOBD.',
  },
  invalid_iin: { kind: 'outcome', meaning: 'The IIN fails its check digit or has an impossible birth date.' },
  duplicate_row: { kind: 'outcome', meaning: 'The same person appears earlier in the same list.' },
  already_covered: { kind: 'outcome', meaning: 'A case or voucher already exists for this person and period.' },
  not_in_pilot_city: { kind: 'outcome', meaning: 'The family does not live in a pilot city of the program.' },
  not_on_asp_at_month_end: {
    kind: 'outcome',
    meaning: 'The family did not receive АСП on the last day of the month before the reporting month.',
  },
  not_approved_by_head: { kind: 'outcome', meaning: 'The school head has not approved the row.' },
  failed_sdu_reconciliation: { kind: 'outcome', meaning: 'SDU reconciliation failed for the row; returned to NOBD.' },
  not_eligible_category: { kind: 'outcome', meaning: 'The pupil is in none of the eligible categories.' },
  program_not_in_force: {
    kind: 'rule',
    meaning:
      'The order is not in force then: a list for a month outside it (food: its pilot months; meals: 21 Feb 2026 + 12 months), or a meal on a day outside it.',
  },
  list_period_closed: { kind: 'rule', meaning: 'The list is for a period that has already ended.' },
  list_already_received_with_different_content: {
    kind: 'conflict',
    meaning: 'A list with this id was received before with different rows.',
  },

  // ── consent ───────────────────────────────────────────────────────────────────────────
  case_not_found: { kind: 'not_found', meaning: 'No consent case matches.' },
  sms_message_not_found: { kind: 'not_found', meaning: 'No outbound SMS with this id.' },
  no_open_case_for_phone: { kind: 'outcome', meaning: 'An SMS reply came from a phone with no open consent case.' },

  // ── vouchers (both programs): existence → lifecycle → window ─────────────────────────
  voucher_not_found: { kind: 'not_found', meaning: 'No voucher matches.' },
  voucher_not_active: { kind: 'rule', meaning: 'The voucher has not been activated.' },
  voucher_already_active: { kind: 'conflict', meaning: 'The voucher is already active.' },
  voucher_expired: { kind: 'rule', meaning: 'The voucher has expired (school year over).' },
  voucher_suspended: { kind: 'rule', meaning: 'The pupil is not on the school’s approved list for the month: the voucher is suspended for that month.' },
  voucher_lapsed: { kind: 'rule', meaning: 'The month is over; the voucher lapsed.' },
  activation_window_closed: { kind: 'rule', meaning: 'Activation is possible only until the last day of the month (also once the month’s vouchers lapsed).' },

  // ── canteen meals (per-record outcomes) ───────────────────────────────────────────────
  meal_recorded: { kind: 'outcome', meaning: 'The meal was recorded.' },
  meal_already_recorded_today: { kind: 'rule', meaning: 'The pupil has already been fed this school day.' },
  outside_school_year: { kind: 'rule', meaning: 'The scan is outside the voucher’s school year.' },
  not_a_school_day: {
    kind: 'rule',
    meaning: 'The scan is on a day without school meals: a weekend, a holiday, a break of the pupil’s grade, or outside the lesson days of the school year.',
  },
  qr_token_invalid: { kind: 'validation', meaning: 'The QR token is malformed or its signature does not verify.' },
  qr_token_expired: { kind: 'rule', meaning: 'The QR token was scanned after it expired.' },
  qr_token_reused: { kind: 'rule', meaning: 'The QR token was already used once.' },
  card_not_recognised: { kind: 'not_found', meaning: 'The ID card read matches no active voucher.' },
  clock_skew_too_large: { kind: 'rule', meaning: 'The device time is too far from the receive time.' },
  device_wrong_school: {
    kind: 'forbidden',
    meaning:
      'The pupil’s voucher is for another school than this device. Kept in the pupil’s history; the device itself is answered as for an unknown pupil (card_not_recognised or voucher_not_found, no voucher id).',
  },
  device_seq_reused_with_different_record: {
    kind: 'conflict',
    meaning: 'A record with this device sequence number was received before with different content.',
  },

  // ── shop payments (food vouchers): hold lifecycle → items → amounts ───────────────────
  basket_empty: { kind: 'validation', meaning: 'The basket has no items.' },
  no_eligible_items: { kind: 'rule', meaning: 'No item in the basket is a socially significant food product.' },
  markup_cap_exceeded: {
    kind: 'rule',
    meaning:
      'A line’s discount is more than the trade-markup cap lets the voucher pay for it (seed 004 p. 12; program parameter tradeMarkupCapPercent): the detail names the line and its cap; send that discount or less, or none (the voucher then pays up to the cap).',
  },
  item_not_eligible: {
    kind: 'outcome',
    meaning:
      'Per basket line (authorize answers it as the line’s `reason`): its code is not a GTIN in the product catalogue in force (the approved list of socially significant food), so the voucher pays nothing of it; the customer pays it by other means.',
  },
  insufficient_balance: { kind: 'rule', meaning: 'The family has no available balance this month.' },
  exceeds_balance: { kind: 'rule', meaning: 'The amount is more than the available balance.' },
  hold_not_found: { kind: 'not_found', meaning: 'No hold with this id (for this shop).' },
  hold_already_exists: { kind: 'conflict', meaning: 'This shop already used this hold id for another authorization.' },
  hold_already_settled: { kind: 'conflict', meaning: 'The hold was already captured, voided or expired.' },
  hold_expired: { kind: 'rule', meaning: 'The hold expired before capture.' },
  capture_exceeds_hold: { kind: 'rule', meaning: 'The capture amount is more than the held amount.' },
  payment_not_successful: { kind: 'rule', meaning: 'Capture needs a successful payment status; void instead.' },
  amount_invalid: { kind: 'validation', meaning: 'Amounts are non-negative integer tiyn within safe range.' },
  shop_not_registered: { kind: 'forbidden', meaning: 'The shop is not a registered participant of the pilot.' },

  // ── counterparts (registry): shop / device → its school; existence → lifecycle → place ──
  shop_not_active: { kind: 'forbidden', meaning: 'The shop is registered but the operator has not activated it yet.' },
  shop_suspended: { kind: 'forbidden', meaning: 'The operator has suspended the shop; its earlier purchases stand.' },
  shop_closed: { kind: 'forbidden', meaning: 'The shop has left the pilot (closed in the registry).' },
  shop_outside_pilot_city: { kind: 'rule', meaning: 'The shop is not in a pilot city of the food-voucher program.' },
  device_not_registered: { kind: 'forbidden', meaning: 'The canteen device is not in the registry.' },
  device_not_active: { kind: 'forbidden', meaning: 'The canteen device is registered but not activated yet.' },
  device_suspended: { kind: 'forbidden', meaning: 'The operator has suspended the canteen device; its earlier meal records stand.' },
  device_closed: { kind: 'forbidden', meaning: 'The canteen device was retired (closed in the registry).' },
  device_school_mismatch: { kind: 'forbidden', meaning: 'The token names another school than the one the device is registered for.' },
  school_not_registered: { kind: 'forbidden', meaning: 'The school is not in the registry.' },
  school_not_active: { kind: 'forbidden', meaning: 'The school is registered but not activated yet.' },
  school_suspended: { kind: 'forbidden', meaning: 'The operator has suspended the school’s canteen service.' },
  school_closed: { kind: 'forbidden', meaning: 'The school has left the program (closed in the registry).' },
  registry_entry_not_found: { kind: 'not_found', meaning: 'No shop, school or device with this id in the registry.' },
  registry_entry_closed: { kind: 'conflict', meaning: 'The registry entry is closed; nothing changes it any more.' },
  registry_transition_not_allowed: { kind: 'conflict', meaning: 'The entry’s status does not allow this change (e.g. suspending one that is not active).' },
  bin_invalid: { kind: 'validation', meaning: 'The BIN is not 12 digits with a valid check digit.' },
  iban_invalid: { kind: 'validation', meaning: 'The IBAN is not a valid Kazakh IBAN (KZ, 20 characters, mod-97 check).' },
  bic_invalid: { kind: 'validation', meaning: 'The BIC is not a valid SWIFT code of a Kazakh bank (8 or 11 characters, country KZ).' },
  meal_price_invalid: { kind: 'validation', meaning: 'The meal price is not a positive integer number of tiyn within range.' },
  // ── the product catalogue (approved product list; domain/catalogue): per-row codes of an upload ──
  catalogue_row_invalid: {
    kind: 'validation',
    meaning:
      'One or more rows of the uploaded product catalogue are refused; errors[] names each row (`body.rows.<index>.<field>`) with its own code (gtin_invalid, category_unknown, gtin_duplicate). Nothing was published: fix the rows and upload the file again.',
  },
  gtin_invalid: { kind: 'validation', meaning: 'Catalogue row: the GTIN is not 8, 12, 13 or 14 digits with a valid GS1 check digit.' },
  category_unknown: {
    kind: 'validation',
    meaning: 'Catalogue row: the category is not one of the food list of order No. 166-НҚ (GET /v1/catalogue lists the category ids).',
  },
  gtin_duplicate: { kind: 'validation', meaning: 'Catalogue row: the same GTIN (compared as GTIN-14) is in an earlier row of the file.' },
  // ── partner exchanges: BMG loads, status feeds ────────────────────────────────────────
  invalid_phone: { kind: 'outcome', meaning: 'The phone number is not a Kazakh mobile number (+7 7xx xxx xx xx).' },
  malformed_row: { kind: 'outcome', meaning: 'The CSV line has the wrong number of fields; it was not read.' },
  load_not_found: { kind: 'not_found', meaning: 'No BMG load with this id; open it first.' },
  load_already_opened_with_different_header: { kind: 'conflict', meaning: 'A BMG load with this id was opened before with another freshness stamp or mode.' },
  chunk_already_received_with_different_content: { kind: 'conflict', meaning: 'This chunk of the load was received before with other rows.' },
  load_already_completed: { kind: 'conflict', meaning: 'The load is complete (with another chunk count, or it takes no new chunks); open a new load.' },
  load_incomplete: { kind: 'conflict', meaning: 'Some chunks of the load have not been received; send them, then complete it.' },
  partner_unavailable: { kind: 'conflict', meaning: 'A partner system (BMG, e-Otinish) did not answer in time; nothing was written, retry later.' },
  no_phone: { kind: 'outcome', meaning: 'Returned: BMG has no phone for any representative; no SMS could be sent (seed 001 app. 1 p. 8, seed 004 p. 17).' },
  consent_refused: { kind: 'outcome', meaning: 'Returned: the family refused the service by SMS.' },
  consent_timed_out: { kind: 'outcome', meaning: 'Returned: no answer to the SMS and its reminder in time.' },
  undeliverable: { kind: 'outcome', meaning: 'Returned: the consent SMS could not be delivered to any representative.' },
  report_not_ready: { kind: 'rule', meaning: 'The day is not over yet (Asia/Almaty); its daily report is made after midnight.' },
  invalid_cursor: { kind: 'validation', meaning: 'The cursor is not one this feed handed out.' },
  cursor_from_the_future: { kind: 'validation', meaning: 'The cursor points past the end of the feed; restart from the last cursor you received.' },
  // ── money out: settlement windows, payouts, canteen payment orders (domain/settlement) ──
  settlement_window_closed: { kind: 'conflict', meaning: 'This settlement window is already closed; its statements are issued.' },
  settlement_window_not_started: { kind: 'rule', meaning: 'The settlement window is a day that has not begun (Asia/Almaty).' },
  settlement_previous_window_open: { kind: 'rule', meaning: 'Windows close in day order: close the window of the day before first.' },
  payout_amount_not_positive: { kind: 'rule', meaning: 'A payout needs a positive amount; a statement or order of 0 tiyn is not paid.' },
  payout_already_confirmed: { kind: 'conflict', meaning: 'The statement or payment order is already paid (a transfer was confirmed).' },
  payout_pending: { kind: 'conflict', meaning: "A transfer for it is issued and awaits the paying agent's confirmation." },
  payout_amount_changed: { kind: 'conflict', meaning: 'A re-issued transfer must be for the same amount as the failed one.' },
  payout_unknown_reference: { kind: 'not_found', meaning: 'The confirmation names an end-to-end id that no issued transfer has.' },
  payout_amount_mismatch: { kind: 'rule', meaning: 'The confirmation reports another amount than the transfer issued.' },
  payout_result_conflict: { kind: 'conflict', meaning: 'The confirmation contradicts a result already recorded (listed in reconciliation).' },
  tabel_not_final: { kind: 'rule', meaning: 'The табель of the month is final only from the 5th of the next month; no payment order before.' },
  payment_order_price_missing: { kind: 'rule', meaning: 'The school has no canteen operator or contract meal price in the registry.' },
  statement_not_found: { kind: 'not_found', meaning: 'No such shop statement (or it is not yours).' },
  payout_batch_not_found: { kind: 'not_found', meaning: 'No payout batch with this id.' },
  payout_file_invalid: { kind: 'validation', meaning: "The paying agent's file is not a camt.054 or confirmation CSV this service reads; see detail." },
} as const satisfies Record<string, CodeInfo>;

export type Code = keyof typeof CODES;
/** Codes a domain decision can refuse with (all codes are allowed; the kind tells the API what to do). */
export type RefusalCode = Code;

export function isCode(value: string): value is Code {
  return Object.hasOwn(CODES, value);
}
