/**
 * Every stream name, built and parsed in one place. A name is a kind's prefix and its ids; ids
 * (from partners and clients, api/schemas.ts idSchema) may hold `-`, `~`, `.` and `:`, so each
 * name is parsed from its right end, where a fixed-shape part (a month, a school year) or a
 * separator no id holds (`/`) ends the variable one. `parseStream(build(x))` gives x back for
 * every kind (streams.property.test.ts).
 *
 *   list-{source}-{listId}               an imported eligibility list and its per-row outcomes
 *   consent-{program}-{caseKey}          one consent case (meals: pupilId~schoolYear; food: familyId~month)
 *   meals-{pupilId}-{schoolYear}         one pupil's school-meal voucher for a school year
 *   food-{familyId}-{month}              one family's member vouchers for one month
 *   foodhold-{shopId}/{holdId}           index: a shop's hold → its family-month stream
 *   canteen-{deviceId}                   the batches a canteen device synced (dedup of deviceId+seq)
 *   feedback-{familyId}                  ratings and complaints forwarded to e-Otinish
 *   schoollists-{schoolId}~{schoolYear}  index: the pupils each monthly list of a school named (suspensions)
 *   registry-shop-{shopId}, registry-school-{schoolId}, registry-device-{deviceId}
 *                                        a counterpart's registry entry (domain/registry/)
 *   person-{personId}                    the forgetting of a person's data (PersonForgotten; the data is in the vault)
 *   personmonth-{personId}~{month}       index: whose food vouchers a person is in that month (one per person-month)
 *   foodconsent-{familyId}               index: a family's consent standing for the food pilot's service period
 *   settlement-{date}                    a shop settlement window (one local day) and its close
 *   statement-{shopId}~{date}            one shop's statement for a window
 *   paymentorder-{schoolId}~{month}      a school-month's canteen payment orders
 *   payout-{payableId}                   the transfers of one statement or payment order
 *   payoutbatch-{batchId}                a batch of transfers (one pain.001 file)
 *   catalogue-{catalogueId}              the product catalogue's versions (domain/catalogue/)
 *
 * The hold index was `food-hold-{shopId}-{holdId}`: a family id starting with `hold-` made a wallet
 * look like an index, and a shop id with a dash could name another shop's hold.
 */
import type { Month, SchoolYear } from './shared/calendar';

export type ListSourceName = 'sdu' | 'nobd';

export type StreamName =
  | { readonly kind: 'list'; readonly source: ListSourceName; readonly listId: string }
  | { readonly kind: 'consentMeals'; readonly pupilId: string; readonly schoolYear: SchoolYear }
  | { readonly kind: 'consentFood'; readonly familyId: string; readonly month: Month }
  | { readonly kind: 'meals'; readonly pupilId: string; readonly schoolYear: SchoolYear }
  | { readonly kind: 'food'; readonly familyId: string; readonly month: Month }
  | { readonly kind: 'foodHold'; readonly shopId: string; readonly holdId: string }
  | { readonly kind: 'canteen'; readonly deviceId: string }
  | { readonly kind: 'feedback'; readonly familyId: string }
  | { readonly kind: 'schoolLists'; readonly schoolId: string; readonly schoolYear: SchoolYear }
  | { readonly kind: 'registryShop'; readonly shopId: string }
  | { readonly kind: 'registrySchool'; readonly schoolId: string }
  | { readonly kind: 'registryDevice'; readonly deviceId: string }
  | { readonly kind: 'person'; readonly personId: string }
  | { readonly kind: 'personMonth'; readonly personId: string; readonly month: Month }
  | { readonly kind: 'foodConsent'; readonly familyId: string }
  | { readonly kind: 'settlementWindow'; readonly windowId: string }
  | { readonly kind: 'statement'; readonly shopId: string; readonly windowId: string }
  | { readonly kind: 'paymentOrders'; readonly schoolId: string; readonly month: Month }
  | { readonly kind: 'payout'; readonly payableId: string }
  | { readonly kind: 'payoutBatch'; readonly batchId: string }
  | { readonly kind: 'productCatalogue'; readonly catalogueId: string };

