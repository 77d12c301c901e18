/** Fixed events for the read models' given/then tests: one school, one family, fixed instants. */
import type { HistoryItem } from './history';
import { item } from './harness';
import { streams } from '../../domain/events';

export const SCHOOL = 'school-7';
export const PUPIL = 'pupil-1';
export const FAMILY = 'family-1';
export const YEAR = '2025-2026';
export const MEAL_VOUCHER = 'mv-1';
const caseMeals = streams.consentMeals(PUPIL, YEAR);
const meals = streams.meals(PUPIL, YEAR);
const list = streams.list('nobd', 'L1');

/** A pupil in Akmola: list, consent given, voucher issued and activated (2025-10-06 local). */
export function mealsStart(): HistoryItem[] {
  return [
    item(
      list,
      {
        type: 'EligibilityListReceived',
        data: {
          listId: 'L1',
          source: 'nobd',
          program: 'school-meals',
          month: '2025-10',
          schoolYear: YEAR,
          schoolId: SCHOOL,
          rowCount: 3,
          contentHash: 'h',
          receivedAt: '2025-10-01T04:00:00.000Z',
        },
      },
      '2025-10-01T04:00:00.000Z',
    ),
    item(
      list,
      { type: 'ListRowAccepted', data: { listId: 'L1', rowNo: 1, familyId: FAMILY, personId: PUPIL, caseStream: caseMeals, schoolId: SCHOOL } },
      '2025-10-01T04:00:00.000Z',
      FAMILY,
    ),
    item(
      list,
      { type: 'ListRowRejected', data: { listId: 'L1', rowNo: 2, reason: 'invalid_iin', detail: 'check digit', returnTo: 'nobd' } },
      '2025-10-01T04:00:00.000Z',
    ),
    item(
      list,
      {
        type: 'ListRowRejected',
        data: { listId: 'L1', rowNo: 3, reason: 'failed_sdu_reconciliation', schoolId: SCHOOL, personId: 'pupil-x', returnTo: 'nobd' },
      },
      '2025-10-01T20:30:00.000Z',
    ),
    item(
      caseMeals,
      {
        type: 'ConsentCaseOpened',
        data: {
          caseId: 'c1',
          program: 'school-meals',
          familyId: FAMILY,
          listId: 'L1',
          rowNo: 1,
          openedAt: '2025-10-01T05:00:00.000Z',
          subject: { kind: 'pupil', pupilId: PUPIL, schoolId: SCHOOL, grade: 7, category: 'asp_family', schoolYear: YEAR, region: 'akmola' },
          representatives: [{ personId: 'mother-1', role: 'mother', hasPhone: true }],
        },
      },
      '2025-10-01T05:00:00.000Z',
      FAMILY,
    ),
    item(
      caseMeals,
      { type: 'SmsRequested', data: { caseId: 'c1', messageId: 'm1', kind: 'consent_request', recipientPersonId: 'mother-1', role: 'mother', text: '…' } },
      '2025-10-01T05:00:00.000Z',
      FAMILY,
    ),
    item(caseMeals, { type: 'SmsSent', data: { caseId: 'c1', messageId: 'm1', sentAt: '2025-10-01T05:01:00.000Z' } }, '2025-10-01T05:01:00.000Z', FAMILY),
    // 20:00Z on the 1st is already the 2nd in Almaty (UTC+5).
    item(
      caseMeals,
      { type: 'ConsentGiven', data: { caseId: 'c1', byPersonId: 'mother-1', at: '2025-10-01T20:00:00.000Z' } },
      '2025-10-01T20:00:00.000Z',
      FAMILY,
    ),
    item(
      meals,
      {
        type: 'MealVoucherIssued',
        data: {
          voucherId: MEAL_VOUCHER,
          pupilId: PUPIL,
          familyId: FAMILY,
          schoolId: SCHOOL,
          region: 'akmola',
          grade: 7,
          category: 'asp_family',
          schoolYear: YEAR,
          validFrom: '2025-09-01',
          validUntil: '2026-05-31',
          viaConsent: true,
          caseId: 'c1',
          issuedAt: '2025-10-01T20:00:01.000Z',
        },
      },
      '2025-10-01T20:00:01.000Z',
      FAMILY,
    ),
    item(
      meals,
      { type: 'MealVoucherActivated', data: { voucherId: MEAL_VOUCHER, byPersonId: 'mother-1', activatedAt: '2025-10-06T03:00:00.000Z' } },
      '2025-10-06T03:00:00.000Z',
      FAMILY,
    ),
  ];
}

let seq = 0;
/** A meal on a school day, scanned at 12:00 local, received `delaySeconds` later. */
export function meal(schoolDay: string, delaySeconds = 5): HistoryItem {
  const scannedAt = new Date(`${schoolDay}T07:00:00.000Z`);
  const receivedAt = new Date(scannedAt.getTime() + delaySeconds * 1000).toISOString();
  return item(
    meals,
    {
      type: 'MealServed',
      data: {
        voucherId: MEAL_VOUCHER,
        pupilId: PUPIL,
        schoolId: SCHOOL,
        deviceId: 'dev-1',
        seq: ++seq,
        schoolDay,
        scannedAt: scannedAt.toISOString(),
        receivedAt,
        method: 'qr',
      },
    },
    receivedAt,
    FAMILY,
  );
}

