/**
 * One voucher per person per month across lists (seed 004 p. 4: «Ваучеры предоставляются … на
 * каждого члена семьи»; p. 2.5: one MRP «на каждого члена семьи»), in `personmonth-{personId}~{month}`:
 * the food case (family) the person is a member of that month. A list row's members are claimed
 * when the row is accepted; a later list — a corrected one, or SDU's second list of the month —
 * naming the person in another family is refused at intake (already_covered), and the vouchers'
 * issue checks the claims again (domain/vouchers/food-wallet.ts `claimedByOthers`).
 * A claim is never given back: a person's family of the month is the first accepted one.
 */
import type { PersonMonthEvent } from '../events';
import type { Month } from '../shared/calendar';
import type { CommandMetadata, Decider } from '../shared/decider';
import { evolveEach, invariant, unreachable } from '../shared/decider';

export interface ClaimPersonMonth {
  readonly type: 'ClaimPersonMonth';
  readonly data: {
    readonly personId: string;
    readonly month: Month;
    readonly familyId: string;
    readonly caseId: string;
    readonly listId: string;
    readonly rowNo: number;
  };
  readonly metadata: CommandMetadata;
}

/** Whose vouchers the person is in this month, if anyone's. */
export type PersonMonthState = { readonly claim?: { readonly familyId: string; readonly caseId: string } };

function claim(command: ClaimPersonMonth, state: PersonMonthState): PersonMonthEvent[] {
  const d = command.data;
  // The same case again (a re-sent list) changes nothing; another case is the list decider's
  // refusal to make (it reads the claims first), so reaching here is a bug upstream.
  if (state.claim) {
    invariant(state.claim.caseId === d.caseId, `${d.personId} is in ${state.claim.caseId} in ${d.month}, not ${d.caseId}`);
    return [];
  }
  return [{ type: 'PersonMonthClaimed', data: { ...d, at: command.metadata.now } }];
}

export function evolvePersonMonth(state: PersonMonthState, event: PersonMonthEvent): PersonMonthState {
  switch (event.type) {
    case 'PersonMonthClaimed':
      invariant(!state.claim, `${event.data.personId} claimed once in ${event.data.month}`);
      return { claim: { familyId: event.data.familyId, caseId: event.data.caseId } };
    default:
      return unreachable(event.type, 'person-month event');
  }
}

export const personMonth: Decider<PersonMonthState, ClaimPersonMonth, PersonMonthEvent> = {
  initialState: () => ({}),
  decide: (command, state) => {
    switch (command.type) {
      case 'ClaimPersonMonth':
        return claim(command, state);
      default:
        return unreachable(command.type, 'person-month command');
    }
  },
  evolve: evolvePersonMonth,
  evolveAll: evolveEach(evolvePersonMonth),
};
