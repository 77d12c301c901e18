/**
 * Schemas of what the API answers from the read models: documented in the OpenAPI, and checked
 * against every reply in the tests (api/contract.ts). Each is tied to the read model's own type
 * (`satisfies z.ZodType<…>`), so a field added there and not here fails the typecheck, and a field
 * the schema lacks fails the contract check.
 */
import { z } from 'zod';
import type { VoucherSummary } from '../projections/family-history/as-of';
import type { FamilyMonthBalance } from '../projections/balances/queries';
import type { Tabel } from '../projections/tabel/queries';
import type { NobdDailyDocument } from '../projections/nobd-daily/export';
import type { OutcomesDocument } from '../projections/outcomes/export';
import type { ListReturn } from './read-side';
import type { FeedEntry, RowStatus } from '../projections/exchanges/queries';
import type { FeedbackView } from '../projections/feedback/queries';
import type { DailyReport, FoodDailyReport, NobdDailyReport } from '../projections/daily-reports/reports';

const count = z.number().int().nonnegative();
/** Tiyn as read back: never negative, integer. */
const tiyn = z.number().int();
const program = z.enum(['school-meals', 'food-vouchers']);

export const voucherSummarySchema = z
  .object({
    voucherId: z.string(),
    program,
    stream: z.string(),
    status: z.enum(['issued', 'active', 'expired', 'lapsed']),
    issuedAt: z.string(),
    activatedAt: z.string().nullable(),
    issuedTiyn: tiyn,
    heldTiyn: tiyn,
    spentTiyn: tiyn,
    lapsedTiyn: tiyn,
    availableTiyn: tiyn,
    meals: count.describe('School meals: meals served so far (food vouchers: 0).'),
  })
  .describe('A voucher with its status and balances; school-meal vouchers carry meals, food vouchers tiyn.') satisfies z.ZodType<VoucherSummary>;

export const familyMonthSchema = z.object({
  familyId: z.string(),
  month: z.string(),
  city: z.string().nullable(),
  vouchers: count,
  issuedTiyn: tiyn,
  activatedTiyn: tiyn,
  heldTiyn: tiyn,
  spentTiyn: tiyn,
  lapsedTiyn: tiyn,
  availableTiyn: tiyn,
}) satisfies z.ZodType<FamilyMonthBalance>;

export const familyVouchersSchema = z.object({
  familyId: z.string(),
  vouchers: z.array(voucherSummarySchema),
  foodMonths: z.array(familyMonthSchema).describe('Food vouchers: the family’s balance per month.'),
});

export const citizenHistorySchema = z.object({
  familyId: z.string(),
  vouchers: z.array(voucherSummarySchema),
  events: z.array(z.object({ at: z.string(), type: z.string(), stream: z.string() })).describe('What happened and when, oldest first.'),
});

/**
 * A decider's own state as the auditor sees it: its `status` and the facts of that status, as in
 * domain/vouchers/meal-voucher.ts and food-wallet.ts — the one place the document leaves a
 * shape open, because it is the domain's internal state and changes with the domain.
 */
const deciderState = (statuses: readonly [string, ...string[]]) =>
  z.looseObject({ status: z.enum(statuses) }).describe('The decider’s state: `status` and, beyond `None`, the facts of that status (domain/vouchers/).');

export const familyAsOfSchema = z.object({
  familyId: z.string(),
  asOf: z.string(),
  events: count.describe('Events of the family’s voucher streams folded.'),
  lastPosition: z.number().int().nullable(),
  vouchers: z.array(voucherSummarySchema),
  mealVouchers: z.array(z.object({ stream: z.string(), state: deciderState(['None', 'Issued', 'Active', 'Expired']) })),
  foodWallets: z.array(z.object({ stream: z.string(), state: deciderState(['None', 'Open', 'Closed']) })),
});

export const auditHistorySchema = z.object({
  familyId: z.string(),
  asOf: z.string(),
  state: familyAsOfSchema,
  events: z.array(
    z.object({
      position: z.number().int(),
      stream: z.string(),
      streamVersion: z.number().int(),
      type: z.string(),
      data: z.looseObject({}).describe('The event’s data, its fields by `type` as in domain/events.ts.'),
      recordedAt: z.string(),
      actor: z.object({ role: z.string(), id: z.string() }),
      commandId: z.string(),
    }),
  ),
  people: z
    .record(z.string(), z.literal('[forgotten]'))
    .describe('The people these events name (by personId) whose personal data was forgotten (docs/EVIDENCE.md "Forgetting a person").'),
});

export const tabelSchema = z.object({
  schoolId: z.string(),
  month: z.string(),
  region: z.string().nullable(),
  status: z.enum(['in_progress', 'available', 'final']),
  availableFrom: z.string(),
  finalFrom: z.string(),
  days: z.array(z.string()).describe('School days of the month (YYYY-MM-DD).'),
  pupils: z.array(z.object({ pupilId: z.string(), meals: z.record(z.string(), count).describe('Meals per school day, days with a meal only.'), total: count })),
  fedPerDay: z.record(z.string(), count),
  mealCount: count,
  mealPriceTiyn: tiyn,
  amountDueTiyn: tiyn,
  late: z
    .array(z.object({ pupilId: z.string(), schoolDay: z.string(), deviceId: z.string(), seq: count, receivedAt: z.string() }))
    .describe('Received after the sheet became final: not on it.'),
  lateMealCount: count,
  notListed: z
    .array(z.object({ pupilId: z.string(), schoolDay: z.string(), deviceId: z.string(), seq: count, receivedAt: z.string() }))
    .describe("Meals of pupils the month's approved list does not name (voucher suspended for the month): not on the sheet."),
  notListedMealCount: count,
}) satisfies z.ZodType<Tabel>;