export const streams = {
  list: (source: ListSourceName, listId: string) => `list-${source}-${listId}`,
  consentMeals: (pupilId: string, schoolYear: SchoolYear) => `consent-school-meals-${pupilId}~${schoolYear}`,
  consentFood: (familyId: string, month: Month) => `consent-food-vouchers-${familyId}~${month}`,
  meals: (pupilId: string, schoolYear: SchoolYear) => `meals-${pupilId}-${schoolYear}`,
  food: (familyId: string, month: Month) => `food-${familyId}-${month}`,
  /** Index of a shop's hold → its family-month stream (see FoodHoldRegistered). A hold id holds no `/`. */
  foodHold: (shopId: string, holdId: string) => `foodhold-${shopId}/${holdId}`,
  canteen: (deviceId: string) => `canteen-${deviceId}`,
  feedback: (familyId: string) => `feedback-${familyId}`,
  /** Index of a school's monthly meals lists in a school year: who each named (absent pupils are suspended). */
  schoolLists: (schoolId: string, schoolYear: SchoolYear) => `schoollists-${schoolId}~${schoolYear}`,
  registryShop: (shopId: string) => `registry-shop-${shopId}`,
  registrySchool: (schoolId: string) => `registry-school-${schoolId}`,
  registryDevice: (deviceId: string) => `registry-device-${deviceId}`,
  person: (personId: string) => `person-${personId}`,
  /** Index: the food case (family) a person is a member of in a month — one voucher per person-month across lists. */
  personMonth: (personId: string, month: Month) => `personmonth-${personId}~${month}`,
  /** Index: a family's consent that stands for the food pilot's service period (consent scope). */
  foodConsent: (familyId: string) => `foodconsent-${familyId}`,
  /** A settlement window is a local date, YYYY-MM-DD. */
  settlementWindow: (windowId: string) => `settlement-${windowId}`,
  statement: (shopId: string, windowId: string) => `statement-${shopId}~${windowId}`,
  paymentOrders: (schoolId: string, month: Month) => `paymentorder-${schoolId}~${month}`,
  payout: (payableId: string) => `payout-${payableId}`,
  payoutBatch: (batchId: string) => `payoutbatch-${batchId}`,
  productCatalogue: (catalogueId: string) => `catalogue-${catalogueId}`,
} as const;

/** The name for a parsed stream (the inverse of `parseStream`). */
export function streamOf(name: StreamName): string {
  switch (name.kind) {
    case 'list':
      return streams.list(name.source, name.listId);
    case 'consentMeals':
      return streams.consentMeals(name.pupilId, name.schoolYear);
    case 'consentFood':
      return streams.consentFood(name.familyId, name.month);
    case 'meals':
      return streams.meals(name.pupilId, name.schoolYear);
    case 'food':
      return streams.food(name.familyId, name.month);
    case 'foodHold':
      return streams.foodHold(name.shopId, name.holdId);
    case 'canteen':
      return streams.canteen(name.deviceId);
    case 'feedback':
      return streams.feedback(name.familyId);
    case 'schoolLists':
      return streams.schoolLists(name.schoolId, name.schoolYear);
    case 'registryShop':
      return streams.registryShop(name.shopId);
    case 'registrySchool':
      return streams.registrySchool(name.schoolId);
    case 'registryDevice':
      return streams.registryDevice(name.deviceId);
    case 'person':
      return streams.person(name.personId);
    case 'personMonth':
      return streams.personMonth(name.personId, name.month);
    case 'foodConsent':
      return streams.foodConsent(name.familyId);
    case 'settlementWindow':
      return streams.settlementWindow(name.windowId);
    case 'statement':
      return streams.statement(name.shopId, name.windowId);
    case 'paymentOrders':
      return streams.paymentOrders(name.schoolId, name.month);
    case 'payout':
      return streams.payout(name.payableId);
    case 'payoutBatch':
      return streams.payoutBatch(name.batchId);
    case 'productCatalogue':
      return streams.productCatalogue(name.catalogueId);
  }
}