export const FOOD_MONTH = '2026-01';
const food = streams.food(FAMILY, FOOD_MONTH);
const KZT_4325 = 432_500;

/** A family of two in Kokshetau: vouchers issued, one activated, a purchase captured in part, a void, then the lapse. */
export function foodMonth(): HistoryItem[] {
  const at = (d: string) => `2026-01-${d}`;
  return [
    item(
      food,
      {
        type: 'FoodVouchersIssued',
        data: {
          familyId: FAMILY,
          month: FOOD_MONTH,
          city: 'kokshetau',
          region: 'akmola',
          mrpTiyn: KZT_4325,
          vouchers: [
            { voucherId: 'fv-a', memberPersonId: 'head', amountTiyn: KZT_4325 },
            { voucherId: 'fv-b', memberPersonId: 'child', amountTiyn: KZT_4325 },
          ],
          totalTiyn: 2 * KZT_4325,
          activationUntil: '2026-01-31',
          caseId: 'cf',
          issuedAt: at('06T05:00:00.000Z'),
        },
      },
      at('06T05:00:00.000Z'),
      FAMILY,
    ),
    item(
      food,
      { type: 'FoodVoucherActivated', data: { voucherId: 'fv-a', byPersonId: 'head', activatedAt: at('06T06:00:00.000Z') } },
      at('06T06:00:00.000Z'),
      FAMILY,
    ),
    item(
      food,
      {
        type: 'FoodPurchaseAuthorized',
        data: {
          holdId: 'h1',
          shopId: 'shop-1',
          lines: [
            { sku: '2000000000001', name: 'flour', category: 'wheat_flour', quantity: 2000, unit: 'g', unitPriceTiyn: 50, lineTiyn: 100_000, eligible: true },
            { sku: '2000000000017', name: 'eggs', category: 'eggs', quantity: 10, unit: 'pcs', unitPriceTiyn: 6_000, lineTiyn: 60_000, eligible: true },
            { sku: '4870000000001', name: 'soda', quantity: 1, unit: 'pcs', unitPriceTiyn: 45_000, lineTiyn: 45_000, eligible: false },
          ],
          basketTiyn: 205_000,
          eligibleTiyn: 160_000,
          heldTiyn: 160_000,
          allocations: [{ voucherId: 'fv-a', amountTiyn: 160_000 }],
          expiresAt: at('07T10:15:00.000Z'),
          authorizedAt: at('07T10:00:00.000Z'),
        },
      },
      at('07T10:00:00.000Z'),
      FAMILY,
    ),
    item(
      food,
      {
        type: 'FoodPurchaseCaptured',
        data: {
          holdId: 'h1',
          shopId: 'shop-1',
          lines: [
            { sku: '2000000000001', name: 'flour', category: 'wheat_flour', quantity: 2000, unit: 'g', unitPriceTiyn: 50, lineTiyn: 100_000, eligible: true },
          ],
          capturedTiyn: 100_000,
          releasedTiyn: 60_000,
          allocations: [{ voucherId: 'fv-a', amountTiyn: 100_000 }],
          paymentStatus: 'paid',
          // 19:30Z on the 7th is the 8th in Almaty: the shop's settlement day.
          capturedAt: at('07T19:30:00.000Z'),
        },
      },
      at('07T19:30:00.000Z'),
      FAMILY,
    ),
    item(
      food,
      {
        type: 'FoodPurchaseAuthorized',
        data: {
          holdId: 'h2',
          shopId: 'shop-1',
          lines: [
            { sku: '2000000000001', name: 'flour', category: 'wheat_flour', quantity: 1000, unit: 'g', unitPriceTiyn: 50, lineTiyn: 50_000, eligible: true },
          ],
          basketTiyn: 50_000,
          eligibleTiyn: 50_000,
          heldTiyn: 50_000,
          allocations: [{ voucherId: 'fv-a', amountTiyn: 50_000 }],
          expiresAt: at('10T10:15:00.000Z'),
          authorizedAt: at('10T10:00:00.000Z'),
        },
      },
      at('10T10:00:00.000Z'),
      FAMILY,
    ),
  ];
}

/** Settles h2 by a void, then the month ends: fv-b never activated, fv-a's rest lapses. */
export function foodMonthEnd(): HistoryItem[] {
  return [
    item(
      food,
      { type: 'FoodPurchaseVoided', data: { holdId: 'h2', shopId: 'shop-1', releasedTiyn: 50_000, reason: 'shop_voided', at: '2026-01-10T10:05:00.000Z' } },
      '2026-01-10T10:05:00.000Z',
      FAMILY,
    ),
    item(
      food,
      {
        type: 'FoodVouchersLapsed',
        data: {
          familyId: FAMILY,
          month: FOOD_MONTH,
          at: '2026-01-31T19:00:00.000Z',
          totalTiyn: KZT_4325 + (KZT_4325 - 100_000),
          lapses: [
            { voucherId: 'fv-a', notActivatedTiyn: 0, unspentTiyn: KZT_4325 - 100_000 },
            { voucherId: 'fv-b', notActivatedTiyn: KZT_4325, unspentTiyn: 0 },
          ],
        },
      },
      '2026-01-31T19:00:00.000Z',
      FAMILY,
    ),
  ];
}
