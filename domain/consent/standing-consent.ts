/**
 * Food consent scope (seed 004 annex: «Согласие предоставляется до окончания текущего месяца и
 * действует в период оказания указанной услуги»), in `foodconsent-{familyId}`: the consents a
 * family gave. With the program's consentScope 'service_period' (default) a consent given in one
 * month stands for the later months of the pilot: the family is not asked again, its month's case
 * records the consent at once (ConsentGiven.standingFrom) and the vouchers open on the 1st, not
 * after an SMS on the 5th. With 'month' every month asks again (the reading before issue 16).
 */
import type { FoodConsentEvent } from '../events';
import type { Month } from '../shared/calendar';
import type { CommandMetadata, Decider } from '../shared/decider';
import { evolveEach, unreachable } from '../shared/decider';

export interface RecordStandingConsent {
  readonly type: 'RecordStandingConsent';
  readonly data: { readonly familyId: string; readonly caseId: string; readonly month: Month; readonly byPersonId: string };
  readonly metadata: CommandMetadata;
}

export interface StandingConsent {
  readonly caseId: string;
  readonly month: Month;
  readonly byPersonId: string;
}
export interface FoodConsentState {
  readonly consents: readonly StandingConsent[];
}

/** The consent that stands for `month`: the latest one given in an earlier month, if any. */
export function standingFor(state: FoodConsentState, month: Month): StandingConsent | undefined {
  return state.consents.filter((c) => c.month < month).at(-1);
}

function record(command: RecordStandingConsent, state: FoodConsentState): FoodConsentEvent[] {
  const d = command.data;
  if (state.consents.some((c) => c.caseId === d.caseId)) return [];
  return [{ type: 'StandingConsentRecorded', data: { ...d, at: command.metadata.now } }];
}

export function evolveFoodConsent(state: FoodConsentState, event: FoodConsentEvent): FoodConsentState {
  switch (event.type) {
    case 'StandingConsentRecorded': {
      const { caseId, month, byPersonId } = event.data;
      return { consents: [...state.consents, { caseId, month, byPersonId }].sort((a, b) => (a.month < b.month ? -1 : a.month > b.month ? 1 : 0)) };
    }
    default:
      return unreachable(event.type, 'food consent event');
  }
}

export const foodConsent: Decider<FoodConsentState, RecordStandingConsent, FoodConsentEvent> = {
  initialState: () => ({ consents: [] }),
  decide: (command, state) => {
    switch (command.type) {
      case 'RecordStandingConsent':
        return record(command, state);
      default:
        return unreachable(command.type, 'food consent command');
    }
  },
  evolve: evolveFoodConsent,
  evolveAll: evolveEach(evolveFoodConsent),
};