const PATTERNS: readonly [RegExp, (m: RegExpExecArray) => StreamName][] = [
  [/^list-(sdu|nobd)-(.+)$/s, (m) => ({ kind: 'list', source: m[1] as ListSourceName, listId: m[2]! })],
  [/^consent-school-meals-(.+)~(\d{4}-\d{4})$/s, (m) => ({ kind: 'consentMeals', pupilId: m[1]!, schoolYear: m[2]! })],
  [/^consent-food-vouchers-(.+)~(\d{4}-\d{2})$/s, (m) => ({ kind: 'consentFood', familyId: m[1]!, month: m[2]! })],
  [/^meals-(.+)-(\d{4}-\d{4})$/s, (m) => ({ kind: 'meals', pupilId: m[1]!, schoolYear: m[2]! })],
  [/^food-(.+)-(\d{4}-\d{2})$/s, (m) => ({ kind: 'food', familyId: m[1]!, month: m[2]! })],
  [/^foodhold-(.+)\/([^/]+)$/s, (m) => ({ kind: 'foodHold', shopId: m[1]!, holdId: m[2]! })],
  [/^canteen-(.+)$/s, (m) => ({ kind: 'canteen', deviceId: m[1]! })],
  [/^feedback-(.+)$/s, (m) => ({ kind: 'feedback', familyId: m[1]! })],
  [/^schoollists-(.+)~(\d{4}-\d{4})$/s, (m) => ({ kind: 'schoolLists', schoolId: m[1]!, schoolYear: m[2]! })],
  [/^registry-shop-(.+)$/s, (m) => ({ kind: 'registryShop', shopId: m[1]! })],
  [/^registry-school-(.+)$/s, (m) => ({ kind: 'registrySchool', schoolId: m[1]! })],
  [/^registry-device-(.+)$/s, (m) => ({ kind: 'registryDevice', deviceId: m[1]! })],
  [/^person-(.+)$/s, (m) => ({ kind: 'person', personId: m[1]! })],
  [/^personmonth-(.+)~(\d{4}-\d{2})$/s, (m) => ({ kind: 'personMonth', personId: m[1]!, month: m[2]! })],
  [/^foodconsent-(.+)$/s, (m) => ({ kind: 'foodConsent', familyId: m[1]! })],
  [/^settlement-(\d{4}-\d{2}-\d{2})$/s, (m) => ({ kind: 'settlementWindow', windowId: m[1]! })],
  [/^statement-(.+)~(\d{4}-\d{2}-\d{2})$/s, (m) => ({ kind: 'statement', shopId: m[1]!, windowId: m[2]! })],
  [/^paymentorder-(.+)~(\d{4}-\d{2})$/s, (m) => ({ kind: 'paymentOrders', schoolId: m[1]!, month: m[2]! })],
  [/^payout-(.+)$/s, (m) => ({ kind: 'payout', payableId: m[1]! })],
  [/^payoutbatch-(.+)$/s, (m) => ({ kind: 'payoutBatch', batchId: m[1]! })],
  [/^catalogue-(.+)$/s, (m) => ({ kind: 'productCatalogue', catalogueId: m[1]! })],
];

/** The patterns by the name's first word (projections parse a name per event, so one pattern is tried, not all). */
const BY_PREFIX = new Map<string, (typeof PATTERNS)[number][]>();
for (const entry of PATTERNS) {
  const prefix = /^\^([a-z]+)-/.exec(entry[0].source)![1]!;
  BY_PREFIX.set(prefix, [...(BY_PREFIX.get(prefix) ?? []), entry]);
}

/** What a stream name names; undefined for a name no kind has. */
export function parseStream(stream: string): StreamName | undefined {
  for (const [pattern, named] of BY_PREFIX.get(stream.slice(0, stream.indexOf('-'))) ?? []) {
    const match = pattern.exec(stream);
    if (match) return named(match);
  }
  return undefined;
}

/** The kind of a stream, or undefined. */
export const kindOf = (stream: string): StreamName['kind'] | undefined => parseStream(stream)?.kind;

/** A voucher's own stream (a pupil's school year, a family's food month), not a hold index. */
export const isVoucherStream = (stream: string): boolean => {
  const kind = kindOf(stream);
  return kind === 'meals' || kind === 'food';
};