export const nobdDailySchema = z.object({
  date: z.string(),
  schools: z.array(
    z.object({
      date: z.string(),
      schoolId: z.string(),
      vouchersActivated: count,
      mealsProvided: count,
      consentConsented: count,
      consentRefused: count,
      consentTimedOut: count,
      consentNoPhone: count,
      consentNotRequired: count,
      consentUndeliverable: count,
      rowsReturned: count,
    }),
  ),
  returnedRows: z.array(
    z.object({
      date: z.string(),
      schoolId: z.string(),
      listId: z.string(),
      rowNo: count,
      reason: z.string(),
      detail: z.string().nullable(),
      personId: z.string().nullable(),
    }),
  ),
}) satisfies z.ZodType<NobdDailyDocument>;

export const outcomesSchema = z.object({
  funnel: z.array(
    z.object({
      program,
      area: z.string().describe('Food vouchers: the pilot city; school meals: the region.'),
      month: z.string(),
      eligible: count,
      noPhone: count,
      notRequired: count,
      smsSent: count,
      reminded: count,
      consented: count,
      refused: count,
      timedOut: count,
      undeliverable: count,
      issued: count,
      issuedTiyn: tiyn,
      activated: count,
      activatedTiyn: tiyn,
      used: count,
      usedTiyn: tiyn,
      heldTiyn: tiyn.describe('Food: money in open holds (authorized at a shop, not yet captured, voided or expired).'),
      lapsed: count,
      lapsedTiyn: tiyn,
      mealsServed: count,
    }),
  ),
  foodVolumes: z.array(z.object({ city: z.string(), month: z.string(), category: z.string(), unit: z.string(), quantity: z.number(), amountTiyn: tiyn })),
  schoolMeals: z.array(z.object({ region: z.string(), month: z.string(), pupilsFed: count, mealsServed: count })),
}) satisfies z.ZodType<OutcomesDocument>;

export const listReturnSchema = z.object({
  rowNo: count.optional(),
  status: z.string().optional(),
  reason: z.string(),
  detail: z.string().optional(),
  familyId: z.string().optional(),
  personId: z.string().optional(),
  schoolId: z.string().optional(),
  city: z.string().optional(),
  caseId: z.string().optional(),
  at: z.string().optional().describe('When the row ended.'),
}) satisfies z.ZodType<ListReturn>;

/** A list row's current status (exchange_statuses): `returned` with a reason when it ended without a voucher. */
export const rowStatusSchema = z.object({
  rowNo: count,
  status: z
    .string()
    .describe(
      'accepted, continued, consent_requested, consent_reminded, consent_reopened, consent_not_required, consent_given, voucher_issued, voucher_listed, voucher_transferred, voucher_suspended, voucher_activated, voucher_expired, voucher_lapsed, returned',
    ),
  reason: z
    .string()
    .optional()
    .describe(
      'returned: why (a list rejection code, no_phone, consent_refused, consent_timed_out, undeliverable…); voucher_suspended: absent_from_month_list.',
    ),
  detail: z.string().optional(),
  familyId: z.string().optional(),
  personId: z.string().optional(),
  schoolId: z.string().optional(),
  city: z.string().optional(),
  caseId: z.string().optional(),
  at: z.string(),
}) satisfies z.ZodType<RowStatus>;

export const feedEntrySchema = rowStatusSchema.extend({ cursor: z.string(), listId: z.string() }) satisfies z.ZodType<FeedEntry>;

export const feedbackViewSchema = z.object({
  feedbackId: z.string(),
  program: z.string(),
  kind: z.string(),
  rating: z.number().int().optional(),
  voucherId: z.string().optional(),
  addressee: z.object({ code: z.string(), name: z.string() }),
  concerns: z.object({ shopId: z.string().optional(), schoolId: z.string().optional() }),
  status: z.enum(['pending', 'forwarded', 'not_delivered']),
  attempts: count,
  nextAttemptAt: z.string().optional(),
  eotinishRef: z.string().optional(),
  submittedAt: z.string(),
  forwardedAt: z.string().optional(),
}) satisfies z.ZodType<FeedbackView>;

const nobdDailyReportSchema = z.object({
  kind: z.literal('nobd'),
  date: z.string(),
  schools: nobdDailySchema.shape.schools,
  pupilStatuses: z.array(
    z.object({
      schoolId: z.string(),
      listId: z.string(),
      rowNo: count,
      familyId: z.string().nullable(),
      personId: z.string().nullable(),
      status: z.string(),
      reason: z.string().nullable(),
      at: z.string(),
    }),
  ),
  pupilMeals: z.array(z.object({ schoolId: z.string(), pupilId: z.string(), meals: count })),
}) satisfies z.ZodType<NobdDailyReport>;

const foodDailyReportSchema = z.object({
  kind: z.literal('food'),
  date: z.string(),
  cities: z.array(z.object({ city: z.string(), activations: count, activatedTiyn: tiyn, purchases: count, capturedTiyn: tiyn })),
  activity: z.array(
    z.object({
      city: z.string(),
      kind: z.enum(['activation', 'purchase']),
      familyId: z.string(),
      voucherId: z.string().nullable(),
      shopId: z.string().nullable(),
      holdId: z.string().nullable(),
      amountTiyn: tiyn,
      at: z.string(),
    }),
  ),
  goods: z.array(z.object({ city: z.string(), category: z.string(), unit: z.string(), quantity: z.number(), amountTiyn: tiyn })),
}) satisfies z.ZodType<FoodDailyReport>;

export const dailyReportSchema = z.object({
  generatedAt: z.string(),
  report: z.discriminatedUnion('kind', [nobdDailyReportSchema, foodDailyReportSchema]),
}) satisfies z.ZodType<{ generatedAt: string; report: DailyReport }>;
