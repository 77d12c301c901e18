/**
 * Personal data the ledger holds about a person, by kind, and how long each kind is kept. The data
 * itself lives only in the vault (adapters/vault), sealed under the person's own key; events and
 * read models carry the pseudonymous personId. Forgetting deletes the data (all of it: the key)
 * and records `PersonForgotten` without it.
 */
import { addMonths, dayOfMonth, instantAt, type Instant, type Month } from '../shared/calendar';

export const PERSONAL_DATA_KINDS = ['iin', 'name', 'phone', 'complaint'] as const;
export type PersonalDataKind = (typeof PERSONAL_DATA_KINDS)[number];

/** Why a person's data is forgotten. */
export const FORGET_REASONS = ['subject_request', 'purpose_ended', 'retention_expired', 'court_order'] as const;
export type ForgetReason = (typeof FORGET_REASONS)[number];

/** The text shown wherever a forgotten person's name or text would be. */
export const FORGOTTEN = '[forgotten]';

/**
 * (interpretation; parameter) Days each kind is kept. The seeds set no period; the consent SMS
 * (seed 000 annex: "согласие действует в период оказания указанной государственной услуги") ties
 * the data to the service, so the IIN, name and phone are counted from the end of the last month
 * a list named the person, and a complaint's text from its submission. The name stays as long as
 * the табель it was printed on may be audited; the phone is only needed to ask for consent.
 */
export interface PersonalDataRetention {
  readonly iinDays: number;
  readonly nameDays: number;
  readonly phoneDays: number;
  readonly complaintDays: number;
}

export const DEFAULT_RETENTION: PersonalDataRetention = { iinDays: 5 * 366, nameDays: 5 * 366, phoneDays: 93, complaintDays: 366 };

const DAY_MS = 86_400_000;

export function afterDays(from: Instant, days: number): Instant {
  return new Date(Date.parse(from) + days * DAY_MS).toISOString();
}

/** Until when the IIN, name and phone a list of `month` gave are kept: counted from the month's end. */
export function listDataRetainedUntil(month: Month, retention: PersonalDataRetention, timeZone: string): { iin: Instant; name: Instant; phone: Instant } {
  const monthEnd = instantAt(dayOfMonth(addMonths(month, 1), 1), '00:00', timeZone);
  return { iin: afterDays(monthEnd, retention.iinDays), name: afterDays(monthEnd, retention.nameDays), phone: afterDays(monthEnd, retention.phoneDays) };
}
